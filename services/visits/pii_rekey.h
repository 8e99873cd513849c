// The visits service's sealed personal data, for the PII key rotation's re-encryption (common/pii_rekey.h):
// a safeguarding concern's account and its review note, both sealed to the concern. A new sealed column of
// visits joins VisitsSealedColumns, or a rotation leaves it under the old key and visits can no longer open
// it (tests/integration/visits/pii_rekey_test.cc checks the schema's *_sealed columns against this list).
#ifndef SHOUHU_SERVICES_VISITS_PII_REKEY_H_
#define SHOUHU_SERVICES_VISITS_PII_REKEY_H_

#include <vector>

#include "common/pii_rekey.h"

namespace shouhu::visits {

std::vector<SealedColumn> VisitsSealedColumns();

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_PII_REKEY_H_
