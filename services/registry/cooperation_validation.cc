#include "services/registry/cooperation_validation.h"

#include "common/clock.h"
#include "common/idempotency.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/registry/registry_validation.h"

namespace shouhu::registry {

absl::Status ValidateDayFromToday(const std::string& text, absl::string_view field, absl::CivilDay today) {
  ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(text, field));
  if (day < today) return InvalidField(field, "is in the past");
  return absl::OkStatus();
}

absl::Status ValidateRecordConsent(const v1::RecordConsentRequest& r, absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRequestId(r.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(r.case_id(), "case_id"));
  RETURN_IF_ERROR(ValidateRequiredEnum(r.consenter().kind(), v1::ConsenterKind_IsValid, "consenter.kind"));
  RETURN_IF_ERROR(ValidateEnumFilter(r.consenter().relationship(), v1::GuardianRelationship_IsValid,
                                     "consenter.relationship"));
  RETURN_IF_ERROR(ValidateIdentifier(r.recipient_organisation_id(), "recipient_organisation_id",
                                     kMaxOrganisationIdChars));
  RETURN_IF_ERROR(ValidateRequiredEnum(r.purpose(), v1::SharingPurpose_IsValid, "purpose"));
  return ValidateDayFromToday(r.valid_until(), "valid_until", today);
}

absl::Status ValidateWithdrawConsent(const v1::WithdrawConsentRequest& r) {
  RETURN_IF_ERROR(ValidateRequestId(r.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(r.consent_id(), "consent_id"));
  return ValidateMeaningfulText(r.reason(), "reason", kMaxCooperationTextChars);
}

absl::Status ValidateCreateServiceReferral(const v1::CreateServiceReferralRequest& r, absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRequestId(r.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(r.case_id(), "case_id"));
  RETURN_IF_ERROR(ValidateIdentifier(r.to_organisation_id(), "to_organisation_id", kMaxOrganisationIdChars));
  RETURN_IF_ERROR(ValidateRequiredEnum(r.service(), v1::SharingPurpose_IsValid, "service"));
  RETURN_IF_ERROR(ValidateDayFromToday(r.due_date(), "due_date", today));
  return ValidateMeaningfulText(r.note(), "note", kMaxCooperationTextChars);
}

absl::Status ValidateRequestCountyTransfer(const v1::RequestCountyTransferRequest& r) {
  RETURN_IF_ERROR(ValidateRequestId(r.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(r.case_id(), "case_id"));
  RETURN_IF_ERROR(ValidateDivisionCode(r.to_village_code(), "to_village_code"));
  if (DivisionLevel(r.to_village_code()) != 5)
    return InvalidField("to_village_code", "is not a village code");
  RETURN_IF_ERROR(
      ValidateOptionalIdentifier(r.to_organisation_id(), "to_organisation_id", kMaxOrganisationIdChars));
  if (r.has_to_home()) {
    if (!r.to_home().village_code().empty() && r.to_home().village_code() != r.to_village_code()) {
      return InvalidField("to_home.village_code", "must be to_village_code (or left empty)");
    }
    v1::Household home = r.to_home();
    home.set_village_code(r.to_village_code());
    RETURN_IF_ERROR(ValidateHousehold(home, "to_home"));
  }
  return ValidateMeaningfulText(r.reason(), "reason", kMaxCooperationTextChars);
}

absl::StatusOr<std::string> ValidateFileMandatoryReport(const v1::FileMandatoryReportRequest& r,
                                                        absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRequestId(r.request_id()));
  RETURN_IF_ERROR(
      ValidateRequiredEnum(r.institution_kind(), v1::InstitutionKind_IsValid, "institution_kind"));
  RETURN_IF_ERROR(ValidateDivisionCode(r.village_code(), "village_code"));
  if (DivisionLevel(r.village_code()) != 5) return InvalidField("village_code", "is not a village code");
  if (!r.child_name().empty()) RETURN_IF_ERROR(ValidateText(r.child_name(), "child_name", 1, 64));
  std::string resident_id;
  if (!r.child_resident_id().empty()) {
    ASSIGN_OR_RETURN(ResidentId parsed, ParseResidentId(r.child_resident_id(), "child_resident_id", today));
    resident_id = parsed.normalized;
  }
  RETURN_IF_ERROR(ValidateRequiredEnum(r.harm_kind(), v1::HarmKind_IsValid, "harm_kind"));
  RETURN_IF_ERROR(ValidateMeaningfulText(r.description(), "description", kMaxReportDescriptionChars));
  RETURN_IF_ERROR(ValidateRequiredEnum(r.urgency(), v1::ReportUrgency_IsValid, "urgency"));
  return resident_id;
}

absl::Status ValidateResolveMandatoryReport(const v1::ResolveMandatoryReportRequest& r) {
  RETURN_IF_ERROR(ValidateRequestId(r.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(r.report_id(), "report_id"));
  const int named =
      (r.linked_referral_id().empty() ? 0 : 1) + (r.linked_case_id().empty() ? 0 : 1) + (r.close() ? 1 : 0);
  if (named != 1) {
    return InvalidField("linked_referral_id",
                        "name exactly one of linked_referral_id, linked_case_id, close");
  }
  if (!r.linked_referral_id().empty())
    RETURN_IF_ERROR(ValidateRecordId(r.linked_referral_id(), "linked_referral_id"));
  if (!r.linked_case_id().empty()) RETURN_IF_ERROR(ValidateRecordId(r.linked_case_id(), "linked_case_id"));
  return ValidateMeaningfulText(r.feedback(), "feedback", kMaxCooperationTextChars);
}

absl::Status ValidateRecordReintegrationOutcome(const v1::RecordReintegrationOutcomeRequest& r,
                                                absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRequestId(r.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(r.case_id(), "case_id"));
  RETURN_IF_ERROR(ValidateRequiredEnum(r.outcome(), v1::ReintegrationOutcomeKind_IsValid, "outcome"));
  if (!r.detail().empty()) RETURN_IF_ERROR(ValidateText(r.detail(), "detail", 1, kMaxCooperationTextChars));
  return ValidateDayFromToday(r.follow_up_date(), "follow_up_date", today);
}

}  // namespace shouhu::registry
