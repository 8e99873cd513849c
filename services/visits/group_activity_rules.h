// Who may still lead a group activity once it is scheduled. Training answers "qualified for group activities
// on the day" when an activity is scheduled or its facilitators change; after that the activity follows
// training's events (qualification_follower.h): a person who loses the qualification from a day on is taken
// off the activities dated from then. These pure rules decide what such a loss reaches, whether a scheduling
// or a change that asked training before a loss arrived may still store its facilitators, and what an
// activity left without any facilitator may no longer do.
#ifndef SHOUHU_SERVICES_VISITS_GROUP_ACTIVITY_RULES_H_
#define SHOUHU_SERVICES_VISITS_GROUP_ACTIVITY_RULES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "shouhu/visits/v1/visits_service.pb.h"

namespace shouhu::visits {

// A person's losses of the group-activity qualification applied here so far (training_event_marks, visits
// 0042), with the first day of the latest.
struct FacilitatorLosses {
  int64_t count = 0;
  std::optional<absl::CivilDay> latest_from;
};

// Participant id → their losses as a scheduling or a change read them before asking training (absent: none).
using FacilitatorLossesSeen = absl::flat_hash_map<std::string, FacilitatorLosses>;

// True when a scheduling or a change that read `seen` before training said the person was qualified on
// `activity_day` may still store them, `now` being their losses under the store's lock: no loss since, or a
// single one from a day after the activity's (a background check cleared until then: training answered for
// the activity's day). Two or more since are refused: only the latest one's day is kept.
bool FacilitatorStillHolds(const FacilitatorLosses& seen, const FacilitatorLosses& now,
                           absl::CivilDay activity_day);

// Whether a loss of the qualification from `lost_from`, applied on `today`, takes the person off an activity
// on `activity_day` with `person_times` recorded: every activity dated from that day on, except one of today
// with children already recorded as attending. That one is under way or held, led by them; it keeps them as
// its record, as a home visit someone has checked in to stays (assignment_release.h).
bool LossReaches(absl::CivilDay lost_from, absl::CivilDay today, absl::CivilDay activity_day,
                 int32_t person_times);

// An activity whose day is past was held: its facilitators are its record and no longer change
// (FAILED_PRECONDITION naming activity_id). OK for one of today or later.
absl::Status FacilitatorsMayChange(absl::CivilDay activity_day, absl::CivilDay today);

// Attendance at an activity left without any facilitator (each was taken off as no longer qualified) would
// record children as led by nobody qualified: FAILED_PRECONDITION until the organiser names one.
absl::Status AttendanceMayBeRecorded(const v1::GroupActivity& activity);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_GROUP_ACTIVITY_RULES_H_
