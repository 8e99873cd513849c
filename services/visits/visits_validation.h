// What the visits service's requests must hold, before anything is read or written: INVALID_ARGUMENT naming
// the field. Pure; the edge calls these first.
#ifndef SHOUHU_SERVICES_VISITS_VISITS_VALIDATION_H_
#define SHOUHU_SERVICES_VISITS_VISITS_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "shouhu/visits/v1/visits_service.pb.h"

namespace shouhu::visits {

// A household takes an hour or more with travel; more than this in a day is a typing error, not a plan.
inline constexpr int kMaxDailyCapacity = 20;

absl::Status ValidateRegisterVisitor(const v1::RegisterVisitorRequest& request);

// A weekend named by its Saturday, YYYY-MM-DD; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<absl::CivilDay> ParseWeekendDate(absl::string_view text, absl::string_view field);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_VISITS_VALIDATION_H_
