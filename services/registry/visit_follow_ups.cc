#include "services/registry/visit_follow_ups.h"

#include "common/timestamps.h"
#include "shouhu/visits/v1/events.pb.h"

namespace shouhu::registry {

std::optional<VisitFollowUp> FollowUpFor(const common::v1::Event& event) {
  // Due from when it happened on the visit, not from when this service learned of it.
  const absl::Time occurred = FromProtoTimestamp(event.occurred_at());
  const auto& payload = event.payload();
  if (payload.Is<visits::v1::DangerSignsRaised>()) {
    visits::v1::DangerSignsRaised e;
    if (!payload.UnpackTo(&e) || e.case_id().empty() || e.report_id().empty()) return std::nullopt;
    return VisitFollowUp{e.report_id(),
                         v1::TASK_KIND_VISIT_DANGER_SIGNS,
                         e.case_id(),
                         occurred + kDangerSignsResponse,
                         "",
                         ""};
  }
  if (payload.Is<visits::v1::VisitCheckOutMissing>()) {
    visits::v1::VisitCheckOutMissing e;
    if (!payload.UnpackTo(&e) || e.case_id().empty() || e.assignment_id().empty()) return std::nullopt;
    VisitFollowUp follow_up{e.assignment_id(),
                            v1::TASK_KIND_VISIT_CHECK_OUT_MISSING,
                            e.case_id(),
                            occurred + kMissingCheckOutResponse,
                            "",
                            ""};
    if (!e.division_code().empty() && !e.organisation_id().empty()) {
      follow_up.village_code = e.division_code();
      follow_up.organisation_id = e.organisation_id();
    }
    return follow_up;
  }
  return std::nullopt;
}

}  // namespace shouhu::registry
