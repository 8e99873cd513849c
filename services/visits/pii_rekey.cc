#include "services/visits/pii_rekey.h"

namespace shouhu::visits {

std::vector<SealedColumn> VisitsSealedColumns() {
  return {{"safeguarding_concerns", "account_sealed", "", nullptr},
          {"safeguarding_concerns", "review_note_sealed", "", nullptr},
          {"visit_reports", "body_sealed", "", nullptr}};
}

}  // namespace shouhu::visits
