// Fixtures for visits tests that need concerns, plans and a real training service: VisitsCallsTest (the
// visits calls those tests make, over the registry-backed VisitsTest) and TrainingBackedTest (plus a real
// training service in this process, on its own schema over loopback gRPC, that the visits module calls and
// follows instead of the fake).
#ifndef SHOUHU_TESTS_INTEGRATION_VISITS_TRAINING_BACKED_FIXTURE_H_
#define SHOUHU_TESTS_INTEGRATION_VISITS_TRAINING_BACKED_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/util/time_util.h"
#include "services/training/training_module.h"
#include "shouhu/training/v1/training.grpc.pb.h"
#include "tests/integration/visits/visits_fixture.h"

namespace shouhu::visits::testing {

namespace tv1 = ::shouhu::training::v1;

// The first Saturday by which every case accepted today is due (as in weekend_plan_test.cc).
inline absl::CivilDay DueWeekend() {
  absl::CivilDay day = ShanghaiDay(absl::Now()) + 15;
  while (absl::GetWeekday(day) != absl::Weekday::saturday) ++day;
  return day;
}

// The visits calls these tests make.
class VisitsCallsTest : public VisitsTest {
 protected:
  template <typename Request, typename Response>
  absl::StatusOr<Response> Visits(grpc::Status (v1::VisitsService::Stub::*method)(grpc::ClientContext*,
                                                                                  const Request&, Response*),
                                  const Principal& as, const Request& request) {
    Response response;
    auto context = principals_.Context(as);
    grpc::Status status = (visits_stub_.get()->*method)(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  static v1::RaiseSafeguardingConcernRequest Concern(const std::string& request_id,
                                                     const std::string& visitor_id) {
    v1::RaiseSafeguardingConcernRequest request;
    request.set_request_id(request_id);
    request.set_visitor_id(visitor_id);
    request.set_category(v1::CONCERN_CATEGORY_INAPPROPRIATE_CONTACT);
    request.set_reporter(v1::CONCERN_REPORTER_CHILD);
    request.set_account("他让我不要告诉别人。\n他给了我钱。");
    return request;
  }

  absl::StatusOr<v1::RaiseSafeguardingConcernResponse> Raise(
      const Principal& as, const v1::RaiseSafeguardingConcernRequest& request) {
    return Visits(&v1::VisitsService::Stub::RaiseSafeguardingConcern, as, request);
  }

  absl::StatusOr<v1::SafeguardingConcern> GetConcern(const Principal& as, const std::string& concern_id) {
    v1::GetSafeguardingConcernRequest request;
    request.set_concern_id(concern_id);
    absl::StatusOr<v1::GetSafeguardingConcernResponse> response =
        Visits(&v1::VisitsService::Stub::GetSafeguardingConcern, as, request);
    if (!response.ok()) return response.status();
    return response->concern();
  }

  absl::StatusOr<v1::SafeguardingConcern> ReviewConcern(const Principal& as, const std::string& request_id,
                                                        const std::string& concern_id,
                                                        v1::ConcernDecision decision) {
    v1::ReviewSafeguardingConcernRequest request;
    request.set_request_id(request_id);
    request.set_concern_id(concern_id);
    request.set_decision(decision);
    request.set_note("访谈了孩子和监护人。");
    absl::StatusOr<v1::ReviewSafeguardingConcernResponse> response =
        Visits(&v1::VisitsService::Stub::ReviewSafeguardingConcern, as, request);
    if (!response.ok()) return response.status();
    return response->concern();
  }

  absl::StatusOr<v1::PlanWeekendResponse> Plan(const std::string& request_id) {
    v1::PlanWeekendRequest request;
    request.set_request_id(request_id);
    request.set_weekend_date(absl::FormatCivilTime(DueWeekend()));
    return Visits(&v1::VisitsService::Stub::PlanWeekend, wuding_ngo_admin_, request);
  }

  std::vector<v1::Assignment> Assignments(const std::string& visitor_id) {
    v1::ListVisitorAssignmentsRequest request;
    request.set_visitor_id(visitor_id);
    request.set_weekend_date(absl::FormatCivilTime(DueWeekend()));
    absl::StatusOr<v1::ListVisitorAssignmentsResponse> response =
        Visits(&v1::VisitsService::Stub::ListVisitorAssignments, wuding_ngo_admin_, request);
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return {};
    return {response->assignments().begin(), response->assignments().end()};
  }

  // Every visit_assignments row as text, in id order: what a replay must leave unchanged.
  std::vector<std::string> AssignmentRows() {
    std::vector<std::string> rows;
    EXPECT_OK(visits_database_->pool().Autocommit([&](db::Session& session) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows result,
                       session.Query("SELECT id, case_id, visitor_id, visit_day, slot FROM visit_assignments"
                                     " ORDER BY id"));
      for (const db::Row& row : result) {
        rows.push_back(absl::StrCat(row.String(0), "|", row.String(1), "|", row.String(2), "|", row.String(3),
                                    "|", row.Int(4)));
      }
      return absl::OkStatus();
    }));
    return rows;
  }

