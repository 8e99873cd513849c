// What casework's requests must hold, as pure checks: each failure is INVALID_ARGUMENT naming the field and
// never quoting its value.
#ifndef SHOUHU_SERVICES_REGISTRY_CASEWORK_VALIDATION_H_
#define SHOUHU_SERVICES_REGISTRY_CASEWORK_VALIDATION_H_

#include "absl/status/status.h"
#include "shouhu/registry/v1/casework_service.pb.h"

namespace shouhu::registry {

inline constexpr size_t kMaxCaseworkTextChars = 1000;
inline constexpr int kMaxGoals = 20;
inline constexpr int kMaxPlanItems = 50;
inline constexpr int kMaxAnswers = 200;
inline constexpr int kMaxHorizonDays = 90;

absl::Status ValidatePublishInstrument(const v1::PublishInstrumentRequest& request);
absl::Status ValidateCreateAssessment(const v1::CreateAssessmentRequest& request);
absl::Status ValidateCreateCasePlan(const v1::CreateCasePlanRequest& request);
// request_id and item_id, shared by the four supervision steps; `reason` is required when `needs_reason`.
absl::Status ValidateReviewStep(const std::string& request_id, const std::string& item_id,
                                const std::string& text, bool needs_reason);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_CASEWORK_VALIDATION_H_
