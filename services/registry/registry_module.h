// Wires the registry: settings → division table → store → service. main.cc (through RegistryDefinition)
// and the tests build it the same way, so a test exercises the wiring the process runs.
#ifndef SHOUHU_SERVICES_REGISTRY_REGISTRY_MODULE_H_
#define SHOUHU_SERVICES_REGISTRY_REGISTRY_MODULE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/server.h"
#include "services/registry/casework_module.h"
#include "services/registry/cooperation_service.h"
#include "services/registry/cooperation_store.h"
#include "services/registry/registry_config.h"
#include "services/registry/registry_service.h"
#include "services/registry/registry_store.h"
#include "services/registry/roster_service.h"
#include "services/registry/roster_store.h"

namespace shouhu::registry {

inline constexpr char kRegistryServiceName[] = "shouhu.registry.v1.RegistryService";
// Served by the same process: county rosters in bulk (roster_service.proto).
inline constexpr char kRosterServiceName[] = "shouhu.registry.v1.RosterService";
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
  RosterService& roster_service() { return *roster_service_; }
  Casework& casework() { return *casework_; }
  CooperationService& cooperation_service() { return *cooperation_service_; }

 private:
  RegistryModule() = default;

  // The node RegistryConfig names for the access log (or none), declared before the store that writes to it.
  std::unique_ptr<db::Pool> access_log_pool_;
  std::unique_ptr<MariaDbRegistryStore> store_;
  std::unique_ptr<MariaDbRosterStore> roster_store_;
  std::unique_ptr<RosterService> roster_service_;
  std::unique_ptr<Casework> casework_;  // after the store it writes cases through
  std::unique_ptr<MariaDbCooperationStore> cooperation_store_;
  std::unique_ptr<CooperationService> cooperation_service_;
  std::unique_ptr<RegistryService> service_;  // declared last: goes first
};

// The registry process (RegistryService, RosterService, CaseworkService and CaseCooperationService): its
// defaults, migrations, settings and wiring, for ServeMain.
ServiceDefinition RegistryDefinition();

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_REGISTRY_MODULE_H_
