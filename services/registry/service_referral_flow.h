// A service referral out, as a state machine: SENT → ACCEPTED → COMPLETED, or SENT → REJECTED. Each rule
// takes the referral as it is and returns it as it will be, or FAILED_PRECONDITION for a step out of order.
#ifndef SHOUHU_SERVICES_REGISTRY_SERVICE_REFERRAL_FLOW_H_
#define SHOUHU_SERVICES_REGISTRY_SERVICE_REFERRAL_FLOW_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/idempotency.h"
#include "shouhu/registry/v1/cooperation_service.pb.h"

namespace shouhu::registry {

absl::StatusOr<v1::ServiceReferral> AcceptServiceReferral(const v1::ServiceReferral& current,
                                                          const Actor& actor);
absl::StatusOr<v1::ServiceReferral> RejectServiceReferral(const v1::ServiceReferral& current,
                                                          const Actor& actor, const std::string& reason);
absl::StatusOr<v1::ServiceReferral> RecordServiceOutcome(const v1::ServiceReferral& current,
                                                         const Actor& actor, const std::string& outcome);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_SERVICE_REFERRAL_FLOW_H_
