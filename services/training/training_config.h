// The training service's own settings, read once at start from flags and the environment and checked; after
// that code gets this struct, never the environment. Common settings (database, ports) are in
// common/config.h.
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_CONFIG_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_CONFIG_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace shouhu::training {

struct TrainingConfig {
  // How often the expiry sweeper asks whether its period (a minute, claimed once across replicas) is due
  // (SHOUHU_EXPIRY_SWEEP_SECONDS). A day-granular rule needs no more than a minute. Zero starts no sweeper
  // (tests drive it by hand).
  absl::Duration expiry_sweep_interval = absl::Minutes(1);
};

// INVALID_ARGUMENT naming the setting when a value is malformed.
absl::StatusOr<TrainingConfig> LoadTrainingConfig();

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_CONFIG_H_
