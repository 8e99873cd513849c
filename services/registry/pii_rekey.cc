#include "services/registry/pii_rekey.h"

#include <string>

namespace shouhu::registry {

std::vector<SealedColumn> RegistrySealedColumns() {
  return {{"referrals", "resident_id_sealed", "resident_id_hash", nullptr},
          {"children", "resident_id_sealed", "resident_id_hash", nullptr},
          // A mandatory report's reporter, "subject\norganisation", found for "my reports" by the subject's
          // hash (cooperation_store.cc); the child's resident ID as the reporter gave it.
          {"mandatory_reports", "reporter_sealed", "reporter_hash",
           [](const std::string& reporter) { return reporter.substr(0, reporter.find('\n')); }},
          {"mandatory_reports", "child_resident_id_sealed", "", nullptr}};
}

absl::StatusOr<RekeySummary> RekeyResidentIds(db::Pool& pool, const PiiCrypto& from, const PiiCrypto& to,
                                              int chunk_rows) {
  return RekeySealedColumns(pool, RegistrySealedColumns(), from, to, chunk_rows);
}

}  // namespace shouhu::registry
