// Certificate expiry events written on the day by the sweeper, once even with several replicas, and the
// outbox streamed over gRPC.
#include <chrono>
#include <thread>

#include "shouhu/training/v1/events.pb.h"
#include "tests/integration/training/training_test_fixture.h"

namespace shouhu::training {
namespace {

int CountOf(const std::vector<common::v1::Event>& events, const std::string& type) {
  int n = 0;
  for (const auto& e : events) n += e.type() == type;
  return n;
}

TEST_F(TrainingTest, ExpirySweeper_OnTheExpiryDay_WritesEventOnceAcrossReplicas) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, 12);
  v1::Participant p = QualifiedVolunteerBase();
  v1::Certification cert = Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
  ASSERT_EQ(cert.expires_on(), "2026-03-08");

  // The evening before, in Shanghai: nothing is due (16:00 UTC is already the 8th in Shanghai, so 15:59 UTC).
  clock_->Set(absl::FromCivil(absl::CivilSecond(2026, 3, 7, 23, 59, 0), ShanghaiTimeZone()));
  ASSERT_OK_AND_ASSIGN(int before, module_->sweeper().SweepOnce());
  EXPECT_EQ(before, 0);

  clock_->Set(absl::FromCivil(absl::CivilSecond(2026, 3, 8, 0, 0, 30), ShanghaiTimeZone()));
  // A second replica with its own store and sweeper on the same database, both sweeping at once.
  MariaDbTrainingStore other_store(database_->pool(), *clock_, *ids_);
  ExpirySweeper other(database_->pool(), other_store, *clock_, *logger_);
  int first = -1, second = -1;
  std::thread a([&] { first = module_->sweeper().SweepOnce().value_or(-1); });
  std::thread b([&] { second = other.SweepOnce().value_or(-1); });
  a.join();
  b.join();
  EXPECT_EQ(first + second, 1);
  ASSERT_OK_AND_ASSIGN(int later, module_->sweeper().SweepOnce());
  EXPECT_EQ(later, 0);

  std::vector<common::v1::Event> events = Events();
  ASSERT_EQ(CountOf(events, "shouhu.training.v1.CertificationExpired"), 1);
  v1::CertificationExpired expired;
  ASSERT_TRUE(events.back().payload().UnpackTo(&expired));
  EXPECT_EQ(expired.certification_id(), cert.id());
  EXPECT_EQ(expired.participant_id(), p.id());
  EXPECT_EQ(expired.expired_on(), "2026-03-08");
  ASSERT_EQ(expired.required_for_size(), 1);
  EXPECT_EQ(expired.required_for(0), v1::ACTIVITY_HOME_VISIT);
}

// A course retaken before its certificate lapses: the old certificate still expires (its event is history),
// but it names the later one in force, so a follower knows nothing the course qualified for is lost (visits
// took the person off every future visit on it).
TEST_F(TrainingTest, ExpirySweeper_CourseRetakenBeforeTheExpiry_EventNamesTheCertificateStillInForce) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, 12);
  v1::Participant p = QualifiedVolunteerBase();
  v1::Certification first = Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
  v1::Certification again = Certify(course.id(), p.id(), absl::CivilDay(2026, 2, 1));
  ASSERT_NE(again.id(), first.id());
  ASSERT_EQ(again.expires_on(), "2027-02-01");
  clock_->Set(absl::FromCivil(absl::CivilSecond(2026, 3, 8, 8, 0, 0), ShanghaiTimeZone()));
  ASSERT_OK_AND_ASSIGN(int written, module_->sweeper().SweepOnce());
  EXPECT_EQ(written, 1);
  v1::CertificationExpired expired;
  ASSERT_TRUE(Events().back().payload().UnpackTo(&expired));
  EXPECT_EQ(expired.certification_id(), first.id());
  EXPECT_EQ(expired.superseded_by(), again.id());

  // The later one lapses in turn with nothing after it.
  clock_->Set(absl::FromCivil(absl::CivilSecond(2027, 2, 1, 8, 0, 0), ShanghaiTimeZone()));
  ASSERT_OK_AND_ASSIGN(written, module_->sweeper().SweepOnce());
  EXPECT_EQ(written, 1);
  ASSERT_TRUE(Events().back().payload().UnpackTo(&expired));
  EXPECT_EQ(expired.certification_id(), again.id());
  EXPECT_EQ(expired.superseded_by(), "");
}

// Retaken in a session still ahead on the expiry day, its certificate recorded already (results entered
// before their session began, which is refused now but stands in older data): that certificate is not in
// force yet, so nothing supersedes the lapsed one and visits takes the holder off their visits until the new
// one begins.
TEST_F(TrainingTest, ExpirySweeper_CourseRetakenInASessionStillAhead_EventNamesNoCertificate) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, 12);
  v1::Participant p = QualifiedVolunteerBase();
  v1::Certification first = Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
  v1::Certification ahead = Certify(course.id(), p.id(), absl::CivilDay(2026, 4, 1));
  ASSERT_EQ(ahead.issued_on(), "2026-04-01");
  clock_->Set(absl::FromCivil(absl::CivilSecond(2026, 3, 8, 8, 0, 0), ShanghaiTimeZone()));
  ASSERT_OK_AND_ASSIGN(int written, module_->sweeper().SweepOnce());
  EXPECT_EQ(written, 1);
  v1::CertificationExpired expired;
  ASSERT_TRUE(Events().back().payload().UnpackTo(&expired));
  EXPECT_EQ(expired.certification_id(), first.id());
  EXPECT_EQ(expired.superseded_by(), "");
}

