// Wires the registry: settings → division table → store → service. main.cc (through RegistryDefinition)
// and the tests build it the same way, so a test exercises the wiring the process runs.
#ifndef SHOUHU_SERVICES_REGISTRY_REGISTRY_MODULE_H_
#define SHOUHU_SERVICES_REGISTRY_REGISTRY_MODULE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/server.h"
#include "services/registry/cooperation_service.h"
#include "services/registry/cooperation_store.h"
#include "services/registry/registry_config.h"
#include "services/registry/registry_service.h"
#include "services/registry/registry_store.h"

namespace shouhu::registry {

inline constexpr char kRegistryServiceName[] = "shouhu.registry.v1.RegistryService";
inline constexpr char kCooperationServiceName[] = "shouhu.registry.v1.CaseCooperationService";

class RegistryModule {
 public:
  // Loads the division table when the config names one. Fails on keys the PII crypto refuses.
  static absl::StatusOr<std::unique_ptr<RegistryModule>> Create(const ServiceContext& context,
                                                                const RegistryConfig& config);

  // Ends the event streams this process serves (followers reconnect to another replica).
  void Drain();

  MariaDbRegistryStore& store() { return *store_; }
  RegistryService& service() { return *service_; }
  CooperationService& cooperation_service() { return *cooperation_service_; }

 private:
  RegistryModule() = default;

  std::unique_ptr<MariaDbRegistryStore> store_;
  std::unique_ptr<MariaDbCooperationStore> cooperation_store_;
  std::unique_ptr<CooperationService> cooperation_service_;
  std::unique_ptr<RegistryService> service_;  // declared last: goes first
};

// The registry process: its defaults, migrations, settings and wiring, for ServeMain. It serves
// RegistryService and CaseCooperationService.
ServiceDefinition RegistryDefinition();

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_REGISTRY_MODULE_H_
