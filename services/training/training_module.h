// Wires the training service: settings → store → service → the certificate expiry sweeper, kept alive
// together for as long as the server runs. main.cc (through TrainingDefinition) and the tests build it the
// same way, so a test exercises the wiring the process runs.
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_MODULE_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_MODULE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/server.h"
#include "services/training/expiry_sweeper.h"
#include "services/training/training_config.h"
#include "services/training/training_service.h"
#include "services/training/training_store.h"

namespace shouhu::training {

class TrainingModule {
 public:
  // Starts the expiry sweeper at the configured interval.
  static absl::StatusOr<std::unique_ptr<TrainingModule>> Create(const ServiceContext& context,
                                                                const TrainingConfig& config);

  // Ends the event streams this process serves (followers reconnect to another replica).
  void Drain();

  MariaDbTrainingStore& store() { return *store_; }
  TrainingService& service() { return *service_; }
  ExpirySweeper& sweeper() { return *sweeper_; }

 private:
  TrainingModule() = default;

  std::unique_ptr<MariaDbTrainingStore> store_;
  std::unique_ptr<TrainingService> service_;
  std::unique_ptr<ExpirySweeper> sweeper_;  // declared last: stops first
};

// The training process: its defaults, migrations, settings and wiring, for ServeMain.
ServiceDefinition TrainingDefinition();

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_MODULE_H_
