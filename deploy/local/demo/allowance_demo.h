// Seeds the allowance service of the local stack with two programs in Wuding county (532329), proposed by the
// county's partner NGO (qualified in the training demo), assessed and funded by the county civil-affairs
// bureau: a government-purchased care program, so the stack shows a running budget, and the monthly basic
// living allowance with one child enrolled and approved, which the monthly roster job takes up. Idempotent:
// fixed request ids per year.
#ifndef SHOUHU_DEPLOY_LOCAL_DEMO_ALLOWANCE_DEMO_H_
#define SHOUHU_DEPLOY_LOCAL_DEMO_ALLOWANCE_DEMO_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/principal.h"

namespace shouhu {

struct AllowanceDemo {
  std::string care_program_id;
  std::string living_program_id;  // the monthly basic living allowance
  std::string enrolment_id;       // `monthly_child_id`'s, approved
};

// `monthly_child_id`: a verified de facto unsupported child of Wuding (the registry demo's).
absl::StatusOr<AllowanceDemo> SeedAllowanceDemo(const std::shared_ptr<grpc::Channel>& channel,
                                                const PrincipalSigner& signer,
                                                const std::string& monthly_child_id);

}  // namespace shouhu

#endif  // SHOUHU_DEPLOY_LOCAL_DEMO_ALLOWANCE_DEMO_H_
