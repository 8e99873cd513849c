// The gRPC edge of county rosters (roster_service.proto), served by the registry process beside
// RegistryService: the client-streaming import and drift comparison. Each message read is handled on a
// call worker (the database blocks), one at a time per call; the next is read only once it is done, so a
// fast client is held back by flow control rather than buffered here.
#ifndef SHOUHU_SERVICES_REGISTRY_ROSTER_SERVICE_H_
#define SHOUHU_SERVICES_REGISTRY_ROSTER_SERVICE_H_

#include "common/call_workers.h"
#include "common/clock.h"
#include "common/edge.h"
#include "common/principal.h"
#include "services/registry/registry_store.h"
#include "services/registry/roster_store.h"
#include "shouhu/registry/v1/roster_service.grpc.pb.h"

namespace shouhu::registry {

class RosterService final : public v1::RosterService::CallbackService {
 public:
  RosterService(RegistryStore& registry, RosterStore& roster, const PrincipalVerifier& verifier,
                const Clock& clock, CallWorkers& workers)
      : registry_(registry),
        roster_(roster),
        clock_(clock),
        workers_(workers),
        edge_(v1::RosterService::service_full_name(), verifier, workers) {}

  grpc::ServerReadReactor<v1::ImportRosterRequest>* ImportRoster(grpc::CallbackServerContext* ctx,
                                                                 v1::ImportRosterResponse* resp) override;
  grpc::ServerReadReactor<v1::CompareRosterRequest>* CompareRoster(grpc::CallbackServerContext* ctx,
                                                                   v1::CompareRosterResponse* resp) override;

 private:
  class ImportCall;
  class CompareCall;

  RegistryStore& registry_;
  RosterStore& roster_;
  const Clock& clock_;
  CallWorkers& workers_;
  ServiceEdge edge_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_ROSTER_SERVICE_H_