  const Principal wuding_lead_ =
      shouhu::testing::MakePrincipal("lead-1", "ngo-wuding", common::v1::ROLE_SAFEGUARDING_LEAD, {"532329"});
  const Principal xixia_lead_ =
      shouhu::testing::MakePrincipal("lead-2", "ngo-xixia", common::v1::ROLE_SAFEGUARDING_LEAD, {"640105"});
  const Principal wuding_director_ = shouhu::testing::MakePrincipal(
      "director-1", "village-committee", common::v1::ROLE_CHILD_WELFARE_DIRECTOR, {"532329"});
};

// Plus a real training service beside the visits module.

class TrainingBackedTest : public VisitsCallsTest {
 protected:
  void BeforeVisits() override {
    ASSERT_OK_AND_ASSIGN(training_database_, shouhu::testing::TestDatabase::Create(TrainingMigrations(), 8));
    training_ids_ = std::make_unique<IdGenerator>(clock_);
    const ServiceContext context{service_config_, training_database_->pool(), clock_,
                                 *training_ids_,  training_logger_,           training_metrics_,
                                 *verifier_,      training_identity_,         workers_};
    training::TrainingConfig config;
    config.expiry_sweep_interval = absl::ZeroDuration();
    ASSERT_OK_AND_ASSIGN(training_module_, training::TrainingModule::Create(context, config));
    training_server_ =
        std::make_unique<shouhu::testing::TestServer>(std::vector<std::pair<grpc::Service*, std::string>>{
            {&training_module_->service(), training::kTrainingServiceName}});
    training_stub_ = tv1::TrainingService::NewStub(training_server_->channel());
    training_address_ = absl::StrCat("127.0.0.1:", training_server_->port());
    course_id_ = CreateHomeVisitCourse();
  }

  void TearDown() override {
    VisitsTest::TearDown();  // the visits module stops following training first
    training_stub_.reset();
    training_server_.reset();
    training_module_.reset();
    training_database_.reset();
  }

