// Urgent needs found on visits become emergency-relief drafts once each: the visits stream stands in as the
// test event source (the same StreamEvents shape), followed by a real EventConsumer applying the allowance
// service's UrgentNeedFollower to its real schema. A need with no fitting program is recorded with why; a
// second consumer replaying the stream from 0 drafts nothing new.
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "common/event_consumer.h"
#include "common/status_macros.h"
#include "shouhu/visits/v1/events.pb.h"
#include "tests/integration/allowance/monthly_fixture.h"
#include "tests/integration/common/event_source.h"
#include "tests/support/status_matchers.h"

namespace shouhu::allowance::testing {
namespace {

namespace vv1 = ::shouhu::visits::v1;

class MonthlyUrgentNeed : public MonthlyAllowanceTest {
 protected:
  void SetUp() override {
    MonthlyAllowanceTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(source_db_, shouhu::testing::TestDatabase::Create({}));
    source_ = std::make_unique<shouhu::testing::EventSource>(source_db_->pool());
  }
  void TearDown() override {
    source_.reset();
    source_db_.reset();
    MonthlyAllowanceTest::TearDown();
  }

  std::unique_ptr<EventConsumer> Follow(const std::string& name) {
    EventConsumerOptions options;
    options.name = name;
    options.method = shouhu::testing::kEventSourceStreamMethod;
    options.channel = source_->channel();
    options.identify = visits_identity_.ForSelf();
    options.min_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(100);
    const UrgentNeedFollower* follower = &allowance_->cycles().urgent_follower();
    auto consumer = std::make_unique<EventConsumer>(
        allowance_database_->pool(), metrics_, logger_, options,
        [follower](db::Session& tx, const common::v1::Event& e) { return follower->Apply(tx, e); });
    consumer->Start();
    return consumer;
  }

  absl::Status Publish(const vv1::UrgentNeedFound& need) {
    return source_db_->pool().Transaction(
        [&](db::Session& tx) { return source_->outbox().Append(tx, need.report_id(), need, absl::Now()); });
  }

  void AwaitCheckpoint(EventConsumer& consumer, int64_t sequence) {
    const absl::Time give_up = absl::Now() + absl::Minutes(1);
    while (consumer.Checkpoint().value_or(0) < sequence && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_OK_AND_ASSIGN(int64_t checkpoint, consumer.Checkpoint());
    ASSERT_EQ(checkpoint, sequence);
  }

  static vv1::UrgentNeedFound Need(const std::string& report_id, const std::string& child_id,
                                   const std::string& division, int64_t estimate) {
    vv1::UrgentNeedFound need;
    need.set_report_id(report_id);
    need.set_visit_id("visit-" + report_id);
    need.set_child_id(child_id);
    need.set_division_code(division);
    need.set_organisation_id("ngo-wuding");
    need.set_kind(vv1::URGENT_NEED_KIND_CLOTHING_BEDDING);
    need.set_estimated_amount_fen(estimate);
    need.set_summary("入冬无棉被");
    return need;
  }

  const ServiceIdentity visits_identity_{"visits", shouhu::testing::TestServiceKey("visits"), clock_};
  std::unique_ptr<shouhu::testing::TestDatabase> source_db_;
  std::unique_ptr<shouhu::testing::EventSource> source_;
};

TEST_F(MonthlyUrgentNeed, EachNeedDraftedOnce_ReplayFromZeroDraftsNothingNew) {
  const std::string program = FundedProgram("relief");
  const std::string child = ActiveChild("winter").child_id();
  ASSERT_OK(Publish(Need("report-1", child, registry::testing::kWudingVillage, 80'000)));
  ASSERT_OK(Publish(Need("report-2", "01JX0000000000000000000000", registry::testing::kXixiaVillage, 0)));
  ASSERT_OK(Publish(Need("report-1", child, registry::testing::kWudingVillage, 80'000)));  // published twice

  {
    std::unique_ptr<EventConsumer> consumer = Follow("allowance-from-visits-test");
    AwaitCheckpoint(*consumer, 3);
  }
  EXPECT_EQ(AllowanceCount("urgent_need_drafts"), 2);
  v1::ListApplicationsRequest list;
  list.set_program_id(program);
  ASSERT_OK_AND_ASSIGN(v1::ListApplicationsResponse drafts,
                       Ask(&v1::AllowanceService::Stub::ListApplications, ngo_admin_, list));
  ASSERT_EQ(drafts.applications_size(), 1);
  const v1::Application& draft = drafts.applications(0);
  EXPECT_EQ(draft.type(), v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
  EXPECT_EQ(draft.state(), v1::APPLICATION_STATE_SUBMITTED);
  EXPECT_EQ(draft.child_id(), child);
  EXPECT_EQ(draft.amount_fen(), 80'000);
  EXPECT_EQ(draft.evidence_report_id(), "report-1");
  EXPECT_EQ(draft.organisation_id(), "ngo-wuding");
  EXPECT_EQ(AllowanceEvents("shouhu.allowance.v1.ApplicationSubmitted"), 1);
  // The need no program covers is recorded with why, and nothing drafted.
  ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     s.QueryOne("SELECT application_id, why_none FROM urgent_need_drafts WHERE report_id = ?",
                                {std::string("report-2")}));
    EXPECT_TRUE(row.has_value());
    if (row) {
      EXPECT_EQ(row->String(0), "");
      EXPECT_EQ(row->String(1), "no program covers the child's division");
    }
    return absl::OkStatus();
  }));

  // A second consumer from sequence 0 (a checkpoint reset): the same three events, nothing new.
  std::unique_ptr<EventConsumer> replay = Follow("allowance-from-visits-replay");
  AwaitCheckpoint(*replay, 3);
  EXPECT_EQ(AllowanceCount("urgent_need_drafts"), 2);
  EXPECT_EQ(AllowanceCount("applications"), 1);
  EXPECT_EQ(AllowanceEvents("shouhu.allowance.v1.ApplicationSubmitted"), 1);
  // The draft is an ordinary application: the program's admin approves it (maker-checker: the service
  // drafted).
  v1::ApproveApplicationRequest approve;
  approve.set_request_id("approve-draft");
  approve.set_application_id(draft.application_id());
  ASSERT_OK_AND_ASSIGN(v1::ApproveApplicationResponse approved,
                       Ask(&v1::AllowanceService::Stub::ApproveApplication, ngo_admin_, approve));
  EXPECT_EQ(approved.application().state(), v1::APPLICATION_STATE_APPROVED);
}

}  // namespace
}  // namespace shouhu::allowance::testing
