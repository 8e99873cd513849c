// shouhu-registry-rekey: re-encrypts the registry's sealed personal data from the PII keys in force
// (SHOUHU_PII_SEAL_KEY, SHOUHU_PII_LOOKUP_KEY) to new ones (SHOUHU_PII_NEW_SEAL_KEY,
// SHOUHU_PII_NEW_LOOKUP_KEY), with the registry's own settings otherwise (its database, schema and user), so
// the Kubernetes Job runs it with the registry's ConfigMap and Secrets. Run it while no registry serves;
// afterwards the registry starts with the new keys. Exit codes: common/pii_rekey.h.
#include "common/pii_rekey.h"
#include "common/status_macros.h"
#include "services/registry/pii_rekey.h"
#include "services/registry/registry_config.h"

int main(int argc, char** argv) {
  using namespace shouhu;
  return RunRekeyTool(argc, argv,
                      {{"registry", 50051, 9151},
                       []() -> absl::StatusOr<PiiKeys> {
                         ASSIGN_OR_RETURN(registry::RegistryConfig config, registry::LoadRegistryConfig());
                         return PiiKeys{config.pii_seal_key, config.pii_lookup_key};
                       },
                       registry::RegistrySealedColumns()});
}
