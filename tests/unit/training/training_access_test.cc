// Who sees which training record: jurisdiction for everyone, organisation for NGO staff, sessions open to
// every organisation of the jurisdiction, enrollments to the session's trainers.
#include "services/training/training_access.h"

#include <gtest/gtest.h>

#include "common/status_macros.h"

namespace shouhu::training {
namespace {

Principal Caller(Role role, const std::string& organisation, const std::string& jurisdiction) {
  Principal p;
  p.set_subject("someone");
  p.set_organisation_id(organisation);
  p.add_roles(role);
  if (!jurisdiction.empty()) p.add_jurisdictions(jurisdiction);
  return p;
}

v1::Participant Wuding(const std::string& organisation = "ngo-wuding") {
  v1::Participant p;
  p.set_organisation_id(organisation);
  p.set_home_division_code("532329101");
  return p;
}

v1::Session WudingSession() {
  v1::Session s;
  s.set_organisation_id("gov-wuding");
  s.set_division_code("532329");
  return s;
}

TEST(TrainingAccess, Participant_JurisdictionForAll_OrganisationForNgoStaff) {
  EXPECT_TRUE(CanSeeParticipant(Caller(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, "gov", "5323"), Wuding("x")));
  EXPECT_FALSE(CanSeeParticipant(Caller(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, "gov", "640105"), Wuding()));
  EXPECT_TRUE(CanSeeParticipant(Caller(common::v1::ROLE_NGO_ADMIN, "ngo-wuding", "532329"), Wuding()));
  EXPECT_FALSE(CanSeeParticipant(Caller(common::v1::ROLE_NGO_ADMIN, "ngo-other", "532329"), Wuding()));
  // The system role has no bypass: without a jurisdiction it sees nothing.
  EXPECT_FALSE(CanSeeParticipant(Caller(common::v1::ROLE_SYSTEM, "visits", ""), Wuding()));
  EXPECT_EQ(RequireParticipant(Caller(common::v1::ROLE_SYSTEM, "visits", ""), Wuding()).code(),
            absl::StatusCode::kNotFound);
}

TEST(TrainingAccess, Session_OpenToEveryOrganisationOfTheJurisdiction) {
  EXPECT_TRUE(CanSeeSession(Caller(common::v1::ROLE_NGO_ADMIN, "ngo-other", "532329"), WudingSession()));
  EXPECT_FALSE(CanSeeSession(Caller(common::v1::ROLE_NGO_ADMIN, "ngo-other", "640105"), WudingSession()));
}

TEST(TrainingAccess, Enrollment_TrainersSeeEveryone_NgoStaffTheirOwnPeople) {
  const v1::Participant elsewhere = Wuding("ngo-other");
  EXPECT_TRUE(
      CanSeeEnrollment(Caller(common::v1::ROLE_TRAINER, "gov", "532329"), WudingSession(), elsewhere));
  EXPECT_FALSE(CanSeeEnrollment(Caller(common::v1::ROLE_NGO_ADMIN, "ngo-wuding", "532329"), WudingSession(),
                                elsewhere));
  EXPECT_EQ(
      RequireEnrollment(Caller(common::v1::ROLE_TRAINER, "gov", "640105"), WudingSession(), elsewhere).code(),
      absl::StatusCode::kNotFound);
}

TEST(TrainingAccess, PlacingARecordOutsideScope_NotFound) {
  const Principal ngo = Caller(common::v1::ROLE_NGO_ADMIN, "ngo-wuding", "532329");
  EXPECT_TRUE(RequireMayPlace(ngo, {"532329101", "ngo-wuding"}).ok());
  EXPECT_EQ(RequireMayPlace(ngo, {"640105001", "ngo-wuding"}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(RequireMayPlace(ngo, {"532329101", "ngo-other"}).code(), absl::StatusCode::kNotFound);
  // An NGO admin whose token named no organisation places nothing, not even a record naming none.
  EXPECT_EQ(RequireMayPlace(Caller(common::v1::ROLE_NGO_ADMIN, "", "532329"), {"532329101", ""}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(RequireMayPlace(Caller(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, "gov", "532329"),
                              {"532329101", "ngo-other"})
                  .ok());
}

TEST(TrainingAccess, RequiredCourse_OnlyTheCivilAffairsOfficer_PermissionDeniedNamingRequiredFor) {
  v1::Course required;
  required.add_required_for(v1::ACTIVITY_HOME_VISIT);
  EXPECT_TRUE(
      RequireMayRequireCourse(Caller(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, "gov", "532329"), required)
          .ok());
  for (Role role : {common::v1::ROLE_TRAINER, common::v1::ROLE_NGO_ADMIN}) {
    const absl::Status denied = RequireMayRequireCourse(Caller(role, "ngo-wuding", "532329"), required);
    EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied) << common::v1::Role_Name(role);
    EXPECT_EQ(FieldOf(denied), "course.required_for") << common::v1::Role_Name(role);
    // A course required for nothing is anyone's to offer.
    EXPECT_TRUE(RequireMayRequireCourse(Caller(role, "ngo-wuding", "532329"), v1::Course()).ok());
  }
}

TEST(TrainingAccess, FailedBackgroundCheck_ReplacedOnlyByTheCounty_RecordedFailedAgainByAnyone) {
  v1::Participant failed = Wuding();
  failed.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_FAILED);
  v1::BackgroundCheck cleared;
  cleared.set_status(v1::BACKGROUND_CHECK_STATUS_CLEARED);
  v1::BackgroundCheck pending;
  pending.set_status(v1::BACKGROUND_CHECK_STATUS_PENDING);
  v1::BackgroundCheck failed_again;
  failed_again.set_status(v1::BACKGROUND_CHECK_STATUS_FAILED);
  const Principal ngo = Caller(common::v1::ROLE_NGO_ADMIN, "ngo-wuding", "532329");
  EXPECT_EQ(RequireMayReplaceCheck(ngo, failed, cleared).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(RequireMayReplaceCheck(ngo, failed, pending).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(RequireMayReplaceCheck(ngo, failed, failed_again).ok());
  EXPECT_TRUE(
      RequireMayReplaceCheck(Caller(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, "gov", "532329"), failed, cleared)
          .ok());
  EXPECT_TRUE(
      RequireMayReplaceCheck(Caller(common::v1::ROLE_SYSTEM, "visits", "532329"), failed, cleared).ok());
  // Any other standing check is the organisation's to update.
  v1::Participant pending_person = Wuding();
  pending_person.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_PENDING);
  EXPECT_TRUE(RequireMayReplaceCheck(ngo, pending_person, cleared).ok());
  EXPECT_TRUE(RequireMayReplaceCheck(ngo, Wuding(), cleared).ok());
}

}  // namespace
}  // namespace shouhu::training
