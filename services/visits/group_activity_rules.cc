#include "services/visits/group_activity_rules.h"

#include "absl/strings/str_cat.h"

namespace shouhu::visits {

bool FacilitatorStillHolds(const FacilitatorLosses& seen, const FacilitatorLosses& now,
                           absl::CivilDay activity_day) {
  if (now.count == seen.count) return true;
  return now.count == seen.count + 1 && now.latest_from.has_value() && *now.latest_from > activity_day;
}

bool LossReaches(absl::CivilDay lost_from, absl::CivilDay today, absl::CivilDay activity_day,
                 int32_t person_times) {
  if (activity_day < lost_from) return false;
  return !(activity_day <= today && person_times > 0);
}

absl::Status FacilitatorsMayChange(absl::CivilDay activity_day, absl::CivilDay today) {
  if (activity_day >= today) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("activity_id: the activity was held on ", absl::FormatCivilTime(activity_day),
                   "; the facilitators of a held activity are its record and do not change"));
}

absl::Status AttendanceMayBeRecorded(const v1::GroupActivity& activity) {
  if (activity.facilitator_participant_ids_size() > 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "activity_id: the activity has no facilitator left (each was taken off as no longer qualified for "
      "group "
      "activities); name one who is with ChangeGroupActivityFacilitators, then record its attendance");
}

}  // namespace shouhu::visits
