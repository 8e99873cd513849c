#include "services/training/training_module.h"

namespace shouhu::training {

absl::StatusOr<BuiltService> BuildTrainingService(const ServiceContext& context) {
  auto module = std::make_shared<TrainingModule>(context.pool, context.clock, context.ids, context.logger,
                                                 context.verifier, context.workers);
  module->sweeper.Start(kExpirySweepInterval);
  BuiltService built;
  built.services.emplace_back(&module->service, kTrainingServiceName);
  built.on_drain.push_back([&outbox = module->store.outbox()] { outbox.feed().EndStreams(); });
  built.keep_alive = module;
  return built;
}

}  // namespace shouhu::training
