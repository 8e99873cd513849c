// Urgent needs found on visits become emergency-relief drafts once each: the visits stream stands in as the
// test event source (the same StreamEvents shape), followed by a real EventConsumer applying the allowance
// service's UrgentNeedFollower to its real schema. A need with no fitting program is recorded with why; a
// second consumer replaying the stream from 0 drafts nothing new.
#include <gtest/gtest.h>

#include <map>

#include "absl/time/clock.h"
#include "common/event_consumer.h"
#include "common/status_macros.h"
#include "services/allowance/payment_check_follower.h"
#include "shouhu/visits/v1/events.pb.h"
#include "tests/integration/allowance/monthly_fixture.h"
#include "tests/integration/common/event_source.h"
#include "tests/support/status_matchers.h"

namespace shouhu::allowance::testing {
namespace {

using ::shouhu::testing::StatusIs;

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

  // The verification-after-payment follower on the same stream, as the module runs it beside the drafts.
  std::unique_ptr<EventConsumer> FollowChecks(const std::string& name) {
    EventConsumerOptions options;
    options.name = name;
    options.method = shouhu::testing::kEventSourceStreamMethod;
    options.channel = source_->channel();
    options.identify = visits_identity_.ForSelf();
    options.min_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(100);
    const PaymentCheckFollower* follower = &allowance_->cycles().check_follower();
    auto consumer = std::make_unique<EventConsumer>(
        allowance_database_->pool(), metrics_, logger_, options,
        [follower](db::Session& tx, const common::v1::Event& e) { return follower->Apply(tx, e); });
    consumer->Start();
    return consumer;
  }

  absl::Status PublishCheck(const std::string& payment_id, vv1::PaymentVerificationResult result,
                            const std::string& note) {
    vv1::PaymentVerificationRecorded recorded;
    recorded.set_payment_id(payment_id);
    recorded.set_assignment_id("01JASSIGNMENT0000000000000");
    recorded.set_result(result);
    recorded.set_note(note);
    return source_db_->pool().Transaction(
        [&](db::Session& tx) { return source_->outbox().Append(tx, payment_id, recorded, absl::Now()); });
  }

  // A paid emergency-relief application of a new active child: its payment id.
  std::string PaidRelief(const std::string& tag, const std::string& program_id, int64_t amount_fen) {
    v1::SubmitApplicationRequest submit;
    submit.set_request_id("apply-" + tag);
    submit.set_program_id(program_id);
    submit.set_child_id(ActiveChild(tag).child_id());
    submit.set_type(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
    submit.set_amount_fen(amount_fen);
    submit.set_reason("家中失火，急需生活物资");
    auto submitted = Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, submit);
    EXPECT_OK(submitted);
    if (!submitted.ok()) return "";
    v1::ApproveApplicationRequest approve;
    approve.set_request_id("approve-" + tag);
    approve.set_application_id(submitted->application().application_id());
    EXPECT_OK(Ask(&v1::AllowanceService::Stub::ApproveApplication, ngo_admin_, approve));
    v1::PayApplicationRequest pay;
    pay.set_request_id("pay-" + tag);
    pay.set_application_id(submitted->application().application_id());
    pay.set_method(v1::PAYMENT_METHOD_CASH);
    pay.set_payee_reference("receipt-" + tag);
    auto paid = Ask(&v1::AllowanceService::Stub::PayApplication, ngo_admin_, pay);
    EXPECT_OK(paid);
    return paid.ok() ? paid->payment().payment_id() : "";
  }

  absl::StatusOr<v1::ListPaymentChecksResponse> Checks(const std::string& program_id,
                                                       bool discrepancies_only) {
    v1::ListPaymentChecksRequest request;
    request.set_program_id(program_id);
    request.set_discrepancies_only(discrepancies_only);
    return Ask(&v1::AllowanceService::Stub::ListPaymentChecks, finance_, request);
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

TEST_F(MonthlyUrgentNeed, PaymentChecks_VerifiedOrDiscrepancyListedAndAlertedOnce_NothingCorrected) {
  const std::string program = FundedProgram("relief");
  const std::string received = PaidRelief("received", program, 30'000);
  const std::string missing = PaidRelief("missing", program, 40'000);
  ASSERT_FALSE(received.empty());
  ASSERT_FALSE(missing.empty());
  const int64_t entries = AllowanceCount("ledger_entries");
  ASSERT_OK(PublishCheck(received, vv1::PAYMENT_VERIFICATION_RESULT_RECEIVED_IN_FULL, ""));
  ASSERT_OK(PublishCheck(missing, vv1::PAYMENT_VERIFICATION_RESULT_NOT_RECEIVED, "监护人说未收到"));
  ASSERT_OK(PublishCheck("01JNOTOURS0000000000000000", vv1::PAYMENT_VERIFICATION_RESULT_NOT_RECEIVED, "?"));
  // A second word on a checked payment keeps the first.
  ASSERT_OK(PublishCheck(missing, vv1::PAYMENT_VERIFICATION_RESULT_RECEIVED_IN_FULL, ""));
  {
    std::unique_ptr<EventConsumer> consumer = FollowChecks("allowance-checks-test");
    AwaitCheckpoint(*consumer, 4);
  }
  ASSERT_OK_AND_ASSIGN(v1::ListPaymentChecksResponse all, Checks(program, false));
  ASSERT_EQ(all.checks_size(), 2);
  std::map<std::string, v1::PaymentCheck> by_payment;
  for (const v1::PaymentCheck& c : all.checks()) by_payment[c.payment_id()] = c;
  EXPECT_EQ(by_payment[received].result(), v1::PAYMENT_CHECK_RESULT_RECEIVED_IN_FULL);
  EXPECT_EQ(by_payment[missing].result(), v1::PAYMENT_CHECK_RESULT_NOT_RECEIVED);
  EXPECT_EQ(by_payment[missing].note(), "监护人说未收到");
  EXPECT_EQ(by_payment[missing].program_id(), program);
  ASSERT_OK_AND_ASSIGN(v1::ListPaymentChecksResponse discrepancies, Checks(program, true));
  ASSERT_EQ(discrepancies.checks_size(), 1);
  EXPECT_EQ(discrepancies.checks(0).payment_id(), missing);
  EXPECT_EQ(AllowanceEvents("shouhu.allowance.v1.PaymentVerificationDiscrepancy"), 1);
  // An alert, never a correction: the ledger is as the payments left it, and reconciles.
  EXPECT_EQ(AllowanceCount("ledger_entries"), entries);
  ASSERT_OK_AND_ASSIGN(ReconcileResult reconciled,
                       allowance_->store().ReconcileProgram(program, absl::Now()));
  EXPECT_TRUE(reconciled.reconciliation.balanced);
  // Outside the caller's jurisdiction the program's checks do not exist.
  v1::ListPaymentChecksRequest elsewhere;
  elsewhere.set_program_id(program);
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::ListPaymentChecks,
                  shouhu::testing::MakePrincipal("finance-9", "xixia-civil-affairs",
                                                 common::v1::ROLE_FINANCE_OFFICER, {"640105"}),
                  elsewhere),
              StatusIs(absl::StatusCode::kNotFound));

  // A second consumer from sequence 0: nothing new.
  std::unique_ptr<EventConsumer> replay = FollowChecks("allowance-checks-replay");
  AwaitCheckpoint(*replay, 4);
  EXPECT_EQ(AllowanceCount("payment_checks"), 2);
  EXPECT_EQ(AllowanceEvents("shouhu.allowance.v1.PaymentVerificationDiscrepancy"), 1);
}

}  // namespace
}  // namespace shouhu::allowance::testing
