// The qualification rules: whether a participant (or an organisation) may do an activity on a day, and if not
// why. Pure: the store gathers the facts, these functions judge them. A failed, pending or expired background
// check disqualifies from child-facing work whatever the training; every course the activity requires needs a
// certificate valid on the day; a volunteer must be active; nobody suspended (staff or volunteer) is
// qualified for anything; and when the participant's organisation has qualification records, one of them must
// cover the day.
#ifndef SHOUHU_SERVICES_TRAINING_QUALIFICATION_H_
#define SHOUHU_SERVICES_TRAINING_QUALIFICATION_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "shouhu/training/v1/training.pb.h"

namespace shouhu::training {

struct ParticipantStanding {
  std::string id;
  std::string organisation_id;
  std::string home_division_code;
  v1::ParticipantKind kind = v1::PARTICIPANT_KIND_UNSPECIFIED;
  v1::VolunteerStage stage = v1::VOLUNTEER_STAGE_UNSPECIFIED;
  v1::BackgroundCheckStatus background_status = v1::BACKGROUND_CHECK_STATUS_NOT_STARTED;
  std::optional<absl::CivilDay> background_checked_on;
  std::optional<absl::CivilDay> background_expires_on;  // no longer valid from that day
  // SuspendParticipant's, apart from the stage: UNSPECIFIED when not suspended.
  v1::SuspensionReason suspension = v1::SUSPENSION_REASON_UNSPECIFIED;
};

struct CertificationStanding {
  std::string course_id;
  absl::CivilDay issued_on;
  absl::CivilDay expires_on;  // no longer valid from that day
  bool revoked = false;
};

struct RequiredCourse {
  std::string course_id;
  std::string code;
};

struct OrganisationStanding {
  std::string organisation_id;
  absl::CivilDay assessed_on;
  absl::CivilDay expires_on;  // no longer valid from that day
};

struct QualificationFacts {
  std::vector<RequiredCourse> required;                                      // by the activity
  std::map<std::string, ParticipantStanding> participants;                   // by id; unknown ids absent
  std::map<std::string, std::vector<CertificationStanding>> certifications;  // by participant id
  std::map<std::string, std::vector<OrganisationStanding>> organisations;  // by organisation id, with records
};

// Home visits, group activities and case management bring the person face to face with children.
bool IsChildFacing(v1::Activity activity);

// The answer for one participant. A participant missing from `facts` is PARTICIPANT_UNKNOWN.
v1::QualificationResult EvaluateParticipant(const QualificationFacts& facts,
                                            const std::string& participant_id, v1::Activity activity,
                                            absl::CivilDay day);

// The answer for an organisation: qualified when one of its records covers the day.
v1::QualificationResult EvaluateOrganisation(const std::string& organisation_id,
                                             const std::vector<OrganisationStanding>& records,
                                             absl::CivilDay day);

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_QUALIFICATION_H_
