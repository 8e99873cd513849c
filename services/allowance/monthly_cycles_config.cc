#include "services/allowance/monthly_cycles_config.h"

#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "common/config.h"
#include "common/status_macros.h"
#include "services/allowance/verification_sample.h"

ABSL_FLAG(std::string, allowance_visits_address, shouhu::EnvOr("SHOUHU_VISITS_ADDRESS", ""),
          "the visits service, host:port; empty: urgent needs are not followed");
ABSL_FLAG(std::string, allowance_follow_registry, shouhu::EnvOr("SHOUHU_FOLLOW_REGISTRY", "1"),
          "1: follow the registry's case events to stop monthly allowances");
ABSL_FLAG(std::string, roster_poll_seconds, shouhu::EnvOr("SHOUHU_ROSTER_POLL_SECONDS", "600"),
          "seconds between looks for a month to generate; 0: no roster job");
ABSL_FLAG(std::string, verification_share_ppm, shouhu::EnvOr("SHOUHU_VERIFICATION_SHARE_PPM", "50000"),
          "share of paid households checked on the next visit, parts per million");
ABSL_FLAG(std::string, verification_seed, shouhu::EnvOr("SHOUHU_VERIFICATION_SEED", ""),
          "the verification sample's seed; empty: random at start");

namespace shouhu::allowance {

absl::Status ValidateMonthlyCyclesConfig(const MonthlyCyclesConfig& config) {
  if (config.roster_poll < absl::ZeroDuration() || config.roster_poll > absl::Hours(24)) {
    return absl::InvalidArgumentError("SHOUHU_ROSTER_POLL_SECONDS must be from 0 to 86400");
  }
  if (config.verification_share_ppm < 0 || config.verification_share_ppm > kShareScale) {
    return absl::InvalidArgumentError("SHOUHU_VERIFICATION_SHARE_PPM must be from 0 to 1000000");
  }
  return absl::OkStatus();
}

absl::StatusOr<MonthlyCyclesConfig> LoadMonthlyCyclesConfig() {
  MonthlyCyclesConfig config;
  config.visits_address = absl::GetFlag(FLAGS_allowance_visits_address);
  const std::string follow = absl::GetFlag(FLAGS_allowance_follow_registry);
  if (follow != "0" && follow != "1")
    return absl::InvalidArgumentError("SHOUHU_FOLLOW_REGISTRY must be 0 or 1");
  config.follow_registry = follow == "1";
  int seconds = 0;
  if (!absl::SimpleAtoi(absl::GetFlag(FLAGS_roster_poll_seconds), &seconds)) {
    return absl::InvalidArgumentError("SHOUHU_ROSTER_POLL_SECONDS must be a whole number of seconds");
  }
  config.roster_poll = absl::Seconds(seconds);
  if (!absl::SimpleAtoi(absl::GetFlag(FLAGS_verification_share_ppm), &config.verification_share_ppm)) {
    return absl::InvalidArgumentError("SHOUHU_VERIFICATION_SHARE_PPM must be a whole number");
  }
  const std::string seed = absl::GetFlag(FLAGS_verification_seed);
  if (seed.empty()) {
    // Nobody can tell in advance which households will be checked.
    std::random_device random;
    config.verification_seed = (uint64_t{random()} << 32) ^ random();
  } else if (!absl::SimpleAtoi(seed, &config.verification_seed)) {
    return absl::InvalidArgumentError("SHOUHU_VERIFICATION_SEED must be a whole number");
  }
  RETURN_IF_ERROR(ValidateMonthlyCyclesConfig(config));
  return config;
}

}  // namespace shouhu::allowance
