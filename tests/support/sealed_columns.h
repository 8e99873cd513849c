// The rotation's guard for any service's PII keys: the *_sealed columns a schema holds against the ones its
// rekey list names (common/pii_rekey.h), so a sealed column added later cannot be left out of a rotation.
#ifndef SHOUHU_TESTS_SUPPORT_SEALED_COLUMNS_H_
#define SHOUHU_TESTS_SUPPORT_SEALED_COLUMNS_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db.h"
#include "common/pii_rekey.h"
#include "common/status_macros.h"

namespace shouhu::testing {

using TableColumns = std::set<std::pair<std::string, std::string>>;

inline TableColumns Listed(const std::vector<SealedColumn>& columns) {
  TableColumns listed;
  for (const SealedColumn& column : columns) listed.emplace(column.table, column.sealed);
  return listed;
}

inline absl::StatusOr<TableColumns> SealedColumnsOfSchema(db::Pool& pool) {
  TableColumns found;
  RETURN_IF_ERROR(pool.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     session.Query("SELECT table_name, column_name FROM information_schema.columns "
                                   "WHERE table_schema = DATABASE() AND column_name LIKE '%\\_sealed'"));
    for (const db::Row& row : rows) found.emplace(row.String(0), row.String(1));
    return absl::OkStatus();
  }));
  return found;
}

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_SEALED_COLUMNS_H_
