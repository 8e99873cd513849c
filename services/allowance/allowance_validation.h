// What the allowance service's requests must hold, before anything is read or written: INVALID_ARGUMENT
// naming the field. Pure; the edge calls these first.
#ifndef SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_VALIDATION_H_
#define SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_VALIDATION_H_

#include "absl/status/status.h"
#include "shouhu/allowance/v1/allowance_service.pb.h"

namespace shouhu::allowance {

// A budget beyond this is a typing error (government-bought programs are 100,000–300,000 yuan; a
// province-wide monthly allowance stays far below ten billion yuan).
inline constexpr int64_t kMaxBudgetFen = int64_t{1'000'000'000'000};

absl::Status ValidateProposeProgram(const v1::ProposeProgramRequest& request);
absl::Status ValidateAssessProgram(const v1::AssessProgramRequest& request);
absl::Status ValidateEvaluateProgram(const v1::EvaluateProgramRequest& request);
// The caps against the budget are the store's to check (the budget is the program's).
absl::Status ValidateChangeProgramCaps(const v1::ChangeProgramCapsRequest& request);
// Amount and items are checked by ApplicationAmount (allowance_rules.h).
absl::Status ValidateSubmitApplication(const v1::SubmitApplicationRequest& request);
absl::Status ValidateRejectApplication(const v1::RejectApplicationRequest& request);
absl::Status ValidatePayApplication(const v1::PayApplicationRequest& request);
absl::Status ValidateRecordPaymentOutcome(const v1::RecordPaymentOutcomeRequest& request);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_VALIDATION_H_
