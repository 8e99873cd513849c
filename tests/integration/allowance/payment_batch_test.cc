// PayApplication's group commit (common/group_commit.h, AllowanceStore::PayApplications): a batch of payments
// in one transaction answers every order as PayApplication alone would. A refused or failing payment never
// fails the others; a duplicate inside one batch, or a retry of a payment committed before it, pays once; and
// the queue under many concurrent callers, racing the single form as another replica would, pays each
// application once with the ledger reconciling.
#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "services/allowance/allowance_access.h"
#include "services/allowance/allowance_rules.h"
#include "tests/integration/allowance/allowance_fixture.h"

namespace shouhu::allowance::testing {
namespace {

using ::shouhu::testing::StatusIs;

class PaymentBatchTest : public AllowanceTest {
 protected:
  // An order as the edge builds it for `as` (the same key, the same checks).
  PaymentOrder Order(const Principal& as, const std::string& request_id, const std::string& application_id,
                     const std::string& payee_reference = "guardian-account-ref-1") {
    v1::PayApplicationRequest request;
    request.set_request_id(request_id);
    request.set_application_id(application_id);
    request.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
    request.set_payee_reference(payee_reference);
    PaymentOrder order;
    order.key = {absl::StrCat(v1::AllowanceService::service_full_name(), "/PayApplication"), as.subject(),
                 request_id, RequestHash(request)};
    order.actor = ActorOf(as, allowance_clock_.Now());
    order.application_id = application_id;
    order.authorize = [as](const v1::Application& a, const v1::Program& program) -> absl::Status {
      RETURN_IF_ERROR(RequireApplicationVisible(as, a, program));
      if (!MayPay(as, program)) return absl::PermissionDeniedError("may not pay");
      return absl::OkStatus();
    };
    order.method = request.method();
    order.payee_reference = payee_reference;
    return order;
  }

  // One batch, as the queue's committer writes it (its turn handed on to nobody).
  std::vector<absl::StatusOr<v1::Payment>> PayTogether(const std::vector<PaymentOrder>& orders) {
    return allowance_->store().PayApplications(orders, [] {});
  }

  int64_t PaymentsOf(const std::string& application_id) {
    int64_t n = -1;
    EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(
          std::optional<db::Row> row,
          s.QueryOne("SELECT COUNT(*) FROM payments WHERE application_id = ?", {application_id}));
      n = row ? row->Int(0) : -1;
      return absl::OkStatus();
    }));
    return n;
  }

  void ExpectReconciles(const std::string& program_id) {
    absl::StatusOr<v1::ReconcileProgramResponse> reconciled = Reconcile(program_id);
    ASSERT_OK(reconciled.status());
    EXPECT_TRUE(reconciled->balanced()) << program_id;
  }
};

