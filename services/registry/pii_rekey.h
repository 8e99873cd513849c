// Re-encryption of the registry's personal identifiers under new PII keys: every sealed resident ID (in
// referrals, sealed to the referral; in children, sealed to the child) is opened under the old seal key,
// sealed again under the new one, and its lookup hash recomputed under the new lookup key. The registry
// holds one pair of keys, so this runs while no registry serves (README, "Rotate each secret"). Rows commit
// in chunks, each row locked while it changes; a row that already opens under the new keys is left alone, so
// a run that stopped half-way is finished by running it again.
#ifndef SHOUHU_SERVICES_REGISTRY_PII_REKEY_H_
#define SHOUHU_SERVICES_REGISTRY_PII_REKEY_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "common/db.h"
#include "common/pii_crypto.h"

namespace shouhu::registry {

struct RekeySummary {
  int64_t rekeyed = 0;          // sealed again under the new keys by this run
  int64_t already_current = 0;  // found already under the new keys (an earlier, interrupted run)
};

// Fails with DATA_LOSS naming the table and row id (never the value) when a value opens under neither key;
// rows committed before that stay rekeyed.
absl::StatusOr<RekeySummary> RekeyResidentIds(db::Pool& pool, const PiiCrypto& from, const PiiCrypto& to,
                                              int chunk_rows = 500);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_PII_REKEY_H_
