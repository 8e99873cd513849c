// Suspension from work with children (SuspendParticipant / ReinstateParticipant): apart from the volunteer
// stage, for staff as for volunteers, idempotent, announced once, lifted only for its own reason, and never
// qualified while it holds.
#include "shouhu/training/v1/events.pb.h"
#include "tests/integration/training/training_test_fixture.h"

namespace shouhu::training {
namespace {

using ::shouhu::testing::StatusIs;

class SuspensionTest : public TrainingTest {
 protected:
  static Principal Lead() {
    return Make(common::v1::ROLE_SAFEGUARDING_LEAD, "ngo-wuding", {"532329"}, "lead-1");
  }

  absl::StatusOr<v1::Participant> Suspend(const Principal& as, const std::string& request_id,
                                          const std::string& participant_id, v1::SuspensionReason reason,
                                          const std::string& reference) {
    v1::SuspendParticipantRequest request;
    request.set_request_id(request_id);
    request.set_participant_id(participant_id);
    request.set_reason(reason);
    request.set_reference(reference);
    v1::SuspendParticipantResponse response;
    grpc::Status status = Call(&Stub::SuspendParticipant, as, request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response.participant();
  }

  // `reference`: what the decision rests on ("review" names no hold); `hold_reference`: the hold to lift.
  absl::StatusOr<v1::Participant> Reinstate(const Principal& as, const std::string& request_id,
                                            const std::string& participant_id, v1::SuspensionReason reason,
                                            const std::string& reference = "review",
                                            const std::string& hold_reference = "") {
    v1::ReinstateParticipantRequest request;
    request.set_request_id(request_id);
    request.set_participant_id(participant_id);
    request.set_reason(reason);
    request.set_reference(reference);
    request.set_hold_reference(hold_reference);
    v1::ReinstateParticipantResponse response;
    grpc::Status status = Call(&Stub::ReinstateParticipant, as, request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response.participant();
  }

  v1::QualificationResult Check(const std::string& participant_id, v1::Activity activity) {
    v1::CheckQualificationRequest request;
    request.set_participant_id(participant_id);
    request.set_activity(activity);
    request.set_date("2025-06-07");
    v1::CheckQualificationResponse response;
    grpc::Status status = Call(&Stub::CheckQualification, System(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.result();
  }

  int CountOf(const std::string& type) {
    int n = 0;
    for (const auto& e : Events()) n += e.type() == type;
    return n;
  }

  // An active, cleared, certified volunteer: qualified for home visits on 2025-06-07.
  v1::Participant CertifiedVolunteer() {
    v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
    v1::Participant p = QualifiedVolunteerBase();
    Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
    return p;
  }
};

bool HasReason(const v1::QualificationResult& result, v1::QualificationReason reason) {
  for (const auto& r : result.reasons()) {
    if (r.reason() == reason) return true;
  }
  return false;
}

TEST_F(SuspensionTest, Suspend_QualifiedVolunteer_NotQualifiedForAnythingWithTheReason) {
  v1::Participant p = CertifiedVolunteer();
  ASSERT_TRUE(Check(p.id(), v1::ACTIVITY_HOME_VISIT).qualified());
  ASSERT_OK_AND_ASSIGN(
      v1::Participant suspended,
      Suspend(System(), "s-1", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "concern-1"));
  EXPECT_EQ(suspended.suspension().reason(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN);
  EXPECT_EQ(suspended.suspension().reference(), "concern-1");
  EXPECT_EQ(suspended.stage(), v1::VOLUNTEER_STAGE_ACTIVE);  // the pipeline is not touched
  for (v1::Activity activity :
       {v1::ACTIVITY_HOME_VISIT, v1::ACTIVITY_GROUP_ACTIVITY, v1::ACTIVITY_TRAINING_OTHERS}) {
    v1::QualificationResult result = Check(p.id(), activity);
    EXPECT_FALSE(result.qualified()) << v1::Activity_Name(activity);
    EXPECT_TRUE(HasReason(result, v1::QUALIFICATION_REASON_SUSPENDED)) << v1::Activity_Name(activity);
  }
  // The batch form says the same.
  v1::BatchCheckQualificationRequest batch;
  batch.add_participant_ids(p.id());
  batch.set_activity(v1::ACTIVITY_HOME_VISIT);
  batch.set_date("2025-06-07");
  v1::BatchCheckQualificationResponse answer;
  ASSERT_TRUE(Call(&Stub::BatchCheckQualification, System(), batch, &answer).ok());
  ASSERT_EQ(answer.results_size(), 1);
  EXPECT_FALSE(answer.results(0).qualified());
  EXPECT_TRUE(HasReason(answer.results(0), v1::QUALIFICATION_REASON_SUSPENDED));
}

TEST_F(SuspensionTest, Suspend_StaffSocialWorker_NotQualified) {
  v1::RegisterParticipantRequest request;
  request.set_request_id(NextRequestId());
  v1::Participant* staff = request.mutable_participant();
  staff->set_kind(v1::PARTICIPANT_KIND_SOCIAL_WORKER);
  staff->set_organisation_id("ngo-wuding");
  staff->set_home_division_code("532329101");
  staff->set_display_name("社工甲");
  v1::RegisterParticipantResponse registered;
  ASSERT_TRUE(Call(&Stub::RegisterParticipant, Officer(), request, &registered).ok());
  const std::string id = registered.participant().id();
  RecordCheck(id, v1::BACKGROUND_CHECK_STATUS_CLEARED, "2025-01-01", "2028-01-01");
  ASSERT_TRUE(Check(id, v1::ACTIVITY_TRAINING_OTHERS).qualified());
  ASSERT_OK(Suspend(NgoAdmin(), "s-staff", id, v1::SUSPENSION_REASON_ADMINISTRATIVE, "").status());
  v1::QualificationResult result = Check(id, v1::ACTIVITY_TRAINING_OTHERS);
  EXPECT_FALSE(result.qualified());
  EXPECT_TRUE(HasReason(result, v1::QUALIFICATION_REASON_SUSPENDED));
}

TEST_F(SuspensionTest, Suspend_MoreHolds_OneEventFirstShownEachHoldKept) {
  v1::Participant p = CertifiedVolunteer();
  ASSERT_OK(
      Suspend(System(), "s-1", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "concern-1").status());
  // A retry with the same request id, or the same hold under another, changes nothing.
  ASSERT_OK(
      Suspend(System(), "s-1", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "concern-1").status());
  ASSERT_OK(
      Suspend(System(), "s-1b", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "concern-1").status());
  EXPECT_EQ(database_->Count("suspension_holds"), 1);
  // A second concern, and an administrative suspension: holds of their own, shown under the first.
  ASSERT_OK_AND_ASSIGN(
      v1::Participant again,
      Suspend(System(), "s-2", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "concern-2"));
  EXPECT_EQ(again.suspension().reference(), "concern-1");
  ASSERT_OK(Suspend(NgoAdmin(), "s-3", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE, "").status());
  EXPECT_EQ(database_->Count("suspension_holds"), 3);
  EXPECT_EQ(database_->Count("suspension_changes"), 3);
  EXPECT_EQ(CountOf("shouhu.training.v1.ParticipantSuspended"), 1);
}

// An officer suspends a volunteer on a police report; a concern raised in visits suspends them again. When
// the concern is closed as unfounded the visits service lifts its own hold: the officer's stands, and the
// volunteer stays off work with children (with one suspension slot the second suspension was dropped and the
// concern's close reinstated them). The volunteer's own organisation's lead may not lift the county's hold.
TEST_F(SuspensionTest, TwoHolds_TheConcernsLifted_TheOfficersStillHolds) {
  v1::Participant p = CertifiedVolunteer();
  ASSERT_OK(Suspend(Officer(), "s-o", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "police-2025-17")
                .status());
  ASSERT_OK(
      Suspend(System(), "s-c", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "concern-1").status());
  ASSERT_OK_AND_ASSIGN(
      v1::Participant still,
      Reinstate(System(), "r-c", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "concern-1"));
  EXPECT_EQ(still.suspension().reference(), "police-2025-17");
  EXPECT_FALSE(Check(p.id(), v1::ACTIVITY_HOME_VISIT).qualified());
  EXPECT_FALSE(Check(p.id(), v1::ACTIVITY_GROUP_ACTIVITY).qualified());
  EXPECT_EQ(CountOf("shouhu.training.v1.ParticipantReinstated"), 0);
  // The service names its own hold only: asked again for the concern, it finds nothing to lift.
  EXPECT_THAT(
      Reinstate(System(), "r-c2", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "concern-1").status(),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Reinstate(Lead(), "r-l", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::Participant back,
                       Reinstate(Officer(), "r-o", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN));
  EXPECT_FALSE(back.has_suspension());
  EXPECT_TRUE(Check(p.id(), v1::ACTIVITY_HOME_VISIT).qualified());
  EXPECT_EQ(CountOf("shouhu.training.v1.ParticipantReinstated"), 1);
  EXPECT_EQ(database_->Count("suspension_holds"), 0);
}

// A hold the visits service placed (a concern open there) is lifted by it alone, when it closes the concern:
// neither the organisation's lead nor the county lifts it behind the concern's back.
TEST_F(SuspensionTest, ConcernsHold_OnlyTheServiceLiftsIt) {
  v1::Participant p = CertifiedVolunteer();
  ASSERT_OK(
      Suspend(System(), "s-c", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "concern-1").status());
  EXPECT_THAT(Reinstate(Lead(), "r-l", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Reinstate(Officer(), "r-o", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_FALSE(Check(p.id(), v1::ACTIVITY_HOME_VISIT).qualified());
  EXPECT_OK(
      Reinstate(System(), "r-s", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "concern-1").status());
  EXPECT_TRUE(Check(p.id(), v1::ACTIVITY_HOME_VISIT).qualified());
}

// Two holds of one reason: a person must say which to lift (the refusal lists them); the other stays.
TEST_F(SuspensionTest, TwoHoldsOfAReason_ReinstateNamingNeither_RefusedListingThem) {
  v1::Participant p = CertifiedVolunteer();
  ASSERT_OK(Suspend(Officer(), "s-1", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE, "decision-1").status());
  ASSERT_OK(Suspend(Officer(), "s-2", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE, "decision-2").status());
  const absl::Status neither =
      Reinstate(Officer(), "r-0", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE).status();
  EXPECT_THAT(neither, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(neither.message().find("decision-1, decision-2"), std::string::npos) << neither.message();
  ASSERT_OK_AND_ASSIGN(v1::Participant one,
                       Reinstate(Officer(), "r-2", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE,
                                 "appeal-upheld", "decision-2"));
  EXPECT_EQ(one.suspension().reference(), "decision-1");
  EXPECT_FALSE(Check(p.id(), v1::ACTIVITY_HOME_VISIT).qualified());
}

// A county's references are in Chinese (a police file number, a bureau's decision): each is kept whole,
// shown, and names the hold to lift, up to the 64 characters the edge accepts (the columns were ASCII:
// INTERNAL).
TEST_F(SuspensionTest, ChineseReferences_KeptWholeAndNameTheHoldToLift) {
  v1::Participant p = CertifiedVolunteer();
  const std::string police = "勐海公安(2026)045号";
  std::string decision = "县民政局处理决定";
  while (decision.size() < 64 * 3) decision += "号";  // 64 characters, three bytes each
  ASSERT_OK(Suspend(Officer(), "s-p", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE, police).status());
  ASSERT_OK_AND_ASSIGN(v1::Participant both,
                       Suspend(Officer(), "s-d", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE, decision));
  EXPECT_EQ(both.suspension().reference(), police);
  EXPECT_EQ(database_->Count("suspension_holds"), 2);
  ASSERT_OK_AND_ASSIGN(
      v1::Participant one,
      Reinstate(Officer(), "r-p", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE, "复核撤销", police));
  EXPECT_EQ(one.suspension().reference(), decision);
  EXPECT_FALSE(Check(p.id(), v1::ACTIVITY_HOME_VISIT).qualified());
  ASSERT_OK_AND_ASSIGN(
      v1::Participant back,
      Reinstate(Officer(), "r-d", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE, "复核撤销", decision));
  EXPECT_FALSE(back.has_suspension());
  EXPECT_EQ(database_->Count("suspension_changes"), 4);
}

TEST_F(SuspensionTest, StageChange_SuspendedThenActiveAgain_SafeguardingSuspensionStays) {
  v1::Participant p = CertifiedVolunteer();
  ASSERT_OK(
      Suspend(System(), "s-1", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "concern-1").status());
  MoveTo(p.id(), v1::VOLUNTEER_STAGE_SUSPENDED);
  MoveTo(p.id(), v1::VOLUNTEER_STAGE_ACTIVE);
  v1::QualificationResult result = Check(p.id(), v1::ACTIVITY_HOME_VISIT);
  EXPECT_FALSE(result.qualified());
  EXPECT_TRUE(HasReason(result, v1::QUALIFICATION_REASON_SUSPENDED));
}

TEST_F(SuspensionTest, Reinstate_ByLeadForTheSameReason_QualifiedAgainWithEvent) {
  v1::Participant p = CertifiedVolunteer();
  ASSERT_OK(
      Suspend(Lead(), "s-1", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "lead-decision-1").status());
  // Another reason's reinstatement does not lift it.
  EXPECT_THAT(Reinstate(Lead(), "r-0", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::Participant back,
                       Reinstate(Lead(), "r-1", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN));
  EXPECT_FALSE(back.has_suspension());
  EXPECT_TRUE(Check(p.id(), v1::ACTIVITY_HOME_VISIT).qualified());
  EXPECT_EQ(CountOf("shouhu.training.v1.ParticipantReinstated"), 1);
  // A retry answers as the first time; a fresh request finds nothing to lift.
  ASSERT_OK(Reinstate(Lead(), "r-1", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN).status());
  EXPECT_THAT(Reinstate(Lead(), "r-2", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(CountOf("shouhu.training.v1.ParticipantReinstated"), 1);
}

TEST_F(SuspensionTest, Roles_TrainerCannotSuspendNgoAdminCannotReinstate_OutOfScopeNotFound) {
  v1::Participant p = CertifiedVolunteer();
  EXPECT_THAT(Suspend(Trainer(), "s-t", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE, "").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      Suspend(NgoAdmin("ngo-other"), "s-o", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE, "").status(),
      StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(Suspend(NgoAdmin(), "s-a", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE, "").status());
  const Principal other_lead =
      Make(common::v1::ROLE_SAFEGUARDING_LEAD, "ngo-xixia", {"640105"}, "lead-xixia");
  EXPECT_THAT(Reinstate(other_lead, "r-x", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Reinstate(NgoAdmin(), "r-a", p.id(), v1::SUSPENSION_REASON_ADMINISTRATIVE).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(SuspensionTest, BadInput_NamesTheFieldWritesNothing) {
  v1::Participant p = CertifiedVolunteer();
  struct Case {
    std::string request_id, participant_id;
    v1::SuspensionReason reason;
    std::string reference, field;
  };
  const std::vector<Case> cases = {
      {"", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "c", "request_id"},
      {"b-1", "", v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, "c", "participant_id"},
      {"b-2", p.id(), v1::SUSPENSION_REASON_UNSPECIFIED, "c", "reason"},
      {"b-3", p.id(), v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN, std::string(65, 'x'), "reference"},
  };
  for (const Case& c : cases) {
    absl::Status status = Suspend(System(), c.request_id, c.participant_id, c.reason, c.reference).status();
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_NE(status.message().find(c.field), std::string::npos) << status.message();
  }
  EXPECT_EQ(database_->Count("suspension_changes"), 0);
  EXPECT_EQ(CountOf("shouhu.training.v1.ParticipantSuspended"), 0);
}

}  // namespace
}  // namespace shouhu::training
