// The registry part of the local demo: referrals, cases and a few lifecycle steps in the partner counties.
#ifndef SHOUHU_DEPLOY_LOCAL_DEMO_REGISTRY_DEMO_H_
#define SHOUHU_DEPLOY_LOCAL_DEMO_REGISTRY_DEMO_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/principal.h"

namespace shouhu::demo {

struct RegistryDemo {
  // Wuding's de facto unsupported child, verified: the allowance demo enrols them for the monthly allowance.
  std::string wuding_unsupported_child_id;
};

// Idempotent: every change carries a fixed request id, so a second run changes nothing.
absl::StatusOr<RegistryDemo> SeedRegistryDemo(const std::shared_ptr<grpc::Channel>& channel,
                                              const PrincipalSigner& signer);

}  // namespace shouhu::demo

#endif  // SHOUHU_DEPLOY_LOCAL_DEMO_REGISTRY_DEMO_H_
