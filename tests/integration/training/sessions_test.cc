// Sessions, capacity and the waitlist under concurrency, attendance, assessment and certification.
#include <thread>

#include "common/grpc_status.h"
#include "shouhu/training/v1/events.pb.h"
#include "tests/integration/training/training_test_fixture.h"

namespace shouhu::training {
namespace {

TEST_F(TrainingTest, Enroll_FullSessionConcurrently_NeverExceedsCapacity) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Session session = Schedule(course.id(), absl::CivilDay(2025, 3, 8), /*capacity=*/5);
  constexpr int kPeople = 20;
  std::vector<std::string> people;
  for (int i = 0; i < kPeople; ++i) people.push_back(RegisterVolunteer().id());

  std::vector<grpc::Status> statuses(kPeople);
  std::vector<v1::EnrollResponse> responses(kPeople);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPeople; ++i) {
    threads.emplace_back([&, i] {
      v1::EnrollRequest request;
      request.set_request_id(absl::StrCat("enroll-", i));
      request.set_session_id(session.id());
      request.set_participant_id(people[i]);
      statuses[i] = Call(&Stub::Enroll, Officer(), request, &responses[i]);
    });
  }
  for (auto& t : threads) t.join();
  int enrolled = 0;
  std::set<int64_t> positions;
  for (int i = 0; i < kPeople; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    if (responses[i].enrollment().status() == v1::ENROLLMENT_STATUS_ENROLLED) {
      ++enrolled;
    } else {
      EXPECT_EQ(responses[i].enrollment().status(), v1::ENROLLMENT_STATUS_WAITLISTED);
      positions.insert(responses[i].enrollment().waitlist_position());
    }
  }
  EXPECT_EQ(enrolled, 5);
  EXPECT_EQ(positions.size(), 15u);  // distinct places in the queue
  v1::GetSessionRequest get;
  get.set_session_id(session.id());
  v1::GetSessionResponse got;
  ASSERT_TRUE(Call(&Stub::GetSession, Trainer(), get, &got).ok());
  EXPECT_EQ(got.session().enrolled_count(), 5);
  EXPECT_EQ(got.session().waitlisted_count(), 15);
}

