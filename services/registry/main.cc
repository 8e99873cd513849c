// The registry process: common bootstrap plus the registry's own settings (PII keys, division table).
#include <memory>

#include "common/config.h"
#include "common/server.h"
#include "services/registry/division_importer.h"
#include "services/registry/registry_service.h"
#include "services/registry/registry_store.h"

namespace {

// Everything the service object needs, kept alive together until the server has stopped.
struct Registry {
  std::unique_ptr<shouhu::registry::MariaDbRegistryStore> store;
  std::unique_ptr<shouhu::registry::RegistryService> service;
};

absl::StatusOr<shouhu::BuiltService> BuildRegistry(const shouhu::ServiceContext& ctx) {
  auto seal_key =
      shouhu::DecodeHexSecret(shouhu::EnvOr("SHOUHU_PII_SEAL_KEY", ""), "SHOUHU_PII_SEAL_KEY", 32);
  if (!seal_key.ok()) return seal_key.status();
  auto lookup_key =
      shouhu::DecodeHexSecret(shouhu::EnvOr("SHOUHU_PII_LOOKUP_KEY", ""), "SHOUHU_PII_LOOKUP_KEY", 32);
  if (!lookup_key.ok()) return lookup_key.status();
  auto crypto = shouhu::PiiCrypto::Create(*seal_key, *lookup_key);
  if (!crypto.ok()) return crypto.status();

  const std::string divisions_dir = shouhu::EnvOr("SHOUHU_DIVISIONS_DIR", "");
  if (!divisions_dir.empty()) {
    ctx.logger.Info("loading administrative divisions", {{"dir", divisions_dir}});
    auto imported = shouhu::registry::ImportDivisions(ctx.pool, ctx.clock, divisions_dir, {});
    if (!imported.ok()) return imported.status();
    ctx.logger.Info("administrative divisions ready", {{"files_loaded", imported->files_loaded},
                                                       {"files_skipped", imported->files_skipped},
                                                       {"rows", imported->rows}});
  }
  auto registry = std::make_shared<Registry>();
  registry->store = std::make_unique<shouhu::registry::MariaDbRegistryStore>(ctx.pool, ctx.clock, ctx.ids,
                                                                             *std::move(crypto));
  registry->service = std::make_unique<shouhu::registry::RegistryService>(*registry->store, ctx.verifier,
                                                                          ctx.clock, ctx.workers);
  shouhu::BuiltService built;
  built.services.emplace_back(registry->service.get(), "shouhu.registry.v1.RegistryService");
  built.on_drain.push_back([&store = *registry->store] { store.event_feed().EndStreams(); });
  built.keep_alive = registry;
  return built;
}

}  // namespace

int main(int argc, char** argv) {
  return shouhu::ServeMain(argc, argv, {"registry", 50051, 9151}, shouhu::RegistryMigrations(),
                           BuildRegistry);
}
