#include "services/allowance/allowance_rules.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/principal.h"
#include "common/status_macros.h"

namespace shouhu::allowance {
namespace {

using common::v1::ROLE_CIVIL_AFFAIRS_OFFICER;
using common::v1::ROLE_FINANCE_OFFICER;
using common::v1::ROLE_NGO_ADMIN;

bool Covers(const common::v1::Principal& who, const std::string& jurisdiction) {
  return InJurisdiction(who, jurisdiction);
}

bool IsFunderFinance(const common::v1::Principal& who, const v1::Program& program) {
  return HasRole(who, ROLE_FINANCE_OFFICER) && who.organisation_id() == program.funder_organisation_id() &&
         Covers(who, program.jurisdiction());
}

bool IsOperatorAdmin(const common::v1::Principal& who, const v1::Program& program) {
  return HasRole(who, ROLE_NGO_ADMIN) && who.organisation_id() == program.operator_organisation_id();
}

bool Reserved(v1::ApplicationState state) {
  return state == v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL || state == v1::APPLICATION_STATE_APPROVED;
}

// A monthly enrolment in payment or paid: open, and possibly holding sums its last payment's state hides.
bool MonthlyPaidOrInPayment(const v1::Application& application) {
  return application.type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING &&
         (application.state() == v1::APPLICATION_STATE_PAYMENT_ISSUED ||
          application.state() == v1::APPLICATION_STATE_PAID);
}

}  // namespace

absl::StatusOr<v1::ProgramState> NextProgramState(const v1::Program& program, ProgramStep step, bool accepted,
                                                  absl::CivilDay today) {
  switch (step) {
    case ProgramStep::kAssess:
      if (program.state() != v1::PROGRAM_STATE_PROPOSED) {
        return absl::FailedPreconditionError("only a proposed program can be assessed");
      }
      return accepted ? v1::PROGRAM_STATE_APPROVED : v1::PROGRAM_STATE_DECLINED;
    case ProgramStep::kFund:
      if (program.state() != v1::PROGRAM_STATE_APPROVED) {
        return absl::FailedPreconditionError("only an assessed and accepted program can be funded");
      }
      return v1::PROGRAM_STATE_FUNDED;
    case ProgramStep::kEvaluate: {
      if (program.state() != v1::PROGRAM_STATE_FUNDED) {
        return absl::FailedPreconditionError("only a funded program can be evaluated");
      }
      absl::CivilDay end;
      if (!absl::ParseCivilTime(program.period_end(), &end) || today <= end) {
        return absl::FailedPreconditionError("a program is evaluated once its period has ended");
      }
      return v1::PROGRAM_STATE_EVALUATED;
    }
  }
  return absl::InternalError("unknown program step");
}

bool IsFunderOfficer(const common::v1::Principal& who, const v1::Program& program) {
  return (HasRole(who, ROLE_CIVIL_AFFAIRS_OFFICER) || HasRole(who, ROLE_FINANCE_OFFICER)) &&
         who.organisation_id() == program.funder_organisation_id() && Covers(who, program.jurisdiction());
}

bool MayDecide(const common::v1::Principal& who, const v1::Program& program) {
  return IsOperatorAdmin(who, program) || IsFunderOfficer(who, program);
}

bool MayPay(const common::v1::Principal& who, const v1::Program& program) {
  return IsOperatorAdmin(who, program) || IsFunderFinance(who, program);
}

bool MayRecordOutcome(const common::v1::Principal& who, const v1::Program& program) {
  return HasRole(who, common::v1::ROLE_SYSTEM) || IsFunderFinance(who, program);
}

absl::StatusOr<int64_t> ApplicationAmount(v1::AllowanceType type, int64_t amount_fen,
                                          const std::vector<v1::InKindItem>& items) {
  if (type != v1::ALLOWANCE_TYPE_IN_KIND_SURVIVAL_AID) {
    if (!items.empty()) return InvalidField("items", "are only for in-kind aid");
    if (amount_fen <= 0) return InvalidField("amount_fen", "must be positive");
    return amount_fen;
  }
  if (items.empty()) return InvalidField("items", "are required for in-kind aid");
  if (amount_fen != 0) return InvalidField("amount_fen", "is the items' value for in-kind aid; leave it 0");
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total = 0;
  for (const v1::InKindItem& item : items) {
    if (item.quantity() <= 0) return InvalidField("items.quantity", "must be positive");
    if (item.unit_value_fen() <= 0) return InvalidField("items.unit_value_fen", "must be positive");
    if (item.quantity() > kMax / item.unit_value_fen()) return InvalidField("items", "value is too large");
    const int64_t value = item.quantity() * item.unit_value_fen();
    if (total > kMax - value) return InvalidField("items", "value is too large");
    total += value;
  }
  return total;
}

namespace {

absl::Status CheckFunded(const v1::Program& program) {
  if (program.state() != v1::PROGRAM_STATE_FUNDED) {
    return absl::FailedPreconditionError("the program is not funded and running");
  }
  return absl::OkStatus();
}

// The type allowed, the per-payment cap and the child's yearly cap.
absl::Status CheckProgramPays(const v1::Program& program, v1::AllowanceType type, int64_t amount_fen,
                              int64_t committed_fen) {
  if (std::find(program.allowed_types().begin(), program.allowed_types().end(), type) ==
      program.allowed_types().end()) {
    return absl::FailedPreconditionError("type: the program does not give this kind of allowance");
  }
  if (amount_fen > program.per_payment_cap_fen()) {
    return absl::FailedPreconditionError("amount_fen: above the program's cap per payment");
  }
  if (committed_fen > program.per_child_year_cap_fen() - amount_fen) {
    return absl::FailedPreconditionError("amount_fen: above the program's cap per child and year");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckProgramTakes(const v1::Program& program, v1::AllowanceType type, int64_t amount_fen,
                               int64_t committed_fen, absl::CivilDay today) {
  RETURN_IF_ERROR(CheckFunded(program));
  absl::CivilDay start, end;
  if (!absl::ParseCivilTime(program.period_start(), &start) ||
      !absl::ParseCivilTime(program.period_end(), &end)) {
    return absl::InternalError("program period unreadable");
  }
  if (today < start || today > end)
    return absl::FailedPreconditionError("the program's period is not running");
  return CheckProgramPays(program, type, amount_fen, committed_fen);
}

absl::Status CheckProgramTakesArrears(const v1::Program& program, int64_t amount_fen, int64_t committed_fen) {
  RETURN_IF_ERROR(CheckFunded(program));
  return CheckProgramPays(program, v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING, amount_fen, committed_fen);
}

absl::Status CheckChildEligible(const v1::Program& program, const ChildStanding& child) {
  if (!child.active) return absl::FailedPreconditionError("child_id: the child's case is not active");
  if (!absl::StartsWith(child.village_code, program.jurisdiction())) {
    return absl::FailedPreconditionError("child_id: the child lives outside the program's jurisdiction");
  }
  for (int category : child.categories) {
    for (int eligible : program.eligible_categories()) {
      if (category == eligible) return absl::OkStatus();
    }
  }
  return absl::FailedPreconditionError("child_id: the child is in none of the program's categories");
}

absl::StatusOr<ApprovalStep> DecideApproval(const v1::Application& application, const v1::Program& program,
                                            const common::v1::Principal& approver) {
  if (approver.subject() == application.applicant()) {
    return absl::PermissionDeniedError("the applicant cannot approve their own application");
  }
  if (program.state() != v1::PROGRAM_STATE_FUNDED) {
    return absl::FailedPreconditionError("the program is not funded and running");
  }
  switch (application.state()) {
    case v1::APPLICATION_STATE_SUBMITTED: {
      if (!IsOperatorAdmin(approver, program) && !IsFunderOfficer(approver, program)) {
        return absl::PermissionDeniedError("only the operator's admin or the funder's officers approve");
      }
      ApprovalStep step;
      step.reserves = true;
      step.first = true;
      step.next = application.amount_fen() > program.second_approval_threshold_fen()
                      ? v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL
                      : v1::APPLICATION_STATE_APPROVED;
      return step;
    }
    case v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL: {
      if (!IsFunderFinance(approver, program)) {
        return absl::PermissionDeniedError("the second approval is the funder's finance officer's");
      }
      if (approver.subject() == application.first_approver()) {
        return absl::PermissionDeniedError("the second approver must differ from the first");
      }
      ApprovalStep step;
      step.next = v1::APPLICATION_STATE_APPROVED;
      return step;
    }
    default:
      return absl::FailedPreconditionError("the application is not awaiting an approval");
  }
}

absl::StatusOr<ClosingStep> DecideRejection(const v1::Application& application,
                                            const common::v1::Principal& who) {
  if (who.subject() == application.applicant()) {
    return absl::PermissionDeniedError("the applicant withdraws, never rejects, their own application");
  }
  if (application.state() != v1::APPLICATION_STATE_SUBMITTED &&
      application.state() != v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL) {
    return absl::FailedPreconditionError("only an application awaiting approval can be rejected");
  }
  return ClosingStep{v1::APPLICATION_STATE_REJECTED, Reserved(application.state())};
}

absl::StatusOr<ClosingStep> DecideWithdrawal(const v1::Application& application,
                                             const common::v1::Principal& who) {
  if (who.subject() != application.applicant()) {
    return absl::PermissionDeniedError("only the applicant withdraws an application");
  }
  if (MonthlyPaidOrInPayment(application)) return ClosingStep{v1::APPLICATION_STATE_WITHDRAWN, true};
  if (application.state() != v1::APPLICATION_STATE_SUBMITTED && !Reserved(application.state())) {
    return absl::FailedPreconditionError("only an application not yet paid or decided can be withdrawn");
  }
  return ClosingStep{v1::APPLICATION_STATE_WITHDRAWN, Reserved(application.state())};
}

std::optional<ClosingStep> DecideCaseClosedCancellation(const v1::Application& application,
                                                        bool monthly_holds) {
  if (OwedAfterCaseClosed(application.type())) return std::nullopt;
  if (MonthlyPaidOrInPayment(application)) {
    if (!monthly_holds) return std::nullopt;
    return ClosingStep{v1::APPLICATION_STATE_CANCELLED, true};
  }
  if (application.state() != v1::APPLICATION_STATE_SUBMITTED && !Reserved(application.state())) {
    return std::nullopt;
  }
  return ClosingStep{v1::APPLICATION_STATE_CANCELLED, Reserved(application.state())};
}

bool OwedAfterCaseClosed(v1::AllowanceType type) { return type == v1::ALLOWANCE_TYPE_MONTHLY_ARREARS; }

absl::Status CheckCaseOpenTo(bool case_closed, v1::AllowanceType type) {
  if (case_closed && !OwedAfterCaseClosed(type)) {
    return absl::FailedPreconditionError("the child's case is closed");
  }
  return absl::OkStatus();
}

bool MonthlyEnrolmentOpen(v1::ApplicationState state) {
  return state == v1::APPLICATION_STATE_APPROVED || state == v1::APPLICATION_STATE_PAYMENT_ISSUED ||
         state == v1::APPLICATION_STATE_PAID;
}

bool MonthlyEnrolmentClosed(v1::ApplicationState state) {
  return state == v1::APPLICATION_STATE_WITHDRAWN || state == v1::APPLICATION_STATE_CANCELLED;
}

bool ApplicationEndedUnpaid(v1::ApplicationState state) {
  return state == v1::APPLICATION_STATE_REJECTED || state == v1::APPLICATION_STATE_WITHDRAWN ||
         state == v1::APPLICATION_STATE_CANCELLED;
}

absl::Status CheckPayable(const v1::Application& application, const v1::Program& program) {
  // A monthly enrolment holds several sums at once (its first month, each returned month): whether one is
  // left to pay is DecideNextIssue's, from its payments, whatever state the last payment left it in.
  const bool monthly_paid = application.type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING &&
                            (application.state() == v1::APPLICATION_STATE_PAYMENT_ISSUED ||
                             application.state() == v1::APPLICATION_STATE_PAID);
  if (!monthly_paid && (application.state() == v1::APPLICATION_STATE_PAYMENT_ISSUED ||
                        application.state() == v1::APPLICATION_STATE_PAID)) {
    return absl::AlreadyExistsError("the application has been paid");
  }
  if (monthly_paid) {
    if (program.state() != v1::PROGRAM_STATE_FUNDED) {
      return absl::FailedPreconditionError("the program is not funded and running");
    }
    return absl::OkStatus();
  }
  if (application.state() != v1::APPLICATION_STATE_APPROVED) {
    return absl::FailedPreconditionError("only an approved application can be paid");
  }
  if (program.state() != v1::PROGRAM_STATE_FUNDED) {
    return absl::FailedPreconditionError("the program is not funded and running");
  }
  return absl::OkStatus();
}

absl::Status CheckOutcomeAttempt(const v1::Payment& payment, int32_t attempt) {
  if (attempt == 0) {
    if (payment.attempts() > 1) {
      return absl::FailedPreconditionError(
          "the payment was sent more than once: the outcome must name its attempt");
    }
    return absl::OkStatus();
  }
  if (attempt != payment.attempts()) {
    return absl::FailedPreconditionError("the outcome is for an attempt since superseded or not yet sent");
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<OutcomeStep> OutcomeOfPayment(const v1::Payment& payment, v1::PaymentOutcome outcome,
                                             int max_attempts) {
  const v1::PaymentState state = payment.state();
  const bool open = state == v1::PAYMENT_STATE_ISSUED || state == v1::PAYMENT_STATE_FAILED;
  OutcomeStep step;
  switch (outcome) {
    case v1::PAYMENT_OUTCOME_CONFIRMED:
      if (!open) return absl::FailedPreconditionError("only an issued payment can be confirmed");
      step.next = v1::PAYMENT_STATE_CONFIRMED;
      step.application_next = v1::APPLICATION_STATE_PAID;
      step.kind = v1::LEDGER_ENTRY_KIND_CONFIRMATION;
      step.from = v1::LEDGER_ACCOUNT_IN_PAYMENT;
      step.to = v1::LEDGER_ACCOUNT_DISBURSED;
      return step;
    case v1::PAYMENT_OUTCOME_FAILED:
      if (state != v1::PAYMENT_STATE_ISSUED) {
        return absl::FailedPreconditionError("only a payment awaiting its outcome can fail");
      }
      if (payment.attempts() < max_attempts) {
        step.next = v1::PAYMENT_STATE_FAILED;
        step.application_next = v1::APPLICATION_STATE_UNSPECIFIED;
        return step;
      }
      step.next = v1::PAYMENT_STATE_ABANDONED;
      step.application_next = v1::APPLICATION_STATE_APPROVED;
      step.kind = v1::LEDGER_ENTRY_KIND_REVERSAL;
      step.from = v1::LEDGER_ACCOUNT_IN_PAYMENT;
      step.to = v1::LEDGER_ACCOUNT_RESERVED;
      return step;
    case v1::PAYMENT_OUTCOME_RETURNED:
      if (!open && state != v1::PAYMENT_STATE_CONFIRMED) {
        return absl::FailedPreconditionError("only an issued or confirmed payment can be returned");
      }
      step.next = v1::PAYMENT_STATE_RETURNED;
      step.application_next = v1::APPLICATION_STATE_APPROVED;
      step.kind = v1::LEDGER_ENTRY_KIND_REVERSAL;
      step.from =
          state == v1::PAYMENT_STATE_CONFIRMED ? v1::LEDGER_ACCOUNT_DISBURSED : v1::LEDGER_ACCOUNT_IN_PAYMENT;
      step.to = v1::LEDGER_ACCOUNT_RESERVED;
      return step;
    default:
      return InvalidField("outcome", "is required");
  }
}

}  // namespace

absl::StatusOr<OutcomeStep> DecideOutcome(const v1::Payment& payment, v1::ApplicationState application_state,
                                          v1::PaymentOutcome outcome, int max_attempts) {
  ASSIGN_OR_RETURN(OutcomeStep step, OutcomeOfPayment(payment, outcome, max_attempts));
  if (application_state == v1::APPLICATION_STATE_WITHDRAWN ||
      application_state == v1::APPLICATION_STATE_CANCELLED ||
      application_state == v1::APPLICATION_STATE_REJECTED) {
    step.application_next = v1::APPLICATION_STATE_UNSPECIFIED;
    step.releases = step.to == v1::LEDGER_ACCOUNT_RESERVED;
  }
  return step;
}

absl::StatusOr<NextIssue> DecideNextIssue(const v1::Application& application,
                                          const std::vector<PaymentStanding>& payments,
                                          const absl::Status& own_payment) {
  std::map<std::string, const PaymentStanding*> by_id;
  std::set<std::string> reissued;
  for (const PaymentStanding& p : payments) {
    by_id[p.payment_id] = &p;
    if (!p.reissue_of.empty()) reissued.insert(p.reissue_of);
  }
  // Whether the payment's money is a cycle's month's: its chain of re-issues starts at a cycle's payment.
  // Bounded by the payments' count, so a damaged chain cannot loop.
  auto from_cycle = [&](const PaymentStanding& p) {
    const PaymentStanding* at = &p;
    for (size_t steps = 0; steps <= payments.size(); ++steps) {
      if (at->by_cycle) return true;
      auto previous = by_id.find(at->reissue_of);
      if (previous == by_id.end()) return false;
      at = previous->second;
    }
    return false;
  };
  for (const PaymentStanding& p : payments) {
    const bool reversed = p.state == v1::PAYMENT_STATE_RETURNED || p.state == v1::PAYMENT_STATE_ABANDONED;
    if (!reversed || reissued.count(p.payment_id) > 0) continue;
    if (!from_cycle(p) && !own_payment.ok()) continue;
    return NextIssue{p.payment_id, p.amount_fen};
  }
  // The application's own payment is issued once (a re-issue pays it again, above).
  const bool own_issued = std::any_of(payments.begin(), payments.end(), [](const PaymentStanding& p) {
    return p.reissue_of.empty() && !p.by_cycle;
  });
  if (own_issued || (!own_payment.ok() && !payments.empty())) {
    return absl::AlreadyExistsError("the application has been paid");
  }
  if (!own_payment.ok()) return own_payment;
  return NextIssue{"", application.amount_fen()};
}

}  // namespace shouhu::allowance