TEST_F(TrainingTest, ExpirySweeper_BackgroundThread_WritesWithoutAnyRead) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, 1);
  v1::Participant p = QualifiedVolunteerBase();
  Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
  clock_->Set(absl::FromCivil(absl::CivilSecond(2025, 4, 8, 8, 0, 0), ShanghaiTimeZone()));
  {
    ExpirySweeper sweeper(database_->pool(), module_->store(), *clock_, *logger_);
    sweeper.Start(absl::Milliseconds(20));
    for (int i = 0; i < 250 && CountOf(Events(), "shouhu.training.v1.CertificationExpired") == 0; ++i) {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }  // stops cleanly
  EXPECT_EQ(CountOf(Events(), "shouhu.training.v1.CertificationExpired"), 1);
}

TEST_F(TrainingTest, ExpirySweeper_ReplicasPollingTheSamePeriod_OneSweepsEachPeriod) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, 1);
  v1::Participant p = QualifiedVolunteerBase();
  Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
  clock_->Set(absl::FromCivil(absl::CivilSecond(2025, 4, 8, 8, 0, 10), ShanghaiTimeZone()));
  MariaDbTrainingStore other_store(database_->pool(), *clock_, *ids_);
  ExpirySweeper other(database_->pool(), other_store, *clock_, *logger_);
  for (int period = 0; period < 3; ++period) {
    std::optional<PeriodicRun> mine, theirs;
    std::thread a([&] { mine = module_->sweeper().SweepIfDue().value_or(std::nullopt); });
    std::thread b([&] { theirs = other.SweepIfDue().value_or(std::nullopt); });
    a.join();
    b.join();
    EXPECT_NE(mine.has_value(), theirs.has_value()) << "period " << period;
    clock_->Advance(kExpirySweepPeriod);
  }
  EXPECT_EQ(CountOf(Events(), "shouhu.training.v1.CertificationExpired"), 1);
  EXPECT_EQ(database_->Count("periodic_runs"), 3);
}

TEST_F(TrainingTest, ExpirySweeper_RevokedCertificate_NoExpiryEvent) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, 1);
  v1::Participant p = QualifiedVolunteerBase();
  v1::Certification cert = Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
  v1::RevokeCertificationRequest revoke;
  revoke.set_request_id("revoke");
  revoke.set_certification_id(cert.id());
  revoke.set_reason("违规");
  v1::RevokeCertificationResponse revoked;
  ASSERT_TRUE(Call(&Stub::RevokeCertification, Officer(), revoke, &revoked).ok());
  clock_->Set(absl::FromCivil(absl::CivilSecond(2025, 5, 1, 8, 0, 0), ShanghaiTimeZone()));
  ASSERT_OK_AND_ASSIGN(int written, module_->sweeper().SweepOnce());
  EXPECT_EQ(written, 0);
}

TEST_F(TrainingTest, StreamEvents_FromSequence_DeliversInOrderAndFollowsNewOnes) {
  v1::Participant p = RegisterVolunteer();
  Activate(p.id());                                                                      // event 1
  RecordCheck(p.id(), v1::BACKGROUND_CHECK_STATUS_CLEARED, "2025-01-01", "2028-01-01");  // event 2

  grpc::ClientContext context;
  signer_->Attach(System(), context);
  v1::StreamEventsRequest request;
  request.set_after_sequence(1);
  auto reader = stub_->StreamEvents(&context, request);
  v1::StreamEventsResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.event().sequence(), 2);
  EXPECT_EQ(response.event().type(), "shouhu.training.v1.BackgroundCheckChanged");
  MoveTo(p.id(), v1::VOLUNTEER_STAGE_SUSPENDED);  // event 3, committed while the stream waits
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.event().sequence(), 3);
  EXPECT_EQ(response.event().type(), "shouhu.training.v1.VolunteerSuspended");
  context.TryCancel();
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// The stream is the whole region's people, their suspensions and checks, unscoped: for the services that
// follow it, never for a person (a county's auditor, an NGO's admin), whose reads are scoped.
TEST_F(TrainingTest, StreamEvents_NgoRoleOrCountyAuditor_PermissionDeniedNoEvent) {
  RegisterVolunteer();  // an event to withhold
  for (const Principal& person : {NgoAdmin(), Make(common::v1::ROLE_AUDITOR, "wuding-audit", {"532329"})}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(700));
    signer_->Attach(person, context);
    auto reader = stub_->StreamEvents(&context, v1::StreamEventsRequest());
    v1::StreamEventsResponse response;
    EXPECT_FALSE(reader->Read(&response));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
}

}  // namespace
}  // namespace shouhu::training
