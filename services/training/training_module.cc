#include "services/training/training_module.h"

#include "common/status_macros.h"

namespace shouhu::training {

absl::StatusOr<std::unique_ptr<TrainingModule>> TrainingModule::Create(const ServiceContext& context,
                                                                       const TrainingConfig& config) {
  std::unique_ptr<TrainingModule> module(new TrainingModule());
  module->store_ = std::make_unique<MariaDbTrainingStore>(context.pool, context.clock, context.ids);
  module->store_->outbox().ReportFailuresTo(context.logger);
  module->service_ =
      std::make_unique<TrainingService>(*module->store_, context.verifier, context.clock, context.workers);
  module->sweeper_ =
      std::make_unique<ExpirySweeper>(context.pool, *module->store_, context.clock, context.logger);
  if (config.expiry_sweep_interval > absl::ZeroDuration())
    module->sweeper_->Start(config.expiry_sweep_interval);
  return module;
}

void TrainingModule::Drain() { store_->event_feed().EndStreams(); }

ServiceDefinition TrainingDefinition() {
  return DefineService<TrainingModule, TrainingConfig>({"training", 50054, 9154}, TrainingMigrations(),
                                                       LoadTrainingConfig, kTrainingServiceName);
}

}  // namespace shouhu::training
