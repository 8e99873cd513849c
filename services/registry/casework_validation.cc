#include "services/registry/casework_validation.h"

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/idempotency.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/registry/assessment_scoring.h"

namespace shouhu::registry {
namespace {

constexpr size_t kMaxDescriptionChars = 500;
constexpr size_t kMaxOwnerChars = 191;

}  // namespace

absl::Status ValidatePublishInstrument(const v1::PublishInstrumentRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  if (!request.has_instrument()) return InvalidField("instrument", "is required");
  return ValidateInstrument(request.instrument());
}

absl::Status ValidateCreateAssessment(const v1::CreateAssessmentRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.case_id(), "case_id"));
  RETURN_IF_ERROR(ValidateRecordId(request.instrument_id(), "instrument_id"));
  if (request.answers_size() == 0 || request.answers_size() > kMaxAnswers) {
    return InvalidField("answers", "must answer the instrument's questions");
  }
  return ValidateText(request.note(), "note", 0, kMaxCaseworkTextChars);
}

absl::Status ValidateCreateCasePlan(const v1::CreateCasePlanRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.case_id(), "case_id"));
  if (request.goals_size() < 1 || request.goals_size() > kMaxGoals) {
    return InvalidField("goals", "must hold 1-20 goals");
  }
  for (int i = 0; i < request.goals_size(); ++i) {
    RETURN_IF_ERROR(
        ValidateMeaningfulText(request.goals(i), absl::StrCat("goals[", i, "]"), kMaxDescriptionChars));
  }
  if (request.items_size() > kMaxPlanItems) return InvalidField("items", "may hold at most 50 items");
  for (int i = 0; i < request.items_size(); ++i) {
    const v1::PlanItem& item = request.items(i);
    const std::string field = absl::StrCat("items[", i, "]");
    RETURN_IF_ERROR(ValidateMeaningfulText(item.description(), field + ".description", kMaxDescriptionChars));
    RETURN_IF_ERROR(ValidateIdentifier(item.owner_id(), field + ".owner_id", kMaxOwnerChars));
    RETURN_IF_ERROR(ParseDay(item.due_date(), field + ".due_date").status());
  }
  return absl::OkStatus();
}

absl::Status ValidateReviewStep(const std::string& request_id, const std::string& item_id,
                                const std::string& text, bool needs_reason) {
  RETURN_IF_ERROR(ValidateRequestId(request_id));
  RETURN_IF_ERROR(ValidateRecordId(item_id, "item_id"));
  if (needs_reason) return ValidateMeaningfulText(text, "reason", kMaxCaseworkTextChars);
  return ValidateText(text, "note", 0, kMaxCaseworkTextChars);
}

}  // namespace shouhu::registry
