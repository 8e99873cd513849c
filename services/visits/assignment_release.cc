#include "services/visits/assignment_release.h"

#include <set>
#include <utility>

#include "common/clock.h"
#include "common/status_macros.h"

namespace shouhu::visits {
namespace {

constexpr char kVisitorOfParticipant[] = "SELECT id FROM visitors WHERE participant_id = ?";
// Counted first, writing the person's row: a plan storing at the same moment writes it too (visits_store.cc),
// so the two serialise on it (certified on Galera), and a plan that judged the person before this release
// sees the count moved and is refused.
constexpr char kCountRelease[] = "UPDATE visitors SET releases = releases + 1 WHERE id = ?";
// A release from a later day only: counted apart, with its day, so that a plan in flight refuses only its
// visits on or after that day (visits 0040).
constexpr char kCountLaterRelease[] =
    "UPDATE visitors SET later_releases = later_releases + 1, later_release_from = ? WHERE id = ?";
// Locks the person's future rows (the visitor_slot key's range), so a plan storing at the same moment waits.
constexpr char kLockFutureAssignments[] =
    "SELECT case_id, visit_day FROM visit_assignments WHERE visitor_id = ? AND visit_day >= ? FOR UPDATE";
// Locks the case's future rows (the case key's range), so a plan storing at the same moment waits.
constexpr char kLockCaseFutureAssignments[] =
    "SELECT visit_day FROM visit_assignments WHERE case_id = ? AND visit_day >= ? FOR UPDATE";
// A visit's rows (both adults'), locked, each with its check-in and its report if it has them. A locking read
// sees the latest committed check-in, and a check-in (which locks its assignment row first,
// field_visit_store.cc) either committed before this or waits for it and then finds its visit gone.
constexpr char kLockVisitWithCheckIns[] =
    "SELECT a.id, c.assignment_id, a.visitor_id, r.id FROM visit_assignments a LEFT JOIN visit_contacts c ON"
    " c.assignment_id = a.id LEFT JOIN visit_reports r ON r.assignment_id = a.id"
    " WHERE a.case_id = ? AND a.visit_day = ? FOR UPDATE";
// With the village the visit was planned in (visits 0044): a late check-in puts it back, judged there. A row
// an older replica planned without it takes the case's village before this release, the one it was planned
// in: a case's move releases before it re-homes the plan (case_plan_follower.cc); kept empty, the release
// of a move left it to be judged where the case went.
constexpr char kCopyVisit[] =
    "INSERT INTO released_assignments (id, case_id, child_id, visitor_id, visit_day, slot, village_code,"
    " released_because, released_at) SELECT a.id, a.case_id, a.child_id, a.visitor_id, a.visit_day, a.slot,"
    " COALESCE(a.village_code, p.village_code), ?, ? FROM visit_assignments a LEFT JOIN case_plans p"
    " ON p.case_id = a.case_id WHERE a.case_id = ? AND a.visit_day = ?";
constexpr char kDeleteVisit[] = "DELETE FROM visit_assignments WHERE case_id = ? AND visit_day = ?";
// The case's visits an older replica planned without their village (visits 0044) take the case's village
// before its move is applied: the one they were planned in.
constexpr char kKeepCasePlannedVillage[] =
    "UPDATE visit_assignments a JOIN case_plans p ON p.case_id = a.case_id"
    " SET a.village_code = p.village_code WHERE a.case_id = ? AND a.village_code IS NULL";
// One adult's row of a visit their partner has begun.
constexpr char kCopyAssignment[] =
    "INSERT INTO released_assignments (id, case_id, child_id, visitor_id, visit_day, slot, village_code,"
    " released_because, released_at) SELECT a.id, a.case_id, a.child_id, a.visitor_id, a.visit_day, a.slot,"
    " COALESCE(a.village_code, p.village_code), ?, ? FROM visit_assignments a LEFT JOIN case_plans p"
    " ON p.case_id = a.case_id WHERE a.id = ?";
constexpr char kDeleteAssignment[] = "DELETE FROM visit_assignments WHERE id = ?";

// Releases the visit of `case_id` on `day` unless someone has checked in to it: a visit under way or made
// stays, so its check-out and report (often sent later, from a phone that had no signal at the household)
// find it; taking the row away would lose the record and change nothing at the door. Of a visit begun, the
// rows of `visitor_id` (the person taken off visits; empty for a case's release) that hold no check-in go:
// the partner's check-in does not make that person fit to reach the child, and their own check-in, arriving
// later, is taken only if it names a time before the release (field_visit_store.cc). For a case's release
// (closed, transferred, moved) a visit with a report is made too, check-in or not (a check-in that never
// synced, a family that refused at the gate): it stays whole, so the partner's report, sent later, finds
// it; released, the partner was told to send a check-in they may not have. Returns how many of
// `visitor_id`'s rows were released, or, for a case's release, how many rows.
absl::StatusOr<int> ReleaseVisitNotBegun(db::Session& tx, const std::string& case_id, const std::string& day,
                                         const std::string& visitor_id, const std::string& because,
                                         const std::string& at) {
  ASSIGN_OR_RETURN(db::Rows rows, tx.Query(kLockVisitWithCheckIns, {case_id, day}));
  bool begun = false;
  for (const db::Row& row : rows) {
    begun = begun || !row.IsNull(1) || (visitor_id.empty() && !row.IsNull(3));
  }
  if (!begun) {
    RETURN_IF_ERROR(tx.Execute(kCopyVisit, {because, at, case_id, day}).status());
    RETURN_IF_ERROR(tx.Execute(kDeleteVisit, {case_id, day}).status());
    int released = 0;
    for (const db::Row& row : rows) {
      if (visitor_id.empty() || row.String(2) == visitor_id) ++released;
    }
    return released;
  }
  int released = 0;
  for (const db::Row& row : rows) {
    if (visitor_id.empty() || !row.IsNull(1) || row.String(2) != visitor_id) continue;
    RETURN_IF_ERROR(tx.Execute(kCopyAssignment, {because, at, row.String(0)}).status());
    RETURN_IF_ERROR(tx.Execute(kDeleteAssignment, {row.String(0)}).status());
    ++released;
  }
  return released;
}

}  // namespace

absl::StatusOr<int> ReleaseFutureAssignments(db::Session& tx, const std::string& participant_id,
                                             absl::CivilDay from_day, const std::string& because,
                                             absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<db::Row> visitor, tx.QueryOne(kVisitorOfParticipant, {participant_id}));
  if (!visitor) return 0;
  // A loss from a later day (a background check cleared until then) is counted with its day: a plan in
  // flight whose training answers came before it refuses only its visits from that day on, and a check
  // recorded at a volunteer's onboarding (cleared for years) refuses no plan.
  if (from_day <= ShanghaiDay(now)) {
    RETURN_IF_ERROR(tx.Execute(kCountRelease, {visitor->String(0)}).status());
  } else {
    RETURN_IF_ERROR(
        tx.Execute(kCountLaterRelease, {absl::FormatCivilTime(from_day), visitor->String(0)}).status());
  }
  ASSIGN_OR_RETURN(db::Rows rows,
                   tx.Query(kLockFutureAssignments, {visitor->String(0), absl::FormatCivilTime(from_day)}));
  // A visit is its case and day: the person's row and their partner's go together.
  std::set<std::pair<std::string, std::string>> visits;
  for (const db::Row& row : rows) visits.insert({row.String(0), row.String(1)});
  const std::string at = ToSqlTimestamp(now);
  int released = 0;
  for (const auto& [case_id, day] : visits) {
    ASSIGN_OR_RETURN(int gone, ReleaseVisitNotBegun(tx, case_id, day, visitor->String(0), because, at));
    released += gone;
  }
  return released;
}

bool ReleasedByMove(absl::string_view released_because) {
  const absl::string_view reason = released_because.substr(0, released_because.find(':'));
  return reason == kReleasedByCountyMove || reason == kReleasedByHouseholdMove;
}

absl::Status KeepCasePlannedVillage(db::Session& tx, const std::string& case_id) {
  return tx.Execute(kKeepCasePlannedVillage, {case_id}).status();
}

absl::StatusOr<int> ReleaseCaseFutureAssignments(db::Session& tx, const std::string& case_id,
                                                 absl::CivilDay from_day, const std::string& because,
                                                 absl::Time now) {
  ASSIGN_OR_RETURN(db::Rows rows,
                   tx.Query(kLockCaseFutureAssignments, {case_id, absl::FormatCivilTime(from_day)}));
  std::set<std::string> days;
  for (const db::Row& row : rows) days.insert(row.String(0));
  const std::string at = ToSqlTimestamp(now);
  int released = 0;
  for (const std::string& day : days) {
    ASSIGN_OR_RETURN(int gone, ReleaseVisitNotBegun(tx, case_id, day, "", because, at));
    released += gone;
  }
  return released;
}

}  // namespace shouhu::visits
