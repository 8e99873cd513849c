// Storage of group and community activities and the children who attended them: a small interface for the
// edge and its MariaDB implementation (SQL only). Attendance is one row per child per activity, so recording
// a child again changes nothing, and the activity's person-time count moves with the rows in one transaction.
// Who leads an activity follows training (group_facilitators.h): a scheduling or a change of facilitators
// stores only people who lost no qualification since training was asked about them.
#ifndef SHOUHU_SERVICES_VISITS_GROUP_ACTIVITY_STORE_H_
#define SHOUHU_SERVICES_VISITS_GROUP_ACTIVITY_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/paging.h"
#include "services/visits/group_activity_rules.h"
#include "shouhu/visits/v1/visits_service.pb.h"

namespace shouhu::visits {

struct GroupActivityFilter {
  std::string division_prefix;  // required
  std::string organisation_id;  // empty: any
  // Only those left without a facilitator whose day is `today` or later.
  bool needing_facilitator = false;
  absl::CivilDay today;
  PageRequest page;
};

// Activities held on days in [first_day, last_day] within a prefix (of one organisation when set).
struct GroupActivityPeriod {
  std::string division_prefix;
  std::string organisation_id;
  absl::CivilDay first_day;
  absl::CivilDay last_day;
};

struct GroupActivitySummary {
  int32_t activities = 0;
  int64_t person_times = 0;
  int64_t distinct_children = 0;
};

// The caller's scope decision on a locked activity: OK, or NOT_FOUND.
using AuthorizeActivity = std::function<absl::Status(const v1::GroupActivity&)>;

class GroupActivityStore {
 public:
  virtual ~GroupActivityStore() = default;

  // The answer of a request already committed under `key` (a retry), read before the edge checks anything
  // again: a retry after the activity's day passed, or after a facilitator lost the qualification, gets the
  // first answer, not a refusal of what was done. Nothing for a first request; INVALID_ARGUMENT naming
  // request_id when the key's first request was another.
  virtual absl::StatusOr<std::optional<std::string>> FirstAnswer(const IdempotencyKey& key) = 0;
  // Each person's losses of the group-activity qualification so far: read before training is asked about
  // them, and handed back to ScheduleActivity or ChangeFacilitators.
  virtual absl::StatusOr<FacilitatorLossesSeen> FacilitatorLossesOf(
      const std::vector<std::string>& participant_ids) = 0;
  // `activity` as validated (its id and person_times are the store's), on `day`. ABORTED naming the
  // facilitator when one lost the qualification since `losses_seen` was read, from a day reaching `day`:
  // nothing is written.
  virtual absl::StatusOr<v1::ScheduleGroupActivityResponse> ScheduleActivity(
      const IdempotencyKey& key, const Actor& actor, const v1::GroupActivity& activity, absl::CivilDay day,
      const FacilitatorLossesSeen& losses_seen) = 0;
  virtual absl::StatusOr<std::optional<v1::GroupActivity>> GetActivity(const std::string& id) = 0;
  // Locks the activity, asks `authorize`, refuses one already held (FacilitatorsMayChange) and, like
  // ScheduleActivity, a facilitator who lost the qualification since `losses_seen` was read; then replaces
  // its facilitators with `facilitators`.
  virtual absl::StatusOr<v1::ChangeGroupActivityFacilitatorsResponse> ChangeFacilitators(
      const IdempotencyKey& key, const Actor& actor, const std::string& activity_id,
      const std::vector<std::string>& facilitators, const FacilitatorLossesSeen& losses_seen,
      const AuthorizeActivity& authorize) = 0;
  // Locks the activity, asks `authorize`, refuses one left without a facilitator (AttendanceMayBeRecorded),
  // then records each child not yet recorded.
  virtual absl::StatusOr<v1::RecordGroupAttendanceResponse> RecordAttendance(
      const IdempotencyKey& key, const Actor& actor, const std::string& activity_id,
      const std::vector<std::string>& child_ids, const AuthorizeActivity& authorize) = 0;
  // By id.
  virtual absl::StatusOr<std::vector<v1::GroupActivity>> ListActivities(
      const GroupActivityFilter& filter) = 0;
  virtual absl::StatusOr<GroupActivitySummary> Summarize(const GroupActivityPeriod& period) = 0;
};

class MariaDbGroupActivityStore final : public GroupActivityStore {
 public:
  MariaDbGroupActivityStore(db::Pool& pool, IdGenerator& ids) : pool_(pool), ids_(ids) {}

  absl::StatusOr<std::optional<std::string>> FirstAnswer(const IdempotencyKey& key) override;
  absl::StatusOr<FacilitatorLossesSeen> FacilitatorLossesOf(
      const std::vector<std::string>& participant_ids) override;
  absl::StatusOr<v1::ScheduleGroupActivityResponse> ScheduleActivity(
      const IdempotencyKey& key, const Actor& actor, const v1::GroupActivity& activity, absl::CivilDay day,
      const FacilitatorLossesSeen& losses_seen) override;
  absl::StatusOr<std::optional<v1::GroupActivity>> GetActivity(const std::string& id) override;
  absl::StatusOr<v1::ChangeGroupActivityFacilitatorsResponse> ChangeFacilitators(
      const IdempotencyKey& key, const Actor& actor, const std::string& activity_id,
      const std::vector<std::string>& facilitators, const FacilitatorLossesSeen& losses_seen,
      const AuthorizeActivity& authorize) override;
  absl::StatusOr<v1::RecordGroupAttendanceResponse> RecordAttendance(
      const IdempotencyKey& key, const Actor& actor, const std::string& activity_id,
      const std::vector<std::string>& child_ids, const AuthorizeActivity& authorize) override;
  absl::StatusOr<std::vector<v1::GroupActivity>> ListActivities(const GroupActivityFilter& filter) override;
  absl::StatusOr<GroupActivitySummary> Summarize(const GroupActivityPeriod& period) override;

 private:
  db::Pool& pool_;
  IdGenerator& ids_;
};

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_GROUP_ACTIVITY_STORE_H_
