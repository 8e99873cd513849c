#include "services/visits/group_facilitators.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/batch_statements.h"
#include "common/clock.h"
#include "common/status_macros.h"

namespace shouhu::visits {
namespace {

// Followed by a padded IN list of people and ")".
constexpr char kLossesOfHead[] =
    "SELECT participant_id, group_activity_losses, group_activity_lost_from FROM training_event_marks"
    " WHERE participant_id IN (";
// Writes the person's mark row, creating it (last event 0: no event is a replay of it) for one training has
// never taken anything from; the follower writes it too when it applies a loss.
constexpr char kTouchMark[] =
    "INSERT INTO training_event_marks (participant_id, last_event_sequence, updated_at) VALUES (?, 0, ?)"
    " ON DUPLICATE KEY UPDATE lock_version = lock_version + 1";
// A safeguarding concern that holds the person (open or upheld, as ListVisitorsIn reads it, visits_store.cc):
// off every activity from the moment it is raised, before training has applied the suspension. Read after the
// person's mark row is written, which a concern being raised writes first (TakeOffGroupActivities), and as a
// locking read, which waits for a concern being inserted and sees the latest committed one whatever this
// transaction read before: either closes the race of a concern raised meanwhile (with neither, the scheduling
// saw no concern and only the loss count refused it, ABORTED "ask again").
constexpr char kConcernHolds[] =
    "SELECT 1 FROM safeguarding_concerns WHERE participant_id = ? AND state IN (1, 2) LIMIT 1 LOCK IN SHARE"
    " MODE";
constexpr char kCountLoss[] =
    "INSERT INTO training_event_marks (participant_id, last_event_sequence, updated_at, "
    "group_activity_losses,"
    " group_activity_lost_from) VALUES (?, 0, ?, 1, ?) ON DUPLICATE KEY UPDATE"
    " group_activity_losses = group_activity_losses + 1,"
    " group_activity_lost_from = VALUES(group_activity_lost_from)";

constexpr char kDeleteFacilitatorRow[] =
    "DELETE FROM group_activity_facilitators WHERE participant_id = ? AND activity_date = ? AND activity_id "
    "= ?";
constexpr char kInsertFacilitatorRowsHead[] =
    "INSERT IGNORE INTO group_activity_facilitators (participant_id, activity_date, activity_id) VALUES ";
constexpr char kFacilitatorRow[] = "(?, ?, ?)";
constexpr size_t kFacilitatorRowWidth = 3;
constexpr char kMarkRowsWritten[] = "UPDATE group_activities SET facilitator_rows = 1 WHERE id = ?";

// Activities an older replica scheduled without their rows (visits 0042), locked, from a day on.
constexpr char kLockUnlistedFrom[] =
    "SELECT id, activity_date, facilitators FROM group_activities WHERE facilitator_rows = 0"
    " AND activity_date >= ? FOR UPDATE";
// The person's activities from a day on: the range of their rows, locked, so a scheduling or a change storing
// them at the same moment waits (it has checked the person's losses under the mark row first).
constexpr char kLockActivitiesOf[] =
    "SELECT activity_id FROM group_activity_facilitators WHERE participant_id = ? AND activity_date >= ?"
    " FOR UPDATE";
constexpr char kLockActivityLead[] =
    "SELECT facilitators, activity_date, person_times FROM group_activities WHERE id = ? FOR UPDATE";
constexpr char kSetFacilitators[] = "UPDATE group_activities SET facilitators = ? WHERE id = ?";
constexpr char kRecordRemoval[] =
    "INSERT IGNORE INTO group_facilitator_removals (activity_id, participant_id, removed_because, lost_from,"
    " removed_at) VALUES (?, ?, ?, ?, ?)";

std::vector<std::string> FacilitatorColumnList(const std::string& column) {
  return absl::StrSplit(column, '\n', absl::SkipEmpty());
}

// `tail` closes the IN list: ")", or ") FOR UPDATE" for the latest counts whatever the transaction read
// before.
absl::StatusOr<FacilitatorLossesSeen> LossesOf(db::Session& session,
                                               const std::vector<std::string>& participant_ids,
                                               absl::string_view tail) {
  FacilitatorLossesSeen out;
  if (participant_ids.empty()) return out;
  std::vector<db::Value> params(participant_ids.begin(), participant_ids.end());
  db::PadEntries(params, 0, 1, participant_ids.size());
  ASSIGN_OR_RETURN(
      db::Rows rows,
      session.Query(absl::StrCat(kLossesOfHead, db::PaddedList("?", ", ", participant_ids.size()), tail),
                    params));
  for (const db::Row& row : rows) {
    FacilitatorLosses& losses = out[row.String(0)];
    losses.count = row.Int(1);
    if (!row.IsNull(2)) {
      ASSIGN_OR_RETURN(losses.latest_from, ParseDay(row.String(2), "group_activity_lost_from"));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<FacilitatorLossesSeen> ReadFacilitatorLosses(db::Session& session,
                                                            const std::vector<std::string>& participant_ids) {
  return LossesOf(session, participant_ids, ")");
}

absl::Status RequireNoLossSince(db::Session& tx, const std::vector<std::string>& participant_ids,
                                const FacilitatorLossesSeen& seen, absl::CivilDay activity_day,
                                const std::string& field, absl::Time now,
                                const std::vector<std::string>& dropped) {
  std::vector<std::string> in_lock_order = participant_ids;
  in_lock_order.insert(in_lock_order.end(), dropped.begin(), dropped.end());
  std::sort(in_lock_order.begin(), in_lock_order.end());
  in_lock_order.erase(std::unique(in_lock_order.begin(), in_lock_order.end()), in_lock_order.end());
  const std::string at = ToSqlTimestamp(now);
  for (const std::string& id : in_lock_order) RETURN_IF_ERROR(tx.Execute(kTouchMark, {id, at}).status());
  for (size_t i = 0; i < participant_ids.size(); ++i) {
    ASSIGN_OR_RETURN(std::optional<db::Row> held, tx.QueryOne(kConcernHolds, {participant_ids[i]}));
    if (held) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, "[", i, "] is not qualified for group activities on the day (suspended pending a review)"));
    }
  }
  ASSIGN_OR_RETURN(FacilitatorLossesSeen current, LossesOf(tx, participant_ids, ") FOR UPDATE"));
  for (size_t i = 0; i < participant_ids.size(); ++i) {
    auto before = seen.find(participant_ids[i]);
    auto after = current.find(participant_ids[i]);
    if (FacilitatorStillHolds(before == seen.end() ? FacilitatorLosses{} : before->second,
                              after == current.end() ? FacilitatorLosses{} : after->second, activity_day)) {
      continue;
    }
    return absl::AbortedError(absl::StrCat(field, "[", i,
                                           "] lost the qualification for group activities while this was"
                                           " being stored; ask again"));
  }
  return absl::OkStatus();
}

absl::Status WriteFacilitatorRows(db::Session& tx, const std::string& activity_id,
                                  const std::string& activity_date, const std::vector<std::string>& before,
                                  const std::vector<std::string>& after) {
  for (const std::string& id : before) {
    RETURN_IF_ERROR(tx.Execute(kDeleteFacilitatorRow, {id, activity_date, activity_id}).status());
  }
  std::vector<db::Value> rows;
  for (const std::string& id : after) rows.insert(rows.end(), {id, activity_date, activity_id});
  RETURN_IF_ERROR(
      db::InsertRows(tx, kInsertFacilitatorRowsHead, kFacilitatorRow, kFacilitatorRowWidth, rows).status());
  return tx.Execute(kMarkRowsWritten, {activity_id}).status();
}

absl::StatusOr<int> TakeOffGroupActivities(db::Session& tx, const std::string& participant_id,
                                           absl::CivilDay from_day, const std::string& because,
                                           absl::Time now) {
  const std::string at = ToSqlTimestamp(now);
  const std::string from = absl::FormatCivilTime(from_day);
  // Counted first, writing the person's mark row: a scheduling or a change storing them at the same moment
  // writes it too, and one that asked training before this loss sees the count moved and is refused.
  RETURN_IF_ERROR(tx.Execute(kCountLoss, {participant_id, at, from}).status());
  ASSIGN_OR_RETURN(db::Rows unlisted, tx.Query(kLockUnlistedFrom, {from}));
  for (const db::Row& row : unlisted) {
    RETURN_IF_ERROR(
        WriteFacilitatorRows(tx, row.String(0), row.String(1), {}, FacilitatorColumnList(row.String(2))));
  }
  ASSIGN_OR_RETURN(db::Rows theirs, tx.Query(kLockActivitiesOf, {participant_id, from}));
  const absl::CivilDay today = ShanghaiDay(now);
  int taken_off = 0;
  for (const db::Row& mine : theirs) {
    const std::string& activity_id = mine.String(0);
    ASSIGN_OR_RETURN(std::optional<db::Row> activity, tx.QueryOne(kLockActivityLead, {activity_id}));
    if (!activity) continue;
    ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(activity->String(1), "activity_date"));
    if (!LossReaches(from_day, today, day, static_cast<int32_t>(activity->Int(2)))) continue;
    RETURN_IF_ERROR(
        tx.Execute(kDeleteFacilitatorRow, {participant_id, activity->String(1), activity_id}).status());
    std::vector<std::string> leads = FacilitatorColumnList(activity->String(0));
    auto theirs_in_list = std::remove(leads.begin(), leads.end(), participant_id);
    if (theirs_in_list == leads.end()) continue;  // a row left behind: nothing of theirs to take
    leads.erase(theirs_in_list, leads.end());
    RETURN_IF_ERROR(tx.Execute(kSetFacilitators, {absl::StrJoin(leads, "\n"), activity_id}).status());
    RETURN_IF_ERROR(tx.Execute(kRecordRemoval, {activity_id, participant_id, because, from, at}).status());
    ++taken_off;
  }
  return taken_off;
}

}  // namespace shouhu::visits
