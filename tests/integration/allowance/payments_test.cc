// Payments are made once, however often or concurrently they are asked for; outcomes move the money through
// the ledger; failures are sent again a bounded number of times; a returned payment is reversed and
// re-issued; the ledger refuses to be edited and reconciliation reports, never corrects.
#include <atomic>
#include <thread>

#include "services/allowance/verification_sample.h"
#include "shouhu/allowance/v1/events.pb.h"
#include "shouhu/allowance/v1/monthly_cycles.pb.h"
#include "tests/integration/allowance/allowance_fixture.h"

namespace shouhu::allowance::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Stub = v1::AllowanceService::Stub;

TEST_F(AllowanceTest, Pay_RetriedWithTheSameRequestId_PaysOnceAndAnswersTheSame) {
  const std::string program = FundedProgram("p");
  const std::string application = ApprovedApplication("a", program, ActiveChild("c"), 30'000);
  ASSERT_OK_AND_ASSIGN(v1::Payment first, Pay(finance_, "pay-1", application));
  ASSERT_OK_AND_ASSIGN(v1::Payment again, Pay(finance_, "pay-1", application));
  EXPECT_EQ(first.payment_id(), again.payment_id());
  EXPECT_EQ(first.issue_number(), 1);
  EXPECT_EQ(AllowanceCount("payments"), 1);
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().in_payment_fen(), 30'000);
  EXPECT_EQ(after.balances().reserved_fen(), 0);
}

// Verification after payment covers one-time payments too: the sampled share of PayApplication's payments
// (here every one, then none) asks the visits service to check the household; a retried payment is not asked
// again.
TEST_F(AllowanceTest, Pay_SampledPayment_RaisesHouseholdVerificationOnceEvenWhenRetried) {
  auto verifications = [&] {
    EXPECT_OK(allowance_->store().outbox().SequencePending().status());
    absl::StatusOr<std::vector<common::v1::Event>> events = allowance_->store().outbox().ReadAfter(0, 1000);
    EXPECT_OK(events);
    std::vector<v1::HouseholdVerificationRequested> found;
    for (const common::v1::Event& e : events.ok() ? *events : std::vector<common::v1::Event>()) {
      if (e.type() != v1::HouseholdVerificationRequested::descriptor()->full_name()) continue;
      v1::HouseholdVerificationRequested verify;
      EXPECT_TRUE(e.payload().UnpackTo(&verify));
      found.push_back(verify);
    }
    return found;
  };
  StopAllowance();
  allowance_config_.cycles.verification_share_ppm = kShareScale;
  StartAllowance();
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("c");
  const std::string sampled = ApprovedApplication("a", program, child, 30'000);
  ASSERT_OK_AND_ASSIGN(v1::Payment paid, Pay(finance_, "pay-1", sampled));
  ASSERT_OK(Pay(finance_, "pay-1", sampled).status());
  std::vector<v1::HouseholdVerificationRequested> asked = verifications();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].payment_id(), paid.payment_id());
  EXPECT_EQ(asked[0].child_id(), child);
  EXPECT_EQ(asked[0].program_id(), program);

  StopAllowance();
  allowance_config_.cycles.verification_share_ppm = 0;
  StartAllowance();
  const std::string unsampled = ApprovedApplication("b", program, ActiveChild("d"), 20'000);
  ASSERT_OK(Pay(finance_, "pay-2", unsampled).status());
  EXPECT_EQ(verifications().size(), 1u);
}

TEST_F(AllowanceTest, Pay_SixteenDuplicatesAtOnce_PaysOnce) {
  const std::string program = FundedProgram("p");
  const std::string application = ApprovedApplication("a", program, ActiveChild("c"), 30'000);
  std::atomic<int> paid{0}, duplicate{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      // Half retry one request id, half are separate requests for the same application.
      absl::StatusOr<v1::Payment> answer =
          Pay(i % 2 ? finance_ : ngo_admin_, i % 2 ? "pay-same" : absl::StrCat("pay-", i), application);
      if (answer.ok()) {
        ++paid;
      } else if (answer.status().code() == absl::StatusCode::kAlreadyExists) {
        ++duplicate;
      } else {
        ADD_FAILURE() << answer.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(paid.load() + duplicate.load(), 16);
  EXPECT_GE(paid.load(), 1);
  EXPECT_EQ(AllowanceCount("payments"), 1);
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().in_payment_fen(), 30'000);
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_TRUE(reconciled.balanced());
}

TEST_F(AllowanceTest, Pay_AnApplicationNotApproved_IsFailedPrecondition) {
  const std::string program = FundedProgram("p");
  ASSERT_OK_AND_ASSIGN(v1::Application a,
                       Submit(wuding_caseworker_, Application("s", program, ActiveChild("c"), 10'000)));
  EXPECT_THAT(Pay(finance_, "pay-1", a.application_id()), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Pay(wuding_caseworker_, "pay-2", a.application_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(AllowanceCount("payments"), 0);
}

TEST_F(AllowanceTest, Payment_ConfirmedThenReturned_IsReversedAndReissuedOnce) {
  const std::string program = FundedProgram("p");
  const std::string application = ApprovedApplication("a", program, ActiveChild("c"), 40'000);
  ASSERT_OK_AND_ASSIGN(v1::Payment first, Pay(finance_, "pay-1", application));
  ASSERT_OK_AND_ASSIGN(v1::Payment confirmed,
                       Outcome(bank_, "o-1", first.payment_id(), v1::PAYMENT_OUTCOME_CONFIRMED));
  EXPECT_EQ(confirmed.state(), v1::PAYMENT_STATE_CONFIRMED);
  ASSERT_OK_AND_ASSIGN(v1::Program paid, Program(program));
  EXPECT_EQ(paid.balances().disbursed_fen(), 40'000);
  EXPECT_THAT(Outcome(bank_, "o-2", first.payment_id(), v1::PAYMENT_OUTCOME_CONFIRMED),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_OK_AND_ASSIGN(v1::Payment returned,
                       Outcome(finance_, "o-3", first.payment_id(), v1::PAYMENT_OUTCOME_RETURNED));
  EXPECT_EQ(returned.state(), v1::PAYMENT_STATE_RETURNED);
  ASSERT_OK_AND_ASSIGN(v1::Program reversed, Program(program));
  EXPECT_EQ(reversed.balances().disbursed_fen(), 0);
  EXPECT_EQ(reversed.balances().reserved_fen(), 40'000);

  ASSERT_OK_AND_ASSIGN(v1::Payment reissued, Pay(finance_, "pay-2", application));
  EXPECT_EQ(reissued.issue_number(), 2);
  EXPECT_NE(reissued.payment_id(), first.payment_id());
  EXPECT_THAT(Pay(finance_, "pay-3", application), StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK(Outcome(bank_, "o-4", reissued.payment_id(), v1::PAYMENT_OUTCOME_CONFIRMED).status());
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().disbursed_fen(), 40'000);
  EXPECT_EQ(after.balances().available_fen(), 10'000'000 - 40'000);

  // The ledger kept every step, the reversal among them, and still balances.
  v1::ListLedgerEntriesRequest list;
  list.set_program_id(program);
  ASSERT_OK_AND_ASSIGN(auto ledger, Do(&Stub::ListLedgerEntries, finance_, list));
  std::vector<v1::LedgerEntryKind> kinds;
  for (const v1::LedgerEntry& e : ledger.entries()) kinds.push_back(e.kind());
  EXPECT_EQ(kinds, (std::vector<v1::LedgerEntryKind>{
                       v1::LEDGER_ENTRY_KIND_FUNDING, v1::LEDGER_ENTRY_KIND_RESERVATION,
                       v1::LEDGER_ENTRY_KIND_PAYMENT, v1::LEDGER_ENTRY_KIND_CONFIRMATION,
                       v1::LEDGER_ENTRY_KIND_REVERSAL, v1::LEDGER_ENTRY_KIND_PAYMENT,
                       v1::LEDGER_ENTRY_KIND_CONFIRMATION}));
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_TRUE(reconciled.balanced());
  EXPECT_EQ(reconciled.entry_count(), 7);
}

TEST_F(AllowanceTest, Payment_Failed_IsSentAgainBoundedTimesThenAbandonedAndReversed) {
  const std::string program = FundedProgram("p");
  const std::string application = ApprovedApplication("a", program, ActiveChild("c"), 20'000);
  ASSERT_OK_AND_ASSIGN(v1::Payment payment, Pay(finance_, "pay-1", application));
  for (int attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_OK_AND_ASSIGN(v1::Payment failed,
                         Outcome(bank_, absl::StrCat("fail-", attempt), payment.payment_id(),
                                 v1::PAYMENT_OUTCOME_FAILED, attempt));
    EXPECT_EQ(failed.state(), v1::PAYMENT_STATE_FAILED);
    EXPECT_EQ(failed.attempts(), attempt);
    ASSERT_OK_AND_ASSIGN(int sent, allowance_->retrier().ResendOnce());
    EXPECT_EQ(sent, 1);
    // A second run finds nothing left to send.
    ASSERT_OK_AND_ASSIGN(int again, allowance_->retrier().ResendOnce());
    EXPECT_EQ(again, 0);
  }
  ASSERT_OK_AND_ASSIGN(v1::Payment last,
                       Outcome(bank_, "fail-3", payment.payment_id(), v1::PAYMENT_OUTCOME_FAILED, 3));
  EXPECT_EQ(last.state(), v1::PAYMENT_STATE_ABANDONED);
  EXPECT_EQ(last.attempts(), 3);
  ASSERT_OK_AND_ASSIGN(int none, allowance_->retrier().ResendOnce());
  EXPECT_EQ(none, 0);
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().in_payment_fen(), 0);
  EXPECT_EQ(after.balances().reserved_fen(), 20'000);
  // The application can be paid again, as a new issue.
  ASSERT_OK_AND_ASSIGN(v1::Payment reissued, Pay(finance_, "pay-2", application));
  EXPECT_EQ(reissued.issue_number(), 2);
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_TRUE(reconciled.balanced());
}

// The bank integration records attempt 1's failure, the retrier sends attempt 2, then a finance officer
// records the same rejection again under another request id: it must not fail attempt 2, which is live at
// the bank (failing it would send attempt 3, or at the last attempt reverse it and let the application be
// paid again, while attempt 2 may still be paid out).
TEST_F(AllowanceTest, RecordPaymentOutcome_ForASupersededAttempt_RefusedAndTheLiveAttemptKept) {
  const std::string program = FundedProgram("p");
  const std::string application = ApprovedApplication("a", program, ActiveChild("c"), 20'000);
  ASSERT_OK_AND_ASSIGN(v1::Payment payment, Pay(finance_, "pay-1", application));
  // The first attempt's outcome may name no attempt: it can only be for the one attempt sent.
  ASSERT_OK(Outcome(bank_, "bank-fail-1", payment.payment_id(), v1::PAYMENT_OUTCOME_FAILED).status());
  ASSERT_OK_AND_ASSIGN(int sent, allowance_->retrier().ResendOnce());
  ASSERT_EQ(sent, 1);

  for (const auto& [request_id, attempt] :
       std::vector<std::pair<std::string, int32_t>>{{"officer-fail-1", 1}, {"officer-fail", 0}}) {
    EXPECT_THAT(Outcome(finance_, request_id, payment.payment_id(), v1::PAYMENT_OUTCOME_FAILED, attempt),
                StatusIs(absl::StatusCode::kFailedPrecondition))
        << request_id;
    EXPECT_THAT(Outcome(finance_, request_id + "-returned", payment.payment_id(),
                        v1::PAYMENT_OUTCOME_RETURNED, attempt),
                StatusIs(absl::StatusCode::kFailedPrecondition))
        << request_id;
  }
  // An attempt not yet sent is refused too.
  EXPECT_THAT(Outcome(bank_, "bank-fail-3", payment.payment_id(), v1::PAYMENT_OUTCOME_FAILED, 3),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::GetPaymentRequest get;
  get.set_payment_id(payment.payment_id());
  ASSERT_OK_AND_ASSIGN(auto live, Do(&Stub::GetPayment, finance_, get));
  EXPECT_EQ(live.payment().state(), v1::PAYMENT_STATE_ISSUED);
  EXPECT_EQ(live.payment().attempts(), 2);
  ASSERT_OK_AND_ASSIGN(int none, allowance_->retrier().ResendOnce());
  EXPECT_EQ(none, 0);
  ASSERT_OK_AND_ASSIGN(v1::Program during, Program(program));
  EXPECT_EQ(during.balances().in_payment_fen(), 20'000);
  EXPECT_THAT(Pay(finance_, "pay-2", application), StatusIs(absl::StatusCode::kAlreadyExists));

  // The live attempt's own outcome applies.
  ASSERT_OK_AND_ASSIGN(v1::Payment confirmed, Outcome(bank_, "bank-confirm-2", payment.payment_id(),
                                                      v1::PAYMENT_OUTCOME_CONFIRMED, 2));
  EXPECT_EQ(confirmed.state(), v1::PAYMENT_STATE_CONFIRMED);
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().disbursed_fen(), 20'000);
  EXPECT_EQ(AllowanceCount("payments"), 1);
}

TEST_F(AllowanceTest, Ledger_UpdateOrDeleteOfAnEntry_IsRefusedByTheDatabase) {
  const std::string program = FundedProgram("p");
  ApprovedApplication("a", program, ActiveChild("c"), 20'000);
  const int64_t before = AllowanceCount("ledger_entries");
  ASSERT_EQ(before, 2);
  absl::Status update = allowance_database_->pool().Autocommit(
      [](db::Session& s) { return s.Execute("UPDATE ledger_entries SET amount_fen = 1").status(); });
  EXPECT_FALSE(update.ok());
  absl::Status remove = allowance_database_->pool().Autocommit(
      [](db::Session& s) { return s.Execute("DELETE FROM ledger_entries").status(); });
  EXPECT_FALSE(remove.ok());
  EXPECT_EQ(AllowanceCount("ledger_entries"), before);
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_TRUE(reconciled.balanced());
}

TEST_F(AllowanceTest, Reconcile_CacheThatDisagreesWithTheLedger_RaisesAnAlertAndCorrectsNothing) {
  const std::string program = FundedProgram("p");
  ApprovedApplication("a", program, ActiveChild("c"), 20'000);
  ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) {
    return s
        .Execute("UPDATE program_balances SET unallocated_fen = unallocated_fen + 1 WHERE program_id = ?",
                 {program})
        .status();
  }));
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_FALSE(reconciled.balanced());
  EXPECT_FALSE(reconciled.problems().empty());
  EXPECT_EQ(reconciled.cached().available_fen(), 10'000'000 - 20'000 + 1);
  EXPECT_EQ(reconciled.ledger().available_fen(), 10'000'000 - 20'000);
  // Still wrong afterwards: the alert is for people to look at.
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().available_fen(), 10'000'000 - 20'000 + 1);
  ASSERT_OK(allowance_->store().outbox().SequencePending().status());  // numbered after commit, by a thread
  ASSERT_OK_AND_ASSIGN(std::vector<common::v1::Event> events,
                       allowance_->store().outbox().ReadAfter(0, 1000));
  int alerts = 0;
  for (const common::v1::Event& e : events) {
    if (e.type() == v1::ReconciliationMismatch::descriptor()->full_name()) ++alerts;
  }
  EXPECT_EQ(alerts, 1);
}

}  // namespace
}  // namespace shouhu::allowance::testing
