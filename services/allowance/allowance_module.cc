#include "services/allowance/allowance_module.h"

#include "common/status_macros.h"

namespace shouhu::allowance {

absl::StatusOr<std::unique_ptr<AllowanceModule>> AllowanceModule::Create(
    const ServiceContext& context, const AllowanceConfig& config,
    std::unique_ptr<registry::RegistryClient> registry, std::unique_ptr<training::TrainingClient> training) {
  RETURN_IF_ERROR(ValidateAllowanceConfig(config));
  std::unique_ptr<AllowanceModule> module(new AllowanceModule());
  module->store_ = std::make_unique<MariaDbAllowanceStore>(
      context.pool, context.ids,
      VerificationSample(config.cycles.verification_seed, config.cycles.verification_share_ppm),
      config.budget_slot);
  module->store_->outbox().ReportFailuresTo(context.logger);
  module->store_->ReportMonthHandOversTo(context.logger, context.metrics);
  if (registry) {
    module->registry_ = std::move(registry);
  } else {
    module->registry_channel_ = ServiceChannel::Connect(config.registry_address);
    module->registry_ = std::make_unique<registry::GrpcRegistryClient>(*module->registry_channel_);
  }
  if (training) {
    module->training_ = std::move(training);
  } else {
    module->training_channel_ = ServiceChannel::Connect(config.training_address);
    module->training_ = std::make_unique<training::GrpcTrainingClient>(*module->training_channel_);
  }
  const absl::Duration retry_period =
      config.payment_retry_interval > absl::ZeroDuration() ? config.payment_retry_interval : absl::Minutes(1);
  module->retrier_ = std::make_unique<PaymentRetrier>(context.pool, *module->store_, context.clock,
                                                      context.logger, retry_period);
  module->payments_ = std::make_unique<PaymentQueue>(
      [store = module->store_.get()](const std::vector<PaymentOrder>& orders,
                                     const std::function<void()>& committing) {
        return store->PayApplications(orders, committing);
      },
      /*max_batch=*/128, /*max_waiting=*/0, static_cast<size_t>(config.payment_committers));
  module->service_ = std::make_unique<AllowanceService>(
      *module->store_, *module->payments_, *module->registry_, *module->training_, context.identity, config,
      context.verifier, context.clock, context.workers);
  module->cycles_ = std::make_unique<MonthlyCycles>(context, config.cycles, config.registry_address,
                                                    *module->store_, *module->registry_);
  module->service_->ServeMonthlyCycles(module->cycles_->store(), module->cycles_->job());
  if (config.payment_retry_interval > absl::ZeroDuration())
    module->retrier_->Start(config.payment_retry_interval);
  return module;
}

void AllowanceModule::Drain() {
  cycles_->Drain();
  store_->event_feed().EndStreams();
}

ServiceDefinition AllowanceDefinition() {
  return DefineService<AllowanceModule, AllowanceConfig>({"allowance", 50053, 9153}, AllowanceMigrations(),
                                                         LoadAllowanceConfig, kAllowanceServiceName);
}

}  // namespace shouhu::allowance
