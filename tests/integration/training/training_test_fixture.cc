#include "tests/integration/training/training_test_fixture.h"

#include "absl/strings/str_cat.h"
#include "common/timestamps.h"
#include "google/protobuf/util/time_util.h"

namespace shouhu::training {

void TrainingTest::SetUp() {
  ASSERT_OK_AND_ASSIGN(database_, testing::TestDatabase::Create(TrainingMigrations(), 24));
  clock_ = std::make_unique<ManualClock>(
      absl::FromCivil(absl::CivilSecond(2025, 3, 3, 10, 0, 0), ShanghaiTimeZone()));
  ids_ = std::make_unique<IdGenerator>(*clock_);
  logger_ = std::make_unique<Logger>("training-test");
  metrics_ = std::make_unique<Metrics>("training-test");
  verifier_ = std::make_unique<PrincipalVerifier>(testing::TestTrustedKeys(), *clock_);
  signer_ = std::make_unique<PrincipalSigner>(testing::TestGatewayKey(), *clock_);
  identity_ = std::make_unique<ServiceIdentity>("training", testing::TestServiceKey("training"), *clock_);
  const ServiceContext context{service_config_, database_->pool(), *clock_,    *ids_,   *logger_,
                               *metrics_,       *verifier_,        *identity_, workers_};
  // The tests drive the expiry sweeper themselves.
  TrainingConfig training_config;
  training_config.expiry_sweep_interval = absl::ZeroDuration();
  ASSERT_OK_AND_ASSIGN(module_, TrainingModule::Create(context, training_config));
  ServerConfig config;
  config.service_name = "training";
  config.grpc_address = "127.0.0.1:0";
  config.max_threads = 20;
  config.drain_grace = absl::Seconds(1);
  host_ = std::make_unique<ServiceHost>(config, *logger_, *metrics_);
  host_->Register(&module_->service(), kTrainingServiceName);
  ASSERT_OK(host_->Start());
  channel_ =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", host_->port()), grpc::InsecureChannelCredentials());
  stub_ = v1::TrainingService::NewStub(channel_);
}

void TrainingTest::TearDown() {
  stub_.reset();
  channel_.reset();
  if (host_) host_->Shutdown();
  host_.reset();
  module_.reset();
}

Principal TrainingTest::Make(common::v1::Role role, const std::string& organisation,
                             std::vector<std::string> jurisdictions, const std::string& subject) {
  Principal p;
  p.set_subject(subject.empty() ? absl::StrCat(common::v1::Role_Name(role), "@", organisation) : subject);
  p.set_organisation_id(organisation);
  p.add_roles(role);
  for (auto& j : jurisdictions) p.add_jurisdictions(j);
  return p;
}

v1::Course TrainingTest::CreateCourse(const std::string& code, std::vector<v1::Activity> required_for,
                                      int validity_months, int pass_mark) {
  v1::CreateCourseRequest request;
  request.set_request_id(NextRequestId());
  v1::Course* c = request.mutable_course();
  c->set_code(code);
  c->set_title(absl::StrCat("课程 ", code));
  c->set_hours(6);
  c->add_topics(v1::TOPIC_CHILD_SAFEGUARDING);
  c->set_pass_mark(pass_mark);
  c->set_validity_months(validity_months);
  for (v1::Activity a : required_for) c->add_required_for(a);
  v1::CreateCourseResponse response;
  grpc::Status status = Call(&Stub::CreateCourse, Officer(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.course();
}

v1::Participant TrainingTest::RegisterVolunteer(const std::string& org, const std::string& division,
                                                const Principal* as) {
  v1::RegisterParticipantRequest request;
  request.set_request_id(NextRequestId());
  v1::Participant* p = request.mutable_participant();
  p->set_kind(v1::PARTICIPANT_KIND_VOLUNTEER);
  p->set_organisation_id(org);
  p->set_home_division_code(division);
  p->set_display_name("李志愿");
  p->add_languages("普通话");
  p->add_languages("彝语");
  p->set_weekend_available(true);
  v1::RegisterParticipantResponse response;
  grpc::Status status = Call(&Stub::RegisterParticipant, as ? *as : Officer(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.participant();
}

void TrainingTest::MoveTo(const std::string& participant_id, v1::VolunteerStage stage) {
  v1::ChangeVolunteerStageRequest request;
  request.set_request_id(NextRequestId());
  request.set_participant_id(participant_id);
  request.set_stage(stage);
  v1::ChangeVolunteerStageResponse response;
  grpc::Status status = Call(&Stub::ChangeVolunteerStage, Officer(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

void TrainingTest::Activate(const std::string& participant_id) {
  MoveTo(participant_id, v1::VOLUNTEER_STAGE_INTERVIEWED);
  MoveTo(participant_id, v1::VOLUNTEER_STAGE_IN_TRAINING);
  MoveTo(participant_id, v1::VOLUNTEER_STAGE_ACTIVE);
}

void TrainingTest::RecordCheck(const std::string& participant_id, v1::BackgroundCheckStatus status,
                               const std::string& checked_on, const std::string& expires_on) {
  v1::RecordBackgroundCheckRequest request;
  request.set_request_id(NextRequestId());
  request.set_participant_id(participant_id);
  request.mutable_background_check()->set_status(status);
  request.mutable_background_check()->set_checked_on(checked_on);
  request.mutable_background_check()->set_expires_on(expires_on);
  v1::RecordBackgroundCheckResponse response;
  grpc::Status s = Call(&Stub::RecordBackgroundCheck, Officer(), request, &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

v1::Session TrainingTest::Schedule(const std::string& course_id, absl::CivilDay day, int capacity) {
  v1::ScheduleSessionRequest request;
  request.set_request_id(NextRequestId());
  v1::Session* s = request.mutable_session();
  s->set_course_id(course_id);
  s->set_organisation_id("gov-wuding");
  s->set_division_code("532329");
  s->set_location("武定县社工站");
  s->set_trainer("王老师");
  const absl::Time start =
      absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 9, 0, 0), ShanghaiTimeZone());
  *s->mutable_starts_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(start));
  *s->mutable_ends_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(start) + 6 * 3600);
  s->set_capacity(capacity);
  v1::ScheduleSessionResponse response;
  grpc::Status status = Call(&Stub::ScheduleSession, Trainer(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.session();
}

v1::Enrollment TrainingTest::EnrollIn(const std::string& session_id, const std::string& participant_id) {
  v1::EnrollRequest request;
  request.set_request_id(NextRequestId());
  request.set_session_id(session_id);
  request.set_participant_id(participant_id);
  v1::EnrollResponse response;
  grpc::Status status = Call(&Stub::Enroll, Officer(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.enrollment();
}

void TrainingTest::AfterItBegan(const v1::Session& session, const std::function<void()>& record) {
  const absl::Time now = clock_->Now();
  const absl::Time ends = FromProtoTimestamp(session.ends_at());
  if (ends > now) clock_->Set(ends);
  record();
  if (ends > now) clock_->Set(now);
}

v1::Enrollment TrainingTest::Attend(const v1::Session& session, const std::string& participant_id) {
  v1::Enrollment enrollment = EnrollIn(session.id(), participant_id);
  AfterItBegan(session, [&] {
    v1::RecordAttendanceRequest attendance;
    attendance.set_request_id(NextRequestId());
    attendance.set_enrollment_id(enrollment.id());
    attendance.set_attended(true);
    v1::RecordAttendanceResponse attended;
    grpc::Status status = Call(&Stub::RecordAttendance, Trainer(), attendance, &attended);
    EXPECT_TRUE(status.ok()) << status.error_message();
    enrollment = attended.enrollment();
  });
  return enrollment;
}

v1::Enrollment TrainingTest::Attend(const std::string& course_id, const std::string& participant_id,
                                    absl::CivilDay day) {
  return Attend(Schedule(course_id, day), participant_id);
}

v1::Certification TrainingTest::Certify(const std::string& course_id, const std::string& participant_id,
                                        absl::CivilDay day) {
  const v1::Session session = Schedule(course_id, day);
  const v1::Enrollment enrollment = Attend(session, participant_id);
  v1::RecordAssessmentResponse assessed;
  AfterItBegan(session, [&] {
    v1::RecordAssessmentRequest assessment;
    assessment.set_request_id(NextRequestId());
    assessment.set_enrollment_id(enrollment.id());
    assessment.set_score(90);
    grpc::Status status = Call(&Stub::RecordAssessment, Trainer(), assessment, &assessed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(assessed.has_certification());
  });
  return assessed.certification();
}

v1::Participant TrainingTest::QualifiedVolunteerBase() {
  v1::Participant p = RegisterVolunteer();
  Activate(p.id());
  RecordCheck(p.id(), v1::BACKGROUND_CHECK_STATUS_CLEARED, "2025-01-01", "2028-01-01");
  return p;
}

std::vector<common::v1::Event> TrainingTest::Events() {
  // Events are numbered after their commit, by the outbox's sequencer thread: number them now.
  EXPECT_OK(module_->store().outbox().SequencePending().status());
  auto events = module_->store().outbox().ReadAfter(0, 10000);
  EXPECT_TRUE(events.ok());
  return events.ok() ? *events : std::vector<common::v1::Event>{};
}

}  // namespace shouhu::training
