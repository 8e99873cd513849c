#include "services/training/training_validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/idempotency.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"

namespace shouhu::training {
namespace {

absl::Status ValidateTexts(const google::protobuf::RepeatedPtrField<std::string>& texts,
                           absl::string_view field) {
  if (texts.size() > 20) return InvalidField(field, "at most 20 entries");
  for (int i = 0; i < texts.size(); ++i) {
    RETURN_IF_ERROR(ValidateText(texts[i], absl::StrCat(field, "[", i, "]"), 1, 50));
  }
  return absl::OkStatus();
}

template <typename Repeated>
absl::Status ValidateEnums(const Repeated& values, bool (*is_valid)(int), absl::string_view field) {
  for (int i = 0; i < values.size(); ++i) {
    RETURN_IF_ERROR(ValidateRequiredEnum(values[i], is_valid, absl::StrCat(field, "[", i, "]")));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::CivilDay> RequiredDay(const std::string& text, absl::string_view field) {
  if (text.empty()) return InvalidField(field, "is required");
  return ParseDay(text, field);
}

absl::Status OptionalDay(const std::string& text, absl::string_view field, bool required) {
  if (text.empty()) return required ? InvalidField(field, "is required") : absl::OkStatus();
  return ParseDay(text, field).status();
}

// Between 1970 and 9999, as MariaDB's DATETIME holds it.
bool StorableTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() > 0 && t.seconds() <= google::protobuf::util::TimeUtil::kTimestampMaxSeconds &&
         t.nanos() >= 0 && t.nanos() < 1000000000;
}

}  // namespace

absl::Status ValidateRegisterParticipant(const v1::RegisterParticipantRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  const v1::Participant& p = request.participant();
  RETURN_IF_ERROR(ValidateRequiredEnum(p.kind(), v1::ParticipantKind_IsValid, "participant.kind"));
  RETURN_IF_ERROR(ValidateIdentifier(p.organisation_id(), "participant.organisation_id", kMaxIdentifier));
  RETURN_IF_ERROR(ValidateDivisionCode(p.home_division_code(), "participant.home_division_code"));
  RETURN_IF_ERROR(ValidateMeaningfulText(p.display_name(), "participant.display_name", 100));
  RETURN_IF_ERROR(ValidateTexts(p.languages(), "participant.languages"));
  RETURN_IF_ERROR(ValidateTexts(p.skills(), "participant.skills"));
  RETURN_IF_ERROR(
      ValidateOptionalIdentifier(p.registry_child_id(), "participant.registry_child_id", kMaxIdentifier));
  RETURN_IF_ERROR(ValidateOptionalIdentifier(p.registry_household_id(), "participant.registry_household_id",
                                             kMaxIdentifier));
  if (p.kind() == v1::PARTICIPANT_KIND_CAREGIVER && p.registry_child_id().empty() &&
      p.registry_household_id().empty()) {
    return InvalidField("participant.registry_child_id",
                        "a caregiver is linked to a registry child or household");
  }
  if (!p.supervisor_id().empty())
    RETURN_IF_ERROR(ValidateRecordId(p.supervisor_id(), "participant.supervisor_id"));
  return absl::OkStatus();
}

absl::Status ValidateListParticipants(const v1::ListParticipantsRequest& request) {
  RETURN_IF_ERROR(ValidateOptionalIdentifier(request.organisation_id(), "organisation_id", kMaxIdentifier));
  RETURN_IF_ERROR(ValidateEnumFilter(request.kind(), v1::ParticipantKind_IsValid, "kind"));
  return ValidateEnumFilter(request.stage(), v1::VolunteerStage_IsValid, "stage");
}

absl::Status ValidateChangeVolunteerStage(const v1::ChangeVolunteerStageRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.participant_id(), "participant_id"));
  RETURN_IF_ERROR(ValidateRequiredEnum(request.stage(), v1::VolunteerStage_IsValid, "stage"));
  if (!request.reason().empty()) RETURN_IF_ERROR(ValidateText(request.reason(), "reason", 1, 500));
  return absl::OkStatus();
}

