#include "services/training/training_module.h"

#include "common/status_macros.h"

namespace shouhu::training {

absl::StatusOr<std::unique_ptr<TrainingModule>> TrainingModule::Create(const ServiceContext& context,
                                                                       const TrainingConfig& config) {
  std::unique_ptr<TrainingModule> module(new TrainingModule());
  module->store_ = std::make_unique<MariaDbTrainingStore>(context.pool, context.clock, context.ids);
  module->service_ = std::make_unique<TrainingService>(*module->store_, module->store_->outbox(),
                                                       context.verifier, context.clock, context.workers);
  module->sweeper_ = std::make_unique<ExpirySweeper>(*module->store_, context.clock, context.logger);
  module->sweeper_->Start(config.expiry_sweep_interval);
  return module;
}

ServiceDefinition TrainingDefinition() {
  auto config = std::make_shared<TrainingConfig>();
  ServiceDefinition definition;
  definition.defaults = {"training", 50054, 9154};
  definition.migrations = TrainingMigrations();
  definition.load_settings = [config]() -> absl::Status {
    ASSIGN_OR_RETURN(*config, LoadTrainingConfig());
    return absl::OkStatus();
  };
  definition.build = [config](const ServiceContext& context) -> absl::StatusOr<BuiltService> {
    ASSIGN_OR_RETURN(std::shared_ptr<TrainingModule> module, TrainingModule::Create(context, *config));
    BuiltService built;
    built.services.emplace_back(&module->service(), kTrainingServiceName);
    built.keep_alive = std::move(module);
    return built;
  };
  return definition;
}

}  // namespace shouhu::training
