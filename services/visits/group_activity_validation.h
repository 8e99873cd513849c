// What the group-activity requests must hold, before anything is read or written: INVALID_ARGUMENT naming the
// field. Pure; the edge calls these first.
#ifndef SHOUHU_SERVICES_VISITS_GROUP_ACTIVITY_VALIDATION_H_
#define SHOUHU_SERVICES_VISITS_GROUP_ACTIVITY_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "shouhu/visits/v1/visits_service.pb.h"

namespace shouhu::visits {

// A session has a lead and a few helpers; a class of a care site or a school is well under 200.
inline constexpr int kMaxFacilitators = 5;
inline constexpr int kMaxAttendancePerCall = 200;
// Statistics span at most three years of months, so one query stays a bounded index range.
inline constexpr int kMaxSummaryMonths = 36;

// Returns the activity's day.
absl::StatusOr<absl::CivilDay> ValidateScheduleGroupActivity(const v1::ScheduleGroupActivityRequest& request);
absl::Status ValidateChangeGroupActivityFacilitators(
    const v1::ChangeGroupActivityFacilitatorsRequest& request);
absl::Status ValidateRecordGroupAttendance(const v1::RecordGroupAttendanceRequest& request);

// The first and last day of the months asked for.
struct MonthRange {
  absl::CivilDay first_day;
  absl::CivilDay last_day;
};
absl::StatusOr<MonthRange> ValidateSummarizeGroupActivities(
    const v1::SummarizeGroupActivitiesRequest& request);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_GROUP_ACTIVITY_VALIDATION_H_
