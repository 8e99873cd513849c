// The settings of the monthly basic living allowance, the verification sample and the urgent-need follower,
// read once at start with the rest of the allowance service's (AllowanceConfig::cycles). The process's
// defaults (the flags') run the job and follow the registry; a config built in code (tests) starts neither
// unless it says so, so tests of the rest of the service see no background work of these.
#ifndef SHOUHU_SERVICES_ALLOWANCE_MONTHLY_CYCLES_CONFIG_H_
#define SHOUHU_SERVICES_ALLOWANCE_MONTHLY_CYCLES_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace shouhu::allowance {

struct MonthlyCyclesConfig {
  // The visits service, host:port, whose urgent needs are drafted into relief applications
  // (SHOUHU_VISITS_ADDRESS); empty: no follower (a region running without the visits service).
  std::string visits_address;
  // Follow the registry's case events to stop monthly allowances (SHOUHU_FOLLOW_REGISTRY, default 1).
  bool follow_registry = false;
  // How often the monthly roster job looks for a month to generate (SHOUHU_ROSTER_POLL_SECONDS, default
  // 600; 0 starts no job: tests drive it).
  absl::Duration roster_poll = absl::ZeroDuration();
  // Share of paid households checked on the next visit, parts per million (SHOUHU_VERIFICATION_SHARE_PPM,
  // default 50000 = 5%), and the sample's seed (SHOUHU_VERIFICATION_SEED; default: random at start).
  int64_t verification_share_ppm = 50'000;
  uint64_t verification_seed = 0;
};

absl::StatusOr<MonthlyCyclesConfig> LoadMonthlyCyclesConfig();
// INVALID_ARGUMENT naming the setting.
absl::Status ValidateMonthlyCyclesConfig(const MonthlyCyclesConfig& config);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_MONTHLY_CYCLES_CONFIG_H_
