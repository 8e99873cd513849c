#include "services/registry/registry_module.h"

#include "common/status_macros.h"
#include "services/registry/division_importer.h"

namespace shouhu::registry {

absl::StatusOr<std::unique_ptr<RegistryModule>> RegistryModule::Create(const ServiceContext& context,
                                                                       const RegistryConfig& config) {
  ASSIGN_OR_RETURN(PiiCrypto crypto, PiiCrypto::Create(config.pii_seal_key, config.pii_lookup_key));
  if (!config.divisions_dir.empty()) {
    context.logger.Info("loading administrative divisions", {{"dir", config.divisions_dir}});
    ASSIGN_OR_RETURN(ImportSummary imported,
                     ImportDivisions(context.pool, context.clock, config.divisions_dir, {}));
    context.logger.Info("administrative divisions ready", {{"files_loaded", imported.files_loaded},
                                                           {"files_skipped", imported.files_skipped},
                                                           {"rows", imported.rows}});
  }
  std::unique_ptr<RegistryModule> module(new RegistryModule());
  if (!config.access_log_db_host.empty() || !config.access_log_db_socket.empty()) {
    // The log's writer holds one connection; a node that is down should cost it a second, not the default 3.
    DbConfig node = context.pool.config();
    if (!config.access_log_db_host.empty()) node.host = config.access_log_db_host;
    if (config.access_log_db_port != 0) node.port = config.access_log_db_port;
    node.socket = config.access_log_db_socket;
    node.pool_size = 1;
    node.connect_timeout = absl::Seconds(1);
    ASSIGN_OR_RETURN(module->access_log_pool_, db::Pool::Open(node));
    module->access_log_pool_->ReportDroppedTo(context.logger, context.metrics);
    context.logger.Info("the access log is written through one node",
                        {{"host", node.host}, {"port", node.port}, {"socket", node.socket}});
  }
  module->store_ = std::make_unique<MariaDbRegistryStore>(
      context.pool, context.clock, context.ids, std::move(crypto),
      LogNode{module->access_log_pool_.get(), &context.logger}, &context.metrics);
  module->store_->outbox().ReportFailuresTo(context.logger);
  module->roster_store_ = std::make_unique<MariaDbRosterStore>(
      context.pool, context.ids, module->store_->crypto(), module->store_->outbox());
  module->roster_service_ = std::make_unique<RosterService>(*module->store_, *module->roster_store_,
                                                            context.verifier, context.clock, context.workers);
  module->casework_ = std::make_unique<Casework>(context, config.casework, *module->store_);
  module->cooperation_store_ = std::make_unique<MariaDbCooperationStore>(
      context.pool, context.ids, module->store_->crypto(), module->store_->outbox());
  module->cooperation_service_ = std::make_unique<CooperationService>(
      *module->cooperation_store_, *module->store_, config.report_deadlines, context.verifier, context.clock,
      context.workers);
  module->service_ =
      std::make_unique<RegistryService>(*module->store_, context.verifier, context.clock, context.workers);
  return module;
}

void RegistryModule::Drain() {
  casework_->Drain();
  store_->event_feed().EndStreams();
}

ServiceDefinition RegistryDefinition() {
  ServiceDefinition definition = DefineService<RegistryModule, RegistryConfig>(
      {"registry", 50051, 9151}, RegistryMigrations(), LoadRegistryConfig, kRegistryServiceName);
  // The same process serves RosterService, CaseworkService and CaseCooperationService too (the gateway routes
  // registry.* here).
  definition.build =
      [build = std::move(definition.build)](const ServiceContext& context) -> absl::StatusOr<BuiltService> {
    ASSIGN_OR_RETURN(BuiltService built, build(context));
    auto* module = static_cast<RegistryModule*>(built.keep_alive.get());
    built.services.emplace_back(&module->roster_service(), kRosterServiceName);
    built.services.emplace_back(&module->casework().service(), kCaseworkServiceName);
    built.services.emplace_back(&module->cooperation_service(), kCooperationServiceName);
    return built;
  };
  return definition;
}

}  // namespace shouhu::registry
