#include "services/registry/statistics_count_store.h"

#include "absl/hash/hash.h"
#include "common/batch_statements.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "services/registry/child_columns.h"

namespace shouhu::registry {
namespace {

// Slots per count (migration 0045): a transaction writes one, the reader sums them.
constexpr size_t kCountSlots = 16;

constexpr absl::string_view kAddChildCountsHead =
    "INSERT INTO child_counts (county_code, categories, slot, children) VALUES ";
constexpr absl::string_view kChildCountTuple = "(?, ?, ?, ?)";
constexpr absl::string_view kAddCaseCountsHead =
    "INSERT INTO case_counts (county_code, status, risk_level, slot, cases) VALUES ";
constexpr absl::string_view kCaseCountTuple = "(?, ?, ?, ?, ?)";
constexpr absl::string_view kAddChildCountsTail =
    " ON DUPLICATE KEY UPDATE children = children + VALUES(children)";
constexpr absl::string_view kAddCaseCountsTail = " ON DUPLICATE KEY UPDATE cases = cases + VALUES(cases)";

constexpr absl::string_view kCountedCase =
    "SELECT is_current, village_code, status, risk_level FROM cases WHERE id = ?";
// The accept's locking read of the child already locks the case children.current_case_id names; this
// locks any other row still marked current too, so no change of one commits between this read and the retire.
constexpr absl::string_view kCurrentCasesOfChildForUpdate =
    "SELECT village_code, status, risk_level FROM cases WHERE child_id = ? AND id <> ? AND is_current = 1 "
    "FOR UPDATE";

// Sums over the slots; a key whose slots sum to zero (its children all moved away) is no row.
constexpr absl::string_view kChildCounts =
    "SELECT county_code, categories, SUM(children) FROM child_counts "
    "WHERE county_code >= ? AND county_code < ? GROUP BY county_code, categories HAVING SUM(children) <> 0";
constexpr absl::string_view kCaseCounts =
    "SELECT county_code, status, risk_level, SUM(cases) FROM case_counts "
    "WHERE county_code >= ? AND county_code < ? GROUP BY county_code, status, risk_level "
    "HAVING SUM(cases) <> 0";

// The rows themselves, from two covering indexes (children_village_categories, cases_current_counts).
constexpr absl::string_view kChildrenByCountyAndCategories =
    "SELECT SUBSTRING(village_code, 1, 6), categories, COUNT(*) FROM children "
    "WHERE village_code >= ? AND village_code < ? GROUP BY 1, 2";
constexpr absl::string_view kCurrentCasesByCounty =
    "SELECT SUBSTRING(village_code, 1, 6), status, risk_level, COUNT(*) FROM cases "
    "WHERE is_current = 1 AND village_code >= ? AND village_code < ? GROUP BY 1, 2, 3";

absl::StatusOr<Statistics> ReadStatistics(db::Session& session, absl::string_view children_sql,
                                          absl::string_view cases_sql, const std::string& prefix) {
  std::vector<ChildCount> children;
  std::vector<CaseCount> cases;
  ASSIGN_OR_RETURN(db::Rows child_rows, session.Query(children_sql, {prefix, DivisionPrefixEnd(prefix)}));
  for (const auto& row : child_rows) children.push_back({row.String(0), row.String(1), row.Int(2)});
  ASSIGN_OR_RETURN(db::Rows case_rows, session.Query(cases_sql, {prefix, DivisionPrefixEnd(prefix)}));
  for (const auto& row : case_rows) {
    cases.push_back({row.String(0), static_cast<int>(row.Int(1)), static_cast<int>(row.Int(2)), row.Int(3)});
  }
  return StatisticsFromCounts(children, cases);
}

}  // namespace

absl::Status ApplyCountChanges(db::Session& tx, const CountChanges& changes, absl::string_view spread) {
  const int64_t slot = static_cast<int64_t>(absl::Hash<absl::string_view>{}(spread) % kCountSlots);
  std::vector<db::Value> params;
  for (const ChildCount& c : changes.ChildRows()) {
    params.insert(params.end(), {c.county_code, c.categories, slot, c.children});
  }
  if (!params.empty()) {
    RETURN_IF_ERROR(
        db::InsertRows(tx, kAddChildCountsHead, kChildCountTuple, 4, params, kAddChildCountsTail).status());
  }
  params.clear();
  for (const CaseCount& c : changes.CaseRows()) {
    params.insert(params.end(), {c.county_code, int64_t{c.status}, int64_t{c.risk_level}, slot, c.cases});
  }
  if (params.empty()) return absl::OkStatus();
  return db::InsertRows(tx, kAddCaseCountsHead, kCaseCountTuple, 5, params, kAddCaseCountsTail).status();
}

absl::StatusOr<std::optional<CountedCase>> CountedCaseOf(db::Session& tx, const std::string& case_id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kCountedCase, {case_id}));
  if (!row || row->Int(0) == 0) return std::optional<CountedCase>();
  return std::optional<CountedCase>(
      CountedCase{row->String(1), static_cast<int>(row->Int(2)), static_cast<int>(row->Int(3))});
}

absl::StatusOr<std::vector<CountedCase>> LockCurrentCasesOfChild(db::Session& tx, const std::string& child_id,
                                                                 const std::string& except_case_id) {
  ASSIGN_OR_RETURN(db::Rows rows, tx.Query(kCurrentCasesOfChildForUpdate, {child_id, except_case_id}));
  std::vector<CountedCase> cases;
  for (const auto& row : rows) {
    cases.push_back({row.String(0), static_cast<int>(row.Int(1)), static_cast<int>(row.Int(2))});
  }
  return cases;
}

bool CountsCover(const std::string& prefix) { return prefix.size() <= kCountyCodeDigits; }

absl::StatusOr<Statistics> ReadCountedStatistics(db::Session& session, const std::string& prefix) {
  if (!CountsCover(prefix)) return absl::InternalError("counts are kept per county");
  return ReadStatistics(session, kChildCounts, kCaseCounts, prefix);
}

absl::StatusOr<Statistics> CountStatisticsFromRows(db::Session& session, const std::string& prefix) {
  return ReadStatistics(session, kChildrenByCountyAndCategories, kCurrentCasesByCounty, prefix);
}

}  // namespace shouhu::registry
