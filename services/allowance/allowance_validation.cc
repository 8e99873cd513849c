#include "services/allowance/allowance_validation.h"

#include "absl/time/civil_time.h"
#include "common/clock.h"
#include "common/idempotency.h"
#include "common/status_macros.h"
#include "common/validation.h"

namespace shouhu::allowance {
namespace {

absl::Status ValidateMoney(int64_t fen, absl::string_view field, bool allow_zero) {
  if (fen < 0 || (!allow_zero && fen == 0)) return InvalidField(field, "must be positive");
  if (fen > kMaxBudgetFen) return InvalidField(field, "is too large");
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateProposeProgram(const v1::ProposeProgramRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  if (!request.has_program()) return InvalidField("program", "is required");
  const v1::Program& p = request.program();
  RETURN_IF_ERROR(ValidateMeaningfulText(p.name(), "program.name", 200));
  RETURN_IF_ERROR(ValidateMeaningfulText(p.plan(), "program.plan", 20000));
  RETURN_IF_ERROR(ValidateMeaningfulText(p.target_group(), "program.target_group", 500));
  RETURN_IF_ERROR(ValidateDivisionCode(p.jurisdiction(), "program.jurisdiction"));
  RETURN_IF_ERROR(ValidateIdentifier(p.funder_organisation_id(), "program.funder_organisation_id", 64));
  RETURN_IF_ERROR(ValidateMoney(p.budget_fen(), "program.budget_fen", false));
  ASSIGN_OR_RETURN(absl::CivilDay start, ParseDay(p.period_start(), "program.period_start"));
  ASSIGN_OR_RETURN(absl::CivilDay end, ParseDay(p.period_end(), "program.period_end"));
  if (end < start) return InvalidField("program.period_end", "is before period_start");
  if (p.allowed_types_size() == 0) return InvalidField("program.allowed_types", "are required");
  for (int t : p.allowed_types()) {
    RETURN_IF_ERROR(ValidateRequiredEnum(t, v1::AllowanceType_IsValid, "program.allowed_types"));
    if (t == v1::ALLOWANCE_TYPE_MONTHLY_ARREARS) {
      return InvalidField(
          "program.allowed_types",
          "arrears are not a kind of allowance of their own: a program giving the monthly basic "
          "living allowance pays them");
    }
  }
  if (p.eligible_categories_size() == 0) return InvalidField("program.eligible_categories", "are required");
  for (int c : p.eligible_categories()) {
    RETURN_IF_ERROR(
        ValidateRequiredEnum(c, registry::v1::ChildCategory_IsValid, "program.eligible_categories"));
  }
  RETURN_IF_ERROR(ValidateMoney(p.per_payment_cap_fen(), "program.per_payment_cap_fen", false));
  RETURN_IF_ERROR(ValidateMoney(p.per_child_year_cap_fen(), "program.per_child_year_cap_fen", false));
  RETURN_IF_ERROR(
      ValidateMoney(p.second_approval_threshold_fen(), "program.second_approval_threshold_fen", true));
  if (p.per_payment_cap_fen() > p.budget_fen())
    return InvalidField("program.per_payment_cap_fen", "exceeds the budget");
  return absl::OkStatus();
}

absl::Status ValidateAssessProgram(const v1::AssessProgramRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.program_id(), "program_id"));
  if (request.scores_size() == 0) return InvalidField("scores", "are required");
  if (request.scores_size() > 20) return InvalidField("scores", "are at most 20");
  for (const v1::AssessmentScore& s : request.scores()) {
    RETURN_IF_ERROR(ValidateMeaningfulText(s.criterion(), "scores.criterion", 100));
    if (s.score() < 0 || s.score() > 100) return InvalidField("scores.score", "must be from 0 to 100");
  }
  RETURN_IF_ERROR(ValidateMeaningfulText(request.reviewer(), "reviewer", 200));
  return ValidateText(request.comment(), "comment", 0, 2000);
}

absl::Status ValidateEvaluateProgram(const v1::EvaluateProgramRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.program_id(), "program_id"));
  if (request.score() < 0 || request.score() > 100) return InvalidField("score", "must be from 0 to 100");
  return ValidateText(request.summary(), "summary", 0, 4000);
}

absl::Status ValidateChangeProgramCaps(const v1::ChangeProgramCapsRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.program_id(), "program_id"));
  RETURN_IF_ERROR(ValidateMoney(request.per_payment_cap_fen(), "per_payment_cap_fen", false));
  RETURN_IF_ERROR(ValidateMoney(request.per_child_year_cap_fen(), "per_child_year_cap_fen", false));
  return ValidateMeaningfulText(request.reason(), "reason", 500);
}

absl::Status ValidateSubmitApplication(const v1::SubmitApplicationRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.program_id(), "program_id"));
  RETURN_IF_ERROR(ValidateRecordId(request.child_id(), "child_id"));
  RETURN_IF_ERROR(ValidateRequiredEnum(request.type(), v1::AllowanceType_IsValid, "type"));
  if (request.type() == v1::ALLOWANCE_TYPE_MONTHLY_ARREARS) {
    return InvalidField("type", "arrears are claimed with ClaimMonthlyArrears, which works out what is owed");
  }
  RETURN_IF_ERROR(ValidateMoney(request.amount_fen(), "amount_fen", true));
  if (request.items_size() > 50) return InvalidField("items", "are at most 50");
  for (const v1::InKindItem& item : request.items()) {
    RETURN_IF_ERROR(ValidateMeaningfulText(item.description(), "items.description", 200));
  }
  RETURN_IF_ERROR(ValidateMeaningfulText(request.reason(), "reason", 2000));
  return ValidateOptionalIdentifier(request.evidence_report_id(), "evidence_report_id", 64);
}

absl::Status ValidateRejectApplication(const v1::RejectApplicationRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.application_id(), "application_id"));
  return ValidateMeaningfulText(request.reason(), "reason", 2000);
}

absl::Status ValidatePayApplication(const v1::PayApplicationRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.application_id(), "application_id"));
  RETURN_IF_ERROR(ValidateRequiredEnum(request.method(), v1::PaymentMethod_IsValid, "method"));
  return ValidateIdentifier(request.payee_reference(), "payee_reference", 128);
}

absl::Status ValidateRecordPaymentOutcome(const v1::RecordPaymentOutcomeRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.payment_id(), "payment_id"));
  RETURN_IF_ERROR(ValidateRequiredEnum(request.outcome(), v1::PaymentOutcome_IsValid, "outcome"));
  if (request.attempt() < 0) return InvalidField("attempt", "must not be negative");
  if (request.outcome() != v1::PAYMENT_OUTCOME_CONFIRMED) {
    return ValidateMeaningfulText(request.reason(), "reason", 2000);
  }
  return ValidateText(request.reason(), "reason", 0, 2000);
}

}  // namespace shouhu::allowance
