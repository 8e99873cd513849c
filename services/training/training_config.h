// The training service's own settings, read once at start from flags and the environment and checked; after
// that code gets this struct, never the environment. Common settings (database, ports) are in
// common/config.h.
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_CONFIG_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_CONFIG_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace shouhu::training {

struct TrainingConfig {
  // How often the sweeper looks for certificates that expired today (SHOUHU_EXPIRY_SWEEP_SECONDS). A
  // day-granular rule needs no more than a minute.
  absl::Duration expiry_sweep_interval = absl::Minutes(1);
};

// INVALID_ARGUMENT naming the setting when a value is malformed.
absl::StatusOr<TrainingConfig> LoadTrainingConfig();

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_CONFIG_H_
