#include "services/visits/visits_config.h"

#include "absl/flags/flag.h"
#include "common/config.h"
#include "common/status_macros.h"

ABSL_FLAG(std::string, calendars_dir, shouhu::EnvOr("SHOUHU_CALENDARS_DIR", ""),
          "the folder of official visit calendars, CN-<year>.csv");
ABSL_FLAG(std::string, registry_address, shouhu::EnvOr("SHOUHU_REGISTRY_ADDRESS", ""),
          "the registry service, host:port");
ABSL_FLAG(std::string, training_address, shouhu::EnvOr("SHOUHU_TRAINING_ADDRESS", ""),
          "the training service, host:port");

namespace shouhu::visits {

absl::Status ValidateVisitsConfig(const VisitsConfig& config) {
  if (config.calendars_dir.empty()) {
    return absl::InvalidArgumentError("SHOUHU_CALENDARS_DIR (--calendars_dir) is required");
  }
  if (config.registry_address.empty()) {
    return absl::InvalidArgumentError("SHOUHU_REGISTRY_ADDRESS (--registry_address) is required");
  }
  if (config.training_address.empty()) {
    return absl::InvalidArgumentError("SHOUHU_TRAINING_ADDRESS (--training_address) is required");
  }
  if (config.pii_seal_key.size() != 32 || config.pii_lookup_key.size() != 32) {
    return absl::InvalidArgumentError(
        "SHOUHU_PII_SEAL_KEY and SHOUHU_PII_LOOKUP_KEY must hold 32 bytes each");
  }
  if (config.pii_seal_key == config.pii_lookup_key) {
    return absl::InvalidArgumentError("SHOUHU_PII_SEAL_KEY and SHOUHU_PII_LOOKUP_KEY must differ");
  }
  return ValidateCadencePolicy(config.cadence);
}

absl::StatusOr<VisitsConfig> LoadVisitsConfig() {
  VisitsConfig config;
  config.calendars_dir = absl::GetFlag(FLAGS_calendars_dir);
  config.registry_address = absl::GetFlag(FLAGS_registry_address);
  config.training_address = absl::GetFlag(FLAGS_training_address);
  ASSIGN_OR_RETURN(config.pii_seal_key,
                   DecodeHexSecret(EnvOr("SHOUHU_PII_SEAL_KEY", ""), "SHOUHU_PII_SEAL_KEY", 32));
  ASSIGN_OR_RETURN(config.pii_lookup_key,
                   DecodeHexSecret(EnvOr("SHOUHU_PII_LOOKUP_KEY", ""), "SHOUHU_PII_LOOKUP_KEY", 32));
  RETURN_IF_ERROR(ValidateVisitsConfig(config));
  return config;
}

}  // namespace shouhu::visits
