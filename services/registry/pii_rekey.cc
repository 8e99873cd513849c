#include "services/registry/pii_rekey.h"

namespace shouhu::registry {

std::vector<SealedColumn> RegistrySealedColumns() {
  return {{"referrals", "resident_id_sealed", "resident_id_hash"},
          {"children", "resident_id_sealed", "resident_id_hash"}};
}

absl::StatusOr<RekeySummary> RekeyResidentIds(db::Pool& pool, const PiiCrypto& from, const PiiCrypto& to,
                                              int chunk_rows) {
  return RekeySealedColumns(pool, RegistrySealedColumns(), from, to, chunk_rows);
}

}  // namespace shouhu::registry
