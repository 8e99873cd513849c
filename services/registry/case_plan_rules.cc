#include "services/registry/case_plan_rules.h"

#include "absl/strings/str_cat.h"

namespace shouhu::registry {

absl::Status CheckPlanItemStep(v1::PlanItemStatus from, v1::PlanItemStatus to) {
  bool allowed = false;
  switch (from) {
    case v1::PLAN_ITEM_STATUS_PLANNED:
      allowed = to == v1::PLAN_ITEM_STATUS_IN_PROGRESS || to == v1::PLAN_ITEM_STATUS_DONE ||
                to == v1::PLAN_ITEM_STATUS_CANCELLED;
      break;
    case v1::PLAN_ITEM_STATUS_IN_PROGRESS:
      allowed = to == v1::PLAN_ITEM_STATUS_DONE || to == v1::PLAN_ITEM_STATUS_CANCELLED;
      break;
    default:
      break;
  }
  if (allowed) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("a plan item that is ", v1::PlanItemStatus_Name(from),
                                                    " cannot become ", v1::PlanItemStatus_Name(to)));
}

}  // namespace shouhu::registry
