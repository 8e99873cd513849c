// The casework part of the local demo: the region's default assessment instrument, published once.
#ifndef SHOUHU_DEPLOY_LOCAL_DEMO_CASEWORK_DEMO_H_
#define SHOUHU_DEPLOY_LOCAL_DEMO_CASEWORK_DEMO_H_

#include <grpcpp/channel.h>

#include <memory>

#include "absl/status/status.h"
#include "common/principal.h"

namespace shouhu::demo {

// Idempotent: the publication carries a fixed request id, so a second run publishes no second version.
absl::Status SeedCaseworkDemo(const std::shared_ptr<grpc::Channel>& channel, const PrincipalSigner& signer);

}  // namespace shouhu::demo

#endif  // SHOUHU_DEPLOY_LOCAL_DEMO_CASEWORK_DEMO_H_
