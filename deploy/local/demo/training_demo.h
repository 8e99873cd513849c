// Seeds the volunteer-training service of the local stack with a small demo: the course catalogue (child
// safeguarding basics required for home visits, …), a session per partner county, volunteers at every stage
// of the pipeline, some certified and background-checked, a trained caregiver, and the qualification records
// of the partner NGOs. Idempotent: every call uses a fixed request id, so running it twice changes nothing.
#ifndef SHOUHU_DEPLOY_LOCAL_DEMO_TRAINING_DEMO_H_
#define SHOUHU_DEPLOY_LOCAL_DEMO_TRAINING_DEMO_H_

#include <grpcpp/channel.h>

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "common/principal.h"
#include "deploy/local/demo/visits_demo.h"

namespace shouhu {

// `home_visitors`, when given, receives the volunteers it qualified for home visits (two a county), for the
// visits demo.
absl::Status SeedTrainingDemo(const std::shared_ptr<grpc::Channel>& channel, const PrincipalSigner& signer,
                              std::vector<DemoHomeVisitor>* home_visitors = nullptr);

}  // namespace shouhu

#endif  // SHOUHU_DEPLOY_LOCAL_DEMO_TRAINING_DEMO_H_
