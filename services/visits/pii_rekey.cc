#include "services/visits/pii_rekey.h"

namespace shouhu::visits {

std::vector<SealedColumn> VisitsSealedColumns() {
  return {{"safeguarding_concerns", "account_sealed", ""},
          {"safeguarding_concerns", "review_note_sealed", ""}};
}

}  // namespace shouhu::visits
