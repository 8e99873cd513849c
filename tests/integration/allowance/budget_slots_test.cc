// A program's budget split into slots (services/allowance/budget_slots.h), with two replicas of the service
// on one schema as two pods would be (two_replicas_fixture.h), each owning its budget slot. Approvals racing
// from both for the last of a budget never overspend, and every yuan stays reachable from either; money
// reserved on a slot is paid, returned and released within it; a randomized run through both replicas
// reconciles over the slots after every operation.
#include "services/allowance/budget_slots.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "tests/integration/allowance/two_replicas_fixture.h"

namespace shouhu::allowance::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Stub = v1::AllowanceService::Stub;

using BudgetSlotsTest = TwoReplicasTest;

TEST_F(BudgetSlotsTest, Approve_TwoReplicasRacingForTheLastOfTheBudget_NeverOverspendAndSpendEveryYuan) {
  ProgramTerms terms;
  terms.budget_fen = 100'000;  // room for exactly ten of the applications below
  terms.per_payment_cap_fen = 10'000;
  terms.per_child_year_cap_fen = 100'000;
  terms.second_approval_threshold_fen = 10'000;
  const std::string program = FundedProgram("p", terms);
  const std::vector<std::string> children = {ActiveChild("c1"), ActiveChild("c2"), ActiveChild("c3")};
  std::vector<std::string> applications;
  for (int i = 0; i < 30; ++i) {
    ASSERT_OK_AND_ASSIGN(
        v1::Application a,
        Submit(wuding_caseworker_, Application(absl::StrCat("s-", i), program, children[i % 3], 10'000)));
    applications.push_back(a.application_id());
  }
  std::atomic<int> approved{0}, refused{0}, other{0};
  std::atomic<int> approved_by[2] = {0, 0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 30; ++i) {
    threads.emplace_back([&, i] {
      const int replica = i % 2;
      absl::StatusOr<v1::Application> answer = ApproveVia(replica, (i / 2) % 2 ? ngo_admin_ : wuding_officer_,
                                                          absl::StrCat("ap-", i), applications[i]);
      if (answer.ok()) {
        ++approved;
        ++approved_by[replica];
      } else if (answer.status().code() == absl::StatusCode::kFailedPrecondition) {
        ++refused;
      } else {
        ++other;
        ADD_FAILURE() << answer.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  // Exactly the budget's worth: none over (the guards), none short (the last yuan reached from any slot).
  EXPECT_EQ(approved.load(), 10);
  EXPECT_EQ(refused.load(), 20);
  EXPECT_EQ(other.load(), 0);
  std::printf("approved through replica 0: %d, replica 1: %d\n", approved_by[0].load(),
              approved_by[1].load());
  const Stored money = Money(program);
  EXPECT_EQ(money.unallocated, 0);
  int64_t reserved = 0;
  for (const auto& [slot, s] : money.slots) {
    EXPECT_TRUE(slot == 0 || slot == 1) << slot;
    EXPECT_EQ(s.available, 0) << "slot " << slot;
    EXPECT_GE(s.reserved, 0) << "slot " << slot;
    reserved += s.reserved;
  }
  EXPECT_EQ(reserved, 100'000);
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().available_fen(), 0);
  EXPECT_EQ(after.balances().reserved_fen(), 100'000);
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_TRUE(reconciled.balanced()) << (reconciled.problems().empty() ? "" : reconciled.problems(0));
  // One funding entry and exactly ten reservations: a refused approval (and its refill) left nothing behind.
  EXPECT_EQ(AllowanceCount("ledger_entries"), 11);
}

TEST_F(BudgetSlotsTest, Approve_OwnSlotAndRemainderEmpty_TakesTheLastOfTheBudgetFromTheOtherSlot) {
  ProgramTerms terms;
  terms.budget_fen = 1'600'000;  // a refill chunk is 1/16: 100,000
  terms.per_payment_cap_fen = 1'600'000;
  terms.per_child_year_cap_fen = 1'600'000;
  terms.second_approval_threshold_fen = 1'600'000;
  const std::string program = FundedProgram("p", terms);
  auto submit = [&](const std::string& tag, int64_t amount) {
    absl::StatusOr<v1::Application> a =
        Submit(wuding_caseworker_, Application("s-" + tag, program, ActiveChild(tag), amount));
    EXPECT_OK(a.status());
    return a.ok() ? a->application_id() : std::string();
  };
  // Replica 0 takes a chunk of 100,000 for 50,000 and keeps the rest in its slot.
  const std::string a = submit("a", 50'000);
  ASSERT_OK(ApproveVia(0, ngo_admin_, "ap-a", a).status());
  Stored money = Money(program);
  EXPECT_EQ(money.unallocated, 1'500'000);
  EXPECT_EQ(money.slots[0].available, 50'000);
  EXPECT_EQ(money.slots[0].reserved, 50'000);
  // Replica 1 takes the whole remainder.
  const std::string b = submit("b", 1'500'000);
  ASSERT_OK(ApproveVia(1, ngo_admin_, "ap-b", b).status());
  money = Money(program);
  EXPECT_EQ(money.unallocated, 0);
  EXPECT_EQ(money.slots[1].reserved, 1'500'000);
  // The last 50,000 of the budget sit in slot 0; replica 1 still reaches them.
  const std::string c = submit("c", 50'000);
  ASSERT_OK(ApproveVia(1, ngo_admin_, "ap-c", c).status());
  money = Money(program);
  EXPECT_EQ(money.slots[0].available, 0);
  EXPECT_EQ(money.slots[1].available, 0);
  EXPECT_EQ(money.slots[1].reserved, 1'550'000);
  // Now the program truly lacks money: one fen more is refused from either replica, changing nothing.
  const std::string d = submit("d", 1);
  EXPECT_THAT(ApproveVia(0, ngo_admin_, "ap-d0", d), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ApproveVia(1, ngo_admin_, "ap-d1", d), StatusIs(absl::StatusCode::kFailedPrecondition));
  // Withdrawn through replica 0, c's 50,000 go back to slot 1, where they were reserved.
  v1::WithdrawApplicationRequest withdraw;
  withdraw.set_request_id("w-c");
  withdraw.set_application_id(c);
  ASSERT_OK(Do(&Stub::WithdrawApplication, wuding_caseworker_, withdraw).status());
  money = Money(program);
  EXPECT_EQ(money.slots[1].available, 50'000);
  EXPECT_EQ(money.slots[1].reserved, 1'500'000);
  EXPECT_EQ(money.slots[0].available, 0);
  // Paid through replica 0, b moves within slot 1.
  ASSERT_OK_AND_ASSIGN(v1::Payment paid, Pay(finance_, "pay-b", b));
  money = Money(program);
  EXPECT_EQ(money.slots[1].in_payment, 1'500'000);
  EXPECT_EQ(money.slots[1].reserved, 0);
  EXPECT_EQ(money.slots[0].in_payment, 0);
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_TRUE(reconciled.balanced()) << (reconciled.problems().empty() ? "" : reconciled.problems(0));
  EXPECT_EQ(reconciled.cached().available_fen(), 50'000);
}

TEST_F(BudgetSlotsTest, Reconcile_SlotWithANegativeBalance_IsAProblemEvenWhenTheSumsAgree) {
  const std::string program = FundedProgram("p");
  ApprovedApplication("a", program, ActiveChild("c"), 20'000);
  // The database refuses a slot below zero (migration 0040's CHECK), whatever the writer.
  EXPECT_THAT(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    return s
        .Execute(
            "UPDATE program_budget_slots SET available_fen = available_fen - 30000000"
            " WHERE program_id = ? AND slot = 0",
            {program})
        .status();
  }),
              StatusIs(absl::StatusCode::kInternal));
  // Without that CHECK (a database restored from before it, a hand-made table), the reconciliation still
  // finds it: money moved between slots by hand so that the sums still agree but one slot is below zero.
  ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.ExecuteConstant(
        "ALTER TABLE program_budget_slots DROP CONSTRAINT program_budget_slots_not_negative"));
    RETURN_IF_ERROR(s.Execute("UPDATE program_budget_slots SET available_fen = available_fen - 30000000"
                              " WHERE program_id = ? AND slot = 0",
                              {program})
                        .status());
    return s
        .Execute(
            "UPDATE program_balances SET unallocated_fen = unallocated_fen + 30000000 WHERE program_id = ?",
            {program})
        .status();
  }));
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_FALSE(reconciled.balanced());
  EXPECT_EQ(reconciled.cached().available_fen(), reconciled.ledger().available_fen());
}

// Mixed operations through both replicas, chosen by a seeded generator (SHOUHU_ALLOWANCE_SEED replays one);
// after each the reconciliation over the slots, and every 25 that each slot holds exactly what the records
// reserved and paid on it.
TEST_F(BudgetSlotsTest, Ledger_RandomOperationsThroughTwoReplicas_ReconcileOverTheSlots) {
  uint32_t seed = std::random_device{}();
  if (const char* fixed = std::getenv("SHOUHU_ALLOWANCE_SEED")) {
    ASSERT_TRUE(absl::SimpleAtoi(fixed, &seed));
  }
  std::printf("budget slots seed: %u (SHOUHU_ALLOWANCE_SEED=%u replays it)\n", seed, seed);
  std::mt19937 rng(seed);
  ProgramTerms terms;
  terms.budget_fen = 2'000'000;  // runs out, so refills, takes from the other slot and refusals all happen
  terms.per_payment_cap_fen = 200'000;
  terms.per_child_year_cap_fen = 5'000'000;
  terms.second_approval_threshold_fen = 100'000;
  const std::string program = FundedProgram("p", terms);
  std::vector<std::string> children;
  for (int i = 0; i < 4; ++i) children.push_back(ActiveChild(absl::StrCat("c", i)));
  std::vector<std::string> applications;
  std::vector<std::string> payments;
  int request = 0;
  auto next_id = [&] { return absl::StrCat("r-", request++); };
  auto pick = [&](const std::vector<std::string>& from) { return from[rng() % from.size()]; };
  std::map<std::string, int> outcomes;

  for (int op = 0; op < 400; ++op) {
    const int replica = static_cast<int>(rng() % 2);
    const int kind = static_cast<int>(rng() % 100);
    absl::Status status;
    if (kind < 25 || applications.empty()) {
      const int64_t amount = 1 + static_cast<int64_t>(rng() % 200'000);
      absl::StatusOr<v1::Application> a =
          Submit(wuding_caseworker_, Application(next_id(), program, pick(children), amount));
      if (a.ok()) applications.push_back(a->application_id());
      status = a.status();
    } else if (kind < 50) {
      const Principal& who = rng() % 3 == 0 ? finance_ : (rng() % 2 ? ngo_admin_ : wuding_officer_);
      status = ApproveVia(replica, who, next_id(), pick(applications)).status();
    } else if (kind < 58) {
      v1::WithdrawApplicationRequest r;
      r.set_request_id(next_id());
      r.set_application_id(pick(applications));
      status = Via(replica, &Stub::WithdrawApplication, wuding_caseworker_, r).status();
    } else if (kind < 78) {
      absl::StatusOr<v1::PayApplicationResponse> paid =
          Via(replica, &Stub::PayApplication, finance_, PayRequest(next_id(), pick(applications)));
      if (paid.ok()) payments.push_back(paid->payment().payment_id());
      status = paid.status();
    } else if (!payments.empty()) {
      const int which = static_cast<int>(rng() % 10);
      const v1::PaymentOutcome outcome = which < 6   ? v1::PAYMENT_OUTCOME_CONFIRMED
                                         : which < 9 ? v1::PAYMENT_OUTCOME_FAILED
                                                     : v1::PAYMENT_OUTCOME_RETURNED;
      v1::RecordPaymentOutcomeRequest r;
      r.set_request_id(next_id());
      r.set_payment_id(pick(payments));
      r.set_outcome(outcome);
      if (outcome != v1::PAYMENT_OUTCOME_CONFIRMED) r.set_reason("account closed");
      status = Via(replica, &Stub::RecordPaymentOutcome, bank_, r).status();
    }
    const absl::StatusCode code = status.code();
    ASSERT_TRUE(code == absl::StatusCode::kOk || code == absl::StatusCode::kFailedPrecondition ||
                code == absl::StatusCode::kPermissionDenied || code == absl::StatusCode::kAlreadyExists)
        << "seed " << seed << " op " << op << ": " << status;
    ++outcomes[absl::StatusCodeToString(code)];

    ASSERT_OK_AND_ASSIGN(ReconcileResult r,
                         allowance_->store().ReconcileProgram(program, allowance_clock_.Now()));
    ASSERT_TRUE(r.reconciliation.balanced)
        << "seed " << seed << " op " << op << ": " << r.reconciliation.problems.front();
    const Balances& b = r.reconciliation.cached;
    ASSERT_EQ(b.budget, terms.budget_fen);
    ASSERT_EQ(b.budget, b.available + b.reserved + b.in_payment + b.disbursed);

    if (op % 25 == 24 || op == 399) {
      // Per slot, what the applications (reserved) and payments (in payment, disbursed) recorded on it hold.
      std::map<int, SlotBalances> expected;
      ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(db::Rows rows,
                         s.Query("SELECT budget_slot, SUM(amount_fen) FROM applications"
                                 " WHERE program_id = ? AND state IN (?, ?) GROUP BY budget_slot",
                                 {program, int64_t{v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL},
                                  int64_t{v1::APPLICATION_STATE_APPROVED}}));
        for (const db::Row& row : rows) expected[static_cast<int>(row.Int(0))].reserved += row.Int(1);
        ASSIGN_OR_RETURN(db::Rows paid, s.Query("SELECT budget_slot, state, SUM(amount_fen) FROM payments"
                                                " WHERE program_id = ? GROUP BY budget_slot, state",
                                                {program}));
        for (const db::Row& row : paid) {
          const int slot = static_cast<int>(row.Int(0));
          const int64_t state = row.Int(1);
          if (state == v1::PAYMENT_STATE_ISSUED || state == v1::PAYMENT_STATE_FAILED)
            expected[slot].in_payment += row.Int(2);
          if (state == v1::PAYMENT_STATE_CONFIRMED) expected[slot].disbursed += row.Int(2);
        }
        return absl::OkStatus();
      }));
      const Stored money = Money(program);
      for (int slot : {0, 1}) {
        auto found = money.slots.find(slot);
        const SlotBalances stored = found == money.slots.end() ? SlotBalances{} : found->second;
        ASSERT_EQ(stored.reserved, expected[slot].reserved)
            << "slot " << slot << " seed " << seed << " op " << op;
        ASSERT_EQ(stored.in_payment, expected[slot].in_payment)
            << "slot " << slot << " seed " << seed << " op " << op;
        ASSERT_EQ(stored.disbursed, expected[slot].disbursed)
            << "slot " << slot << " seed " << seed << " op " << op;
        ASSERT_GE(stored.available, 0) << "slot " << slot << " seed " << seed << " op " << op;
      }
    }
  }
  for (const auto& [code, count] : outcomes) std::printf("  %s: %d\n", code.c_str(), count);
  EXPECT_GT(outcomes["OK"], 120);
  EXPECT_GT(outcomes["FAILED_PRECONDITION"], 0);
}

}  // namespace
}  // namespace shouhu::allowance::testing
