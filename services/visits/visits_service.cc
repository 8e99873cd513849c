#include "services/visits/visits_service.h"

#include "absl/container/flat_hash_map.h"
#include "absl/time/civil_time.h"
#include "common/call_identity.h"
#include "common/idempotency.h"
#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/visits/planning_input.h"
#include "services/visits/visits_validation.h"
#include "services/visits/weekend_planner.h"

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

// What the training service takes in one BatchCheckQualification.
constexpr size_t kMaxQualificationBatch = 1000;

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

grpc::ServerUnaryReactor* VisitsService::RegisterVisitor(grpc::CallbackServerContext* ctx,
                                                         const v1::RegisterVisitorRequest* req,
                                                         v1::RegisterVisitorResponse* resp) {
  return edge_.Unary(ctx, "RegisterVisitor", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRegisterVisitor(*req));
    const v1::Visitor& v = req->visitor();
    // Registering outside the caller's jurisdiction or for another organisation: that place does not exist
    // for them, the same answer as reading a record there.
    RETURN_IF_ERROR(RequireInScope(p, {v.home_village_code(), v.organisation_id()}, "division"));
    ASSIGN_OR_RETURN(*resp, store_.RegisterVisitor(edge_.Key("RegisterVisitor", p, req->request_id(), *req),
                                                   ActorOf(p, clock_.Now()), v));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::GetVisitor(grpc::CallbackServerContext* ctx,
                                                    const v1::GetVisitorRequest* req,
                                                    v1::GetVisitorResponse* resp) {
  return edge_.Unary(ctx, "GetVisitor", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->visitor_id(), "visitor_id"));
    ASSIGN_OR_RETURN(std::optional<v1::Visitor> visitor, store_.GetVisitor(req->visitor_id()));
    if (!visitor) return absl::NotFoundError("visitor not found");
    RETURN_IF_ERROR(RequireInScope(p, {visitor->home_village_code(), visitor->organisation_id()}, "visitor"));
    *resp->mutable_visitor() = *std::move(visitor);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::ListOverdueVisits(grpc::CallbackServerContext* ctx,
                                                           const v1::ListOverdueVisitsRequest* req,
                                                           v1::ListOverdueVisitsResponse* resp) {
  return edge_.Unary(ctx, "ListOverdueVisits", [=](const Principal& p) -> absl::Status {
    OverdueFilter filter;
    ASSIGN_OR_RETURN(filter.division_prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(filter.organisation_id, ScopedOrganisation(p, ""));
    ASSIGN_OR_RETURN(filter.page, ReadPageRequest(req->page_size(), req->page_token()));
    filter.today = ShanghaiDay(clock_.Now());
    ASSIGN_OR_RETURN(std::vector<CasePlan> plans, store_.ListOverdue(filter));
    for (const CasePlan& plan : plans) {
      *resp->add_plans() = ToProto(plan, NextVisitDue(cadence_, plan.standing, filter.today));
    }
    resp->set_next_page_token(
        NextPageToken(plans, filter.page.limit, [](const CasePlan& plan) { return plan.standing.case_id; }));
    return absl::OkStatus();
  });
}

absl::StatusOr<absl::flat_hash_set<std::string>> VisitsService::QualifiedVisitors(
    const grpc::CallbackServerContext& ctx, const std::vector<v1::Visitor>& visitors,
    absl::CivilDay day) const {
  absl::flat_hash_set<std::string> qualified;
  if (visitors.empty()) return qualified;
  if (visitors.size() > kMaxQualificationBatch) {
    return absl::FailedPreconditionError(
        "more visitors than one qualification check takes; plan a smaller area");
  }
  std::vector<std::string> participant_ids;
  absl::flat_hash_map<std::string, std::string> visitor_of;
  for (const v1::Visitor& v : visitors) {
    participant_ids.push_back(v.participant_id());
    visitor_of[v.participant_id()] = v.visitor_id();
  }
  ASSIGN_OR_RETURN(
      std::vector<training::v1::QualificationResult> results,
      training_.BatchCheckQualification(ForCaller(ctx), participant_ids, training::v1::ACTIVITY_HOME_VISIT,
                                        absl::FormatCivilTime(day)));
  for (const training::v1::QualificationResult& result : results) {
    auto visitor = visitor_of.find(result.participant_id());
    if (result.qualified() && visitor != visitor_of.end()) qualified.insert(visitor->second);
  }
  return qualified;
}

grpc::ServerUnaryReactor* VisitsService::PlanWeekend(grpc::CallbackServerContext* ctx,
                                                     const v1::PlanWeekendRequest* req,
                                                     v1::PlanWeekendResponse* resp) {
  return edge_.Unary(ctx, "PlanWeekend", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    ASSIGN_OR_RETURN(absl::CivilDay saturday, ParseWeekendDate(req->weekend_date(), "weekend_date"));
    ASSIGN_OR_RETURN(std::string prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(std::string organisation, ScopedOrganisation(p, ""));
    ASSIGN_OR_RETURN(std::vector<absl::CivilDay> days, calendar_.WeekendVisitDays(saturday));
    const absl::CivilDay last_day = days.empty() ? saturday + 1 : days.back();
    ASSIGN_OR_RETURN(std::vector<CasePlan> plans, store_.ListDueBy(prefix, organisation, last_day));
    CasesSeen cases_seen;
    for (const CasePlan& plan : plans) cases_seen[plan.standing.case_id] = plan.last_event_sequence;
    // Read before anyone is judged: a visitor taken off visits after this point is refused at the store.
    ASSIGN_OR_RETURN(VisitorReleases releases, store_.ReleasesIn(prefix, organisation));
    ASSIGN_OR_RETURN(std::vector<v1::Visitor> visitors, store_.ListVisitorsIn(prefix, organisation));
    // Asked for each visit day: a holiday's run of days can outlast a certificate or a background check.
    QualifiedByDay qualified;
    for (absl::CivilDay day : days) {
      ASSIGN_OR_RETURN(qualified[day], QualifiedVisitors(*ctx, visitors, day));
    }
    // A weekend planned before keeps its assignments; this plan places only what is still unassigned (new
    // cases, visitors freed since), so running it again changes nothing.
    const absl::CivilDay first_day = std::min(saturday, days.empty() ? saturday : days.front());
    ASSIGN_OR_RETURN(std::vector<v1::Assignment> already_assigned,
                     store_.ListAssignmentsIn(prefix, first_day, last_day));
    const int already_planned = AlreadyPlanned(plans, already_assigned);
    ASSIGN_OR_RETURN(WeekendPlan plan,
                     visits::PlanWeekend(BuildPlanningInput(cadence_, plans, visitors, std::move(qualified),
                                                            std::move(days), already_assigned)));
    v1::PlanWeekendResponse answer = PlanAnswer(plan, plans);
    answer.set_already_planned(already_planned);
    ASSIGN_OR_RETURN(*resp, store_.StoreWeekendPlan(edge_.Key("PlanWeekend", p, req->request_id(), *req),
                                                    ActorOf(p, clock_.Now()), first_day, last_day, releases,
                                                    cases_seen, std::move(answer)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::ListVisitorAssignments(grpc::CallbackServerContext* ctx,
                                                                const v1::ListVisitorAssignmentsRequest* req,
                                                                v1::ListVisitorAssignmentsResponse* resp) {
  return edge_.Unary(ctx, "ListVisitorAssignments", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->visitor_id(), "visitor_id"));
    ASSIGN_OR_RETURN(absl::CivilDay saturday, ParseWeekendDate(req->weekend_date(), "weekend_date"));
    ASSIGN_OR_RETURN(std::optional<v1::Visitor> visitor, store_.GetVisitor(req->visitor_id()));
    if (!visitor) return absl::NotFoundError("visitor not found");
    RETURN_IF_ERROR(RequireInScope(p, {visitor->home_village_code(), visitor->organisation_id()}, "visitor"));
    ASSIGN_OR_RETURN(std::vector<absl::CivilDay> days, calendar_.WeekendVisitDays(saturday));
    const absl::CivilDay last_day = days.empty() ? saturday + 1 : days.back();
    ASSIGN_OR_RETURN(
        std::vector<v1::Assignment> assignments,
        store_.ListAssignments(req->visitor_id(), days.empty() ? saturday : std::min(saturday, days.front()),
                               last_day));
    // What the visitor is asked to check on each household (verification after payment).
    std::vector<std::string> children;
    for (const v1::Assignment& a : assignments) children.push_back(a.child_id());
    ASSIGN_OR_RETURN(auto to_verify, field_.PaymentsToVerify(children));
    for (v1::Assignment& a : assignments) {
      for (v1::PaymentToVerify& payment : to_verify[a.child_id()]) *a.add_payments_to_verify() = payment;
      *resp->add_assignments() = std::move(a);
    }
    return absl::OkStatus();
  });
}

}  // namespace shouhu::visits
