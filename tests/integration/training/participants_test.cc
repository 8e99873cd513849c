// Participants, the volunteer pipeline, background checks: authentication, roles, scoping, bad input and
// idempotent retries, over real gRPC against MariaDB.
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "shouhu/training/v1/events.pb.h"
#include "tests/integration/training/training_test_fixture.h"

namespace shouhu::training {
namespace {

v1::RegisterParticipantRequest VolunteerRequest(const std::string& request_id) {
  v1::RegisterParticipantRequest request;
  request.set_request_id(request_id);
  v1::Participant* p = request.mutable_participant();
  p->set_kind(v1::PARTICIPANT_KIND_VOLUNTEER);
  p->set_organisation_id("ngo-wuding");
  p->set_home_division_code("532329101");
  p->set_display_name("张明");
  return request;
}

// The participant's check recorded CLEARED from 2025-03-01 for three years: what an organisation would send
// to clear its own volunteer.
v1::RecordBackgroundCheckRequest ClearedCheck(const std::string& participant_id) {
  v1::RecordBackgroundCheckRequest clear;
  clear.set_request_id("clear");
  clear.set_participant_id(participant_id);
  clear.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_CLEARED);
  clear.mutable_background_check()->set_checked_on("2025-03-01");
  clear.mutable_background_check()->set_expires_on("2028-03-01");
  return clear;
}

std::string FieldOfStatus(const grpc::Status& status) { return FieldOfGrpcStatus(status); }

TEST_F(TrainingTest, RegisterParticipant_Volunteer_StartsAppliedWithCheckNotStarted) {
  v1::RegisterParticipantResponse response;
  ASSERT_TRUE(Call(&Stub::RegisterParticipant, NgoAdmin(), VolunteerRequest("r1"), &response).ok());
  EXPECT_EQ(response.participant().stage(), v1::VOLUNTEER_STAGE_APPLIED);
  EXPECT_EQ(response.participant().background_check().status(), v1::BACKGROUND_CHECK_STATUS_NOT_STARTED);
  EXPECT_EQ(response.participant().id().size(), kIdLength);
  v1::GetParticipantRequest get;
  get.set_participant_id(response.participant().id());
  v1::GetParticipantResponse got;
  ASSERT_TRUE(Call(&Stub::GetParticipant, NgoAdmin(), get, &got).ok());
  EXPECT_EQ(got.participant().display_name(), "张明");
}

TEST_F(TrainingTest, RegisterParticipant_RetriedWithSameRequestId_ReturnsFirstAndWritesOnce) {
  v1::RegisterParticipantResponse first, second;
  ASSERT_TRUE(Call(&Stub::RegisterParticipant, NgoAdmin(), VolunteerRequest("same"), &first).ok());
  ASSERT_TRUE(Call(&Stub::RegisterParticipant, NgoAdmin(), VolunteerRequest("same"), &second).ok());
  EXPECT_EQ(first.participant().id(), second.participant().id());
  EXPECT_EQ(database_->Count("participants"), 1);

  v1::RegisterParticipantRequest other = VolunteerRequest("same");
  other.mutable_participant()->set_display_name("王芳");
  v1::RegisterParticipantResponse rejected;
  grpc::Status status = Call(&Stub::RegisterParticipant, NgoAdmin(), other, &rejected);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOfStatus(status), "request_id");
  EXPECT_EQ(database_->Count("participants"), 1);
}

