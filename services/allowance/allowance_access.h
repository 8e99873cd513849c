// Who sees which allowance record (common/scope.h's one rule, applied to records that belong to two
// organisations): a program is the operator's and the funder's, within its jurisdiction; an application is
// also its applicant organisation's; outside scope a record is NOT_FOUND. Pure.
#ifndef SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_ACCESS_H_
#define SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_ACCESS_H_

#include "absl/status/status.h"
#include "common/principal.h"
#include "shouhu/allowance/v1/resources.pb.h"

namespace shouhu::allowance {

bool ProgramVisible(const Principal& principal, const v1::Program& program);
bool ApplicationVisible(const Principal& principal, const v1::Application& application,
                        const v1::Program& program);
bool PaymentVisible(const Principal& principal, const v1::Payment& payment, const v1::Program& program);

// NOT_FOUND ("program not found" …) unless visible.
absl::Status RequireProgramVisible(const Principal& principal, const v1::Program& program);
absl::Status RequireApplicationVisible(const Principal& principal, const v1::Application& application,
                                       const v1::Program& program);
absl::Status RequirePaymentVisible(const Principal& principal, const v1::Payment& payment,
                                   const v1::Program& program);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_ACCESS_H_
