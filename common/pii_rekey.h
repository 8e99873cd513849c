// Re-encryption of a service's sealed personal data under new PII keys (common/pii_crypto.h). A service
// names its sealed columns — each value sealed to its own row's `id`, some with a keyed lookup hash beside
// it — and every one is opened under the old seal key, sealed again under the new one, and its hash
// recomputed under the new lookup key. A service holds one pair of keys, so this runs while none of its
// replicas serve (README, "Rotate each secret"). Rows commit in chunks, each row locked while it changes; a
// value that already opens under the new keys is left alone, so a run that stopped half-way is finished by
// running it again.
#ifndef SHOUHU_COMMON_PII_REKEY_H_
#define SHOUHU_COMMON_PII_REKEY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config.h"
#include "common/db.h"
#include "common/pii_crypto.h"

namespace shouhu {

// One sealed column. The names are the service's own schema, fixed in its code, never input.
struct SealedColumn {
  std::string table;
  std::string sealed;       // the sealed value (NULL = nothing sealed in that row)
  std::string lookup_hash;  // its keyed hash, recomputed with it; empty when the column has none
  // What of the opened value the hash is of, when not all of it (a sealed reporter is subject and
  // organisation; the hash finds a reporter's reports by subject). Unset: the whole value.
  std::function<std::string(const std::string& opened)> hashed_part;
};

struct RekeySummary {
  int64_t rekeyed = 0;          // sealed again under the new keys by this run
  int64_t already_current = 0;  // found already under the new keys (an earlier, interrupted run)
};

// Fails with DATA_LOSS naming the table, column and row id (never the value) when a value opens under
// neither key; rows committed before that stay rekeyed.
absl::StatusOr<RekeySummary> RekeySealedColumns(db::Pool& pool, const std::vector<SealedColumn>& columns,
                                                const PiiCrypto& from, const PiiCrypto& to,
                                                int chunk_rows = 500);

// The whole re-encryption process of a service's rekey tool (shouhu-<svc>-rekey): the service's database
// settings as its server reads them, the keys in force from `current_keys` (the service's own config
// loader), the new ones from SHOUHU_PII_NEW_SEAL_KEY and SHOUHU_PII_NEW_LOOKUP_KEY; logs a summary. Returns
// the exit code: 0 when every value is under the new keys, 1 on a failure (run it again: values already
// rekeyed are skipped), 2 on bad settings.
struct PiiKeys {
  std::string seal;
  std::string lookup;
};
struct RekeyTool {
  ServiceDefaults service;  // as the service's server has them: its settings are read the same way
  std::function<absl::StatusOr<PiiKeys>()> current_keys;
  std::vector<SealedColumn> columns;
};
int RunRekeyTool(int argc, char** argv, const RekeyTool& tool);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_PII_REKEY_H_
