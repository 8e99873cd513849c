// shouhu-visits-rekey: re-encrypts the visits service's sealed personal data (safeguarding concerns) from
// the PII keys in force (SHOUHU_PII_SEAL_KEY, SHOUHU_PII_LOOKUP_KEY) to new ones (SHOUHU_PII_NEW_SEAL_KEY,
// SHOUHU_PII_NEW_LOOKUP_KEY), with the visits service's own settings otherwise, so a Kubernetes Job runs it
// with visits' ConfigMap and Secrets. Run it while no visits replica serves; afterwards visits starts with
// the new keys. Exit codes: common/pii_rekey.h.
#include "common/pii_rekey.h"
#include "common/status_macros.h"
#include "services/visits/pii_rekey.h"
#include "services/visits/visits_config.h"

int main(int argc, char** argv) {
  using namespace shouhu;
  return RunRekeyTool(argc, argv,
                      {{"visits", 50052, 9152},
                       []() -> absl::StatusOr<PiiKeys> {
                         ASSIGN_OR_RETURN(visits::VisitsConfig config, visits::LoadVisitsConfig());
                         return PiiKeys{config.pii_seal_key, config.pii_lookup_key};
                       },
                       visits::VisitsSealedColumns()});
}