absl::Status ValidateSuspendParticipant(const v1::SuspendParticipantRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.participant_id(), "participant_id"));
  RETURN_IF_ERROR(ValidateRequiredEnum(request.reason(), v1::SuspensionReason_IsValid, "reason"));
  if (!request.reference().empty()) RETURN_IF_ERROR(ValidateText(request.reference(), "reference", 1, 64));
  return absl::OkStatus();
}

absl::Status ValidateReinstateParticipant(const v1::ReinstateParticipantRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.participant_id(), "participant_id"));
  RETURN_IF_ERROR(ValidateRequiredEnum(request.reason(), v1::SuspensionReason_IsValid, "reason"));
  if (!request.reference().empty()) RETURN_IF_ERROR(ValidateText(request.reference(), "reference", 1, 64));
  if (!request.hold_reference().empty()) {
    RETURN_IF_ERROR(ValidateText(request.hold_reference(), "hold_reference", 1, 64));
  }
  return absl::OkStatus();
}

absl::Status ValidateRecordBackgroundCheck(const v1::RecordBackgroundCheckRequest& request,
                                           absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.participant_id(), "participant_id"));
  const v1::BackgroundCheck& check = request.background_check();
  RETURN_IF_ERROR(
      ValidateRequiredEnum(check.status(), v1::BackgroundCheckStatus_IsValid, "background_check.status"));
  const bool decided = check.status() == v1::BACKGROUND_CHECK_STATUS_CLEARED ||
                       check.status() == v1::BACKGROUND_CHECK_STATUS_FAILED;
  RETURN_IF_ERROR(OptionalDay(check.checked_on(), "background_check.checked_on", decided));
  // A check dated ahead would stand recorded as made: a CLEARED one reads as cleared from that day on though
  // the police have not answered yet.
  if (!check.checked_on().empty()) {
    ASSIGN_OR_RETURN(absl::CivilDay checked_on, ParseDay(check.checked_on(), "background_check.checked_on"));
    if (checked_on > today) return InvalidField("background_check.checked_on", "must not be after today");
  }
  RETURN_IF_ERROR(OptionalDay(check.expires_on(), "background_check.expires_on",
                              check.status() == v1::BACKGROUND_CHECK_STATUS_CLEARED));
  if (!check.checked_on().empty() && !check.expires_on().empty() &&
      check.expires_on() <= check.checked_on()) {
    return InvalidField("background_check.expires_on", "must be after checked_on");
  }
  return absl::OkStatus();
}

absl::Status ValidateCreateCourse(const v1::CreateCourseRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  const v1::Course& c = request.course();
  if (c.code().empty() || c.code().size() > 32)
    return InvalidField("course.code", "must be 1 to 32 characters");
  for (char ch : c.code()) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(ch)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') {
      return InvalidField("course.code", "may hold only upper-case letters, digits, '-' and '_'");
    }
  }
  RETURN_IF_ERROR(ValidateMeaningfulText(c.title(), "course.title", 200));
  if (c.hours() < 1 || c.hours() > 1000) return InvalidField("course.hours", "must be between 1 and 1000");
  RETURN_IF_ERROR(ValidateEnums(c.topics(), v1::Topic_IsValid, "course.topics"));
  RETURN_IF_ERROR(ValidateEnums(c.audiences(), v1::ParticipantKind_IsValid, "course.audiences"));
  RETURN_IF_ERROR(ValidateEnums(c.required_for(), v1::Activity_IsValid, "course.required_for"));
  if (c.pass_mark() < 0 || c.pass_mark() > 100) return InvalidField("course.pass_mark", "must be 0 to 100");
  if (c.validity_months() < 1 || c.validity_months() > 120) {
    return InvalidField("course.validity_months", "must be 1 to 120");
  }
  return absl::OkStatus();
}

absl::Status ValidateListCourses(const v1::ListCoursesRequest& request) {
  return ValidateEnumFilter(request.required_for(), v1::Activity_IsValid, "required_for");
}

