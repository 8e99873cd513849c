// The registry part of the local demo: referrals, cases and a few lifecycle steps in the partner counties.
#ifndef SHOUHU_DEPLOY_LOCAL_DEMO_REGISTRY_DEMO_H_
#define SHOUHU_DEPLOY_LOCAL_DEMO_REGISTRY_DEMO_H_

#include <grpcpp/channel.h>

#include <memory>

#include "absl/status/status.h"
#include "common/principal.h"

namespace shouhu::demo {

// Idempotent: every change carries a fixed request id, so a second run changes nothing.
absl::Status SeedRegistryDemo(const std::shared_ptr<grpc::Channel>& channel, const PrincipalSigner& signer);

}  // namespace shouhu::demo

#endif  // SHOUHU_DEPLOY_LOCAL_DEMO_REGISTRY_DEMO_H_
