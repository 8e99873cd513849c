// Wires the allowance service: settings → store → registry and training clients (one channel each) →
// payment retry job → service. main.cc (through AllowanceDefinition) and the tests build it the same way,
// so a test exercises the wiring the process runs.
#ifndef SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_MODULE_H_
#define SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_MODULE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/server.h"
#include "common/service_channel.h"
#include "services/allowance/allowance_config.h"
#include "services/allowance/allowance_service.h"
#include "services/allowance/allowance_store.h"
#include "services/allowance/monthly_cycles_module.h"
#include "services/allowance/payment_retrier.h"
#include "services/registry/registry_client.h"
#include "services/training/training_client.h"

namespace shouhu::allowance {

inline constexpr char kAllowanceServiceName[] = "shouhu.allowance.v1.AllowanceService";

class AllowanceModule {
 public:
  // `registry`, `training`: the clients of those services; when null (the process), one over a channel to
  // the configured address.
  static absl::StatusOr<std::unique_ptr<AllowanceModule>> Create(
      const ServiceContext& context, const AllowanceConfig& config,
      std::unique_ptr<registry::RegistryClient> registry = nullptr,
      std::unique_ptr<training::TrainingClient> training = nullptr);

  // Ends the event streams (the retry job stops with the module).
  void Drain();

  MariaDbAllowanceStore& store() { return *store_; }
  AllowanceService& service() { return *service_; }
  PaymentRetrier& retrier() { return *retrier_; }
  PaymentQueue& payments() { return *payments_; }
  MonthlyCycles& cycles() { return *cycles_; }

 private:
  AllowanceModule() = default;

  std::unique_ptr<MariaDbAllowanceStore> store_;
  std::unique_ptr<ServiceChannel> registry_channel_;
  std::unique_ptr<ServiceChannel> training_channel_;
  std::unique_ptr<registry::RegistryClient> registry_;  // after its channel: goes first
  std::unique_ptr<training::TrainingClient> training_;
  std::unique_ptr<PaymentRetrier> retrier_;    // after the store: stops first
  std::unique_ptr<PaymentQueue> payments_;     // after the store: stops first
  std::unique_ptr<MonthlyCycles> cycles_;      // after the store and clients: stops first
  std::unique_ptr<AllowanceService> service_;  // declared last: goes first
};

// The allowance process: its defaults, migrations, settings and wiring, for ServeMain.
ServiceDefinition AllowanceDefinition();

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_MODULE_H_
