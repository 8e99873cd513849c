// Scope answered the one way (outside scope is NOT_FOUND, for records, division prefixes and organisations),
// retries answered with the first answer, and Enroll judging the participant on its locked row.
#include <atomic>
#include <thread>

#include "tests/integration/training/training_test_fixture.h"

namespace shouhu::training {
namespace {

TEST_F(TrainingTest, ListParticipants_DivisionPrefixOutsideJurisdiction_NotFound) {
  RegisterVolunteer();
  v1::ListParticipantsRequest request;
  request.set_division_prefix("640105");
  v1::ListParticipantsResponse response;
  EXPECT_EQ(Call(&Stub::ListParticipants, Officer(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(response.participants_size(), 0);
}

TEST_F(TrainingTest, ListParticipants_AnotherOrganisationNamedByNgoStaff_NotFound) {
  RegisterVolunteer("ngo-other");
  v1::ListParticipantsRequest request;
  request.set_organisation_id("ngo-other");
  v1::ListParticipantsResponse response;
  EXPECT_EQ(Call(&Stub::ListParticipants, NgoAdmin(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // An officer of the county may filter by any organisation in it.
  ASSERT_TRUE(Call(&Stub::ListParticipants, Officer(), request, &response).ok());
  EXPECT_EQ(response.participants_size(), 1);
}

TEST_F(TrainingTest, SystemPrincipal_WithoutJurisdiction_SeesNothing) {
  v1::Participant p = RegisterVolunteer();
  v1::GetParticipantRequest request;
  request.set_participant_id(p.id());
  v1::GetParticipantResponse response;
  EXPECT_EQ(Call(&Stub::GetParticipant, Make(common::v1::ROLE_SYSTEM, "visits", {}), request, &response)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Call(&Stub::GetParticipant, System(), request, &response).ok());
}

TEST_F(TrainingTest, RegisterParticipant_HomeOutsideJurisdiction_NotFoundNothingWritten) {
  v1::RegisterParticipantRequest request;
  request.set_request_id("outside");
  v1::Participant* p = request.mutable_participant();
  p->set_kind(v1::PARTICIPANT_KIND_VOLUNTEER);
  p->set_organisation_id("ngo-wuding");
  p->set_home_division_code("640105001");
  p->set_display_name("张明");
  v1::RegisterParticipantResponse response;
  EXPECT_EQ(Call(&Stub::RegisterParticipant, NgoAdmin(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  p->set_home_division_code("532329101");
  p->set_organisation_id("ngo-other");
  EXPECT_EQ(Call(&Stub::RegisterParticipant, NgoAdmin(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(database_->Count("participants"), 0);
}

TEST_F(TrainingTest, ChangeVolunteerStage_RetryAfterRecordChanged_ReturnsFirstAnswer) {
  v1::Participant p = RegisterVolunteer();
  v1::ChangeVolunteerStageRequest first;
  first.set_request_id("interview");
  first.set_participant_id(p.id());
  first.set_stage(v1::VOLUNTEER_STAGE_INTERVIEWED);
  v1::ChangeVolunteerStageResponse answer;
  ASSERT_TRUE(Call(&Stub::ChangeVolunteerStage, Officer(), first, &answer).ok());
  ASSERT_EQ(answer.participant().stage(), v1::VOLUNTEER_STAGE_INTERVIEWED);
  MoveTo(p.id(), v1::VOLUNTEER_STAGE_IN_TRAINING);

  v1::ChangeVolunteerStageResponse retried;
  ASSERT_TRUE(Call(&Stub::ChangeVolunteerStage, Officer(), first, &retried).ok());
  EXPECT_EQ(retried.participant().stage(), v1::VOLUNTEER_STAGE_INTERVIEWED);
  EXPECT_EQ(retried.SerializeAsString(), answer.SerializeAsString());
  EXPECT_EQ(database_->Count("stage_changes"), 2);
}

TEST_F(TrainingTest, ChangeVolunteerStage_ActorIsTheCaller_NotTheKeyHolder) {
  v1::Participant p = RegisterVolunteer();
  v1::ChangeVolunteerStageRequest request;
  request.set_request_id("by-admin");
  request.set_participant_id(p.id());
  request.set_stage(v1::VOLUNTEER_STAGE_INTERVIEWED);
  v1::ChangeVolunteerStageResponse response;
  ASSERT_TRUE(Call(&Stub::ChangeVolunteerStage, NgoAdmin(), request, &response).ok());
  absl::StatusOr<std::optional<db::Row>> row;
  ASSERT_OK(database_->pool().Autocommit([&](db::Session& s) {
    row = s.QueryOne("SELECT changed_by FROM stage_changes WHERE participant_id = ?", {p.id()});
    return row.status();
  }));
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ((*row)->String(0), NgoAdmin().subject());
}

TEST_F(TrainingTest, CancelEnrollment_OtherOrganisationsEnrollment_NotFoundNothingChanged) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Session session = Schedule(course.id(), absl::CivilDay(2025, 3, 8));
  v1::Enrollment other = EnrollIn(session.id(), RegisterVolunteer("ngo-other").id());
  v1::CancelEnrollmentRequest cancel;
  cancel.set_request_id("cancel");
  cancel.set_enrollment_id(other.id());
  v1::CancelEnrollmentResponse response;
  EXPECT_EQ(Call(&Stub::CancelEnrollment, NgoAdmin(), cancel, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetSessionRequest get;
  get.set_session_id(session.id());
  v1::GetSessionResponse got;
  ASSERT_TRUE(Call(&Stub::GetSession, Trainer(), get, &got).ok());
  EXPECT_EQ(got.session().enrolled_count(), 1);
  EXPECT_EQ(database_->Count("idempotency_records"), 3 + 1);  // course, session, enrollment, volunteer
}

// Whether a statement of this test's schema starting with `prefix` has been running for over 200 ms: waiting
// for a row lock, since none of these statements takes that long otherwise.
bool Waiting(db::Pool& pool, const std::string& prefix) {
  int64_t waiting = 0;
  EXPECT_OK(pool.Autocommit([&](db::Session& s) -> absl::Status {
    absl::StatusOr<std::optional<db::Row>> row = s.QueryOne(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND "
        "COMMAND = 'Execute' AND TIME_MS > 200 AND INFO LIKE CONCAT(?, '%')",
        {prefix});
    if (!row.ok()) return row.status();
    waiting = (*row)->Int(0);
    return absl::OkStatus();
  }));
  return waiting > 0;
}

// Enroll judges "the volunteer has left" on the participant's locked row, so a ChangeVolunteerStage(LEFT)
// racing it either commits first (and Enroll refuses) or waits for the enrollment to commit: never is a
// participant enrolled whose stage was LEFT before the enrollment committed. Each round pins the dangerous
// interleaving: the test holds Enroll at its last statement (the idempotency record, whose key the test has
// inserted uncommitted) after it has read the stage, and sends LEFT then. With the lock, LEFT waits for the
// enrollment; without it, LEFT would commit while the enrollment is still pending and the test fails.
TEST_F(TrainingTest, Enroll_VolunteerLeavesConcurrently_NeverEnrollsALeaver) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Session session = Schedule(course.id(), absl::CivilDay(2025, 3, 8), /*capacity=*/1000);
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    v1::Participant p = RegisterVolunteer();
    v1::EnrollRequest enroll;
    enroll.set_request_id(absl::StrCat("enroll-", round));
    enroll.set_session_id(session.id());
    enroll.set_participant_id(p.id());
    v1::ChangeVolunteerStageRequest leave;
    leave.set_request_id(absl::StrCat("leave-", round));
    leave.set_participant_id(p.id());
    leave.set_stage(v1::VOLUNTEER_STAGE_LEFT);

    ASSERT_OK_AND_ASSIGN(db::Lease gate, database_->pool().Acquire());
    ASSERT_OK(gate->ExecuteConstant("START TRANSACTION"));
    ASSERT_OK(gate->Execute("INSERT INTO idempotency_records (method, caller, request_id, request_hash, "
                            "created_at) VALUES (?, ?, ?, ?, ?)",
                            {std::string("shouhu.training.v1.TrainingService/Enroll"), Officer().subject(),
                             enroll.request_id(), std::string(32, 'g'), ToSqlTimestamp(clock_->Now())})
                  .status());

    grpc::Status enroll_status, leave_status;
    v1::EnrollResponse enroll_response;
    v1::ChangeVolunteerStageResponse leave_response;
    std::atomic<bool> left{false};
    std::thread a([&] { enroll_status = Call(&Stub::Enroll, Officer(), enroll, &enroll_response); });
    // Enroll has read the stage and waits at its last statement.
    while (!Waiting(database_->pool(), "INSERT INTO idempotency_records"))
      absl::SleepFor(absl::Milliseconds(5));
    std::thread b([&] {
      leave_status = Call(&Stub::ChangeVolunteerStage, Officer(), leave, &leave_response);
      left = true;
    });
    // Either LEFT finishes while the enrollment is pending (the defect), or it waits on the participant row.
    while (!left.load() && !Waiting(database_->pool(), "SELECT id, kind, organisation_id")) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    const bool left_before_enrollment_committed = left.load();
    ASSERT_OK(gate->ExecuteConstant("ROLLBACK"));
    a.join();
    b.join();
    ASSERT_TRUE(leave_status.ok()) << leave_status.error_message();
    ASSERT_TRUE(enroll_status.ok()) << enroll_status.error_message();
    EXPECT_FALSE(left_before_enrollment_committed) << "round " << round;
  }
}

// The same race left free, many times: each round ends either enrolled-then-left or left-then-refused, and a
// refused Enroll writes nothing.
TEST_F(TrainingTest, Enroll_RacingLeaveManyTimes_EnrolledBeforeOrRefusedAfter) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Session session = Schedule(course.id(), absl::CivilDay(2025, 3, 8), /*capacity=*/1000);
  constexpr int kRounds = 40;
  int enrolled = 0;
  for (int round = 0; round < kRounds; ++round) {
    v1::Participant p = RegisterVolunteer();
    v1::EnrollRequest enroll;
    enroll.set_request_id(absl::StrCat("enroll-", round));
    enroll.set_session_id(session.id());
    enroll.set_participant_id(p.id());
    v1::ChangeVolunteerStageRequest leave;
    leave.set_request_id(absl::StrCat("leave-", round));
    leave.set_participant_id(p.id());
    leave.set_stage(v1::VOLUNTEER_STAGE_LEFT);
    grpc::Status enroll_status, leave_status;
    v1::EnrollResponse enroll_response;
    v1::ChangeVolunteerStageResponse leave_response;
    std::thread a([&] { enroll_status = Call(&Stub::Enroll, Officer(), enroll, &enroll_response); });
    std::thread b(
        [&] { leave_status = Call(&Stub::ChangeVolunteerStage, Officer(), leave, &leave_response); });
    a.join();
    b.join();
    ASSERT_TRUE(leave_status.ok()) << leave_status.error_message();
    if (enroll_status.ok()) {
      ++enrolled;
    } else {
      ASSERT_EQ(enroll_status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << enroll_status.error_message();
    }
  }
  EXPECT_EQ(database_->Count("enrollments"), enrolled);
}

}  // namespace
}  // namespace shouhu::training
