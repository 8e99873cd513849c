// Wires casework into the registry process: its store over the registry's (one outbox, one case lifecycle),
// its gRPC service, and the follower of the visits service's events that makes follow-up tasks.
// RegistryModule owns one; RegistryDefinition serves its service beside RegistryService.
#ifndef SHOUHU_SERVICES_REGISTRY_CASEWORK_MODULE_H_
#define SHOUHU_SERVICES_REGISTRY_CASEWORK_MODULE_H_

#include <memory>

#include "common/event_consumer.h"
#include "common/server.h"
#include "common/service_channel.h"
#include "services/registry/casework_config.h"
#include "services/registry/casework_service.h"
#include "services/registry/casework_store.h"

namespace shouhu::registry {

inline constexpr char kCaseworkServiceName[] = "shouhu.registry.v1.CaseworkService";
inline constexpr char kVisitsConsumerName[] = "registry-from-visits";
inline constexpr char kVisitsStreamMethod[] = "/shouhu.visits.v1.VisitsService/StreamEvents";

class Casework {
 public:
  // Follows the visits service when config.visits_address is set.
  Casework(const ServiceContext& context, const CaseworkConfig& config, MariaDbRegistryStore& cases);
  ~Casework();

  // Stops following visits (the event being applied commits or rolls back whole).
  void Drain();

  CaseworkStore& store() { return *store_; }
  CaseworkService& service() { return *service_; }

 private:
  std::unique_ptr<CaseworkStore> store_;
  std::unique_ptr<ServiceChannel> visits_channel_;
  std::unique_ptr<EventConsumer> visits_consumer_;  // after what it uses: stops first
  std::unique_ptr<CaseworkService> service_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_CASEWORK_MODULE_H_
