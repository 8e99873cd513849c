// The edge of the monthly basic living allowance, the forecast and the report: AllowanceService's last
// methods (monthly_cycles.proto), kept beside the core's allowance_service.cc. Validate, authorize on the
// locked rows through the store's checks, map Status at ServiceEdge.
#include "absl/strings/str_cat.h"
#include "common/call_identity.h"
#include "common/idempotency.h"
#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/allowance/allowance_access.h"
#include "services/allowance/allowance_rules.h"
#include "services/allowance/allowance_service.h"
#include "services/allowance/monthly_amounts.h"
#include "services/allowance/monthly_roster_job.h"

namespace shouhu::allowance {
namespace {

// Why the allowance service reads a child's record when a school proof is recorded.
constexpr char kSchoolProofPurpose[] = "monthly living allowance: school proof past 18";
// The widest report: three years of months.
constexpr int kMaxReportMonths = 36;
// The reason given for a change of a monthly amount (monthly_amount_changes.reason, migration 0120).
constexpr size_t kMaxAmountChangeReasonChars = 500;

// An arrears claim's year: 0 (the earliest owed) or one the allowance could have paid months of.
absl::Status ValidateArrearsYear(int32_t year) {
  if (year != 0 && (year < 2000 || year > 2100)) {
    return InvalidField("year", "must be between 2000 and 2100, or unset for the earliest year owed");
  }
  return absl::OkStatus();
}

// "YYYY-MM" → a month, or INVALID_ARGUMENT naming `field`.
absl::StatusOr<absl::CivilMonth> ParseMonth(absl::string_view text, absl::string_view field) {
  if (text.size() != 7 || text[4] != '-') return InvalidField(field, "must be YYYY-MM");
  ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(absl::StrCat(text, "-01"), field));
  return absl::CivilMonth(day);
}

// The kind a change of a monthly amount is made for: none when unset; INVALID_ARGUMENT naming `kind` for a
// value this service does not know.
absl::StatusOr<std::optional<LivingAllowanceKind>> OptionalLivingAllowanceKind(v1::LivingAllowanceKind kind) {
  switch (kind) {
    case v1::LIVING_ALLOWANCE_KIND_UNSPECIFIED:
      return std::nullopt;
    case v1::LIVING_ALLOWANCE_KIND_ORPHAN:
      return LivingAllowanceKind::kOrphan;
    case v1::LIVING_ALLOWANCE_KIND_DE_FACTO_UNSUPPORTED:
      return LivingAllowanceKind::kDeFactoUnsupported;
    default:
      return InvalidField("kind", "not a kind of basic living allowance");
  }
}

absl::Status RequireMayDecide(const Principal& p, const v1::Program& program) {
  RETURN_IF_ERROR(RequireProgramVisible(p, program));
  if (!MayDecide(p, program)) {
    return absl::PermissionDeniedError("only the operator's admin or the funder's officers decide on cycles");
  }
  return absl::OkStatus();
}

// Outside the caller's scope an enrolment is not found, as its program is not (DESIGN §3).
absl::Status EnrolmentNotFoundOutside(absl::Status status) {
  if (absl::IsNotFound(status)) return absl::NotFoundError("enrolment not found");
  return status;
}

absl::Status RequireMayPay(const Principal& p, const v1::Program& program) {
  RETURN_IF_ERROR(RequireProgramVisible(p, program));
  if (!MayPay(p, program)) {
    return absl::PermissionDeniedError("only the operator's admin or the funder's finance officer pays");
  }
  return absl::OkStatus();
}

}  // namespace

#define SHOUHU_REQUIRE_CYCLES() \
  if (cycles_ == nullptr)       \
  return absl::FailedPreconditionError("monthly cycles are not served by this process")

