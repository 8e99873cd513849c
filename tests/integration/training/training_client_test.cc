// TrainingClient against the real training service, as visits will ask it: one person or a batch, as the
// visits service itself; a service's key signing anything but its own system principal is refused.
#include "services/training/training_client.h"

#include "tests/integration/training/training_test_fixture.h"
#include "tests/support/test_server.h"

namespace shouhu::training {
namespace {

using ::shouhu::testing::StatusIs;

class TrainingClientTest : public TrainingTest {
 protected:
  void SetUp() override {
    TrainingTest::SetUp();
    if (HasFatalFailure()) return;
    service_channel_ = std::make_unique<ServiceChannel>(channel_);
    client_ = std::make_unique<GrpcTrainingClient>(*service_channel_);
    // The visits service works for the demo provinces; a SYSTEM caller is scoped by jurisdiction like anyone.
    visits_ = std::make_unique<ServiceIdentity>("visits", testing::TestServiceKey("visits"), *clock_,
                                                std::vector<std::string>{"53", "64", "33"});
  }

  std::unique_ptr<ServiceChannel> service_channel_;
  std::unique_ptr<TrainingClient> client_;
  std::unique_ptr<ServiceIdentity> visits_;  // signs with the fixture's clock, made in SetUp
};

TEST_F(TrainingClientTest, CheckQualification_AsVisits_ReportsQualifiedAndEveryReason) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Participant certified = QualifiedVolunteerBase();
  Certify(course.id(), certified.id(), absl::CivilDay(2025, 3, 8));
  v1::Participant uncertified = QualifiedVolunteerBase();

  ASSERT_OK_AND_ASSIGN(
      v1::QualificationResult yes,
      client_->CheckQualification(visits_->ForSelf(), certified.id(), v1::ACTIVITY_HOME_VISIT, "2025-06-07"));
  EXPECT_TRUE(yes.qualified());
  ASSERT_OK_AND_ASSIGN(v1::QualificationResult no,
                       client_->CheckQualification(visits_->ForSelf(), uncertified.id(),
                                                   v1::ACTIVITY_HOME_VISIT, "2025-06-07"));
  EXPECT_FALSE(no.qualified());
  ASSERT_EQ(no.reasons_size(), 1);
  EXPECT_EQ(no.reasons(0).reason(), v1::QUALIFICATION_REASON_MISSING_COURSE);
}

TEST_F(TrainingClientTest, BatchCheckQualification_AsVisits_AnswersInTheOrderAsked) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Participant certified = QualifiedVolunteerBase();
  Certify(course.id(), certified.id(), absl::CivilDay(2025, 3, 8));
  v1::Participant uncertified = QualifiedVolunteerBase();
  ASSERT_OK_AND_ASSIGN(
      auto results, client_->BatchCheckQualification(visits_->ForSelf(), {uncertified.id(), certified.id()},
                                                     v1::ACTIVITY_HOME_VISIT, "2025-06-07"));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].participant_id(), uncertified.id());
  EXPECT_FALSE(results[0].qualified());
  EXPECT_EQ(results[1].participant_id(), certified.id());
  EXPECT_TRUE(results[1].qualified());
}

TEST_F(TrainingClientTest, BadDate_InvalidArgumentFromTheService) {
  v1::Participant p = QualifiedVolunteerBase();
  EXPECT_THAT(client_->CheckQualification(visits_->ForSelf(), p.id(), v1::ACTIVITY_HOME_VISIT, "07/06/2025"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(TrainingClientTest, ServiceKeySigningAPersonOrAnotherService_IsUnauthenticated) {
  v1::Participant p = QualifiedVolunteerBase();
  const testing::TestPrincipals as_visits(*clock_, testing::TestServiceKey("visits"));
  EXPECT_THAT(
      client_->CheckQualification(as_visits.As(Officer()), p.id(), v1::ACTIVITY_HOME_VISIT, "2025-06-07"),
      StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(client_->BatchCheckQualification(as_visits.As(testing::SystemPrincipal("allowance")), {p.id()},
                                               v1::ACTIVITY_HOME_VISIT, "2025-06-07"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace shouhu::training
