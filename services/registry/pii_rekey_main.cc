// shouhu-registry-rekey: re-encrypts the registry's resident IDs from the PII keys in force
// (SHOUHU_PII_SEAL_KEY, SHOUHU_PII_LOOKUP_KEY) to new ones (SHOUHU_PII_NEW_SEAL_KEY,
// SHOUHU_PII_NEW_LOOKUP_KEY), with the registry's own settings otherwise (its database, schema and user), so
// the Kubernetes Job runs it with the registry's ConfigMap and Secrets. Run it while no registry serves;
// afterwards the registry starts with the new keys. Exit 0 when every row is under the new keys, 1 on a
// failure (run it again: rows already rekeyed are skipped), 2 on bad settings.
#include "common/config.h"
#include "common/log.h"
#include "common/server.h"
#include "services/registry/pii_rekey.h"
#include "services/registry/registry_config.h"

int main(int argc, char** argv) {
  using namespace shouhu;
  InitProcess(argc, argv, "shouhu-registry-rekey: re-encrypt resident IDs under new PII keys (README)");
  Logger logger("registry-rekey");
  auto config = LoadServiceConfig({"registry", 50051, 9151});
  auto current = config.ok() ? registry::LoadRegistryConfig() : config.status();
  auto new_seal = DecodeHexSecret(EnvOr("SHOUHU_PII_NEW_SEAL_KEY", ""), "SHOUHU_PII_NEW_SEAL_KEY", 32);
  auto new_lookup = DecodeHexSecret(EnvOr("SHOUHU_PII_NEW_LOOKUP_KEY", ""), "SHOUHU_PII_NEW_LOOKUP_KEY", 32);
  for (const absl::Status& status :
       {config.status(), current.status(), new_seal.status(), new_lookup.status()}) {
    if (!status.ok()) {
      logger.Error("bad configuration", {{"error", std::string(status.message())}});
      return 2;
    }
  }
  auto from = PiiCrypto::Create(current->pii_seal_key, current->pii_lookup_key);
  auto to = PiiCrypto::Create(*new_seal, *new_lookup);
  if (!from.ok() || !to.ok()) {
    logger.Error("bad configuration", {{"error", std::string((from.ok() ? to : from).status().message())}});
    return 2;
  }
  if (*new_seal == current->pii_seal_key || *new_lookup == current->pii_lookup_key) {
    logger.Error("bad configuration", {{"error", "the new PII keys must both differ from those in force"}});
    return 2;
  }
  auto pool = db::Pool::Open(config->db);
  if (!pool.ok()) {
    logger.Error("database", {{"error", std::string(pool.status().message())}});
    return 1;
  }
  auto summary = registry::RekeyResidentIds(**pool, *from, *to);
  if (!summary.ok()) {
    logger.Error("re-encryption stopped", {{"error", std::string(summary.status().message())}});
    return 1;
  }
  logger.Info("resident IDs are under the new PII keys",
              {{"rekeyed", summary->rekeyed}, {"already_current", summary->already_current}});
  return 0;
}