  template <typename Request, typename Response>
  absl::StatusOr<Response> Training(grpc::Status (tv1::TrainingService::Stub::*method)(grpc::ClientContext*,
                                                                                       const Request&,
                                                                                       Response*),
                                    const Principal& as, const Request& request) {
    Response response;
    auto context = principals_.Context(as);
    grpc::Status status = (training_stub_.get()->*method)(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  std::string NextId() { return absl::StrCat("t-", ++requests_); }

  std::string CreateHomeVisitCourse() {
    tv1::CreateCourseRequest request;
    request.set_request_id(NextId());
    tv1::Course* c = request.mutable_course();
    c->set_code("SAFE-101");
    c->set_title("儿童保护基础");
    c->set_hours(6);
    c->add_topics(tv1::TOPIC_CHILD_SAFEGUARDING);
    c->set_pass_mark(60);
    c->set_validity_months(12);
    c->add_required_for(tv1::ACTIVITY_HOME_VISIT);
    auto created = Training(&tv1::TrainingService::Stub::CreateCourse, wuding_officer_, request);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->course().id() : "";
  }

  void MoveTo(const std::string& participant_id, tv1::VolunteerStage stage) {
    tv1::ChangeVolunteerStageRequest request;
    request.set_request_id(NextId());
    request.set_participant_id(participant_id);
    request.set_stage(stage);
    EXPECT_OK(Training(&tv1::TrainingService::Stub::ChangeVolunteerStage, wuding_officer_, request).status());
  }

  // A volunteer training says is qualified for home visits from today for a year (active, background check
  // cleared, certified in a session today), registered here as a visitor free on Saturdays (and Sundays when
  // asked) for `daily_capacity` households a day.
  v1::Visitor QualifiedVisitor(const std::string& tag, int daily_capacity = 4, bool sundays_too = false) {
    tv1::RegisterParticipantRequest registration;
    registration.set_request_id(NextId());
    tv1::Participant* p = registration.mutable_participant();
    p->set_kind(tv1::PARTICIPANT_KIND_VOLUNTEER);
    p->set_organisation_id("ngo-wuding");
    p->set_home_division_code(registry::testing::kWudingVillage);
    p->set_display_name(absl::StrCat("志愿者", tag));
    p->set_weekend_available(true);
    auto registered =
        Training(&tv1::TrainingService::Stub::RegisterParticipant, wuding_officer_, registration);
    EXPECT_TRUE(registered.ok()) << registered.status();
    if (!registered.ok()) return {};
    const std::string id = registered->participant().id();
    MoveTo(id, tv1::VOLUNTEER_STAGE_INTERVIEWED);
    MoveTo(id, tv1::VOLUNTEER_STAGE_IN_TRAINING);
    MoveTo(id, tv1::VOLUNTEER_STAGE_ACTIVE);
    tv1::RecordBackgroundCheckRequest check;
    check.set_request_id(NextId());
    check.set_participant_id(id);
    check.mutable_background_check()->set_status(tv1::BACKGROUND_CHECK_STATUS_CLEARED);
    check.mutable_background_check()->set_checked_on("2025-01-01");
    check.mutable_background_check()->set_expires_on("2030-01-01");
    EXPECT_OK(Training(&tv1::TrainingService::Stub::RecordBackgroundCheck, wuding_officer_, check).status());

    tv1::ScheduleSessionRequest schedule;
    schedule.set_request_id(NextId());
    tv1::Session* s = schedule.mutable_session();
    s->set_course_id(course_id_);
    s->set_organisation_id("wuding-civil-affairs");
    s->set_division_code("532329");
    s->set_location("武定县社工站");
    s->set_trainer("王老师");
    // Begun two hours ago: training takes results only once a session has begun (at 01:00 in Shanghai that
    // is yesterday's session, and the certificate is a day older).
    const int64_t start = absl::ToUnixSeconds(absl::Now() - absl::Hours(2));
    *s->mutable_starts_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(start);
    *s->mutable_ends_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(start + 6 * 3600);
    s->set_capacity(10);
    auto session = Training(&tv1::TrainingService::Stub::ScheduleSession, wuding_officer_, schedule);
    EXPECT_TRUE(session.ok()) << session.status();
    tv1::EnrollRequest enroll;
    enroll.set_request_id(NextId());
    enroll.set_session_id(session.ok() ? session->session().id() : "");
    enroll.set_participant_id(id);
    auto enrolled = Training(&tv1::TrainingService::Stub::Enroll, wuding_officer_, enroll);
    EXPECT_TRUE(enrolled.ok()) << enrolled.status();
    const std::string enrollment = enrolled.ok() ? enrolled->enrollment().id() : "";
    tv1::RecordAttendanceRequest attendance;
    attendance.set_request_id(NextId());
    attendance.set_enrollment_id(enrollment);
    attendance.set_attended(true);
    EXPECT_OK(Training(&tv1::TrainingService::Stub::RecordAttendance, wuding_officer_, attendance).status());
    tv1::RecordAssessmentRequest assessment;
    assessment.set_request_id(NextId());
    assessment.set_enrollment_id(enrollment);
    assessment.set_score(90);
    auto assessed = Training(&tv1::TrainingService::Stub::RecordAssessment, wuding_officer_, assessment);
    EXPECT_TRUE(assessed.ok() && assessed->has_certification());

    v1::RegisterVisitorRequest visitor = Registration(absl::StrCat("reg-", tag));
    visitor.mutable_visitor()->set_participant_id(id);
    visitor.mutable_visitor()->set_daily_capacity(daily_capacity);
    visitor.mutable_visitor()->set_available_sunday(sundays_too);
    auto stored = Register(wuding_ngo_admin_, visitor);
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? *stored : v1::Visitor();
  }

  tv1::QualificationResult HomeVisitQualification(const std::string& participant_id) {
    tv1::CheckQualificationRequest request;
    request.set_participant_id(participant_id);
    request.set_activity(tv1::ACTIVITY_HOME_VISIT);
    request.set_date(absl::FormatCivilTime(DueWeekend()));
    auto answer = Training(&tv1::TrainingService::Stub::CheckQualification, wuding_officer_, request);
    EXPECT_TRUE(answer.ok()) << answer.status();
    return answer.ok() ? answer->result() : tv1::QualificationResult();
  }

  // Blocks until the visits service has applied every event training has published (a minute at most).
  void AwaitTrainingEvents() {
    // Events are numbered just after their commit (common/outbox.h): number what committed so far first.
    ASSERT_OK(training_module_->store().outbox().SequencePending().status());
    ASSERT_OK_AND_ASSIGN(std::vector<common::v1::Event> published,
                         training_module_->store().outbox().ReadAfter(0, 100000));
    ASSERT_FALSE(published.empty());
    const int64_t last = published.back().sequence();
    const absl::Time give_up = absl::Now() + absl::Minutes(1);
    while (visits_->training_consumer().Checkpoint().value_or(0) < last && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_OK_AND_ASSIGN(int64_t checkpoint, visits_->training_consumer().Checkpoint());
    ASSERT_EQ(checkpoint, last);
  }

  std::unique_ptr<shouhu::testing::TestDatabase> training_database_;
  std::unique_ptr<IdGenerator> training_ids_;
  Logger training_logger_{"training-test"};
  Metrics training_metrics_{"training-test"};
  const ServiceIdentity training_identity_{"training", shouhu::testing::TestServiceKey("training"), clock_};
  std::unique_ptr<training::TrainingModule> training_module_;
  std::unique_ptr<shouhu::testing::TestServer> training_server_;
  std::unique_ptr<tv1::TrainingService::Stub> training_stub_;
  std::string course_id_;
  int requests_ = 0;
};

}  // namespace shouhu::visits::testing

#endif  // SHOUHU_TESTS_INTEGRATION_VISITS_TRAINING_BACKED_FIXTURE_H_
