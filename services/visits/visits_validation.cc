#include "services/visits/visits_validation.h"

#include "common/clock.h"
#include "common/idempotency.h"
#include "common/status_macros.h"
#include "common/validation.h"

namespace shouhu::visits {

absl::Status ValidateRegisterVisitor(const v1::RegisterVisitorRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  if (!request.has_visitor()) return InvalidField("visitor", "is required");
  const v1::Visitor& v = request.visitor();
  if (!v.visitor_id().empty()) return InvalidField("visitor.visitor_id", "is assigned by the service");
  RETURN_IF_ERROR(ValidateRecordId(v.participant_id(), "visitor.participant_id"));
  RETURN_IF_ERROR(ValidateIdentifier(v.organisation_id(), "visitor.organisation_id", 64));
  RETURN_IF_ERROR(ValidateDivisionCode(v.home_village_code(), "visitor.home_village_code"));
  if (DivisionLevel(v.home_village_code()) != 5) {
    return InvalidField("visitor.home_village_code", "must be a 12-digit village code");
  }
  if (v.daily_capacity() < 1 || v.daily_capacity() > kMaxDailyCapacity) {
    return InvalidField("visitor.daily_capacity", "must be 1..20");
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::CivilDay> ParseWeekendDate(absl::string_view text, absl::string_view field) {
  ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(text, field));
  if (absl::GetWeekday(day) != absl::Weekday::saturday) return InvalidField(field, "must be a Saturday");
  return day;
}

}  // namespace shouhu::visits
