#include "services/training/training_rules.h"

namespace shouhu::training {

bool StageMoveAllowed(v1::VolunteerStage from, v1::VolunteerStage to) {
  if (from == to || from == v1::VOLUNTEER_STAGE_LEFT) return false;
  if (to == v1::VOLUNTEER_STAGE_LEFT) return true;
  switch (from) {
    case v1::VOLUNTEER_STAGE_APPLIED:
      return to == v1::VOLUNTEER_STAGE_INTERVIEWED;
    case v1::VOLUNTEER_STAGE_INTERVIEWED:
      return to == v1::VOLUNTEER_STAGE_IN_TRAINING;
    case v1::VOLUNTEER_STAGE_IN_TRAINING:
      return to == v1::VOLUNTEER_STAGE_ACTIVE;
    case v1::VOLUNTEER_STAGE_ACTIVE:
      return to == v1::VOLUNTEER_STAGE_SUSPENDED;
    case v1::VOLUNTEER_STAGE_SUSPENDED:
      return to == v1::VOLUNTEER_STAGE_ACTIVE;
    default:
      return false;
  }
}

v1::EnrollmentStatus PlaceFor(int capacity, int enrolled_count) {
  return enrolled_count < capacity ? v1::ENROLLMENT_STATUS_ENROLLED : v1::ENROLLMENT_STATUS_WAITLISTED;
}

bool CertificationEarned(bool attended, bool assessed, int score, int pass_mark) {
  return attended && assessed && score >= pass_mark;
}

absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth target = absl::CivilMonth(day) + months;
  const absl::CivilDay last_of_target = absl::CivilDay(target + 1) - 1;
  const absl::CivilDay wanted(target.year(), target.month(), day.day());
  // CivilDay normalises 30 Feb to 2 Mar; clamp to the month's last day instead.
  return absl::CivilMonth(wanted) == target ? wanted : last_of_target;
}

}  // namespace shouhu::training
