// The ledger's arithmetic: movements, the budget identity and the reconciliation's findings.
#include "services/allowance/ledger.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace shouhu::allowance {
namespace {

using ::shouhu::testing::StatusIs;

LedgerSums SumsOf(const std::vector<std::tuple<v1::LedgerAccount, v1::LedgerAccount, int64_t>>& entries) {
  LedgerSums sums;
  for (const auto& [from, to, amount] : entries) {
    sums.by_account[from] -= amount;
    sums.by_account[to] += amount;
    ++sums.entry_count;
  }
  return sums;
}

TEST(Ledger, Move_NeverTakesMoreThanTheSourceHolds) {
  Balances b;
  ASSERT_OK_AND_ASSIGN(b, Move(b, v1::LEDGER_ACCOUNT_FUNDING, v1::LEDGER_ACCOUNT_AVAILABLE, 1000));
  EXPECT_EQ(b.budget, 1000);
  EXPECT_EQ(b.available, 1000);
  ASSERT_OK_AND_ASSIGN(b, Move(b, v1::LEDGER_ACCOUNT_AVAILABLE, v1::LEDGER_ACCOUNT_RESERVED, 1000));
  EXPECT_THAT(Move(b, v1::LEDGER_ACCOUNT_AVAILABLE, v1::LEDGER_ACCOUNT_RESERVED, 1),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Move(b, v1::LEDGER_ACCOUNT_RESERVED, v1::LEDGER_ACCOUNT_IN_PAYMENT, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(BalanceOf(b, v1::LEDGER_ACCOUNT_FUNDING), -1000);
}

TEST(Reconcile, ConsistentLedgerAndCache_Balance) {
  const LedgerSums sums = SumsOf({{v1::LEDGER_ACCOUNT_FUNDING, v1::LEDGER_ACCOUNT_AVAILABLE, 1000},
                                  {v1::LEDGER_ACCOUNT_AVAILABLE, v1::LEDGER_ACCOUNT_RESERVED, 300},
                                  {v1::LEDGER_ACCOUNT_RESERVED, v1::LEDGER_ACCOUNT_IN_PAYMENT, 200},
                                  {v1::LEDGER_ACCOUNT_IN_PAYMENT, v1::LEDGER_ACCOUNT_DISBURSED, 150}});
  const Balances cached{1000, 700, 100, 50, 150};
  const Reconciliation r = Reconcile(1000, cached, sums);
  EXPECT_TRUE(r.balanced) << (r.problems.empty() ? "" : r.problems.front());
  EXPECT_EQ(r.ledger, cached);
}

TEST(Reconcile, ACacheThatDriftedFromTheLedger_IsReportedNotCorrected) {
  const LedgerSums sums = SumsOf({{v1::LEDGER_ACCOUNT_FUNDING, v1::LEDGER_ACCOUNT_AVAILABLE, 1000},
                                  {v1::LEDGER_ACCOUNT_AVAILABLE, v1::LEDGER_ACCOUNT_RESERVED, 300}});
  const Balances drifted{1000, 800, 200, 0, 0};
  const Reconciliation r = Reconcile(1000, drifted, sums);
  EXPECT_FALSE(r.balanced);
  EXPECT_EQ(r.cached, drifted);
  EXPECT_EQ(r.ledger, (Balances{1000, 700, 300, 0, 0}));
}

TEST(Reconcile, AFundingThatIsNotTheBudget_AndANegativeAccount_AreEachReported) {
  const LedgerSums sums = SumsOf({{v1::LEDGER_ACCOUNT_FUNDING, v1::LEDGER_ACCOUNT_AVAILABLE, 900},
                                  {v1::LEDGER_ACCOUNT_RESERVED, v1::LEDGER_ACCOUNT_IN_PAYMENT, 50}});
  const Reconciliation r = Reconcile(1000, Balances{900, 900, -50, 50, 0}, sums);
  EXPECT_FALSE(r.balanced);
  EXPECT_GE(r.problems.size(), 3u);
}

}  // namespace
}  // namespace shouhu::allowance