TEST_F(TrainingTest, RegisterParticipant_BadInput_InvalidArgumentNamingFieldNothingWritten) {
  struct Case {
    std::function<void(v1::RegisterParticipantRequest&)> spoil;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](auto& r) { r.set_request_id(""); }, "request_id"},
      {[](auto& r) { r.mutable_participant()->set_kind(v1::PARTICIPANT_KIND_UNSPECIFIED); },
       "participant.kind"},
      {[](auto& r) { r.mutable_participant()->set_home_division_code("53232"); },
       "participant.home_division_code"},
      {[](auto& r) { r.mutable_participant()->set_display_name(""); }, "participant.display_name"},
      {[](auto& r) { r.mutable_participant()->set_organisation_id("ngo wuding"); },
       "participant.organisation_id"},
      {[](auto& r) { r.mutable_participant()->add_languages(""); }, "participant.languages[0]"},
      {[](auto& r) { r.mutable_participant()->set_supervisor_id("not-an-id"); }, "participant.supervisor_id"},
      {[](auto& r) { r.mutable_participant()->set_kind(v1::PARTICIPANT_KIND_CAREGIVER); },
       "participant.registry_child_id"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::RegisterParticipantRequest request = VolunteerRequest(absl::StrCat("bad-", i));
    cases[i].spoil(request);
    v1::RegisterParticipantResponse response;
    grpc::Status status = Call(&Stub::RegisterParticipant, NgoAdmin(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << cases[i].field;
    EXPECT_EQ(FieldOfStatus(status), cases[i].field);
  }
  EXPECT_EQ(database_->Count("participants"), 0);
  EXPECT_EQ(database_->Count("idempotency_records"), 0);
}

TEST_F(TrainingTest, Calls_WithoutOrWithForgedPrincipal_Unauthenticated) {
  v1::GetParticipantRequest request;
  request.set_participant_id("01JCZZZZZZZZZZZZZZZZZZZZZZ");
  v1::GetParticipantResponse response;
  grpc::ClientContext bare;
  EXPECT_EQ(stub_->GetParticipant(&bare, request, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  PrincipalSigner forger(::shouhu::testing::ForgedKey(), *clock_);
  grpc::ClientContext forged;
  forger.Attach(Officer(), forged);
  EXPECT_EQ(stub_->GetParticipant(&forged, request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TrainingTest, RegisterParticipant_VolunteerRole_PermissionDenied) {
  v1::RegisterParticipantResponse response;
  grpc::Status status =
      Call(&Stub::RegisterParticipant, Make(common::v1::ROLE_VOLUNTEER, "ngo-wuding", {"532329"}),
           VolunteerRequest("r"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(TrainingTest, GetParticipant_OtherJurisdictionOrOtherOrganisation_NotFound) {
  v1::Participant p = RegisterVolunteer();
  v1::GetParticipantRequest request;
  request.set_participant_id(p.id());
  v1::GetParticipantResponse response;
  Principal xixia = Make(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, "gov-xixia", {"640105"});
  EXPECT_EQ(Call(&Stub::GetParticipant, xixia, request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(&Stub::GetParticipant, NgoAdmin("ngo-other"), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Call(&Stub::GetParticipant, NgoAdmin(), request, &response).ok());
  EXPECT_TRUE(
      Call(&Stub::GetParticipant, Make(common::v1::ROLE_AUDITOR, "audit", {"53"}), request, &response).ok());
}

TEST_F(TrainingTest, ListParticipants_ScopedToOrganisationForNgoRoles) {
  RegisterVolunteer("ngo-wuding");
  RegisterVolunteer("ngo-wuding");
  RegisterVolunteer("ngo-other");
  const Principal xixia = Make(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, "gov-xixia", {"640105"});
  RegisterVolunteer("ngo-wuding", "640105001", &xixia);  // Xixia: outside the Wuding jurisdiction
  v1::ListParticipantsRequest request;
  v1::ListParticipantsResponse ngo, officer;
  ASSERT_TRUE(Call(&Stub::ListParticipants, NgoAdmin(), request, &ngo).ok());
  EXPECT_EQ(ngo.participants_size(), 2);
  ASSERT_TRUE(Call(&Stub::ListParticipants, Officer(), request, &officer).ok());
  EXPECT_EQ(officer.participants_size(), 3);
  request.set_page_size(2);
  v1::ListParticipantsResponse page1, page2;
  ASSERT_TRUE(Call(&Stub::ListParticipants, Officer(), request, &page1).ok());
  ASSERT_EQ(page1.participants_size(), 2);
  request.set_page_token(page1.next_page_token());
  ASSERT_TRUE(Call(&Stub::ListParticipants, Officer(), request, &page2).ok());
  EXPECT_EQ(page2.participants_size(), 1);
}

TEST_F(TrainingTest, ChangeVolunteerStage_Pipeline_WritesActivatedAndSuspendedEvents) {
  v1::Participant p = RegisterVolunteer();
  v1::ChangeVolunteerStageRequest skip;
  skip.set_request_id("skip");
  skip.set_participant_id(p.id());
  skip.set_stage(v1::VOLUNTEER_STAGE_ACTIVE);
  v1::ChangeVolunteerStageResponse response;
  EXPECT_EQ(Call(&Stub::ChangeVolunteerStage, Officer(), skip, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  Activate(p.id());
  MoveTo(p.id(), v1::VOLUNTEER_STAGE_SUSPENDED);
  std::vector<common::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 2u);
  v1::VolunteerActivated activated;
  ASSERT_TRUE(events[0].payload().UnpackTo(&activated));
  EXPECT_EQ(activated.participant_id(), p.id());
  EXPECT_EQ(activated.previous_stage(), v1::VOLUNTEER_STAGE_IN_TRAINING);
  v1::VolunteerSuspended suspended;
  ASSERT_TRUE(events[1].payload().UnpackTo(&suspended));
  EXPECT_EQ(suspended.stage(), v1::VOLUNTEER_STAGE_SUSPENDED);
  EXPECT_EQ(database_->Count("stage_changes"), 4);
}

TEST_F(TrainingTest, RecordBackgroundCheck_Cleared_StoredWithEvent_MissingDatesRejected) {
  v1::Participant p = RegisterVolunteer();
  v1::RecordBackgroundCheckRequest bad;
  bad.set_request_id("bad");
  bad.set_participant_id(p.id());
  bad.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_CLEARED);
  bad.mutable_background_check()->set_checked_on("2025-02-30");
  v1::RecordBackgroundCheckResponse response;
  grpc::Status status = Call(&Stub::RecordBackgroundCheck, Officer(), bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOfStatus(status), "background_check.checked_on");

  RecordCheck(p.id(), v1::BACKGROUND_CHECK_STATUS_CLEARED, "2025-02-01", "2027-02-01");
  v1::GetParticipantRequest get;
  get.set_participant_id(p.id());
  v1::GetParticipantResponse got;
  ASSERT_TRUE(Call(&Stub::GetParticipant, Officer(), get, &got).ok());
  EXPECT_EQ(got.participant().background_check().status(), v1::BACKGROUND_CHECK_STATUS_CLEARED);
  EXPECT_EQ(got.participant().background_check().expires_on(), "2027-02-01");
  std::vector<common::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 1u);
  v1::BackgroundCheckChanged changed;
  ASSERT_TRUE(events[0].payload().UnpackTo(&changed));
  EXPECT_EQ(changed.previous_status(), v1::BACKGROUND_CHECK_STATUS_NOT_STARTED);
  EXPECT_EQ(changed.background_check().status(), v1::BACKGROUND_CHECK_STATUS_CLEARED);
}

// A check dated tomorrow has not been made: recorded CLEARED it would read as a clearance from that day on.
TEST_F(TrainingTest, RecordBackgroundCheck_CheckedOnAfterToday_InvalidArgumentNothingWritten) {
  v1::Participant p = RegisterVolunteer();
  v1::RecordBackgroundCheckRequest ahead;
  ahead.set_request_id("ahead");
  ahead.set_participant_id(p.id());
  ahead.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_CLEARED);
  ahead.mutable_background_check()->set_checked_on("2025-03-04");  // the clock stands at 2025-03-03
  ahead.mutable_background_check()->set_expires_on("2028-03-04");
  v1::RecordBackgroundCheckResponse response;
  grpc::Status status = Call(&Stub::RecordBackgroundCheck, Officer(), ahead, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOfStatus(status), "background_check.checked_on");
  EXPECT_EQ(database_->Count("background_checks"), 0);
  EXPECT_EQ(Events().size(), 0u);
  v1::GetParticipantRequest get;
  get.set_participant_id(p.id());
  v1::GetParticipantResponse got;
  ASSERT_TRUE(Call(&Stub::GetParticipant, Officer(), get, &got).ok());
  EXPECT_EQ(got.participant().background_check().status(), v1::BACKGROUND_CHECK_STATUS_NOT_STARTED);
  // Checked today (Asia/Shanghai) is a check made.
  RecordCheck(p.id(), v1::BACKGROUND_CHECK_STATUS_CLEARED, "2025-03-03", "2028-03-03");
}

// A FAILED check keeps the person from children; the organisation that wants them working cannot clear it
// itself. The county can; the organisation may record the failure again.
TEST_F(TrainingTest, RecordBackgroundCheck_FailedCheckReplacedByTheOwnNgo_PermissionDeniedNothingWritten) {
  v1::Participant p = RegisterVolunteer();
  RecordCheck(p.id(), v1::BACKGROUND_CHECK_STATUS_FAILED, "2025-02-20", "");
  v1::RecordBackgroundCheckRequest clear = ClearedCheck(p.id());
  v1::RecordBackgroundCheckResponse response;
  EXPECT_EQ(Call(&Stub::RecordBackgroundCheck, NgoAdmin(), clear, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  clear.set_request_id("pending");
  clear.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_PENDING);
  EXPECT_EQ(Call(&Stub::RecordBackgroundCheck, NgoAdmin(), clear, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(database_->Count("background_checks"), 1);
  v1::GetParticipantRequest get;
  get.set_participant_id(p.id());
  v1::GetParticipantResponse got;
  ASSERT_TRUE(Call(&Stub::GetParticipant, NgoAdmin(), get, &got).ok());
  EXPECT_EQ(got.participant().background_check().status(), v1::BACKGROUND_CHECK_STATUS_FAILED);

  clear.set_request_id("failed-again");
  clear.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_FAILED);
  clear.mutable_background_check()->clear_expires_on();
  EXPECT_TRUE(Call(&Stub::RecordBackgroundCheck, NgoAdmin(), clear, &response).ok());
  clear.set_request_id("county-clears");
  clear.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_CLEARED);
  clear.mutable_background_check()->set_expires_on("2028-03-01");
  ASSERT_TRUE(Call(&Stub::RecordBackgroundCheck, Officer(), clear, &response).ok());
  EXPECT_EQ(response.participant().background_check().status(), v1::BACKGROUND_CHECK_STATUS_CLEARED);
  EXPECT_EQ(database_->Count("background_checks"), 3);
}

// The NGO's CLEARED waits on the participant's row while the county's FAILED is being written under it: the
// rule is judged on the row as the lock hands it over, so the NGO's call sees the failure and is refused,
// where a check made before taking the lock would have let it overwrite the failure.
TEST_F(TrainingTest, RecordBackgroundCheck_FailedCommittedWhileTheNgoWaitsOnTheRow_NgoRefused) {
  v1::Participant p = RegisterVolunteer();
  RecordCheck(p.id(), v1::BACKGROUND_CHECK_STATUS_PENDING, "", "");
  absl::Notification locked;
  absl::Notification release;
  std::thread county([&] {
    EXPECT_OK(database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
      RETURN_IF_ERROR(tx.Query("SELECT id FROM participants WHERE id = ? FOR UPDATE", {p.id()}).status());
      RETURN_IF_ERROR(tx.Execute("UPDATE participants SET background_status = ? WHERE id = ?",
                                 {int64_t{v1::BACKGROUND_CHECK_STATUS_FAILED}, p.id()})
                          .status());
      locked.Notify();
      release.WaitForNotification();
      return absl::OkStatus();
    }));
  });
  locked.WaitForNotification();
  grpc::Status status;
  std::thread ngo([&] {
    v1::RecordBackgroundCheckResponse response;
    status = Call(&Stub::RecordBackgroundCheck, NgoAdmin(), ClearedCheck(p.id()), &response);
  });
  // Time for the NGO's call to reach the row's lock; not an assertion: it is refused whenever it gets there.
  absl::SleepFor(absl::Milliseconds(500));
  release.Notify();
  county.join();
  ngo.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  v1::GetParticipantRequest get;
  get.set_participant_id(p.id());
  v1::GetParticipantResponse got;
  ASSERT_TRUE(Call(&Stub::GetParticipant, NgoAdmin(), get, &got).ok());
  EXPECT_EQ(got.participant().background_check().status(), v1::BACKGROUND_CHECK_STATUS_FAILED);
}

}  // namespace
}  // namespace shouhu::training