absl::Status ValidateScheduleSession(const v1::ScheduleSessionRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  const v1::Session& s = request.session();
  RETURN_IF_ERROR(ValidateRecordId(s.course_id(), "session.course_id"));
  RETURN_IF_ERROR(ValidateIdentifier(s.organisation_id(), "session.organisation_id", kMaxIdentifier));
  RETURN_IF_ERROR(ValidateDivisionCode(s.division_code(), "session.division_code"));
  RETURN_IF_ERROR(ValidateMeaningfulText(s.location(), "session.location", 200));
  RETURN_IF_ERROR(ValidateMeaningfulText(s.trainer(), "session.trainer", 100));
  if (!s.has_starts_at() || !StorableTimestamp(s.starts_at())) {
    return InvalidField("session.starts_at", "is required");
  }
  if (!s.has_ends_at() || !StorableTimestamp(s.ends_at()) || s.ends_at() <= s.starts_at()) {
    return InvalidField("session.ends_at", "must be after starts_at");
  }
  if (s.capacity() < 1 || s.capacity() > 10000) return InvalidField("session.capacity", "must be 1 to 10000");
  return absl::OkStatus();
}

absl::Status ValidateEnroll(const v1::EnrollRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.session_id(), "session_id"));
  return ValidateRecordId(request.participant_id(), "participant_id");
}

absl::Status ValidateCancelEnrollment(const v1::CancelEnrollmentRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  return ValidateRecordId(request.enrollment_id(), "enrollment_id");
}

absl::Status ValidateRecordAttendance(const v1::RecordAttendanceRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  return ValidateRecordId(request.enrollment_id(), "enrollment_id");
}

absl::Status ValidateRecordAssessment(const v1::RecordAssessmentRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.enrollment_id(), "enrollment_id"));
  if (request.score() < 0 || request.score() > 100) return InvalidField("score", "must be 0 to 100");
  return absl::OkStatus();
}

absl::StatusOr<absl::CivilDay> ValidateRenewCertification(const v1::RenewCertificationRequest& request,
                                                          absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.certification_id(), "certification_id"));
  ASSIGN_OR_RETURN(absl::CivilDay renewed_on, RequiredDay(request.renewed_on(), "renewed_on"));
  if (renewed_on > today) return InvalidField("renewed_on", "must not be after today");
  RETURN_IF_ERROR(ValidateRecordId(request.refresher_enrollment_id(), "refresher_enrollment_id"));
  return renewed_on;
}

absl::Status ValidateRevokeCertification(const v1::RevokeCertificationRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.certification_id(), "certification_id"));
  return ValidateMeaningfulText(request.reason(), "reason", 500);
}

absl::StatusOr<absl::CivilDay> ValidateCheckQualification(const v1::CheckQualificationRequest& request) {
  switch (request.subject_case()) {
    case v1::CheckQualificationRequest::kParticipantId:
      RETURN_IF_ERROR(ValidateRecordId(request.participant_id(), "participant_id"));
      break;
    case v1::CheckQualificationRequest::kOrganisationId:
      RETURN_IF_ERROR(ValidateIdentifier(request.organisation_id(), "organisation_id", kMaxIdentifier));
      break;
    default:
      return InvalidField("participant_id", "a participant or an organisation is required");
  }
  RETURN_IF_ERROR(ValidateRequiredEnum(request.activity(), v1::Activity_IsValid, "activity"));
  return RequiredDay(request.date(), "date");
}

absl::StatusOr<absl::CivilDay> ValidateBatchCheckQualification(
    const v1::BatchCheckQualificationRequest& request) {
  if (request.participant_ids_size() == 0) return InvalidField("participant_ids", "is required");
  if (request.participant_ids_size() > kMaxBatch) {
    return InvalidField("participant_ids", "at most 1000 participants at once");
  }
  for (int i = 0; i < request.participant_ids_size(); ++i) {
    RETURN_IF_ERROR(ValidateRecordId(request.participant_ids(i), absl::StrCat("participant_ids[", i, "]")));
  }
  RETURN_IF_ERROR(ValidateRequiredEnum(request.activity(), v1::Activity_IsValid, "activity"));
  return RequiredDay(request.date(), "date");
}

