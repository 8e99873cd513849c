// The registry's sealed personal data, for the PII key rotation's re-encryption (common/pii_rekey.h): every
// resident ID, in referrals (sealed to the referral) and children (sealed to the child), each with its
// lookup hash; a mandatory report's reporter and the child's resident ID given in it. A new sealed column of the registry joins RegistrySealedColumns, or a rotation leaves it
// under the old key and the registry can no longer open it.
#ifndef SHOUHU_SERVICES_REGISTRY_PII_REKEY_H_
#define SHOUHU_SERVICES_REGISTRY_PII_REKEY_H_

#include <vector>

#include "absl/status/statusor.h"
#include "common/db.h"
#include "common/pii_crypto.h"
#include "common/pii_rekey.h"

namespace shouhu::registry {

std::vector<SealedColumn> RegistrySealedColumns();

// Every sealed column of the registry under `to`'s keys (RekeySealedColumns).
absl::StatusOr<RekeySummary> RekeyResidentIds(db::Pool& pool, const PiiCrypto& from, const PiiCrypto& to,
                                              int chunk_rows = 500);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_PII_REKEY_H_
