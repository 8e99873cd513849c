// Who leads which group activity, in the database, inside the caller's transaction: each activity's
// facilitator rows (group_activity_facilitators, visits 0042: a person's upcoming activities in one index
// range), the count of each person's losses of the group-activity qualification (training_event_marks), and
// taking a person off their activities when they lose it. Used by the group-activity store (scheduling,
// changing the facilitators) and by the follower of training's events (qualification_follower.h).
//
// The people's mark rows are locked first everywhere (sorted), so a scheduling or a change naming a person
// and the follower applying that person's loss serialise there; a change locks those of the people it drops
// too. After them a change locks the activity, then its facilitator rows; the follower the person's
// facilitator rows, then their activities.
#ifndef SHOUHU_SERVICES_VISITS_GROUP_FACILITATORS_H_
#define SHOUHU_SERVICES_VISITS_GROUP_FACILITATORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "services/visits/group_activity_rules.h"

namespace shouhu::visits {

// Each person's losses so far (a person with none: absent), read before training is asked.
absl::StatusOr<FacilitatorLossesSeen> ReadFacilitatorLosses(db::Session& session,
                                                            const std::vector<std::string>& participant_ids);

// Writes each person's mark row (so that a loss applied at the same moment, which writes it too, serialises
// with this; on Galera as a conflict) and checks them under that lock. FAILED_PRECONDITION naming `field`[i]
// for the first person a safeguarding concern holds (open or upheld): training may not have applied their
// suspension yet (it is unreachable, the desk retries) and still answer "qualified". Then their losses
// against `seen`: ABORTED naming `field`[i] for the first person who lost the qualification since, from a day
// reaching `activity_day`: the loss found nothing of this request's to take back. `participant_ids` in the
// request's order. The rows of `dropped` (people a change takes off the activity) are written too, unchecked:
// the follower taking one of them off it then waits for the change instead of meeting it the other way round
// (a deadlock).
absl::Status RequireNoLossSince(db::Session& tx, const std::vector<std::string>& participant_ids,
                                const FacilitatorLossesSeen& seen, absl::CivilDay activity_day,
                                const std::string& field, absl::Time now,
                                const std::vector<std::string>& dropped = {});

// Replaces the facilitator rows of the activity on `activity_date` ("YYYY-MM-DD"): `before`'s rows go,
// `after`'s come, and the activity is marked as having its rows.
absl::Status WriteFacilitatorRows(db::Session& tx, const std::string& activity_id,
                                  const std::string& activity_date, const std::vector<std::string>& before,
                                  const std::vector<std::string>& after);

// Takes the person off every group activity their loss reaches (LossReaches: dated from `from_day` on, bar
// one of today already attended), recording who, from when and `because` (no personal detail), and counts
// the loss. Running it again finds nothing left to take. Returns how many activities they were taken off.
absl::StatusOr<int> TakeOffGroupActivities(db::Session& tx, const std::string& participant_id,
                                           absl::CivilDay from_day, const std::string& because,
                                           absl::Time now);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_GROUP_FACILITATORS_H_
