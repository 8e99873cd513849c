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
// Locks the person's future rows (the visitor_slot key's range), so a plan storing at the same moment waits.
constexpr char kLockFutureAssignments[] =
    "SELECT case_id, visit_day FROM visit_assignments WHERE visitor_id = ? AND visit_day >= ? FOR UPDATE";
// Locks the case's future rows (the case key's range), so a plan storing at the same moment waits.
constexpr char kLockCaseFutureAssignments[] =
    "SELECT visit_day FROM visit_assignments WHERE case_id = ? AND visit_day >= ? FOR UPDATE";
constexpr char kCopyVisit[] =
    "INSERT INTO released_assignments (id, case_id, child_id, visitor_id, visit_day, slot, released_because,"
    " released_at) SELECT id, case_id, child_id, visitor_id, visit_day, slot, ?, ? FROM visit_assignments"
    " WHERE case_id = ? AND visit_day = ?";
constexpr char kDeleteVisit[] = "DELETE FROM visit_assignments WHERE case_id = ? AND visit_day = ?";

}  // namespace

absl::StatusOr<int> ReleaseFutureAssignments(db::Session& tx, const std::string& participant_id,
                                             absl::CivilDay from_day, const std::string& because,
                                             absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<db::Row> visitor, tx.QueryOne(kVisitorOfParticipant, {participant_id}));
  if (!visitor) return 0;
  RETURN_IF_ERROR(tx.Execute(kCountRelease, {visitor->String(0)}).status());
  ASSIGN_OR_RETURN(db::Rows rows,
                   tx.Query(kLockFutureAssignments, {visitor->String(0), absl::FormatCivilTime(from_day)}));
  // A visit is its case and day: the person's row and their partner's go together.
  std::set<std::pair<std::string, std::string>> visits;
  for (const db::Row& row : rows) visits.emplace(row.String(0), row.String(1));
  const std::string at = ToSqlTimestamp(now);
  for (const auto& [case_id, day] : visits) {
    RETURN_IF_ERROR(tx.Execute(kCopyVisit, {because, at, case_id, day}).status());
    RETURN_IF_ERROR(tx.Execute(kDeleteVisit, {case_id, day}).status());
  }
  return static_cast<int>(rows.size());
}

absl::StatusOr<int> ReleaseCaseFutureAssignments(db::Session& tx, const std::string& case_id,
                                                 absl::CivilDay from_day, const std::string& because,
                                                 absl::Time now) {
  ASSIGN_OR_RETURN(db::Rows rows,
                   tx.Query(kLockCaseFutureAssignments, {case_id, absl::FormatCivilTime(from_day)}));
  std::set<std::string> days;
  for (const db::Row& row : rows) days.insert(row.String(0));
  const std::string at = ToSqlTimestamp(now);
  for (const std::string& day : days) {
    RETURN_IF_ERROR(tx.Execute(kCopyVisit, {because, at, case_id, day}).status());
    RETURN_IF_ERROR(tx.Execute(kDeleteVisit, {case_id, day}).status());
  }
  return static_cast<int>(rows.size());
}

}  // namespace shouhu::visits
