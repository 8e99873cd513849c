// Casework's settings inside the registry's (registry_config.h), read once at start and checked.
#ifndef SHOUHU_SERVICES_REGISTRY_CASEWORK_CONFIG_H_
#define SHOUHU_SERVICES_REGISTRY_CASEWORK_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "services/registry/assessment_schedule.h"
#include "services/registry/supervision.h"

namespace shouhu::registry {

struct CaseworkConfig {
  // SHOUHU_ASSESSMENT_SCHEDULE: "interval:LOW=12,MEDIUM=6,HIGH=3,EXTREME=1" (the default) or "months:3,9";
  // SHOUHU_INITIAL_ASSESSMENT_DAYS: a new case's first assessment is due this many days after it opened (30).
  AssessmentSchedule schedule;
  // SHOUHU_CASEWORK_SELF_APPROVAL: the kinds (ASSESSMENT, CASE_PLAN, CLOSURE) whose submitter may review
  // them; default none.
  SelfApprovalPolicy self_approval;
  // SHOUHU_VISITS_ADDRESS (host:port): the visits service whose events become follow-up tasks; empty follows
  // nothing (a region running without visits, and tests that drive the follower themselves).
  std::string visits_address;
};

// INVALID_ARGUMENT naming the setting when a value is malformed.
absl::StatusOr<CaseworkConfig> LoadCaseworkConfig();

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_CASEWORK_CONFIG_H_
