#include "services/visits/visits_config.h"

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/status_macros.h"

ABSL_FLAG(std::string, calendars_dir, shouhu::EnvOr("SHOUHU_CALENDARS_DIR", ""),
          "the folder of official visit calendars, CN-<year>.csv");
ABSL_FLAG(std::string, registry_address, shouhu::EnvOr("SHOUHU_REGISTRY_ADDRESS", ""),
          "the registry service, host:port");
ABSL_FLAG(std::string, training_address, shouhu::EnvOr("SHOUHU_TRAINING_ADDRESS", ""),
          "the training service, host:port");
ABSL_FLAG(std::string, allowance_address, shouhu::EnvOr("SHOUHU_ALLOWANCE_ADDRESS", ""),
          "the allowance service, host:port, whose paid households are checked on visits (empty: none)");

ABSL_FLAG(std::string, checkout_grace_minutes, shouhu::EnvOr("SHOUHU_CHECKOUT_GRACE_MINUTES", "180"),
          "minutes after a visit's slot ends before a missing check-out alerts the duty supervisor");
ABSL_FLAG(std::string, checkout_sweep_seconds, shouhu::EnvOr("SHOUHU_CHECKOUT_SWEEP_SECONDS", "300"),
          "seconds between sweeps for visits not checked out");

namespace shouhu::visits {
namespace {

absl::StatusOr<int64_t> NonNegativeSetting(const std::string& text, absl::string_view name) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, " must be a whole number, 0 or more"));
  }
  return value;
}

}  // namespace

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
  if (config.visit_times.check_out_grace <= absl::ZeroDuration() ||
      config.visit_times.check_out_grace > absl::Hours(48)) {
    return absl::InvalidArgumentError("SHOUHU_CHECKOUT_GRACE_MINUTES must be 1..2880");
  }
  if (config.visit_times.slot_length <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the visit slot length must be positive");
  }
  if (config.check_out_sweep_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("SHOUHU_CHECKOUT_SWEEP_SECONDS must be 0 or more");
  }
  if (config.safeguarding_sync_poll < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the safeguarding sync's poll must be 0 or more");
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
  config.allowance_address = absl::GetFlag(FLAGS_allowance_address);
  ASSIGN_OR_RETURN(int64_t grace_minutes, NonNegativeSetting(absl::GetFlag(FLAGS_checkout_grace_minutes),
                                                             "SHOUHU_CHECKOUT_GRACE_MINUTES"));
  config.visit_times.check_out_grace = absl::Minutes(grace_minutes);
  ASSIGN_OR_RETURN(int64_t sweep_seconds, NonNegativeSetting(absl::GetFlag(FLAGS_checkout_sweep_seconds),
                                                             "SHOUHU_CHECKOUT_SWEEP_SECONDS"));
  config.check_out_sweep_interval = absl::Seconds(sweep_seconds);
  ASSIGN_OR_RETURN(config.pii_seal_key,
                   DecodeHexSecret(EnvOr("SHOUHU_PII_SEAL_KEY", ""), "SHOUHU_PII_SEAL_KEY", 32));
  ASSIGN_OR_RETURN(config.pii_lookup_key,
                   DecodeHexSecret(EnvOr("SHOUHU_PII_LOOKUP_KEY", ""), "SHOUHU_PII_LOOKUP_KEY", 32));
  RETURN_IF_ERROR(ValidateVisitsConfig(config));
  return config;
}

}  // namespace shouhu::visits