TEST_F(PaymentBatchTest, PayBatch_RefusedOrdersAmongValidOnes_PaysTheValidOnesAndWritesNothingForTheRefused) {
  const std::string program = FundedProgram("p");
  const std::string a = ApprovedApplication("a", program, ActiveChild("c1"), 30'000);
  const std::string b = ApprovedApplication("b", program, ActiveChild("c2"), 20'000);
  ASSERT_OK_AND_ASSIGN(v1::Application submitted,
                       Submit(wuding_caseworker_, Application("s", program, ActiveChild("c3"), 10'000)));
  const std::string outsider = ApprovedApplication("o", program, ActiveChild("c4"), 10'000);
  const Principal elsewhere = shouhu::testing::MakePrincipal("finance-9", "wuding-civil-affairs",
                                                             common::v1::ROLE_FINANCE_OFFICER, {"640000"});

  std::vector<absl::StatusOr<v1::Payment>> answers =
      PayTogether({Order(finance_, "pay-a", a), Order(finance_, "pay-s", submitted.application_id()),
                   Order(finance_, "pay-missing", "01ZZZZZZZZZZZZZZZZZZZZZZZZ"),
                   Order(elsewhere, "pay-o", outsider), Order(finance_, "pay-b", b)});
  ASSERT_EQ(answers.size(), 5u);
  ASSERT_OK(answers[0].status());
  EXPECT_EQ(answers[0]->application_id(), a);
  EXPECT_EQ(answers[0]->issue_number(), 1);
  EXPECT_EQ(answers[0]->state(), v1::PAYMENT_STATE_ISSUED);
  EXPECT_THAT(answers[1], StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(answers[2], StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(answers[3], StatusIs(absl::StatusCode::kNotFound));  // outside the caller's jurisdiction
  ASSERT_OK(answers[4].status());
  EXPECT_EQ(answers[4]->application_id(), b);

  EXPECT_EQ(AllowanceCount("payments"), 2);
  EXPECT_EQ(PaymentsOf(outsider), 0);
  // The answer is what a later read returns: built in memory, never read back.
  v1::GetPaymentRequest get;
  get.set_payment_id(answers[0]->payment_id());
  ASSERT_OK_AND_ASSIGN(auto read, Do(&v1::AllowanceService::Stub::GetPayment, finance_, get));
  EXPECT_EQ(read.payment().SerializeAsString(), answers[0]->SerializeAsString());
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().in_payment_fen(), 50'000);
  EXPECT_EQ(after.balances().reserved_fen(), 10'000);  // the outsider's, still reserved
  ExpectReconciles(program);
}

// A balance that cannot hold the batch's sum fails the batch's transaction; every order is then run alone, so
// only the payment of that program fails. Without running them alone the others would fail with it.
TEST_F(PaymentBatchTest, PayBatch_OneProgramsBalanceCannotHoldItsPayment_FailsOnlyThatPayment) {
  const std::string good = FundedProgram("good");
  const std::string bad = FundedProgram("bad");
  const std::string a = ApprovedApplication("a", good, ActiveChild("c1"), 30'000);
  const std::string b = ApprovedApplication("b", bad, ActiveChild("c2"), 20'000);
  const std::string c = ApprovedApplication("c", good, ActiveChild("c3"), 10'000);
  // The cached reserved balance of `bad` no longer holds its approved amount (as after a bug or a hand edit).
  ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) {
    return s.Execute("UPDATE program_budget_slots SET reserved_fen = 0 WHERE program_id = ?", {bad}).status();
  }));

  std::vector<absl::StatusOr<v1::Payment>> answers =
      PayTogether({Order(finance_, "pay-a", a), Order(finance_, "pay-b", b), Order(finance_, "pay-c", c)});
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_OK(answers[0].status());
  EXPECT_THAT(answers[1], StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(answers[2].status());
  EXPECT_EQ(PaymentsOf(a), 1);
  EXPECT_EQ(PaymentsOf(b), 0);
  EXPECT_EQ(PaymentsOf(c), 1);
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(good));
  EXPECT_EQ(after.balances().in_payment_fen(), 40'000);
  ExpectReconciles(good);
  // The failed one left no record: paid later, once its program is put right, it pays.
  ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) {
    return s.Execute("UPDATE program_budget_slots SET reserved_fen = 20000 WHERE program_id = ?", {bad})
        .status();
  }));
  ASSERT_OK_AND_ASSIGN(v1::Payment later, Pay(finance_, "pay-b", b));
  EXPECT_EQ(later.issue_number(), 1);
  ExpectReconciles(bad);
}

TEST_F(PaymentBatchTest, PayBatch_DuplicatesInsideOneBatchAndRetriesOfAnEarlierOne_PayOnce) {
  const std::string program = FundedProgram("p");
  const std::string earlier = ApprovedApplication("e", program, ActiveChild("c1"), 30'000);
  const std::string a = ApprovedApplication("a", program, ActiveChild("c2"), 20'000);
  ASSERT_OK_AND_ASSIGN(v1::Payment first, Pay(finance_, "pay-e", earlier));

  std::vector<absl::StatusOr<v1::Payment>> answers = PayTogether({
      Order(finance_, "pay-a", a),                     // pays
      Order(finance_, "pay-a", a),                     // the same request again: the same answer
      Order(ngo_admin_, "pay-a-too", a),               // another request for a: already paid
      Order(finance_, "pay-a", a, "another-account"),  // the same id for other content
      Order(finance_, "pay-e", earlier),               // a retry of a payment committed before
      Order(finance_, "pay-e-again", earlier),         // a new request for that one: already paid
  });
  ASSERT_EQ(answers.size(), 6u);
  ASSERT_OK(answers[0].status());
  ASSERT_OK(answers[1].status());
  EXPECT_EQ(answers[1]->SerializeAsString(), answers[0]->SerializeAsString());
  EXPECT_THAT(answers[2], StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(answers[3], StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(answers[4].status());
  EXPECT_EQ(answers[4]->SerializeAsString(), first.SerializeAsString());
  EXPECT_THAT(answers[5], StatusIs(absl::StatusCode::kAlreadyExists));

  EXPECT_EQ(PaymentsOf(a), 1);
  EXPECT_EQ(PaymentsOf(earlier), 1);
  // A later retry through the service answers what the batch answered.
  ASSERT_OK_AND_ASSIGN(v1::Payment retried, Pay(finance_, "pay-a", a));
  EXPECT_EQ(retried.SerializeAsString(), answers[0]->SerializeAsString());
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().in_payment_fen(), 50'000);
  EXPECT_EQ(after.balances().reserved_fen(), 0);
  ExpectReconciles(program);
}

// A retry whose first attempt is in another batch that has not committed yet (with several committers,
// group_commit.h): the retry's batch waits on the application's lock and only then reads the idempotency
// records, so it finds the first attempt's and answers with the same payment. Reading the records before the
// lock, it would find none, then the application already paid, and answer ALREADY_EXISTS. The first batch is
// held just before its commit by a test transaction that locks its program's balance row.
TEST_F(PaymentBatchTest, PayBatch_RetryWhileItsFirstAttemptsBatchCommits_AnswersTheFirstPayment) {
  const std::string held = FundedProgram("held");
  const std::string other = FundedProgram("other");
  const std::string a = ApprovedApplication("a", held, ActiveChild("c1"), 30'000);
  const std::string b = ApprovedApplication("b", held, ActiveChild("c2"), 20'000);
  const std::string c = ApprovedApplication("c", other, ActiveChild("c3"), 10'000);
  db::Pool& pool = allowance_database_->pool();
  // Whether another connection of this database is running a statement like `pattern` (waiting on a lock:
  // nothing else would keep it running here).
  const auto running = [&](const std::string& pattern) {
    int64_t n = -1;
    EXPECT_OK(pool.Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<db::Row> row,
                       s.QueryOne("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE()"
                                  " AND ID <> CONNECTION_ID() AND INFO LIKE ?",
                                  {pattern}));
      n = row ? row->Int(0) : -1;
      return absl::OkStatus();
    }));
    return n > 0;
  };
  const auto await_running = [&](const std::string& pattern) {
    for (int i = 0; i < 3000 && !running(pattern); ++i) absl::SleepFor(absl::Milliseconds(10));
    return running(pattern);
  };

  absl::Notification balance_locked, release;
  std::thread holder([&] {
    EXPECT_OK(pool.Transaction(
        [&](db::Session& s) -> absl::Status {
          RETURN_IF_ERROR(
              s.Query("SELECT reserved_fen FROM program_budget_slots WHERE program_id = ? FOR UPDATE", {held})
                  .status());
          balance_locked.Notify();
          release.WaitForNotification();
          return absl::OkStatus();
        },
        /*max_attempts=*/1));
  });
  balance_locked.WaitForNotification();
  std::vector<absl::StatusOr<v1::Payment>> first, second;
  std::thread first_batch([&] {
    first = PayTogether({Order(finance_, "pay-a", a), Order(finance_, "pay-b", b)});
  });
  // The first batch has written all but its ledger entries and waits for the held program's slot row, to
  // post them and move its balance: not committed.
  const bool first_waits = await_running("SELECT last_entry_id FROM program_budget_slots%FOR UPDATE");
  if (!first_waits) release.Notify();
  std::thread second_batch([&] {
    second = PayTogether({Order(finance_, "pay-a", a), Order(finance_, "pay-c", c)});
  });
  // The retry's batch waits for a's lock (the batch form locks by an IN list).
  const bool second_waits = first_waits && await_running("SELECT id, program_id%WHERE id IN (%FOR UPDATE");
  if (first_waits) release.Notify();
  holder.join();
  first_batch.join();
  second_batch.join();
  ASSERT_TRUE(first_waits);
  ASSERT_TRUE(second_waits);

  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  ASSERT_OK(first[0].status());
  ASSERT_OK(second[0].status());
  EXPECT_EQ(second[0]->SerializeAsString(), first[0]->SerializeAsString());
  EXPECT_OK(first[1].status());
  EXPECT_OK(second[1].status());
  EXPECT_EQ(PaymentsOf(a), 1);
  ExpectReconciles(held);
  ExpectReconciles(other);
}

// Many callers through the queue (batches form as they wait), each application asked for twice over the
// service and once through the single form beside it (another replica): each is paid once, never beyond its
// reservation, and the ledger reconciles. The applications' row locks are what keep the batch and the single
// form from both paying one: without them both would pass CheckPayable.
TEST_F(PaymentBatchTest, Pay_ManyConcurrentCallersBesideTheSingleForm_PaysEachApplicationOnce) {
  const std::string program = FundedProgram("p");
  constexpr int kApplications = 24;
  std::vector<std::string> applications;
  for (int i = 0; i < kApplications; ++i) {
    applications.push_back(
        ApprovedApplication(absl::StrCat("a", i), program, ActiveChild(absl::StrCat("c", i)), 1'000 + i));
  }
  std::atomic<int> paid{0}, already{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3 * kApplications; ++t) {
    threads.emplace_back([&, t] {
      const std::string& application = applications[t % kApplications];
      const int copy = t / kApplications;
      absl::StatusOr<v1::Payment> answer;
      if (copy == 2) {
        PaymentOrder o = Order(ngo_admin_, absl::StrCat("single-", t), application);
        answer = allowance_->store().PayApplication(o.key, o.actor, o.application_id, o.authorize, o.method,
                                                    o.payee_reference);
      } else {
        answer = Pay(copy == 0 ? finance_ : finance2_, absl::StrCat("queue-", t), application);
      }
      if (answer.ok()) {
        ++paid;
      } else if (answer.status().code() == absl::StatusCode::kAlreadyExists) {
        ++already;
      } else {
        ADD_FAILURE() << answer.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(paid.load(), kApplications);
  EXPECT_EQ(already.load(), 2 * kApplications);
  EXPECT_EQ(AllowanceCount("payments"), kApplications);
  for (const std::string& application : applications) EXPECT_EQ(PaymentsOf(application), 1);
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().reserved_fen(), 0);
  ExpectReconciles(program);
  const auto [batches, orders] = allowance_->payments().BatchesAndOrders();
  EXPECT_EQ(orders, 2 * kApplications);
  EXPECT_GE(batches, 1);
}

}  // namespace
}  // namespace shouhu::allowance::testing
