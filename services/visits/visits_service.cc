#include "services/visits/visits_service.h"

#include "absl/time/civil_time.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/validation.h"

namespace shouhu::visits {
namespace {

v1::RiskLevel ToProtoRisk(RiskLevel risk) { return static_cast<v1::RiskLevel>(static_cast<int>(risk) + 1); }

v1::VisitKind ToProtoKind(VisitKind kind) {
  return kind == VisitKind::kVerification ? v1::VISIT_KIND_VERIFICATION : v1::VISIT_KIND_FOLLOW_UP;
}

v1::VisitPlan ToProto(const CasePlan& plan, const std::optional<VisitDue>& next) {
  v1::VisitPlan out;
  out.set_child_id(plan.standing.child_id);
  out.set_case_id(plan.standing.case_id);
  out.set_organisation_id(plan.organisation_id);
  out.set_village_code(plan.village_code);
  out.set_risk_level(ToProtoRisk(plan.standing.risk));
  out.set_open(plan.standing.open);
  if (plan.standing.last_completed_visit) {
    out.set_last_completed_visit_date(absl::FormatCivilTime(*plan.standing.last_completed_visit));
  }
  if (next) {
    v1::DueVisit* due = out.mutable_next_visit();
    due->set_due_date(absl::FormatCivilTime(next->due_day));
    due->set_kind(ToProtoKind(next->kind));
    due->set_overdue_days(next->overdue_days);
  }
  return out;
}

}  // namespace

grpc::ServerUnaryReactor* VisitsService::GetChildVisitPlan(grpc::CallbackServerContext* ctx,
                                                           const v1::GetChildVisitPlanRequest* req,
                                                           v1::GetChildVisitPlanResponse* resp) {
  return edge_.Unary(ctx, "GetChildVisitPlan", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->child_id(), "child_id"));
    ASSIGN_OR_RETURN(std::optional<CasePlan> plan, store_.GetChildPlan(req->child_id()));
    if (!plan) return absl::NotFoundError("visit plan not found");
    RETURN_IF_ERROR(RequireInScope(p, {plan->village_code, plan->organisation_id}, "visit plan"));
    *resp->mutable_plan() = ToProto(*plan, NextVisitDue(cadence_, plan->standing, ShanghaiDay(clock_.Now())));
    return absl::OkStatus();
  });
}

}  // namespace shouhu::visits
