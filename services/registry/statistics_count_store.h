// The SQL of the counted statistics (migration 0045): writing a transaction's CountChanges in that same
// transaction, reading what the counts need of a locked case or child before a change, and reading the
// statistics from the counts, or from the rows themselves (a township's, and the reconciliation that checks
// the counts against the rows they count).
#ifndef SHOUHU_SERVICES_REGISTRY_STATISTICS_COUNT_STORE_H_
#define SHOUHU_SERVICES_REGISTRY_STATISTICS_COUNT_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/db.h"
#include "services/registry/statistics_counts.h"

namespace shouhu::registry {

// Writes `changes` in `tx`, one aggregated upsert per table in key order, on the slot `spread` hashes to
// (spread: an id new to this transaction). Call it once per transaction, after every lock it shares with
// other writers of counts (the rows it changes are locked before; what it writes afterwards is only rows of
// its own or under those locks), so count rows are always the last shared locks taken, in one order.
absl::Status ApplyCountChanges(db::Session& tx, const CountChanges& changes, absl::string_view spread);

// The case as the counts hold it, if it is its child's current case (counted); nullopt otherwise. The
// caller has locked the case row.
absl::StatusOr<std::optional<CountedCase>> CountedCaseOf(db::Session& tx, const std::string& case_id);

// A child's current cases other than `except_case_id`, locked: those a new case retires.
absl::StatusOr<std::vector<CountedCase>> LockCurrentCasesOfChild(db::Session& tx, const std::string& child_id,
                                                                 const std::string& except_case_id);


// The statistics of a division prefix from the counts (a prefix of at most a county's six digits: they are
// kept per county).
absl::StatusOr<Statistics> ReadCountedStatistics(db::Session& session, const std::string& prefix);

// The same from the children and cases themselves (two covering indexes, migration 0041): what the counts
// must equal. It grows with the rows it counts; a township's or a village's are few.
absl::StatusOr<Statistics> CountStatisticsFromRows(db::Session& session, const std::string& prefix);

// Whether the counts can answer for `prefix` (they are per county).
bool CountsCover(const std::string& prefix);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_STATISTICS_COUNT_STORE_H_
