#include "services/visits/group_activity_validation.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/idempotency.h"
#include "common/status_macros.h"
#include "common/validation.h"

namespace shouhu::visits {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::StatusOr<absl::CivilMonth> ParseMonth(const std::string& text, absl::string_view field) {
  absl::CivilMonth month;
  if (text.size() != 7 || !absl::ParseCivilTime(text, &month)) return Invalid(field, "must be YYYY-MM");
  return month;
}

// 1 to kMaxFacilitators participant ids, none twice.
absl::Status ValidateFacilitators(const google::protobuf::RepeatedPtrField<std::string>& ids,
                                  absl::string_view field) {
  if (ids.empty() || ids.size() > kMaxFacilitators) {
    return Invalid(field, absl::StrCat("must name 1 to ", kMaxFacilitators));
  }
  std::set<std::string> seen;
  for (int i = 0; i < ids.size(); ++i) {
    const std::string named = absl::StrCat(field, "[", i, "]");
    RETURN_IF_ERROR(ValidateIdentifier(ids[i], named, 64));
    if (!seen.insert(ids[i]).second) return Invalid(named, "named twice");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<absl::CivilDay> ValidateScheduleGroupActivity(
    const v1::ScheduleGroupActivityRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  const v1::GroupActivity& a = request.activity();
  RETURN_IF_ERROR(ValidateIdentifier(a.organisation_id(), "activity.organisation_id", 64));
  RETURN_IF_ERROR(ValidateDivisionCode(a.division_code(), "activity.division_code"));
  const int level = DivisionLevel(a.division_code());
  if (level != 4 && level != 5) {
    return Invalid("activity.division_code", "must name the venue's township (9 digits) or village (12)");
  }
  RETURN_IF_ERROR(ValidateRequiredEnum(a.venue_kind(), v1::VenueKind_IsValid, "activity.venue_kind"));
  RETURN_IF_ERROR(ValidateText(a.venue_name(), "activity.venue_name", 1, 200));
  RETURN_IF_ERROR(ValidateRequiredEnum(a.topic(), v1::GroupTopic_IsValid, "activity.topic"));
  RETURN_IF_ERROR(ValidateText(a.title(), "activity.title", 1, 200));
  ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(a.activity_date(), "activity.activity_date"));
  RETURN_IF_ERROR(
      ValidateFacilitators(a.facilitator_participant_ids(), "activity.facilitator_participant_ids"));
  return day;
}

absl::Status ValidateChangeGroupActivityFacilitators(
    const v1::ChangeGroupActivityFacilitatorsRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.activity_id(), "activity_id"));
  return ValidateFacilitators(request.facilitator_participant_ids(), "facilitator_participant_ids");
}

absl::Status ValidateRecordGroupAttendance(const v1::RecordGroupAttendanceRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.activity_id(), "activity_id"));
  if (request.child_ids_size() == 0 || request.child_ids_size() > kMaxAttendancePerCall) {
    return Invalid("child_ids", absl::StrCat("must name 1 to ", kMaxAttendancePerCall, " children"));
  }
  for (int i = 0; i < request.child_ids_size(); ++i) {
    RETURN_IF_ERROR(ValidateIdentifier(request.child_ids(i), absl::StrCat("child_ids[", i, "]"), 64));
  }
  return absl::OkStatus();
}

absl::StatusOr<MonthRange> ValidateSummarizeGroupActivities(
    const v1::SummarizeGroupActivitiesRequest& request) {
  ASSIGN_OR_RETURN(absl::CivilMonth from, ParseMonth(request.from_month(), "from_month"));
  ASSIGN_OR_RETURN(absl::CivilMonth to, ParseMonth(request.to_month(), "to_month"));
  if (to < from) return Invalid("to_month", "must not be before from_month");
  if (to - from >= kMaxSummaryMonths) {
    return Invalid("to_month", absl::StrCat("at most ", kMaxSummaryMonths, " months after from_month"));
  }
  return MonthRange{absl::CivilDay(from), absl::CivilDay(to + 1) - 1};
}

}  // namespace shouhu::visits
