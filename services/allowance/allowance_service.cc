#include "services/allowance/allowance_service.h"

#include "common/event_stream.h"
#include "common/idempotency.h"
#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/allowance/allowance_access.h"
#include "services/allowance/allowance_rules.h"
#include "services/allowance/allowance_validation.h"
#include "services/allowance/ledger_cursor.h"
#include "services/allowance/monthly_roster_job.h"

namespace shouhu::allowance {
namespace {

using common::v1::ROLE_CIVIL_AFFAIRS_OFFICER;

// Why the allowance service reads a child's record, for the registry's access log.
constexpr char kEligibilityPurpose[] = "allowance eligibility check";

absl::Status RequireFunderCivilAffairs(const Principal& p, const v1::Program& program) {
  RETURN_IF_ERROR(RequireProgramVisible(p, program));
  if (!HasRole(p, ROLE_CIVIL_AFFAIRS_OFFICER) || !IsFunderOfficer(p, program)) {
    return absl::PermissionDeniedError("only the funder's civil-affairs officers decide on the program");
  }
  return absl::OkStatus();
}

ChildStanding StandingOf(const registry::v1::Child& child) {
  ChildStanding standing;
  standing.active = child.case_status() == registry::v1::CASE_STATUS_ACTIVE;
  standing.village_code = child.household().village_code();
  for (int c : child.categories()) standing.categories.push_back(c);
  return standing;
}

}  // namespace

absl::Status AllowanceService::RequireQualified(const std::string& organisation_id) const {
  ASSIGN_OR_RETURN(training::v1::QualificationResult result,
                   training_.CheckOrganisation(identity_.ForSelf(), organisation_id,
                                               absl::FormatCivilTime(ShanghaiDay(clock_.Now()))));
  if (!result.qualified()) {
    return absl::FailedPreconditionError("the organisation's qualification is not current");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Program> AllowanceService::VisibleProgram(const Principal& p,
                                                             const std::string& program_id) const {
  ASSIGN_OR_RETURN(std::optional<v1::Program> program, store_.GetProgram(program_id));
  if (!program) return absl::NotFoundError("program not found");
  RETURN_IF_ERROR(RequireProgramVisible(p, *program));
  return *std::move(program);
}

// ----------------------------------------------------------------------------------------------- programs

grpc::ServerUnaryReactor* AllowanceService::ProposeProgram(grpc::CallbackServerContext* ctx,
                                                           const v1::ProposeProgramRequest* req,
                                                           v1::ProposeProgramResponse* resp) {
  return edge_.Unary(ctx, "ProposeProgram", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateProposeProgram(*req));
    if (!InJurisdiction(p, req->program().jurisdiction())) return absl::NotFoundError("division not found");
    RETURN_IF_ERROR(RequireQualified(p.organisation_id()));
    ASSIGN_OR_RETURN(*resp->mutable_program(),
                     store_.ProposeProgram(edge_.Key("ProposeProgram", p, req->request_id(), *req),
                                           ActorOf(p, clock_.Now()), req->program()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::GetProgram(grpc::CallbackServerContext* ctx,
                                                       const v1::GetProgramRequest* req,
                                                       v1::GetProgramResponse* resp) {
  return edge_.Unary(ctx, "GetProgram", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->program_id(), "program_id"));
    ASSIGN_OR_RETURN(*resp->mutable_program(), VisibleProgram(p, req->program_id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ListPrograms(grpc::CallbackServerContext* ctx,
                                                         const v1::ListProgramsRequest* req,
                                                         v1::ListProgramsResponse* resp) {
  return edge_.Unary(ctx, "ListPrograms", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateEnumFilter(req->state(), v1::ProgramState_IsValid, "state"));
    ProgramFilter filter;
    ASSIGN_OR_RETURN(filter.division_prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(filter.page, ReadPageRequest(req->page_size(), req->page_token()));
    filter.state = req->state();
    ASSIGN_OR_RETURN(std::vector<v1::Program> programs, store_.ListPrograms(filter));
    resp->set_next_page_token(
        NextPageToken(programs, filter.page.limit, [](const v1::Program& x) { return x.program_id(); }));
    for (v1::Program& program : programs) {
      if (ProgramVisible(p, program)) *resp->add_programs() = std::move(program);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::AssessProgram(grpc::CallbackServerContext* ctx,
                                                          const v1::AssessProgramRequest* req,
                                                          v1::AssessProgramResponse* resp) {
  return edge_.Unary(ctx, "AssessProgram", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateAssessProgram(*req));
    Assessment assessment;
    assessment.scores.assign(req->scores().begin(), req->scores().end());
    assessment.reviewer = req->reviewer();
    assessment.accepted = req->accept();
    assessment.comment = req->comment();
    ASSIGN_OR_RETURN(
        *resp->mutable_program(),
        store_.AssessProgram(
            edge_.Key("AssessProgram", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
            req->program_id(),
            [&](const v1::Program& program) { return RequireFunderCivilAffairs(p, program); }, assessment));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::FundProgram(grpc::CallbackServerContext* ctx,
                                                        const v1::FundProgramRequest* req,
                                                        v1::FundProgramResponse* resp) {
  return edge_.Unary(ctx, "FundProgram", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->program_id(), "program_id"));
    ASSIGN_OR_RETURN(v1::Program program, VisibleProgram(p, req->program_id()));
    RETURN_IF_ERROR(RequireFunderCivilAffairs(p, program));
    // An organisation whose qualification lapsed receives no funds.
    RETURN_IF_ERROR(RequireQualified(program.operator_organisation_id()));
    ASSIGN_OR_RETURN(
        *resp->mutable_program(),
        store_.FundProgram(edge_.Key("FundProgram", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
                           req->program_id(),
                           [&](const v1::Program& locked) { return RequireFunderCivilAffairs(p, locked); }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ChangeProgramCaps(grpc::CallbackServerContext* ctx,
                                                              const v1::ChangeProgramCapsRequest* req,
                                                              v1::ChangeProgramCapsResponse* resp) {
  return edge_.Unary(ctx, "ChangeProgramCaps", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateChangeProgramCaps(*req));
    ASSIGN_OR_RETURN(v1::Program program, VisibleProgram(p, req->program_id()));
    RETURN_IF_ERROR(RequireFunderCivilAffairs(p, program));
    ASSIGN_OR_RETURN(*resp->mutable_program(),
                     store_.ChangeProgramCaps(
                         edge_.Key("ChangeProgramCaps", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
                         req->program_id(),
                         [&](const v1::Program& locked) { return RequireFunderCivilAffairs(p, locked); },
                         req->per_payment_cap_fen(), req->per_child_year_cap_fen(), req->reason()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::EvaluateProgram(grpc::CallbackServerContext* ctx,
                                                            const v1::EvaluateProgramRequest* req,
                                                            v1::EvaluateProgramResponse* resp) {
  return edge_.Unary(ctx, "EvaluateProgram", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateEvaluateProgram(*req));
    ASSIGN_OR_RETURN(*resp->mutable_program(),
                     store_.EvaluateProgram(
                         edge_.Key("EvaluateProgram", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
                         req->program_id(),
                         [&](const v1::Program& program) { return RequireFunderCivilAffairs(p, program); },
                         req->score(), req->summary()));
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------------------------------------- applications

grpc::ServerUnaryReactor* AllowanceService::SubmitApplication(grpc::CallbackServerContext* ctx,
                                                              const v1::SubmitApplicationRequest* req,
                                                              v1::SubmitApplicationResponse* resp) {
  return edge_.Unary(ctx, "SubmitApplication", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateSubmitApplication(*req));
    const std::vector<v1::InKindItem> items(req->items().begin(), req->items().end());
    ASSIGN_OR_RETURN(int64_t amount, ApplicationAmount(req->type(), req->amount_fen(), items));
    ASSIGN_OR_RETURN(v1::Program program, VisibleProgram(p, req->program_id()));
    // The registry answers the service itself (its own identity, scoped to the service's jurisdictions):
    // the caller may not see the child's whole record, and only the eligibility facts are used.
    absl::StatusOr<registry::v1::Child> child =
        registry_.GetChild(identity_.ForSelf(), req->child_id(), kEligibilityPurpose);
    if (child.status().code() == absl::StatusCode::kNotFound) return absl::NotFoundError("child not found");
    RETURN_IF_ERROR(child.status());
    const ChildStanding standing = StandingOf(*child);
    if (!InJurisdiction(p, standing.village_code)) return absl::NotFoundError("child not found");
    RETURN_IF_ERROR(CheckChildEligible(program, standing));

    v1::Application application;
    application.set_program_id(req->program_id());
    application.set_child_id(req->child_id());
    application.set_division_code(standing.village_code);
    application.set_type(req->type());
    application.set_amount_fen(amount);
    *application.mutable_items() = req->items();
    application.set_reason(req->reason());
    application.set_evidence_report_id(req->evidence_report_id());
    // A monthly application keeps the child's facts the allowance's rules judge by, read here anyway, so its
    // enrolment's first month can be judged when the application is paid, which is mostly before the roster
    // job takes the enrolment up. Unreadable, they are left to the take-up, which reports it.
    std::optional<LivingAllowanceChildFacts> living_allowance_child;
    if (req->type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) {
      if (absl::StatusOr<LivingAllowanceChildFacts> facts = LivingAllowanceFactsOf(*child); facts.ok()) {
        living_allowance_child = *facts;
      }
    }
    const absl::CivilDay today = ShanghaiDay(clock_.Now());
    ASSIGN_OR_RETURN(
        *resp->mutable_application(),
        store_.SubmitApplication(
            edge_.Key("SubmitApplication", p, req->request_id(), *req), ActorOf(p, clock_.Now()), application,
            [&](const v1::Program& current, int64_t committed) {
              return CheckProgramTakes(current, req->type(), amount, committed, today);
            },
            living_allowance_child));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::GetApplication(grpc::CallbackServerContext* ctx,
                                                           const v1::GetApplicationRequest* req,
                                                           v1::GetApplicationResponse* resp) {
  return edge_.Unary(ctx, "GetApplication", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->application_id(), "application_id"));
    ASSIGN_OR_RETURN(std::optional<v1::Application> application,
                     store_.GetApplication(req->application_id()));
    if (!application) return absl::NotFoundError("application not found");
    ASSIGN_OR_RETURN(std::optional<v1::Program> program, store_.GetProgram(application->program_id()));
    if (!program) return absl::NotFoundError("application not found");
    RETURN_IF_ERROR(RequireApplicationVisible(p, *application, *program));
    *resp->mutable_application() = *std::move(application);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ListApplications(grpc::CallbackServerContext* ctx,
                                                             const v1::ListApplicationsRequest* req,
                                                             v1::ListApplicationsResponse* resp) {
  return edge_.Unary(ctx, "ListApplications", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->program_id(), "program_id"));
    RETURN_IF_ERROR(ValidateEnumFilter(req->state(), v1::ApplicationState_IsValid, "state"));
    RETURN_IF_ERROR(ValidateEnumFilter(req->type(), v1::AllowanceType_IsValid, "type"));
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(req->page_size(), req->page_token()));
    ASSIGN_OR_RETURN(v1::Program program, VisibleProgram(p, req->program_id()));
    ASSIGN_OR_RETURN(std::vector<v1::Application> applications,
                     store_.ListApplications(req->program_id(), req->state(), req->type(), page));
    resp->set_next_page_token(
        NextPageToken(applications, page.limit, [](const v1::Application& a) { return a.application_id(); }));
    for (v1::Application& a : applications) {
      if (ApplicationVisible(p, a, program)) *resp->add_applications() = std::move(a);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ApproveApplication(grpc::CallbackServerContext* ctx,
                                                               const v1::ApproveApplicationRequest* req,
                                                               v1::ApproveApplicationResponse* resp) {
  return edge_.Unary(ctx, "ApproveApplication", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->application_id(), "application_id"));
    ASSIGN_OR_RETURN(*resp->mutable_application(),
                     store_.ApproveApplication(
                         edge_.Key("ApproveApplication", p, req->request_id(), *req),
                         ActorOf(p, clock_.Now()), req->application_id(),
                         [&](const v1::Application& a, const v1::Program& program) {
                           return RequireApplicationVisible(p, a, program);
                         },
                         [&](const v1::Application& a, const v1::Program& program) {
                           return DecideApproval(a, program, p);
                         }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::RejectApplication(grpc::CallbackServerContext* ctx,
                                                              const v1::RejectApplicationRequest* req,
                                                              v1::RejectApplicationResponse* resp) {
  return edge_.Unary(ctx, "RejectApplication", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRejectApplication(*req));
    ASSIGN_OR_RETURN(*resp->mutable_application(),
                     store_.CloseApplication(
                         edge_.Key("RejectApplication", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
                         req->application_id(),
                         [&](const v1::Application& a, const v1::Program& program) -> absl::Status {
                           RETURN_IF_ERROR(RequireApplicationVisible(p, a, program));
                           if (!MayDecide(p, program)) {
                             return absl::PermissionDeniedError(
                                 "only the operator's admin or the funder's officers reject");
                           }
                           return absl::OkStatus();
                         },
                         [&](const v1::Application& a) { return DecideRejection(a, p); }, req->reason()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::WithdrawApplication(grpc::CallbackServerContext* ctx,
                                                                const v1::WithdrawApplicationRequest* req,
                                                                v1::WithdrawApplicationResponse* resp) {
  return edge_.Unary(ctx, "WithdrawApplication", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->application_id(), "application_id"));
    ASSIGN_OR_RETURN(*resp->mutable_application(),
                     store_.CloseApplication(
                         edge_.Key("WithdrawApplication", p, req->request_id(), *req),
                         ActorOf(p, clock_.Now()), req->application_id(),
                         [&](const v1::Application& a, const v1::Program& program) {
                           return RequireApplicationVisible(p, a, program);
                         },
                         [&](const v1::Application& a) { return DecideWithdrawal(a, p); }, ""));
    return absl::OkStatus();
  });
}

// ----------------------------------------------------------------------------------------------- payments

grpc::ServerUnaryReactor* AllowanceService::PayApplication(grpc::CallbackServerContext* ctx,
                                                           const v1::PayApplicationRequest* req,
                                                           v1::PayApplicationResponse* resp) {
  // Checked where the call arrives (nothing here blocks: no database, no other service), then paid by the
  // payment queue's group commit, whose committer answers the call once the payment is durable. No call
  // worker is held, so a batch carries every payment in flight (issue 11: at 64 callers and 16 workers,
  // 9 payments a batch when a worker waited for the commit), and none is woken (the hand-off to a worker
  // and back cost about a tenth of the service's CPU per payment).
  return edge_.UnaryQueued(ctx, "PayApplication", [=](const Principal& p, CallWorkers::Finish finish) {
    if (absl::Status valid = ValidatePayApplication(*req); !valid.ok()) return finish(valid);
    PaymentOrder order;
    order.key = edge_.Key("PayApplication", p, req->request_id(), *req);
    order.actor = ActorOf(p, clock_.Now());
    order.application_id = req->application_id();
    // Runs on the queue's committer after this worker has moved on: it owns its principal.
    order.authorize = [p](const v1::Application& a, const v1::Program& program) -> absl::Status {
      RETURN_IF_ERROR(RequireApplicationVisible(p, a, program));
      if (!MayPay(p, program)) {
        return absl::PermissionDeniedError("only the operator's admin or the funder's finance officer pays");
      }
      return absl::OkStatus();
    };
    order.method = req->method();
    order.payee_reference = req->payee_reference();
    payments_.Submit(std::move(order), [resp, finish = std::move(finish)](absl::StatusOr<v1::Payment> paid) {
      if (!paid.ok()) return finish(paid.status());
      *resp->mutable_payment() = *std::move(paid);
      finish(absl::OkStatus());
    });
  });
}

grpc::ServerUnaryReactor* AllowanceService::RecordPaymentOutcome(grpc::CallbackServerContext* ctx,
                                                                 const v1::RecordPaymentOutcomeRequest* req,
                                                                 v1::RecordPaymentOutcomeResponse* resp) {
  return edge_.Unary(ctx, "RecordPaymentOutcome", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordPaymentOutcome(*req));
    ASSIGN_OR_RETURN(
        *resp->mutable_payment(),
        store_.RecordPaymentOutcome(
            edge_.Key("RecordPaymentOutcome", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
            req->payment_id(),
            [&](const v1::Payment& payment, const v1::Program& program) -> absl::Status {
              RETURN_IF_ERROR(RequirePaymentVisible(p, payment, program));
              if (!MayRecordOutcome(p, program)) {
                return absl::PermissionDeniedError(
                    "only the funder's finance officer or the bank integration records outcomes");
              }
              return absl::OkStatus();
            },
            req->outcome(), req->reason(), req->attempt(), max_payment_attempts_));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::GetPayment(grpc::CallbackServerContext* ctx,
                                                       const v1::GetPaymentRequest* req,
                                                       v1::GetPaymentResponse* resp) {
  return edge_.Unary(ctx, "GetPayment", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->payment_id(), "payment_id"));
    ASSIGN_OR_RETURN(std::optional<v1::Payment> payment, store_.GetPayment(req->payment_id()));
    if (!payment) return absl::NotFoundError("payment not found");
    ASSIGN_OR_RETURN(std::optional<v1::Program> program, store_.GetProgram(payment->program_id()));
    if (!program) return absl::NotFoundError("payment not found");
    RETURN_IF_ERROR(RequirePaymentVisible(p, *payment, *program));
    *resp->mutable_payment() = *std::move(payment);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ListPayments(grpc::CallbackServerContext* ctx,
                                                         const v1::ListPaymentsRequest* req,
                                                         v1::ListPaymentsResponse* resp) {
  return edge_.Unary(ctx, "ListPayments", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->application_id(), "application_id"));
    ASSIGN_OR_RETURN(std::optional<v1::Application> application,
                     store_.GetApplication(req->application_id()));
    if (!application) return absl::NotFoundError("application not found");
    ASSIGN_OR_RETURN(std::optional<v1::Program> program, store_.GetProgram(application->program_id()));
    if (!program) return absl::NotFoundError("application not found");
    RETURN_IF_ERROR(RequireApplicationVisible(p, *application, *program));
    ASSIGN_OR_RETURN(std::vector<v1::Payment> payments, store_.ListPayments(req->application_id()));
    for (v1::Payment& payment : payments) *resp->add_payments() = std::move(payment);
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------------------------------------------- ledger

grpc::ServerUnaryReactor* AllowanceService::ListLedgerEntries(grpc::CallbackServerContext* ctx,
                                                              const v1::ListLedgerEntriesRequest* req,
                                                              v1::ListLedgerEntriesResponse* resp) {
  return edge_.Unary(ctx, "ListLedgerEntries", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->program_id(), "program_id"));
    ASSIGN_OR_RETURN(int limit, ReadPageSize(req->page_size()));
    ASSIGN_OR_RETURN(LedgerCursor after, ReadLedgerCursor(req->page_token()));
    ASSIGN_OR_RETURN(v1::Program program, VisibleProgram(p, req->program_id()));
    ASSIGN_OR_RETURN(LedgerPage page, store_.ListLedgerEntries(req->program_id(), after, limit));
    resp->set_resume_token(LedgerCursorToken(page.next));
    if (static_cast<int>(page.entries.size()) == limit) resp->set_next_page_token(resp->resume_token());
    for (v1::LedgerEntry& e : page.entries) *resp->add_entries() = std::move(e);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ReconcileProgram(grpc::CallbackServerContext* ctx,
                                                             const v1::ReconcileProgramRequest* req,
                                                             v1::ReconcileProgramResponse* resp) {
  return edge_.Unary(ctx, "ReconcileProgram", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->program_id(), "program_id"));
    ASSIGN_OR_RETURN(v1::Program program, VisibleProgram(p, req->program_id()));
    ASSIGN_OR_RETURN(ReconcileResult result, store_.ReconcileProgram(req->program_id(), clock_.Now()));
    const Reconciliation& r = result.reconciliation;
    resp->set_balanced(r.balanced);
    for (const std::string& problem : r.problems) resp->add_problems(problem);
    *resp->mutable_cached() = ToProto(r.cached);
    *resp->mutable_ledger() = ToProto(r.ledger);
    for (const auto& [account, balance] : result.sums.by_account) {
      v1::AccountBalance* b = resp->add_accounts();
      b->set_account(static_cast<v1::LedgerAccount>(account));
      b->set_balance_fen(balance);
    }
    resp->set_entry_count(result.sums.entry_count);
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::StreamEventsResponse>* AllowanceService::StreamEvents(
    grpc::CallbackServerContext* ctx, const v1::StreamEventsRequest* req) {
  return ServeEventStream<v1::StreamEventsResponse>(ctx, req->after_sequence(), store_.event_feed(), [=] {
    return edge_.Admit(*ctx, "StreamEvents").status();
  });
}

}  // namespace shouhu::allowance
