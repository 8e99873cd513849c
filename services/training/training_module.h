// Wires the training service from a ServiceContext: the MariaDB store, the gRPC edge and the certificate
// expiry sweeper, kept alive together for as long as the server runs.
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_MODULE_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_MODULE_H_

#include <memory>

#include "absl/time/time.h"
#include "common/server.h"
#include "services/training/expiry_sweeper.h"
#include "services/training/training_service.h"
#include "services/training/training_store.h"

namespace shouhu::training {

// How often the sweeper looks for certificates that expired today. A day-granular rule needs no more.
inline constexpr absl::Duration kExpirySweepInterval = absl::Minutes(1);

struct TrainingModule {
  TrainingModule(db::Pool& pool, const Clock& clock, IdGenerator& ids, Logger& logger,
                 const PrincipalVerifier& verifier, CallWorkers& workers)
      : store(pool, clock, ids),
        service(store, store.outbox(), verifier, clock, workers),
        sweeper(pool, store, clock, logger) {}

  MariaDbTrainingStore store;
  TrainingService service;
  ExpirySweeper sweeper;  // declared last: stops first
};

// The ServiceFactory of shouhu-training.
absl::StatusOr<BuiltService> BuildTrainingService(const ServiceContext& context);

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_MODULE_H_
