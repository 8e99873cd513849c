#include "services/training/training_config.h"

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"

ABSL_FLAG(std::string, expiry_sweep_seconds, shouhu::EnvOr("SHOUHU_EXPIRY_SWEEP_SECONDS", "60"),
          "seconds between sweeps for certificates that expired today");

namespace shouhu::training {

absl::StatusOr<TrainingConfig> LoadTrainingConfig() {
  TrainingConfig config;
  const std::string text = absl::GetFlag(FLAGS_expiry_sweep_seconds);
  int seconds = 0;
  if (!absl::SimpleAtoi(text, &seconds) || seconds < 1 || seconds > 86400) {
    return absl::InvalidArgumentError(
        absl::StrCat("--expiry_sweep_seconds must be a whole number from 1 to 86400, got '", text, "'"));
  }
  config.expiry_sweep_interval = absl::Seconds(seconds);
  return config;
}

}  // namespace shouhu::training
