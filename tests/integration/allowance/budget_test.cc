// The budget is never overspent: approvals racing for the last of it are ordered by the guarded UPDATE of
// the program's balance row, and the ones that would overspend are refused whole.
#include <atomic>
#include <thread>

#include "tests/integration/allowance/allowance_fixture.h"

namespace shouhu::allowance::testing {
namespace {

using ::shouhu::testing::StatusIs;

TEST_F(AllowanceTest, Approve_ThirtyRacingForTheLastOfTheBudget_NeverOverspends) {
  ProgramTerms terms;
  terms.budget_fen = 100'000;  // 1,000 yuan: room for exactly ten of the applications below
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
  std::vector<std::thread> threads;
  for (int i = 0; i < 30; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<v1::Application> answer =
          Approve(i % 2 ? ngo_admin_ : wuding_officer_, absl::StrCat("ap-", i), applications[i]);
      if (answer.ok()) {
        ++approved;
      } else if (answer.status().code() == absl::StatusCode::kFailedPrecondition) {
        ++refused;
      } else {
        ++other;
        ADD_FAILURE() << answer.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(approved.load(), 10);
  EXPECT_EQ(refused.load(), 20);
  EXPECT_EQ(other.load(), 0);
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().available_fen(), 0);
  EXPECT_EQ(after.balances().reserved_fen(), 100'000);
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_TRUE(reconciled.balanced()) << (reconciled.problems().empty() ? "" : reconciled.problems(0));
  EXPECT_EQ(reconciled.ledger().reserved_fen(), 100'000);
  // One funding entry and exactly ten reservations: a refused approval left nothing behind.
  EXPECT_EQ(AllowanceCount("ledger_entries"), 11);
}

TEST_F(AllowanceTest, Approve_WhenTheBudgetHasLessThanTheAmount_IsFailedPreconditionAndChangesNothing) {
  ProgramTerms terms;
  terms.budget_fen = 15'000;
  terms.per_payment_cap_fen = 10'000;
  const std::string program = FundedProgram("p", terms);
  const std::string child = ActiveChild("c");
  ApprovedApplication("a", program, child, 10'000);
  ASSERT_OK_AND_ASSIGN(v1::Application b,
                       Submit(wuding_caseworker_, Application("s-b", program, child, 5'001)));
  EXPECT_THAT(Approve(ngo_admin_, "ap-b", b.application_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto got, Do(&v1::AllowanceService::Stub::GetApplication, ngo_admin_, [&] {
                         v1::GetApplicationRequest r;
                         r.set_application_id(b.application_id());
                         return r;
                       }()));
  EXPECT_EQ(got.application().state(), v1::APPLICATION_STATE_SUBMITTED);
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().available_fen(), 5'000);
}

}  // namespace
}  // namespace shouhu::allowance::testing
