#include "services/training/training_access.h"

#include "common/status_macros.h"

namespace shouhu::training {

RecordScope ScopeOf(const v1::Participant& participant) {
  return {participant.home_division_code(), participant.organisation_id()};
}

RecordScope ScopeOf(const ParticipantStanding& participant) {
  return {participant.home_division_code, participant.organisation_id};
}

bool CanSeeParticipant(const Principal& principal, const v1::Participant& participant) {
  return InScope(principal, ScopeOf(participant));
}

bool CanSeeSession(const Principal& principal, const v1::Session& session) {
  return InJurisdiction(principal, session.division_code());
}

bool CanSeeEnrollment(const Principal& principal, const v1::Session& session,
                      const v1::Participant& participant) {
  if (!CanSeeSession(principal, session)) return false;
  // Trainers and officers run the session for everyone enrolled in it; NGO staff see their own people.
  return !OrganisationBound(principal) || CanSeeParticipant(principal, participant);
}

bool CanSeeCertification(const Principal& principal, const v1::Participant& holder) {
  return CanSeeParticipant(principal, holder);
}

bool CanSeeOrganisationRecord(const Principal& principal, const v1::OrganisationQualification& record) {
  return InScope(principal, {record.division_code(), record.organisation_id()});
}

absl::Status RequireParticipant(const Principal& principal, const v1::Participant& participant) {
  return RequireInScope(principal, ScopeOf(participant), "participant");
}

absl::Status RequireSession(const Principal& principal, const v1::Session& session) {
  if (CanSeeSession(principal, session)) return absl::OkStatus();
  return absl::NotFoundError("session not found");
}

absl::Status RequireEnrollment(const Principal& principal, const v1::Session& session,
                               const v1::Participant& participant) {
  if (CanSeeEnrollment(principal, session, participant)) return absl::OkStatus();
  return absl::NotFoundError("enrollment not found");
}

absl::Status RequireCertification(const Principal& principal, const v1::Participant& holder) {
  if (CanSeeCertification(principal, holder)) return absl::OkStatus();
  return absl::NotFoundError("certification not found");
}

absl::Status RequireMayRequireCourse(const Principal& principal, const v1::Course& course) {
  if (course.required_for().empty() || HasRole(principal, common::v1::ROLE_CIVIL_AFFAIRS_OFFICER)) {
    return absl::OkStatus();
  }
  absl::Status denied = absl::PermissionDeniedError(
      "course.required_for: only a civil-affairs officer makes a course required for an activity");
  denied.SetPayload(kFieldPayload, absl::Cord("course.required_for"));
  return denied;
}

absl::Status RequireMayReplaceCheck(const Principal& principal, const v1::Participant& current,
                                    const v1::BackgroundCheck& check) {
  if (current.background_check().status() != v1::BACKGROUND_CHECK_STATUS_FAILED ||
      check.status() == v1::BACKGROUND_CHECK_STATUS_FAILED ||
      HasAnyRole(principal, {common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, common::v1::ROLE_SYSTEM})) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      "the participant's background check failed: only a civil-affairs officer replaces a failed check");
}

absl::Status RequireMayPlace(const Principal& principal, const RecordScope& scope) {
  if (!InJurisdiction(principal, scope.division_code)) return absl::NotFoundError("division not found");
  // A bound caller without an organisation (a token that left out `org`) places into none, not into the
  // records that name none (common/scope.h's InScope).
  if (OrganisationBound(principal) &&
      (principal.organisation_id().empty() || scope.organisation_id != principal.organisation_id())) {
    return absl::NotFoundError("organisation not found");
  }
  return absl::OkStatus();
}

SuspensionAuthority SuspensionAuthorityOf(const Principal& principal) {
  SuspensionAuthority by;
  by.system = HasRole(principal, common::v1::ROLE_SYSTEM);
  if (!by.system && OrganisationBound(principal)) by.organisation = principal.organisation_id();
  return by;
}

}  // namespace shouhu::training
