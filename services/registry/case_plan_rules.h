// A case plan item's status, as a pure rule: planned -> in progress -> done, and cancelled from either open
// status. Done and cancelled are final; setting the status an item already has is no change
// (FAILED_PRECONDITION like any other step the item's status does not allow), so a retry with a new request
// id cannot silently re-stamp it.
#ifndef SHOUHU_SERVICES_REGISTRY_CASE_PLAN_RULES_H_
#define SHOUHU_SERVICES_REGISTRY_CASE_PLAN_RULES_H_

#include "absl/status/status.h"
#include "shouhu/registry/v1/casework_resources.pb.h"

namespace shouhu::registry {

absl::Status CheckPlanItemStep(v1::PlanItemStatus from, v1::PlanItemStatus to);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_CASE_PLAN_RULES_H_
