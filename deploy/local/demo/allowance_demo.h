// Seeds the allowance service of the local stack with one government-purchased program in Wuding county
// (532329): proposed by the county's partner NGO (qualified in the training demo), assessed and funded by the
// county civil-affairs bureau, so the stack shows a running budget. Idempotent: fixed request ids per year.
#ifndef SHOUHU_DEPLOY_LOCAL_DEMO_ALLOWANCE_DEMO_H_
#define SHOUHU_DEPLOY_LOCAL_DEMO_ALLOWANCE_DEMO_H_

#include <grpcpp/channel.h>

#include <memory>

#include "absl/status/status.h"
#include "common/principal.h"

namespace shouhu {

absl::Status SeedAllowanceDemo(const std::shared_ptr<grpc::Channel>& channel, const PrincipalSigner& signer);

}  // namespace shouhu

#endif  // SHOUHU_DEPLOY_LOCAL_DEMO_ALLOWANCE_DEMO_H_
