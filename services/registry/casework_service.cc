#include "services/registry/casework_service.h"

#include "common/grpc_status.h"
#include "common/idempotency.h"
#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "common/validation.h"
#include "services/registry/casework_validation.h"
#include "services/registry/logged_read.h"
#include "services/registry/registry_access.h"

namespace shouhu::registry {
namespace {

using common::v1::ROLE_CIVIL_AFFAIRS_OFFICER;
using common::v1::ROLE_TOWNSHIP_SUPERVISOR;

// The caller may act on the case: within their jurisdiction and, for NGO staff, their organisation's.
Authorize<v1::Case> InCaseScope(const Principal& p) {
  return [&p](const v1::Case& c) { return RequireInScope(p, CaseScope(c), "case"); };
}

// A record of a case is seen where its case is; outside scope it does not exist.
template <typename Record>
absl::Status RequireVisible(const Principal& p, const std::optional<OfCase<Record>>& found,
                            absl::string_view kind) {
  if (!found) return absl::NotFoundError(absl::StrCat(kind, " not found"));
  return RequireInScope(p, CaseScope(found->owner), kind);
}

// A casework record shown to `p`, as the access log keeps it: a read of the case's child.
AccessRecord ReadOfChild(const Principal& p, const v1::Case& owner, std::string fields, std::string purpose,
                         const char* method) {
  return Access(p, "child", owner.child_id(), owner.village_code(), std::move(fields), std::move(purpose),
                method);
}

}  // namespace

grpc::ServerUnaryReactor* CaseworkService::PublishInstrument(grpc::CallbackServerContext* ctx,
                                                             const v1::PublishInstrumentRequest* req,
                                                             v1::PublishInstrumentResponse* resp) {
  return edge_.Unary(ctx, "PublishInstrument", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidatePublishInstrument(*req));
    ASSIGN_OR_RETURN(*resp->mutable_instrument(),
                     store_.PublishInstrument(edge_.Key("PublishInstrument", p, req->request_id(), *req),
                                              ActorOf(p, clock_.Now()), req->instrument()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseworkService::GetInstrument(grpc::CallbackServerContext* ctx,
                                                         const v1::GetInstrumentRequest* req,
                                                         v1::GetInstrumentResponse* resp) {
  return edge_.Unary(ctx, "GetInstrument", [=](const Principal&) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->instrument_id(), "instrument_id"));
    ASSIGN_OR_RETURN(std::optional<v1::Instrument> instrument, store_.GetInstrument(req->instrument_id()));
    // Instruments are region-wide reference data, like the division table: not row-scoped.
    if (!instrument) return absl::NotFoundError("instrument not found");
    *resp->mutable_instrument() = *std::move(instrument);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseworkService::CreateAssessment(grpc::CallbackServerContext* ctx,
                                                            const v1::CreateAssessmentRequest* req,
                                                            v1::CreateAssessmentResponse* resp) {
  return edge_.Unary(ctx, "CreateAssessment", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateCreateAssessment(*req));
    ASSIGN_OR_RETURN(*resp->mutable_assessment(),
                     store_.CreateAssessment(edge_.Key("CreateAssessment", p, req->request_id(), *req),
                                             ActorOf(p, clock_.Now()), req->case_id(), req->instrument_id(),
                                             req->answers(), req->note(), InCaseScope(p)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseworkService::GetAssessment(grpc::CallbackServerContext* ctx,
                                                         const v1::GetAssessmentRequest* req,
                                                         v1::GetAssessmentResponse* resp) {
  // What an assessment records (the child's answers, the caseworker's notes) is the child's personal data:
  // logged as a read of the child before the answer leaves.
  return LoggedRead(edge_, access_log_, ctx, "GetAssessment", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateRecordId(req->assessment_id(), "assessment_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->purpose(), "purpose", kMaxPurposeChars));
    ASSIGN_OR_RETURN(auto found, store_.GetAssessment(req->assessment_id()));
    RETURN_IF_ERROR(RequireVisible(p, found, "assessment"));
    std::vector<AccessRecord> shown = {
        ReadOfChild(p, found->owner, "assessment", req->purpose(), "GetAssessment")};
    *resp->mutable_assessment() = std::move(found->record);
    return shown;
  });
}

grpc::ServerUnaryReactor* CaseworkService::CreateCasePlan(grpc::CallbackServerContext* ctx,
                                                          const v1::CreateCasePlanRequest* req,
                                                          v1::CreateCasePlanResponse* resp) {
  return edge_.Unary(ctx, "CreateCasePlan", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateCreateCasePlan(*req));
    v1::CasePlan plan;
    *plan.mutable_goals() = req->goals();
    *plan.mutable_items() = req->items();
    ASSIGN_OR_RETURN(*resp->mutable_plan(),
                     store_.CreateCasePlan(edge_.Key("CreateCasePlan", p, req->request_id(), *req),
                                           ActorOf(p, clock_.Now()), req->case_id(), plan, InCaseScope(p)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseworkService::GetCasePlan(grpc::CallbackServerContext* ctx,
                                                       const v1::GetCasePlanRequest* req,
                                                       v1::GetCasePlanResponse* resp) {
  // As GetAssessment.
  return LoggedRead(edge_, access_log_, ctx, "GetCasePlan", [=](const Principal& p) -> ShownRecords {
    if (req->plan_id().empty() == req->case_id().empty()) {
      return InvalidField("plan_id", "name either a plan_id or a case_id");
    }
    RETURN_IF_ERROR(ValidateMeaningfulText(req->purpose(), "purpose", kMaxPurposeChars));
    std::optional<OfCase<v1::CasePlan>> found;
    if (!req->plan_id().empty()) {
      RETURN_IF_ERROR(ValidateRecordId(req->plan_id(), "plan_id"));
      ASSIGN_OR_RETURN(found, store_.GetCasePlan(req->plan_id()));
    } else {
      RETURN_IF_ERROR(ValidateRecordId(req->case_id(), "case_id"));
      ASSIGN_OR_RETURN(found, store_.GetCurrentPlan(req->case_id()));
    }
    RETURN_IF_ERROR(RequireVisible(p, found, "plan"));
    std::vector<AccessRecord> shown = {
        ReadOfChild(p, found->owner, "case_plan", req->purpose(), "GetCasePlan")};
    *resp->mutable_plan() = std::move(found->record);
    return shown;
  });
}

grpc::ServerUnaryReactor* CaseworkService::UpdatePlanItemStatus(grpc::CallbackServerContext* ctx,
                                                                const v1::UpdatePlanItemStatusRequest* req,
                                                                v1::UpdatePlanItemStatusResponse* resp) {
  return edge_.Unary(ctx, "UpdatePlanItemStatus", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->item_id(), "item_id"));
    RETURN_IF_ERROR(ValidateRequiredEnum(req->status(), v1::PlanItemStatus_IsValid, "status"));
    ASSIGN_OR_RETURN(
        *resp->mutable_item(),
        store_.UpdatePlanItemStatus(edge_.Key("UpdatePlanItemStatus", p, req->request_id(), *req),
                                    ActorOf(p, clock_.Now()), req->item_id(), req->status(), InCaseScope(p)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseworkService::RequestCaseClosure(grpc::CallbackServerContext* ctx,
                                                              const v1::RequestCaseClosureRequest* req,
                                                              v1::RequestCaseClosureResponse* resp) {
  return edge_.Unary(ctx, "RequestCaseClosure", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->case_id(), "case_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxCaseworkTextChars));
    ASSIGN_OR_RETURN(
        *resp->mutable_closure(),
        store_.RequestClosure(edge_.Key("RequestCaseClosure", p, req->request_id(), *req),
                              ActorOf(p, clock_.Now()), req->case_id(), req->reason(), InCaseScope(p)));
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Review> CaseworkService::Step(const Principal& p, const google::protobuf::Message& request,
                                                 absl::string_view method, const std::string& request_id,
                                                 const std::string& item_id, ReviewStep step,
                                                 const std::string& detail) {
  return store_.TakeReviewStep(edge_.Key(method, p, request_id, request), ActorOf(p, clock_.Now()), item_id,
                               step, detail, InCaseScope(p));
}

grpc::ServerUnaryReactor* CaseworkService::SubmitForReview(grpc::CallbackServerContext* ctx,
                                                           const v1::SubmitForReviewRequest* req,
                                                           v1::SubmitForReviewResponse* resp) {
  return edge_.Unary(ctx, "SubmitForReview", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateReviewStep(req->request_id(), req->item_id(), "", false));
    ASSIGN_OR_RETURN(*resp->mutable_review(), Step(p, *req, "SubmitForReview", req->request_id(),
                                                   req->item_id(), ReviewStep::kSubmit, ""));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseworkService::CheckReview(grpc::CallbackServerContext* ctx,
                                                       const v1::CheckReviewRequest* req,
                                                       v1::CheckReviewResponse* resp) {
  return edge_.Unary(ctx, "CheckReview", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateReviewStep(req->request_id(), req->item_id(), req->note(), false));
    ASSIGN_OR_RETURN(*resp->mutable_review(), Step(p, *req, "CheckReview", req->request_id(), req->item_id(),
                                                   ReviewStep::kTownshipCheck, req->note()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseworkService::ConfirmReview(grpc::CallbackServerContext* ctx,
                                                         const v1::ConfirmReviewRequest* req,
                                                         v1::ConfirmReviewResponse* resp) {
  return edge_.Unary(ctx, "ConfirmReview", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateReviewStep(req->request_id(), req->item_id(), req->note(), false));
    ASSIGN_OR_RETURN(*resp->mutable_review(), Step(p, *req, "ConfirmReview", req->request_id(),
                                                   req->item_id(), ReviewStep::kCountyConfirm, req->note()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseworkService::ReturnForRevision(grpc::CallbackServerContext* ctx,
                                                             const v1::ReturnForRevisionRequest* req,
                                                             v1::ReturnForRevisionResponse* resp) {
  return edge_.Unary(ctx, "ReturnForRevision", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateReviewStep(req->request_id(), req->item_id(), req->reason(), true));
    ASSIGN_OR_RETURN(*resp->mutable_review(), Step(p, *req, "ReturnForRevision", req->request_id(),
                                                   req->item_id(), ReviewStep::kReturn, req->reason()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseworkService::ListOverdueAssessments(
    grpc::CallbackServerContext* ctx, const v1::ListOverdueAssessmentsRequest* req,
    v1::ListOverdueAssessmentsResponse* resp) {
  return edge_.Unary(ctx, "ListOverdueAssessments", [=](const Principal& p) -> absl::Status {
    absl::CivilDay as_of = ShanghaiDay(clock_.Now());
    if (!req->as_of().empty()) {
      ASSIGN_OR_RETURN(as_of, ParseDay(req->as_of(), "as_of"));
    }
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(req->page_size(), req->page_token()));
    ASSIGN_OR_RETURN(std::string prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(std::string organisation, ScopedOrganisation(p, ""));
    // Overdue on a day: due by the end of an earlier day.
    OverdueFilter filter{prefix, organisation, absl::FromCivil(as_of, ShanghaiTimeZone()), page.after_id,
                         page.limit};
    ASSIGN_OR_RETURN(auto due, store_.ListOverdueAssessments(filter));
    resp->set_next_page_token(
        NextPageToken(due, page.limit, [](const v1::DueAssessment& d) { return d.case_id(); }));
    for (auto& d : due) *resp->add_assessments() = std::move(d);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseworkService::ListTasks(grpc::CallbackServerContext* ctx,
                                                     const v1::ListTasksRequest* req,
                                                     v1::ListTasksResponse* resp) {
  return edge_.Unary(ctx, "ListTasks", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequiredEnum(req->audience(), v1::TaskAudience_IsValid, "audience"));
    if (req->horizon_days() < 0 || req->horizon_days() > kMaxHorizonDays) {
      return InvalidField("horizon_days", "must be 0-90");
    }
    TaskQuery query;
    query.audience = req->audience();
    // Who reviews what: the township checks submitted items, the county confirms checked ones.
    if (req->audience() == v1::TASK_AUDIENCE_SUPERVISOR) {
      if (HasRole(p, ROLE_TOWNSHIP_SUPERVISOR)) {
        query.awaiting = v1::REVIEW_STATE_SUBMITTED;
      } else if (HasRole(p, ROLE_CIVIL_AFFAIRS_OFFICER)) {
        query.awaiting = v1::REVIEW_STATE_TOWNSHIP_CHECKED;
      } else {
        return absl::PermissionDeniedError(
            "the supervisor's list is for township supervisors and county officers");
      }
    } else if (req->audience() == v1::TASK_AUDIENCE_COUNTY) {
      if (!HasRole(p, ROLE_CIVIL_AFFAIRS_OFFICER)) {
        return absl::PermissionDeniedError("the county's list is for civil-affairs officers");
      }
      query.awaiting = v1::REVIEW_STATE_TOWNSHIP_CHECKED;
    }
    ASSIGN_OR_RETURN(int limit, ReadPageSize(req->page_size()));
    RETURN_IF_ERROR(ReadTaskPageToken(req->page_token(), query));
    ASSIGN_OR_RETURN(query.division_prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(query.organisation_id, ScopedOrganisation(p, ""));
    query.subject = p.subject();
    query.now = clock_.Now();
    query.horizon_end = query.now + absl::Hours(24) * (req->horizon_days() == 0 ? 7 : req->horizon_days());
    query.limit = limit;
    ASSIGN_OR_RETURN(std::vector<v1::Task> tasks, store_.ListTasks(query));
    if (!tasks.empty() && static_cast<int>(tasks.size()) == limit) {
      resp->set_next_page_token(TaskPageToken(tasks.back()));
    }
    for (auto& t : tasks) *resp->add_tasks() = std::move(t);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseworkService::CompleteTask(grpc::CallbackServerContext* ctx,
                                                        const v1::CompleteTaskRequest* req,
                                                        v1::CompleteTaskResponse* resp) {
  return edge_.Unary(ctx, "CompleteTask", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    ASSIGN_OR_RETURN(auto task, ParseTaskId(req->task_id(), "task_id"));
    if (task.first != v1::TASK_KIND_VISIT_DANGER_SIGNS &&
        task.first != v1::TASK_KIND_VISIT_CHECK_OUT_MISSING) {
      return InvalidField("task_id", "names a task that ends when its record moves, not by completing it");
    }
    RETURN_IF_ERROR(ValidateMeaningfulText(req->note(), "note", kMaxCaseworkTextChars));
    ASSIGN_OR_RETURN(
        *resp->mutable_task(),
        store_.CompleteFollowUp(edge_.Key("CompleteTask", p, req->request_id(), *req),
                                ActorOf(p, clock_.Now()), task.second, req->note(), InCaseScope(p)));
    return absl::OkStatus();
  });
}

}  // namespace shouhu::registry