grpc::ServerUnaryReactor* AllowanceService::GetMonthlyCycle(grpc::CallbackServerContext* ctx,
                                                            const v1::GetMonthlyCycleRequest* req,
                                                            v1::GetMonthlyCycleResponse* resp) {
  return edge_.Unary(ctx, "GetMonthlyCycle", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRecordId(req->cycle_id(), "cycle_id"));
    ASSIGN_OR_RETURN(std::optional<v1::MonthlyCycle> cycle, cycles_->GetCycle(req->cycle_id()));
    if (!cycle) return absl::NotFoundError("cycle not found");
    absl::StatusOr<v1::Program> program = VisibleProgram(p, cycle->program_id());
    if (!program.ok()) return absl::NotFoundError("cycle not found");
    *resp->mutable_cycle() = *std::move(cycle);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ListMonthlyCycles(grpc::CallbackServerContext* ctx,
                                                              const v1::ListMonthlyCyclesRequest* req,
                                                              v1::ListMonthlyCyclesResponse* resp) {
  return edge_.Unary(ctx, "ListMonthlyCycles", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRecordId(req->program_id(), "program_id"));
    RETURN_IF_ERROR(VisibleProgram(p, req->program_id()).status());
    ASSIGN_OR_RETURN(std::vector<v1::MonthlyCycle> cycles, cycles_->ListCycles(req->program_id()));
    for (v1::MonthlyCycle& c : cycles) *resp->add_cycles() = std::move(c);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ListRosterLines(grpc::CallbackServerContext* ctx,
                                                            const v1::ListRosterLinesRequest* req,
                                                            v1::ListRosterLinesResponse* resp) {
  return edge_.Unary(ctx, "ListRosterLines", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRecordId(req->cycle_id(), "cycle_id"));
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(req->page_size(), req->page_token()));
    ASSIGN_OR_RETURN(std::optional<v1::MonthlyCycle> cycle, cycles_->GetCycle(req->cycle_id()));
    if (!cycle || !VisibleProgram(p, cycle->program_id()).ok()) return absl::NotFoundError("cycle not found");
    ASSIGN_OR_RETURN(std::vector<v1::RosterLine> lines,
                     cycles_->ListLines(req->cycle_id(), page.after_id, page.limit));
    resp->set_next_page_token(
        NextPageToken(lines, page.limit, [](const v1::RosterLine& l) { return l.enrolment_id(); }));
    for (v1::RosterLine& l : lines) *resp->add_lines() = std::move(l);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::SubmitMonthlyCycle(grpc::CallbackServerContext* ctx,
                                                               const v1::SubmitMonthlyCycleRequest* req,
                                                               v1::SubmitMonthlyCycleResponse* resp) {
  return edge_.Unary(ctx, "SubmitMonthlyCycle", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->cycle_id(), "cycle_id"));
    ASSIGN_OR_RETURN(*resp->mutable_cycle(),
                     cycles_->SubmitCycle(edge_.Key("SubmitMonthlyCycle", p, req->request_id(), *req),
                                          ActorOf(p, clock_.Now()), req->cycle_id(),
                                          [&](const v1::MonthlyCycle&, const v1::Program& program) {
                                            return RequireMayDecide(p, program);
                                          }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ApproveMonthlyCycle(grpc::CallbackServerContext* ctx,
                                                                const v1::ApproveMonthlyCycleRequest* req,
                                                                v1::ApproveMonthlyCycleResponse* resp) {
  return edge_.Unary(ctx, "ApproveMonthlyCycle", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->cycle_id(), "cycle_id"));
    ASSIGN_OR_RETURN(*resp->mutable_cycle(),
                     cycles_->ApproveCycle(edge_.Key("ApproveMonthlyCycle", p, req->request_id(), *req),
                                           ActorOf(p, clock_.Now()), req->cycle_id(),
                                           [&](const v1::MonthlyCycle&, const v1::Program& program) {
                                             return RequireMayDecide(p, program);
                                           }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::RejectMonthlyCycle(grpc::CallbackServerContext* ctx,
                                                               const v1::RejectMonthlyCycleRequest* req,
                                                               v1::RejectMonthlyCycleResponse* resp) {
  return edge_.Unary(ctx, "RejectMonthlyCycle", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->cycle_id(), "cycle_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", 2000));
    ASSIGN_OR_RETURN(*resp->mutable_cycle(), cycles_->RejectCycle(
                                                 edge_.Key("RejectMonthlyCycle", p, req->request_id(), *req),
                                                 ActorOf(p, clock_.Now()), req->cycle_id(),
                                                 [&](const v1::MonthlyCycle&, const v1::Program& program) {
                                                   return RequireMayDecide(p, program);
                                                 },
                                                 req->reason()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::PayMonthlyCycle(grpc::CallbackServerContext* ctx,
                                                            const v1::PayMonthlyCycleRequest* req,
                                                            v1::PayMonthlyCycleResponse* resp) {
  return edge_.Unary(ctx, "PayMonthlyCycle", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->cycle_id(), "cycle_id"));
    RETURN_IF_ERROR(ValidateRequiredEnum(req->method(), v1::PaymentMethod_IsValid, "method"));
    ASSIGN_OR_RETURN(*resp->mutable_cycle(), cycles_->PayCycle(
                                                 edge_.Key("PayMonthlyCycle", p, req->request_id(), *req),
                                                 ActorOf(p, clock_.Now()), req->cycle_id(),
                                                 [&](const v1::MonthlyCycle&, const v1::Program& program) {
                                                   return RequireMayPay(p, program);
                                                 },
                                                 req->method()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::RecordSchoolEnrolment(grpc::CallbackServerContext* ctx,
                                                                  const v1::RecordSchoolEnrolmentRequest* req,
                                                                  v1::RecordSchoolEnrolmentResponse* resp) {
  return edge_.Unary(ctx, "RecordSchoolEnrolment", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    const v1::SchoolEnrolment& e = req->enrolment();
    RETURN_IF_ERROR(ValidateRecordId(e.child_id(), "enrolment.child_id"));
    RETURN_IF_ERROR(ValidateRequiredEnum(e.school(), v1::SchoolKind_IsValid, "enrolment.school"));
    RETURN_IF_ERROR(ValidateMeaningfulText(e.evidence_ref(), "enrolment.evidence_ref", 128));
    ASSIGN_OR_RETURN(absl::CivilMonth through, ParseMonth(e.covers_through(), "enrolment.covers_through"));
    const absl::Time now = clock_.Now();
    if (through < absl::CivilMonth(ShanghaiDay(now))) {
      return InvalidField("enrolment.covers_through", "must not end before this month");
    }
    // The child as the caller may see it: outside their scope NOT_FOUND, and the read is in the access log.
    RETURN_IF_ERROR(registry_.GetChild(ForCaller(*ctx), e.child_id(), kSchoolProofPurpose).status());
    ASSIGN_OR_RETURN(*resp->mutable_enrolment(),
                     cycles_->RecordSchoolEnrolment(
                         edge_.Key("RecordSchoolEnrolment", p, req->request_id(), *req), ActorOf(p, now), e));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::GetProgramForecast(grpc::CallbackServerContext* ctx,
                                                               const v1::GetProgramForecastRequest* req,
                                                               v1::GetProgramForecastResponse* resp) {
  return edge_.Unary(ctx, "GetProgramForecast", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRecordId(req->program_id(), "program_id"));
    RETURN_IF_ERROR(VisibleProgram(p, req->program_id()).status());
    ASSIGN_OR_RETURN(*resp->mutable_forecast(), ForecastProgram(*cycles_, req->program_id(), clock_.Now()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ListPaymentChecks(grpc::CallbackServerContext* ctx,
                                                              const v1::ListPaymentChecksRequest* req,
                                                              v1::ListPaymentChecksResponse* resp) {
  return edge_.Unary(ctx, "ListPaymentChecks", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRecordId(req->program_id(), "program_id"));
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(req->page_size(), req->page_token()));
    RETURN_IF_ERROR(VisibleProgram(p, req->program_id()).status());
    ASSIGN_OR_RETURN(
        std::vector<v1::PaymentCheck> checks,
        cycles_->ListPaymentChecks(req->program_id(), req->discrepancies_only(), page.after_id, page.limit));
    resp->set_next_page_token(
        NextPageToken(checks, page.limit, [](const v1::PaymentCheck& c) { return c.payment_id(); }));
    for (v1::PaymentCheck& c : checks) *resp->add_checks() = std::move(c);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::GetAllowanceReport(grpc::CallbackServerContext* ctx,
                                                               const v1::GetAllowanceReportRequest* req,
                                                               v1::GetAllowanceReportResponse* resp) {
  return edge_.Unary(ctx, "GetAllowanceReport", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    ASSIGN_OR_RETURN(absl::CivilMonth from, ParseMonth(req->from_month(), "from_month"));
    ASSIGN_OR_RETURN(absl::CivilMonth to, ParseMonth(req->to_month(), "to_month"));
    if (to < from) return InvalidField("to_month", "must not be before from_month");
    if (to - from >= kMaxReportMonths) return InvalidField("to_month", "at most 36 months after from_month");
    if (!req->program_id().empty()) RETURN_IF_ERROR(ValidateRecordId(req->program_id(), "program_id"));
    ASSIGN_OR_RETURN(std::string prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(std::string organisation, ScopedOrganisation(p, ""));
    ASSIGN_OR_RETURN(std::vector<v1::AllowanceReportRow> rows,
                     cycles_->Report(prefix, req->program_id(), organisation, from, to));
    for (v1::AllowanceReportRow& r : rows) *resp->add_rows() = std::move(r);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ChangeMonthlyAmount(grpc::CallbackServerContext* ctx,
                                                                const v1::ChangeMonthlyAmountRequest* req,
                                                                v1::ChangeMonthlyAmountResponse* resp) {
  return edge_.Unary(ctx, "ChangeMonthlyAmount", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->enrolment_id(), "enrolment_id"));
    ASSIGN_OR_RETURN(absl::CivilMonth from, ParseMonth(req->from_month(), "from_month"));
    if (req->amount_fen() <= 0) return InvalidField("amount_fen", "must be positive");
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxAmountChangeReasonChars));
    ASSIGN_OR_RETURN(std::optional<LivingAllowanceKind> only_kind, OptionalLivingAllowanceKind(req->kind()));
    const auto change = [&] {
      return cycles_->ChangeMonthlyAmount(
          edge_.Key("ChangeMonthlyAmount", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
          req->enrolment_id(), from, req->amount_fen(), req->reason(), only_kind,
          [&](const v1::Program& program) { return EnrolmentNotFoundOutside(RequireMayDecide(p, program)); });
    };
    absl::StatusOr<v1::MonthlyAmountChange> made = change();
    // Refused only after the caller was found to decide for the program: the enrolment is taken up now, as
    // the month's run would, and the change judged again on the kind it was taken up as.
    if (EnrolmentNotTakenUp(made.status())) {
      RETURN_IF_ERROR(cycle_job_->TakeUpEnrolment(req->enrolment_id()));
      made = change();
    }
    if (!made.ok()) return made.status();
    *resp->mutable_change() = *std::move(made);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ListMonthlyAmountChanges(
    grpc::CallbackServerContext* ctx, const v1::ListMonthlyAmountChangesRequest* req,
    v1::ListMonthlyAmountChangesResponse* resp) {
  return edge_.Unary(ctx, "ListMonthlyAmountChanges", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRecordId(req->enrolment_id(), "enrolment_id"));
    ASSIGN_OR_RETURN(std::vector<v1::MonthlyAmountChange> changes,
                     cycles_->ListMonthlyAmountChanges(req->enrolment_id(), [&](const v1::Program& program) {
                       return EnrolmentNotFoundOutside(RequireProgramVisible(p, program));
                     }));
    for (v1::MonthlyAmountChange& c : changes) *resp->add_changes() = std::move(c);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ClaimMonthlyArrears(grpc::CallbackServerContext* ctx,
                                                                const v1::ClaimMonthlyArrearsRequest* req,
                                                                v1::ClaimMonthlyArrearsResponse* resp) {
  return edge_.Unary(ctx, "ClaimMonthlyArrears", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->enrolment_id(), "enrolment_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxAmountChangeReasonChars));
    RETURN_IF_ERROR(ValidateArrearsYear(req->year()));
    ASSIGN_OR_RETURN(
        *resp, cycles_->ClaimMonthlyArrears(edge_.Key("ClaimMonthlyArrears", p, req->request_id(), *req),
                                            ActorOf(p, clock_.Now()), req->enrolment_id(), req->year(),
                                            req->reason(), [&](const v1::Program& program) {
                                              return EnrolmentNotFoundOutside(RequireMayDecide(p, program));
                                            }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AllowanceService::ListMonthlyArrears(grpc::CallbackServerContext* ctx,
                                                               const v1::ListMonthlyArrearsRequest* req,
                                                               v1::ListMonthlyArrearsResponse* resp) {
  return edge_.Unary(ctx, "ListMonthlyArrears", [=](const Principal& p) -> absl::Status {
    SHOUHU_REQUIRE_CYCLES();
    RETURN_IF_ERROR(ValidateRecordId(req->enrolment_id(), "enrolment_id"));
    ASSIGN_OR_RETURN(std::vector<v1::MonthOwed> months,
                     cycles_->ListMonthlyArrears(req->enrolment_id(), [&](const v1::Program& program) {
                       return EnrolmentNotFoundOutside(RequireProgramVisible(p, program));
                     }));
    for (v1::MonthOwed& m : months) *resp->add_months() = std::move(m);
    return absl::OkStatus();
  });
}

#undef SHOUHU_REQUIRE_CYCLES

}  // namespace shouhu::allowance
