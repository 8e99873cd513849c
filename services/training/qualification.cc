#include "services/training/qualification.h"

namespace shouhu::training {
namespace {

bool Covers(absl::CivilDay from, absl::CivilDay until_excluded, absl::CivilDay day) {
  return from <= day && day < until_excluded;
}

void Add(v1::QualificationResult& result, v1::QualificationReason reason, const std::string& course_code = "",
         const std::string& detail = "") {
  v1::UnqualifiedReason* r = result.add_reasons();
  r->set_reason(reason);
  r->set_course_code(course_code);
  r->set_detail(detail);
}

void JudgeBackgroundCheck(const ParticipantStanding& p, absl::CivilDay day, v1::QualificationResult& result) {
  switch (p.background_status) {
    case v1::BACKGROUND_CHECK_STATUS_FAILED:
      Add(result, v1::QUALIFICATION_REASON_BACKGROUND_CHECK_FAILED);
      return;
    case v1::BACKGROUND_CHECK_STATUS_CLEARED:
      if (p.background_checked_on && day < *p.background_checked_on) {
        Add(result, v1::QUALIFICATION_REASON_BACKGROUND_CHECK_NOT_CLEARED, "", "cleared only after the day");
      } else if (p.background_expires_on && day >= *p.background_expires_on) {
        Add(result, v1::QUALIFICATION_REASON_BACKGROUND_CHECK_EXPIRED);
      }
      return;
    default:  // not started, pending
      Add(result, v1::QUALIFICATION_REASON_BACKGROUND_CHECK_NOT_CLEARED);
      return;
  }
}

void JudgeCourse(const RequiredCourse& course, const std::vector<CertificationStanding>* certifications,
                 absl::CivilDay day, v1::QualificationResult& result) {
  bool expired = false;
  bool revoked = false;
  if (certifications != nullptr) {
    for (const CertificationStanding& c : *certifications) {
      if (c.course_id != course.course_id) continue;
      if (c.revoked) {
        revoked = true;
      } else if (Covers(c.issued_on, c.expires_on, day)) {
        return;  // one valid certificate is enough
      } else if (c.expires_on <= day) {
        expired = true;
      }
    }
  }
  if (expired) {
    Add(result, v1::QUALIFICATION_REASON_CERTIFICATION_EXPIRED, course.code);
  } else if (revoked) {
    Add(result, v1::QUALIFICATION_REASON_CERTIFICATION_REVOKED, course.code);
  } else {
    Add(result, v1::QUALIFICATION_REASON_MISSING_COURSE, course.code);
  }
}

}  // namespace

bool IsChildFacing(v1::Activity activity) {
  return activity == v1::ACTIVITY_HOME_VISIT || activity == v1::ACTIVITY_GROUP_ACTIVITY ||
         activity == v1::ACTIVITY_CASE_MANAGEMENT;
}

v1::QualificationResult EvaluateParticipant(const QualificationFacts& facts,
                                            const std::string& participant_id, v1::Activity activity,
                                            absl::CivilDay day) {
  v1::QualificationResult result;
  result.set_participant_id(participant_id);
  auto found = facts.participants.find(participant_id);
  if (found == facts.participants.end()) {
    Add(result, v1::QUALIFICATION_REASON_PARTICIPANT_UNKNOWN);
    return result;
  }
  const ParticipantStanding& p = found->second;
  result.set_organisation_id(p.organisation_id);
  if (p.suspension != v1::SUSPENSION_REASON_UNSPECIFIED) {
    Add(result, v1::QUALIFICATION_REASON_SUSPENDED, "", v1::SuspensionReason_Name(p.suspension));
  }
  if (p.kind == v1::PARTICIPANT_KIND_VOLUNTEER && p.stage != v1::VOLUNTEER_STAGE_ACTIVE) {
    Add(result, v1::QUALIFICATION_REASON_NOT_ACTIVE, "", v1::VolunteerStage_Name(p.stage));
  }
  if (IsChildFacing(activity)) JudgeBackgroundCheck(p, day, result);
  auto certs = facts.certifications.find(participant_id);
  for (const RequiredCourse& course : facts.required) {
    JudgeCourse(course, certs == facts.certifications.end() ? nullptr : &certs->second, day, result);
  }
  auto organisation = facts.organisations.find(p.organisation_id);
  if (organisation != facts.organisations.end()) {
    v1::QualificationResult standing = EvaluateOrganisation(p.organisation_id, organisation->second, day);
    if (!standing.qualified()) Add(result, v1::QUALIFICATION_REASON_ORGANISATION_QUALIFICATION_LAPSED);
  }
  result.set_qualified(result.reasons_size() == 0);
  return result;
}

v1::QualificationResult EvaluateOrganisation(const std::string& organisation_id,
                                             const std::vector<OrganisationStanding>& records,
                                             absl::CivilDay day) {
  v1::QualificationResult result;
  result.set_organisation_id(organisation_id);
  if (records.empty()) {
    Add(result, v1::QUALIFICATION_REASON_ORGANISATION_NOT_ASSESSED);
    return result;
  }
  for (const OrganisationStanding& r : records) {
    if (Covers(r.assessed_on, r.expires_on, day)) {
      result.set_qualified(true);
      return result;
    }
  }
  Add(result, v1::QUALIFICATION_REASON_ORGANISATION_QUALIFICATION_LAPSED);
  return result;
}

}  // namespace shouhu::training