absl::Status ValidateRecordOrganisationQualification(
    const v1::RecordOrganisationQualificationRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  const v1::OrganisationQualification& q = request.qualification();
  RETURN_IF_ERROR(ValidateIdentifier(q.organisation_id(), "qualification.organisation_id", kMaxIdentifier));
  RETURN_IF_ERROR(ValidateMeaningfulText(q.organisation_name(), "qualification.organisation_name", 200));
  RETURN_IF_ERROR(ValidateDivisionCode(q.division_code(), "qualification.division_code"));
  // 统一社会信用代码: the 18-character unified social credit code.
  if (q.registration_number().size() != 18) {
    return InvalidField("qualification.registration_number", "must be 18 characters");
  }
  for (char c : q.registration_number()) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        !absl::ascii_isupper(static_cast<unsigned char>(c))) {
      return InvalidField("qualification.registration_number", "may hold only digits and upper-case letters");
    }
  }
  RETURN_IF_ERROR(ValidateRequiredEnum(q.grade(), v1::AssessmentGrade_IsValid, "qualification.grade"));
  RETURN_IF_ERROR(ValidateMeaningfulText(q.assessed_by(), "qualification.assessed_by", 200));
  RETURN_IF_ERROR(RequiredDay(q.assessed_on(), "qualification.assessed_on").status());
  RETURN_IF_ERROR(RequiredDay(q.expires_on(), "qualification.expires_on").status());
  if (q.expires_on() <= q.assessed_on()) {
    return InvalidField("qualification.expires_on", "must be after assessed_on");
  }
  return absl::OkStatus();
}

absl::Status ValidateListOrganisationQualifications(
    const v1::ListOrganisationQualificationsRequest& request) {
  return ValidateIdentifier(request.organisation_id(), "organisation_id", kMaxIdentifier);
}

absl::Status ValidateRecordOrganisationTraining(const v1::RecordOrganisationTrainingRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  const v1::OrganisationTraining& t = request.training();
  RETURN_IF_ERROR(ValidateIdentifier(t.organisation_id(), "training.organisation_id", kMaxIdentifier));
  RETURN_IF_ERROR(ValidateDivisionCode(t.division_code(), "training.division_code"));
  RETURN_IF_ERROR(ValidateMeaningfulText(t.title(), "training.title", 200));
  if (t.hours() < 1 || t.hours() > 1000) return InvalidField("training.hours", "must be between 1 and 1000");
  RETURN_IF_ERROR(RequiredDay(t.held_on(), "training.held_on").status());
  RETURN_IF_ERROR(ValidateMeaningfulText(t.provided_by(), "training.provided_by", 200));
  if (t.attendees() < 0 || t.attendees() > 10000) {
    return InvalidField("training.attendees", "must be 0 to 10000");
  }
  return absl::OkStatus();
}

absl::StatusOr<Period> ValidateGetTrainingHours(const v1::GetTrainingHoursRequest& request) {
  switch (request.subject_case()) {
    case v1::GetTrainingHoursRequest::kParticipantId:
      RETURN_IF_ERROR(ValidateRecordId(request.participant_id(), "participant_id"));
      break;
    case v1::GetTrainingHoursRequest::kOrganisationId:
      RETURN_IF_ERROR(ValidateIdentifier(request.organisation_id(), "organisation_id", kMaxIdentifier));
      break;
    default:
      return InvalidField("participant_id", "a participant or an organisation is required");
  }
  ASSIGN_OR_RETURN(absl::CivilDay from, RequiredDay(request.from_date(), "from_date"));
  ASSIGN_OR_RETURN(absl::CivilDay to, RequiredDay(request.to_date(), "to_date"));
  if (to < from) return InvalidField("to_date", "must not be before from_date");
  return Period{from, to};
}

}  // namespace shouhu::training
