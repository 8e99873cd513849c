// Taking a person off their future visits, inside the caller's transaction: every assignment of theirs from
// `from_day` on moves to released_assignments, with its partner's (a two-adult visit left with one adult is
// not a visit the plan made), so the household is due and unassigned again and the next PlanWeekend places
// it. Used by the safeguarding concern (at once, when it is raised) and by the follower of training's events
// (a qualification lost); running it again finds nothing left to release. A visit someone has checked in to
// (for a case's release, or reported) is under way or made: it stays, with its record (check-out, report)
// still to come, often from a phone that had no signal at the household; but the row of a person taken off
// visits that holds no check-in goes even then (their partner began the visit, they have not, and must not
// reach the child). A visit released before its check-in reached the server comes back when the check-in
// names a time before the release (field_visit_store.cc); the released row stays as the record.
#ifndef SHOUHU_SERVICES_VISITS_ASSIGNMENT_RELEASE_H_
#define SHOUHU_SERVICES_VISITS_ASSIGNMENT_RELEASE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/db.h"

namespace shouhu::visits {

// The reasons a case's move releases its visits with (released_because is "<reason>:<event sequence>"): the
// registry's CaseMovedCounty and HouseholdMoved. A visit released so without its planned village is judged
// on the village the case was visited in before it moved (field_visit_store.cc).
inline constexpr absl::string_view kReleasedByCountyMove = "case-moved-county";
inline constexpr absl::string_view kReleasedByHouseholdMove = "household-moved";
// Whether `released_because` is one of those.
bool ReleasedByMove(absl::string_view released_because);

// Releases the future visits of the visitor registered for `participant_id` (none: nothing to do). `because`
// says why, without personal detail. Returns how many of that person's assignments were released.
absl::StatusOr<int> ReleaseFutureAssignments(db::Session& tx, const std::string& participant_id,
                                             absl::CivilDay from_day, const std::string& because,
                                             absl::Time now);

// Releases every assignment of the case from `from_day` on, both adults of each visit: the case was closed
// or transferred (nobody is to visit), or moved to another county (the registry's CaseMovedCounty: its future
// visits are the new county's to plan with its own visitors). Returns how many assignments were released.
absl::StatusOr<int> ReleaseCaseFutureAssignments(db::Session& tx, const std::string& case_id,
                                                 absl::CivilDay from_day, const std::string& because,
                                                 absl::Time now);

// Gives the case's visits an older replica planned without their village (visits 0044) the case's village
// now, the one they were planned in: called when the case moves to another village, before its plan is
// re-homed, so that its visits that stay (begun, or of a day gone) are judged where they were planned, not
// where the case went.
absl::Status KeepCasePlannedVillage(db::Session& tx, const std::string& case_id);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_ASSIGNMENT_RELEASE_H_