TEST_F(TrainingTest, CancelEnrollment_PlaceFreed_FirstOnWaitlistPromoted) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Session session = Schedule(course.id(), absl::CivilDay(2025, 3, 8), 1);
  v1::Enrollment holder = EnrollIn(session.id(), RegisterVolunteer().id());
  v1::Enrollment first_waiting = EnrollIn(session.id(), RegisterVolunteer().id());
  v1::Enrollment second_waiting = EnrollIn(session.id(), RegisterVolunteer().id());
  ASSERT_EQ(holder.status(), v1::ENROLLMENT_STATUS_ENROLLED);
  ASSERT_EQ(first_waiting.status(), v1::ENROLLMENT_STATUS_WAITLISTED);

  v1::CancelEnrollmentRequest cancel;
  cancel.set_request_id("cancel-holder");
  cancel.set_enrollment_id(holder.id());
  v1::CancelEnrollmentResponse response;
  ASSERT_TRUE(Call(&Stub::CancelEnrollment, Officer(), cancel, &response).ok());
  EXPECT_EQ(response.enrollment().status(), v1::ENROLLMENT_STATUS_CANCELLED);
  EXPECT_EQ(response.promoted().id(), first_waiting.id());
  EXPECT_EQ(response.promoted().status(), v1::ENROLLMENT_STATUS_ENROLLED);

  // The retry answers the same and promotes nobody else.
  v1::CancelEnrollmentResponse retried;
  ASSERT_TRUE(Call(&Stub::CancelEnrollment, Officer(), cancel, &retried).ok());
  EXPECT_EQ(retried.promoted().id(), first_waiting.id());
  v1::GetSessionRequest get;
  get.set_session_id(session.id());
  v1::GetSessionResponse got;
  ASSERT_TRUE(Call(&Stub::GetSession, Trainer(), get, &got).ok());
  EXPECT_EQ(got.session().enrolled_count(), 1);
  EXPECT_EQ(got.session().waitlisted_count(), 1);

  // Cancelling again under a new request id is an illegal transition.
  cancel.set_request_id("cancel-again");
  EXPECT_EQ(Call(&Stub::CancelEnrollment, Officer(), cancel, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  (void)second_waiting;
}

TEST_F(TrainingTest, Enroll_SameParticipantTwice_AlreadyExists) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Session session = Schedule(course.id(), absl::CivilDay(2025, 3, 8));
  v1::Participant p = RegisterVolunteer();
  EnrollIn(session.id(), p.id());
  v1::EnrollRequest again;
  again.set_request_id("again");
  again.set_session_id(session.id());
  again.set_participant_id(p.id());
  v1::EnrollResponse response;
  EXPECT_EQ(Call(&Stub::Enroll, Officer(), again, &response).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(TrainingTest, Enroll_ParticipantOfAnotherOrganisation_NotFoundForNgoAdmin) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Session session = Schedule(course.id(), absl::CivilDay(2025, 3, 8));
  v1::Participant other = RegisterVolunteer("ngo-other");
  v1::EnrollRequest request;
  request.set_request_id("x");
  request.set_session_id(session.id());
  request.set_participant_id(other.id());
  v1::EnrollResponse response;
  EXPECT_EQ(Call(&Stub::Enroll, NgoAdmin(), request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(database_->Count("enrollments"), 0);
}

TEST_F(TrainingTest, ScheduleSession_BadInput_InvalidArgument) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::ScheduleSessionRequest request;
  request.set_request_id("s");
  request.mutable_session()->set_course_id(course.id());
  request.mutable_session()->set_organisation_id("gov-wuding");
  request.mutable_session()->set_division_code("532329");
  request.mutable_session()->set_location("社工站");
  request.mutable_session()->set_trainer("王老师");
  request.mutable_session()->mutable_starts_at()->set_seconds(1741395600);
  request.mutable_session()->mutable_ends_at()->set_seconds(1741395600 - 1);
  request.mutable_session()->set_capacity(10);
  v1::ScheduleSessionResponse response;
  EXPECT_EQ(Call(&Stub::ScheduleSession, Trainer(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.mutable_session()->mutable_ends_at()->set_seconds(1741395600 + 3600);
  request.mutable_session()->set_capacity(0);
  EXPECT_EQ(Call(&Stub::ScheduleSession, Trainer(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(database_->Count("training_sessions"), 0);
}

TEST_F(TrainingTest, Assessment_AttendedAndPassed_IssuesCertificateWithExpiryAndEvent) {
  v1::Course course =
      CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, /*validity_months=*/12, /*pass_mark=*/70);
  v1::Session session = Schedule(course.id(), absl::CivilDay(2025, 3, 8));
  v1::Participant p = RegisterVolunteer();
  v1::Enrollment enrollment = EnrollIn(session.id(), p.id());

  // Before the session begins nobody has attended it: neither attendance nor a score is taken, nothing is
  // written (a trainer entering the whole list ahead issued certificates to people who then stayed away).
  v1::RecordAttendanceRequest ahead;
  ahead.set_request_id("att-ahead");
  ahead.set_enrollment_id(enrollment.id());
  ahead.set_attended(true);
  v1::RecordAttendanceResponse refused;
  grpc::Status early = Call(&Stub::RecordAttendance, Trainer(), ahead, &refused);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(early.error_message().find("2025-03-08 09:00"), std::string::npos) << early.error_message();
  v1::RecordAssessmentRequest scored_ahead;
  scored_ahead.set_request_id("score-ahead");
  scored_ahead.set_enrollment_id(enrollment.id());
  scored_ahead.set_score(90);
  v1::RecordAssessmentResponse refused_score;
  EXPECT_EQ(Call(&Stub::RecordAssessment, Trainer(), scored_ahead, &refused_score).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(database_->Count("enrollments WHERE attended IS NOT NULL OR score IS NOT NULL"), 0);
  EXPECT_EQ(database_->Count("certifications"), 0);
  clock_->Set(absl::FromCivil(absl::CivilSecond(2025, 3, 8, 9, 0, 0), ShanghaiTimeZone()));

  v1::RecordAssessmentRequest low;
  low.set_request_id("low");
  low.set_enrollment_id(enrollment.id());
  low.set_score(69);
  v1::RecordAssessmentResponse assessed;
  ASSERT_TRUE(Call(&Stub::RecordAssessment, Trainer(), low, &assessed).ok());
  EXPECT_FALSE(assessed.has_certification());

  v1::RecordAttendanceRequest attendance;
  attendance.set_request_id("att");
  attendance.set_enrollment_id(enrollment.id());
  attendance.set_attended(true);
  v1::RecordAttendanceResponse attended;
  ASSERT_TRUE(Call(&Stub::RecordAttendance, Trainer(), attendance, &attended).ok());
  EXPECT_FALSE(attended.has_certification());  // failed score: no certificate

  v1::RecordAssessmentRequest pass = low;
  pass.set_request_id("pass");
  pass.set_score(85);
  ASSERT_TRUE(Call(&Stub::RecordAssessment, Trainer(), pass, &assessed).ok());
  ASSERT_TRUE(assessed.has_certification());
  EXPECT_EQ(assessed.certification().issued_on(), "2025-03-08");
  EXPECT_EQ(assessed.certification().expires_on(), "2026-03-08");
  EXPECT_EQ(assessed.certification().status(), v1::CERTIFICATION_STATUS_VALID);
  EXPECT_EQ(assessed.certification().course_code(), "SAFE-101");
  // Retry: same certificate, still one row.
  v1::RecordAssessmentResponse retried;
  ASSERT_TRUE(Call(&Stub::RecordAssessment, Trainer(), pass, &retried).ok());
  EXPECT_EQ(retried.certification().id(), assessed.certification().id());
  EXPECT_EQ(database_->Count("certifications"), 1);
  // Once certified the score is settled.
  pass.set_request_id("change");
  pass.set_score(40);
  EXPECT_EQ(Call(&Stub::RecordAssessment, Trainer(), pass, &retried).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  int issued = 0;
  for (const auto& e : Events()) issued += e.type() == "shouhu.training.v1.CertificationIssued";
  EXPECT_EQ(issued, 1);
}

TEST_F(TrainingTest, RecordAttendance_WaitlistedEnrollment_FailedPrecondition) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Session session = Schedule(course.id(), absl::CivilDay(2025, 3, 8), 1);
  EnrollIn(session.id(), RegisterVolunteer().id());
  v1::Enrollment waiting = EnrollIn(session.id(), RegisterVolunteer().id());
  v1::RecordAttendanceRequest attendance;
  attendance.set_request_id("att");
  attendance.set_enrollment_id(waiting.id());
  attendance.set_attended(true);
  v1::RecordAttendanceResponse response;
  EXPECT_EQ(Call(&Stub::RecordAttendance, Trainer(), attendance, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(TrainingTest, CreateCourse_DuplicateCode_AlreadyExists_BadPassMark_InvalidArgument) {
  CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::CreateCourseRequest request;
  request.set_request_id("dup");
  request.mutable_course()->set_code("SAFE-101");
  request.mutable_course()->set_title("儿童保护");
  request.mutable_course()->set_hours(4);
  request.mutable_course()->set_pass_mark(60);
  request.mutable_course()->set_validity_months(12);
  v1::CreateCourseResponse response;
  EXPECT_EQ(Call(&Stub::CreateCourse, Officer(), request, &response).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  request.set_request_id("bad");
  request.mutable_course()->set_code("SAFE-102");
  request.mutable_course()->set_pass_mark(101);
  EXPECT_EQ(Call(&Stub::CreateCourse, Officer(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(database_->Count("courses"), 1);
}

// A required course changes who may visit a child's home for the whole region the moment it exists: the
// civil-affairs bureau's decision, not a trainer's or an NGO's. Either may still offer a course that is
// required for nothing.
TEST_F(TrainingTest, CreateCourse_RequiredForByTrainerOrNgoAdmin_PermissionDeniedNothingWritten) {
  v1::CreateCourseRequest request;
  request.set_request_id("course");
  request.mutable_course()->set_code("SAFE-101");
  request.mutable_course()->set_title("儿童保护");
  request.mutable_course()->set_hours(4);
  request.mutable_course()->set_pass_mark(60);
  request.mutable_course()->set_validity_months(12);
  request.mutable_course()->add_required_for(v1::ACTIVITY_HOME_VISIT);
  v1::CreateCourseResponse response;
  for (const Principal& caller : {Trainer(), NgoAdmin()}) {
    const grpc::Status status = Call(&Stub::CreateCourse, caller, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << caller.subject();
    EXPECT_EQ(FieldOfGrpcStatus(status), "course.required_for") << caller.subject();
  }
  EXPECT_EQ(database_->Count("courses"), 0);
  EXPECT_EQ(database_->Count("course_requirements"), 0);

  request.set_request_id("offered");
  request.mutable_course()->clear_required_for();
  ASSERT_TRUE(Call(&Stub::CreateCourse, NgoAdmin(), request, &response).ok());
  EXPECT_EQ(response.course().required_for_size(), 0);
  request.set_request_id("required");
  request.mutable_course()->set_code("SAFE-102");
  request.mutable_course()->add_required_for(v1::ACTIVITY_HOME_VISIT);
  ASSERT_TRUE(Call(&Stub::CreateCourse, Officer(), request, &response).ok());
  EXPECT_EQ(database_->Count("course_requirements"), 1);
}

TEST_F(TrainingTest, GetTrainingHours_CountsAttendedSessionsPerPersonAndOrganisation) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});  // 6 hours
  v1::Participant a = RegisterVolunteer();
  v1::Participant b = RegisterVolunteer();
  Certify(course.id(), a.id(), absl::CivilDay(2025, 3, 8));
  Certify(course.id(), a.id(), absl::CivilDay(2025, 4, 8));
  Certify(course.id(), b.id(), absl::CivilDay(2025, 5, 8));
  v1::RecordOrganisationTrainingRequest given;
  given.set_request_id("given");
  v1::OrganisationTraining* t = given.mutable_training();
  t->set_organisation_id("ngo-wuding");
  t->set_division_code("532329");
  t->set_title("政府购买服务技术培训");
  t->set_hours(8);
  t->set_held_on("2025-04-01");
  t->set_provided_by("武定县民政局");
  t->set_attendees(5);
  v1::RecordOrganisationTrainingResponse recorded;
  ASSERT_TRUE(Call(&Stub::RecordOrganisationTraining, Officer(), given, &recorded).ok());

  v1::GetTrainingHoursRequest request;
  request.set_participant_id(a.id());
  request.set_from_date("2025-01-01");
  request.set_to_date("2025-04-08");
  v1::GetTrainingHoursResponse hours;
  ASSERT_TRUE(Call(&Stub::GetTrainingHours, Officer(), request, &hours).ok());
  EXPECT_EQ(hours.session_hours(), 12);
  EXPECT_EQ(hours.sessions_attended(), 2);
  request.set_organisation_id("ngo-wuding");
  request.set_to_date("2025-12-31");
  ASSERT_TRUE(Call(&Stub::GetTrainingHours, Officer(), request, &hours).ok());
  EXPECT_EQ(hours.session_hours(), 18);
  EXPECT_EQ(hours.participants_trained(), 2);
  EXPECT_EQ(hours.organisation_training_hours(), 8);
}

}  // namespace
}  // namespace shouhu::training
