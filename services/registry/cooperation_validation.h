// What each CaseCooperationService request must hold, checked before anything is read or written: every
// failure is INVALID_ARGUMENT naming its field, and quotes nothing the caller sent. Pure, table-tested in
// tests/unit/registry/cooperation_rules_test.cc. Checks that need the database (the village exists, the
// consenter's age) are the edge's and the store's.
#ifndef SHOUHU_SERVICES_REGISTRY_COOPERATION_VALIDATION_H_
#define SHOUHU_SERVICES_REGISTRY_COOPERATION_VALIDATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "shouhu/registry/v1/cooperation_service.pb.h"

namespace shouhu::registry {

inline constexpr size_t kMaxCooperationTextChars = 1000;
inline constexpr size_t kMaxReportDescriptionChars = 4000;

absl::Status ValidateRecordConsent(const v1::RecordConsentRequest& request, absl::CivilDay today);
absl::Status ValidateWithdrawConsent(const v1::WithdrawConsentRequest& request);
absl::Status ValidateCreateServiceReferral(const v1::CreateServiceReferralRequest& request,
                                           absl::CivilDay today);
absl::Status ValidateRequestCountyTransfer(const v1::RequestCountyTransferRequest& request);
// Returns the child's resident id normalised ('x' → 'X'), empty when none was given.
absl::StatusOr<std::string> ValidateFileMandatoryReport(const v1::FileMandatoryReportRequest& request,
                                                        absl::CivilDay today);
absl::Status ValidateResolveMandatoryReport(const v1::ResolveMandatoryReportRequest& request);
absl::Status ValidateRecordReintegrationOutcome(const v1::RecordReintegrationOutcomeRequest& request,
                                                absl::CivilDay today);

// A day on or after `today` (YYYY-MM-DD): a due date, a follow-up, the last day of a consent.
absl::Status ValidateDayFromToday(const std::string& text, absl::string_view field, absl::CivilDay today);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_COOPERATION_VALIDATION_H_
