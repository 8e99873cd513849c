#include "services/registry/casework_config.h"

#include "absl/strings/numbers.h"
#include "common/config.h"
#include "common/status_macros.h"

namespace shouhu::registry {

absl::StatusOr<CaseworkConfig> LoadCaseworkConfig() {
  CaseworkConfig config;
  ASSIGN_OR_RETURN(config.schedule, ParseAssessmentSchedule(EnvOr("SHOUHU_ASSESSMENT_SCHEDULE", ""),
                                                            "SHOUHU_ASSESSMENT_SCHEDULE"));
  const std::string initial = EnvOr("SHOUHU_INITIAL_ASSESSMENT_DAYS", "30");
  if (!absl::SimpleAtoi(initial, &config.schedule.initial_days) || config.schedule.initial_days < 1 ||
      config.schedule.initial_days > 365) {
    return absl::InvalidArgumentError("SHOUHU_INITIAL_ASSESSMENT_DAYS must be 1-365");
  }
  ASSIGN_OR_RETURN(config.self_approval, ParseSelfApprovalPolicy(EnvOr("SHOUHU_CASEWORK_SELF_APPROVAL", ""),
                                                                 "SHOUHU_CASEWORK_SELF_APPROVAL"));
  config.visits_address = EnvOr("SHOUHU_VISITS_ADDRESS", "");
  return config;
}

}  // namespace shouhu::registry
