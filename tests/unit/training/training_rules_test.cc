// The pure rules about people and places, and every qualification reason.
#include "services/training/training_rules.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "services/training/qualification.h"

namespace shouhu::training {
namespace {

TEST(StageMoveAllowed, PipelineInOrder_AndLeaveFromAnywhere) {
  EXPECT_TRUE(StageMoveAllowed(v1::VOLUNTEER_STAGE_APPLIED, v1::VOLUNTEER_STAGE_INTERVIEWED));
  EXPECT_TRUE(StageMoveAllowed(v1::VOLUNTEER_STAGE_INTERVIEWED, v1::VOLUNTEER_STAGE_IN_TRAINING));
  EXPECT_TRUE(StageMoveAllowed(v1::VOLUNTEER_STAGE_IN_TRAINING, v1::VOLUNTEER_STAGE_ACTIVE));
  EXPECT_TRUE(StageMoveAllowed(v1::VOLUNTEER_STAGE_ACTIVE, v1::VOLUNTEER_STAGE_SUSPENDED));
  EXPECT_TRUE(StageMoveAllowed(v1::VOLUNTEER_STAGE_SUSPENDED, v1::VOLUNTEER_STAGE_ACTIVE));
  EXPECT_TRUE(StageMoveAllowed(v1::VOLUNTEER_STAGE_APPLIED, v1::VOLUNTEER_STAGE_LEFT));
  EXPECT_FALSE(StageMoveAllowed(v1::VOLUNTEER_STAGE_APPLIED, v1::VOLUNTEER_STAGE_ACTIVE));
  EXPECT_FALSE(StageMoveAllowed(v1::VOLUNTEER_STAGE_LEFT, v1::VOLUNTEER_STAGE_ACTIVE));
  EXPECT_FALSE(StageMoveAllowed(v1::VOLUNTEER_STAGE_ACTIVE, v1::VOLUNTEER_STAGE_ACTIVE));
}

Actor Someone() { return Actor{"officer@gov-wuding", "gov-wuding", absl::FromUnixSeconds(1741395600)}; }

v1::Participant Volunteer(v1::VolunteerStage stage) {
  v1::Participant p;
  p.set_id("01JD0000000000000000000001");
  p.set_kind(v1::PARTICIPANT_KIND_VOLUNTEER);
  p.set_organisation_id("ngo-wuding");
  p.set_stage(stage);
  return p;
}

TEST(ChangeStage, Activation_UpdatedRecordAndActivatedEvent) {
  absl::StatusOr<StageChange> change =
      ChangeStage(Volunteer(v1::VOLUNTEER_STAGE_IN_TRAINING), v1::VOLUNTEER_STAGE_ACTIVE, "", Someone());
  ASSERT_TRUE(change.ok());
  EXPECT_EQ(change->updated.stage(), v1::VOLUNTEER_STAGE_ACTIVE);
  EXPECT_EQ(change->from, v1::VOLUNTEER_STAGE_IN_TRAINING);
  ASSERT_NE(change->event, nullptr);
  EXPECT_EQ(change->event->GetDescriptor()->full_name(), "shouhu.training.v1.VolunteerActivated");
}

TEST(ChangeStage, LeavingTheActiveStage_Suspended_OtherMovesAnnounceNothing) {
  absl::StatusOr<StageChange> left =
      ChangeStage(Volunteer(v1::VOLUNTEER_STAGE_ACTIVE), v1::VOLUNTEER_STAGE_LEFT, "moved away", Someone());
  ASSERT_TRUE(left.ok());
  ASSERT_NE(left->event, nullptr);
  EXPECT_EQ(left->event->GetDescriptor()->full_name(), "shouhu.training.v1.VolunteerSuspended");
  absl::StatusOr<StageChange> interviewed =
      ChangeStage(Volunteer(v1::VOLUNTEER_STAGE_APPLIED), v1::VOLUNTEER_STAGE_INTERVIEWED, "", Someone());
  ASSERT_TRUE(interviewed.ok());
  EXPECT_EQ(interviewed->event, nullptr);
}

TEST(ChangeStage, SkippingAStageOrNotAVolunteer_FailedPrecondition) {
  EXPECT_EQ(ChangeStage(Volunteer(v1::VOLUNTEER_STAGE_APPLIED), v1::VOLUNTEER_STAGE_ACTIVE, "", Someone())
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  v1::Participant worker = Volunteer(v1::VOLUNTEER_STAGE_UNSPECIFIED);
  worker.set_kind(v1::PARTICIPANT_KIND_SOCIAL_WORKER);
  EXPECT_EQ(ChangeStage(worker, v1::VOLUNTEER_STAGE_LEFT, "", Someone()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(MayEnroll, VolunteerWhoLeft_OrCourseForAnotherAudience_FailedPrecondition) {
  v1::Course course;
  EXPECT_TRUE(MayEnroll(course, Volunteer(v1::VOLUNTEER_STAGE_ACTIVE)).ok());
  EXPECT_EQ(MayEnroll(course, Volunteer(v1::VOLUNTEER_STAGE_LEFT)).code(),
            absl::StatusCode::kFailedPrecondition);
  course.add_audiences(v1::PARTICIPANT_KIND_CAREGIVER);
  EXPECT_EQ(MayEnroll(course, Volunteer(v1::VOLUNTEER_STAGE_ACTIVE)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(PlaceFor, LastPlaceTaken_ThenWaitlist) {
  EXPECT_EQ(PlaceFor(2, 1), v1::ENROLLMENT_STATUS_ENROLLED);
  EXPECT_EQ(PlaceFor(2, 2), v1::ENROLLMENT_STATUS_WAITLISTED);
}

class Qualification : public ::testing::Test {
 protected:
  void SetUp() override {
    facts_.required.push_back({"C1", "SAFE-101"});
    ParticipantStanding p;
    p.id = "P";
    p.organisation_id = "ngo";
    p.kind = v1::PARTICIPANT_KIND_VOLUNTEER;
    p.stage = v1::VOLUNTEER_STAGE_ACTIVE;
    p.background_status = v1::BACKGROUND_CHECK_STATUS_CLEARED;
    p.background_checked_on = absl::CivilDay(2025, 1, 1);
    p.background_expires_on = absl::CivilDay(2026, 1, 1);
    facts_.participants["P"] = p;
    facts_.certifications["P"].push_back(
        {"C1", absl::CivilDay(2025, 2, 1), absl::CivilDay(2026, 2, 1), false});
  }
  std::vector<v1::QualificationReason> Reasons(absl::CivilDay day, v1::Activity a = v1::ACTIVITY_HOME_VISIT) {
    v1::QualificationResult r = EvaluateParticipant(facts_, "P", a, day);
    std::vector<v1::QualificationReason> out;
    for (const auto& reason : r.reasons()) out.push_back(reason.reason());
    EXPECT_EQ(r.qualified(), out.empty());
    return out;
  }
  QualificationFacts facts_;
};

using R = std::vector<v1::QualificationReason>;

TEST_F(Qualification, AllInOrder_Qualified) { EXPECT_EQ(Reasons(absl::CivilDay(2025, 6, 1)), R{}); }

TEST_F(Qualification, CertificateExpiresOnItsExpiryDay) {
  facts_.participants["P"].background_expires_on = absl::CivilDay(2030, 1, 1);
  EXPECT_EQ(Reasons(absl::CivilDay(2026, 1, 31)), R{});
  EXPECT_EQ(Reasons(absl::CivilDay(2026, 2, 1)), R{v1::QUALIFICATION_REASON_CERTIFICATION_EXPIRED});
}

TEST_F(Qualification, BeforeCertificateIssued_MissingCourse) {
  EXPECT_EQ(Reasons(absl::CivilDay(2025, 1, 15)), R{v1::QUALIFICATION_REASON_MISSING_COURSE});
}

TEST_F(Qualification, Revoked_ReportedAsRevoked) {
  facts_.certifications["P"][0].revoked = true;
  EXPECT_EQ(Reasons(absl::CivilDay(2025, 6, 1)), R{v1::QUALIFICATION_REASON_CERTIFICATION_REVOKED});
}

TEST_F(Qualification, BackgroundCheckFailed_UnqualifiedForChildFacingOnly) {
  facts_.participants["P"].background_status = v1::BACKGROUND_CHECK_STATUS_FAILED;
  EXPECT_EQ(Reasons(absl::CivilDay(2025, 6, 1)), R{v1::QUALIFICATION_REASON_BACKGROUND_CHECK_FAILED});
  EXPECT_EQ(Reasons(absl::CivilDay(2025, 6, 1), v1::ACTIVITY_TRAINING_OTHERS), R{});
}

TEST_F(Qualification, BackgroundCheckExpired) {
  EXPECT_EQ(Reasons(absl::CivilDay(2026, 1, 1)), R{v1::QUALIFICATION_REASON_BACKGROUND_CHECK_EXPIRED});
}

TEST_F(Qualification, BackgroundCheckPending_NotCleared) {
  facts_.participants["P"].background_status = v1::BACKGROUND_CHECK_STATUS_PENDING;
  EXPECT_EQ(Reasons(absl::CivilDay(2025, 6, 1)), R{v1::QUALIFICATION_REASON_BACKGROUND_CHECK_NOT_CLEARED});
}

TEST_F(Qualification, SuspendedVolunteer_NotActive) {
  facts_.participants["P"].stage = v1::VOLUNTEER_STAGE_SUSPENDED;
  EXPECT_EQ(Reasons(absl::CivilDay(2025, 6, 1)), R{v1::QUALIFICATION_REASON_NOT_ACTIVE});
}

TEST_F(Qualification, OrganisationRecordLapsed) {
  facts_.organisations["ngo"].push_back({"ngo", absl::CivilDay(2023, 1, 1), absl::CivilDay(2025, 1, 1)});
  EXPECT_EQ(Reasons(absl::CivilDay(2025, 6, 1)),
            R{v1::QUALIFICATION_REASON_ORGANISATION_QUALIFICATION_LAPSED});
}

TEST(EvaluateOrganisation, NoRecord_NotAssessed_Covered_Qualified) {
  EXPECT_EQ(EvaluateOrganisation("ngo", {}, absl::CivilDay(2025, 1, 1)).reasons(0).reason(),
            v1::QUALIFICATION_REASON_ORGANISATION_NOT_ASSESSED);
  std::vector<OrganisationStanding> records = {
      {"ngo", absl::CivilDay(2024, 1, 1), absl::CivilDay(2027, 1, 1)}};
  EXPECT_TRUE(EvaluateOrganisation("ngo", records, absl::CivilDay(2025, 1, 1)).qualified());
  EXPECT_FALSE(EvaluateOrganisation("ngo", records, absl::CivilDay(2027, 1, 1)).qualified());
}

// Results are taken from the session's first moment on, never before it (a minute early is refused, and the
// refusal says when it begins, in Shanghai's time).
TEST(MayRecordResults, FromTheSessionsBeginningOn) {
  const absl::Time begins = absl::FromCivil(absl::CivilSecond(2025, 3, 8, 9, 0, 0), ShanghaiTimeZone());
  const absl::Status early = MayRecordResults(begins, begins - absl::Minutes(1));
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(early.message().find("2025-03-08 09:00"), std::string::npos) << early.message();
  EXPECT_TRUE(MayRecordResults(begins, begins).ok());
  EXPECT_TRUE(MayRecordResults(begins, begins + absl::Hours(30)).ok());
}

}  // namespace
}  // namespace shouhu::training
