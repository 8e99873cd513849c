#include "services/visits/group_activity_store.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/batch_statements.h"
#include "common/clock.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/visits/group_facilitators.h"

namespace shouhu::visits {
namespace {

constexpr char kActivityColumns[] =
    "SELECT id, organisation_id, division_code, venue_kind, venue_name, topic, title, activity_date,"
    " facilitators, person_times FROM group_activities";

const std::string& SelectActivity() {
  static const std::string sql = absl::StrCat(kActivityColumns, " WHERE id = ?");
  return sql;
}
const std::string& LockActivity() {
  static const std::string sql = absl::StrCat(kActivityColumns, " WHERE id = ? FOR UPDATE");
  return sql;
}
const std::string& ListActivitiesSql() {
  static const std::string sql = absl::StrCat(
      kActivityColumns,
      " WHERE division_code >= ? AND division_code < ?"
      " AND (? = '' OR organisation_id = ?) AND (? = 0 OR (facilitators = '' AND activity_date >= ?))"
      " AND id > ? ORDER BY id LIMIT ?");
  return sql;
}

constexpr char kInsertActivity[] =
    "INSERT INTO group_activities (id, organisation_id, division_code, venue_kind, venue_name, topic, title,"
    " activity_date, facilitators, person_times, created_by, created_at, facilitator_rows)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 1)";
constexpr char kReplaceFacilitators[] = "UPDATE group_activities SET facilitators = ? WHERE id = ?";
// Followed by a padded IN list of activity ids and kRemovalsOfTail.
constexpr char kRemovalsOfHead[] =
    "SELECT activity_id, participant_id, lost_from, removed_at FROM group_facilitator_removals"
    " WHERE activity_id IN (";
constexpr char kRemovalsOfTail[] = ") ORDER BY removed_at, participant_id";
// A child already recorded for the activity is ignored on the primary key: one person-time each.
constexpr char kInsertAttendance[] =
    "INSERT IGNORE INTO group_attendance (activity_id, child_id, recorded_by, recorded_at) VALUES (?, ?, ?, "
    "?)";
constexpr char kAddPersonTimes[] = "UPDATE group_activities SET person_times = person_times + ? WHERE id = ?";
constexpr char kSummarize[] =
    "SELECT COUNT(DISTINCT a.id), COUNT(t.child_id), COUNT(DISTINCT t.child_id) FROM group_activities a"
    " LEFT JOIN group_attendance t ON t.activity_id = a.id"
    " WHERE a.division_code >= ? AND a.division_code < ? AND (? = '' OR a.organisation_id = ?)"
    " AND a.activity_date >= ? AND a.activity_date <= ?";

v1::GroupActivity ActivityFromRow(const db::Row& row) {
  v1::GroupActivity a;
  a.set_activity_id(row.String(0));
  a.set_organisation_id(row.String(1));
  a.set_division_code(row.String(2));
  a.set_venue_kind(static_cast<v1::VenueKind>(row.Int(3)));
  a.set_venue_name(row.String(4));
  a.set_topic(static_cast<v1::GroupTopic>(row.Int(5)));
  a.set_title(row.String(6));
  a.set_activity_date(row.String(7));
  for (absl::string_view id : absl::StrSplit(row.String(8), '\n', absl::SkipEmpty())) {
    a.add_facilitator_participant_ids(std::string(id));
  }
  a.set_person_times(static_cast<int32_t>(row.Int(9)));
  a.set_needs_facilitator(a.facilitator_participant_ids_size() == 0);
  return a;
}

// Adds to each activity the facilitators taken off it: one statement for them all.
absl::Status AddRemovals(db::Session& session, std::vector<v1::GroupActivity>& activities) {
  if (activities.empty()) return absl::OkStatus();
  absl::flat_hash_map<std::string, v1::GroupActivity*> by_id;
  std::vector<db::Value> params;
  for (v1::GroupActivity& a : activities) {
    by_id[a.activity_id()] = &a;
    params.push_back(a.activity_id());
  }
  db::PadEntries(params, 0, 1, activities.size());
  ASSIGN_OR_RETURN(db::Rows rows,
                   session.Query(absl::StrCat(kRemovalsOfHead, db::PaddedList("?", ", ", activities.size()),
                                              kRemovalsOfTail),
                                 params));
  for (const db::Row& row : rows) {
    auto activity = by_id.find(row.String(0));
    if (activity == by_id.end()) continue;
    v1::FacilitatorRemoval* removal = activity->second->add_removed_facilitators();
    removal->set_participant_id(row.String(1));
    removal->set_lost_from(row.String(2));
    RETURN_IF_ERROR(ReadTimestamp(row, 3, removal->mutable_removed_at()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::GroupActivity>> ReadActivity(db::Session& session, const std::string& sql,
                                                              const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, session.QueryOne(sql, {id}));
  if (!row) return std::optional<v1::GroupActivity>();
  std::vector<v1::GroupActivity> one = {ActivityFromRow(*row)};
  RETURN_IF_ERROR(AddRemovals(session, one));
  return std::optional<v1::GroupActivity>(std::move(one[0]));
}

}  // namespace

absl::StatusOr<std::optional<std::string>> MariaDbGroupActivityStore::FirstAnswer(const IdempotencyKey& key) {
  return db::ReadOne<std::optional<std::string>>(
      pool_, [&](db::Session& session) -> absl::StatusOr<std::optional<std::string>> {
        ASSIGN_OR_RETURN(std::vector<std::optional<RecordedAnswer>> records,
                         FindRecordedAnswers(session, {&key}));
        if (records.empty() || !records[0]) return std::optional<std::string>();
        ASSIGN_OR_RETURN(std::string answer, ReplayRecorded(key, *records[0]));
        return std::optional<std::string>(std::move(answer));
      });
}

absl::StatusOr<FacilitatorLossesSeen> MariaDbGroupActivityStore::FacilitatorLossesOf(
    const std::vector<std::string>& participant_ids) {
  return db::ReadOne<FacilitatorLossesSeen>(
      pool_, [&](db::Session& session) { return ReadFacilitatorLosses(session, participant_ids); });
}

absl::StatusOr<v1::ScheduleGroupActivityResponse> MariaDbGroupActivityStore::ScheduleActivity(
    const IdempotencyKey& key, const Actor& actor, const v1::GroupActivity& a, absl::CivilDay day,
    const FacilitatorLossesSeen& losses_seen) {
  const std::vector<std::string> leads(a.facilitator_participant_ids().begin(),
                                       a.facilitator_participant_ids().end());
  return IdempotentTransaction<v1::ScheduleGroupActivityResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ScheduleGroupActivityResponse> {
        // Training answered before a loss the follower applied since found no activity of this request's to
        // take the person off: checked under the person's mark row, which the follower writes too.
        RETURN_IF_ERROR(RequireNoLossSince(tx, leads, losses_seen, day,
                                           "activity.facilitator_participant_ids", actor.at));
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(
            tx.Execute(kInsertActivity, {id, a.organisation_id(), a.division_code(), int64_t{a.venue_kind()},
                                         a.venue_name(), int64_t{a.topic()}, a.title(), a.activity_date(),
                                         absl::StrJoin(a.facilitator_participant_ids(), "\n"), actor.subject,
                                         ToSqlTimestamp(actor.at)})
                .status());
        RETURN_IF_ERROR(WriteFacilitatorRows(tx, id, a.activity_date(), {}, leads));
        ASSIGN_OR_RETURN(std::optional<v1::GroupActivity> written, ReadActivity(tx, SelectActivity(), id));
        if (!written) return tx.WriteVanished("the group activity");
        v1::ScheduleGroupActivityResponse response;
        *response.mutable_activity() = *std::move(written);
        return response;
      });
}

absl::StatusOr<std::optional<v1::GroupActivity>> MariaDbGroupActivityStore::GetActivity(
    const std::string& id) {
  return db::ReadOne<std::optional<v1::GroupActivity>>(
      pool_, [&](db::Session& session) { return ReadActivity(session, SelectActivity(), id); });
}

absl::StatusOr<v1::ChangeGroupActivityFacilitatorsResponse> MariaDbGroupActivityStore::ChangeFacilitators(
    const IdempotencyKey& key, const Actor& actor, const std::string& activity_id,
    const std::vector<std::string>& facilitators, const FacilitatorLossesSeen& losses_seen,
    const AuthorizeActivity& authorize) {
  return IdempotentTransaction<v1::ChangeGroupActivityFacilitatorsResponse>(
      pool_, key, actor.at,
      [&](db::Session& tx) -> absl::StatusOr<v1::ChangeGroupActivityFacilitatorsResponse> {
        // Its day (it never changes) and who it drops first, so that the people's mark rows are taken before
        // the activity's, in the order the follower takes them (group_facilitators.h).
        ASSIGN_OR_RETURN(std::optional<v1::GroupActivity> seen,
                         ReadActivity(tx, SelectActivity(), activity_id));
        if (!seen) return absl::NotFoundError("group activity not found");
        ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(seen->activity_date(), "activity_date"));
        std::vector<std::string> dropped;
        for (const std::string& id : seen->facilitator_participant_ids()) {
          if (std::find(facilitators.begin(), facilitators.end(), id) == facilitators.end())
            dropped.push_back(id);
        }
        RETURN_IF_ERROR(RequireNoLossSince(tx, facilitators, losses_seen, day, "facilitator_participant_ids",
                                           actor.at, dropped));
        ASSIGN_OR_RETURN(std::optional<v1::GroupActivity> activity,
                         ReadActivity(tx, LockActivity(), activity_id));
        if (!activity) return absl::NotFoundError("group activity not found");
        RETURN_IF_ERROR(authorize(*activity));
        RETURN_IF_ERROR(FacilitatorsMayChange(day, ShanghaiDay(actor.at)));
        const std::vector<std::string> before(activity->facilitator_participant_ids().begin(),
                                              activity->facilitator_participant_ids().end());
        RETURN_IF_ERROR(
            tx.Execute(kReplaceFacilitators, {absl::StrJoin(facilitators, "\n"), activity_id}).status());
        RETURN_IF_ERROR(
            WriteFacilitatorRows(tx, activity_id, activity->activity_date(), before, facilitators));
        ASSIGN_OR_RETURN(std::optional<v1::GroupActivity> written,
                         ReadActivity(tx, SelectActivity(), activity_id));
        if (!written) return absl::InternalError("the group activity just written is missing");
        v1::ChangeGroupActivityFacilitatorsResponse response;
        *response.mutable_activity() = *std::move(written);
        return response;
      });
}

absl::StatusOr<v1::RecordGroupAttendanceResponse> MariaDbGroupActivityStore::RecordAttendance(
    const IdempotencyKey& key, const Actor& actor, const std::string& activity_id,
    const std::vector<std::string>& child_ids, const AuthorizeActivity& authorize) {
  return IdempotentTransaction<v1::RecordGroupAttendanceResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::RecordGroupAttendanceResponse> {
        ASSIGN_OR_RETURN(std::optional<v1::GroupActivity> activity,
                         ReadActivity(tx, LockActivity(), activity_id));
        if (!activity) return absl::NotFoundError("group activity not found");
        RETURN_IF_ERROR(authorize(*activity));
        RETURN_IF_ERROR(AttendanceMayBeRecorded(*activity));
        const std::string at = ToSqlTimestamp(actor.at);
        int64_t inserted = 0;
        for (const std::string& child : child_ids) {
          ASSIGN_OR_RETURN(uint64_t n,
                           tx.Execute(kInsertAttendance, {activity_id, child, actor.subject, at}));
          inserted += static_cast<int64_t>(n);
        }
        if (inserted > 0) RETURN_IF_ERROR(tx.Execute(kAddPersonTimes, {inserted, activity_id}).status());
        ASSIGN_OR_RETURN(std::optional<v1::GroupActivity> written,
                         ReadActivity(tx, SelectActivity(), activity_id));
        if (!written) return absl::InternalError("the group activity just written is missing");
        v1::RecordGroupAttendanceResponse response;
        *response.mutable_activity() = *std::move(written);
        response.set_newly_recorded(static_cast<int32_t>(inserted));
        return response;
      });
}

absl::StatusOr<std::vector<v1::GroupActivity>> MariaDbGroupActivityStore::ListActivities(
    const GroupActivityFilter& f) {
  std::vector<v1::GroupActivity> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     session.Query(ListActivitiesSql(),
                                   {f.division_prefix, DivisionPrefixEnd(f.division_prefix),
                                    f.organisation_id, f.organisation_id, int64_t{f.needing_facilitator},
                                    absl::FormatCivilTime(f.today), f.page.after_id, int64_t{f.page.limit}}));
    for (const db::Row& row : rows) out.push_back(ActivityFromRow(row));
    return AddRemovals(session, out);
  }));
  return out;
}

absl::StatusOr<GroupActivitySummary> MariaDbGroupActivityStore::Summarize(const GroupActivityPeriod& p) {
  GroupActivitySummary summary;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     session.QueryOne(kSummarize, {p.division_prefix, DivisionPrefixEnd(p.division_prefix),
                                                   p.organisation_id, p.organisation_id,
                                                   absl::FormatCivilTime(p.first_day),
                                                   absl::FormatCivilTime(p.last_day)}));
    if (row) {
      summary.activities = static_cast<int32_t>(row->Int(0));
      summary.person_times = row->Int(1);
      summary.distinct_children = row->Int(2);
    }
    return absl::OkStatus();
  }));
  return summary;
}

}  // namespace shouhu::visits
