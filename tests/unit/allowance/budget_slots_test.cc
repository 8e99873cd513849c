// The budget slots' pure rules: the refill chunk a dry slot takes from the remainder, what it takes from the
// other slots when the remainder is empty, the totals over the slots, the reconciliation's slot checks and
// the slot a replica owns by its name.
#include "services/allowance/budget_slots.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace shouhu::allowance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(RefillChunk, SmallShortfall_TakesASixteenthOfTheBudget) {
  EXPECT_EQ(RefillChunk(100, 1'600'000, 1'600'000), 100'000);
}

TEST(RefillChunk, ShortfallAboveASixteenth_TakesTheShortfall) {
  EXPECT_EQ(RefillChunk(250'000, 1'600'000, 1'600'000), 250'000);
}

TEST(RefillChunk, RemainderBelowTheChunk_TakesWhatIsThere) {
  EXPECT_EQ(RefillChunk(100, 1'600'000, 30'000), 30'000);
  EXPECT_EQ(RefillChunk(50'000, 1'600'000, 30'000), 30'000);  // less than the shortfall: others make it up
}

TEST(RefillChunk, EmptyRemainderOrNoShortfall_TakesNothing) {
  EXPECT_EQ(RefillChunk(100, 1'600'000, 0), 0);
  EXPECT_EQ(RefillChunk(0, 1'600'000, 1'600'000), 0);
  EXPECT_EQ(RefillChunk(-5, 1'600'000, 1'600'000), 0);
}

TEST(RefillChunk, BudgetBelowSixteenFen_TakesTheShortfall) { EXPECT_EQ(RefillChunk(3, 10, 10), 3); }

TEST(PlanSlotTakes, FullestSlotFirst_EachAtMostWhatItHolds) {
  EXPECT_THAT(PlanSlotTakes(70, {{0, 30}, {1, 50}, {2, 10}}), ElementsAre(Pair(1, 50), Pair(0, 20)));
}

TEST(PlanSlotTakes, OneSlotHoldsEnough_TakesOnlyFromIt) {
  EXPECT_THAT(PlanSlotTakes(40, {{3, 10}, {5, 90}}), ElementsAre(Pair(5, 40)));
}

TEST(PlanSlotTakes, TogetherExactlyEnough_TakesEverything) {
  EXPECT_THAT(PlanSlotTakes(60, {{0, 30}, {1, 30}}), ElementsAre(Pair(0, 30), Pair(1, 30)));
}

TEST(PlanSlotTakes, TogetherLessThanTheShortfall_IsEmpty) {
  EXPECT_THAT(PlanSlotTakes(61, {{0, 30}, {1, 30}}), IsEmpty());
  EXPECT_THAT(PlanSlotTakes(1, {}), IsEmpty());
}

TEST(PlanSlotTakes, EmptyOrNegativeSlots_AreSkipped) {
  EXPECT_THAT(PlanSlotTakes(10, {{0, 0}, {1, -4}, {2, 10}}), ElementsAre(Pair(2, 10)));
}

TEST(TotalBalances, SumsTheSlotsAndCountsTheRemainderAsAvailable) {
  ProgramMoney money;
  money.budget = 1'000;
  money.unallocated = 400;
  money.slots = {{0, 100, 50, 25, 25}, {7, 200, 100, 0, 100}};
  const Balances b = TotalBalances(money);
  EXPECT_EQ(b.budget, 1'000);
  EXPECT_EQ(b.available, 700);
  EXPECT_EQ(b.reserved, 150);
  EXPECT_EQ(b.in_payment, 25);
  EXPECT_EQ(b.disbursed, 125);
  EXPECT_EQ(b.budget, b.available + b.reserved + b.in_payment + b.disbursed);
}

TEST(SlotProblems, NegativeColumnOrRemainder_IsReportedBySlot) {
  ProgramMoney money;
  money.unallocated = -1;
  money.slots = {{0, 10, 0, 0, 0}, {3, 0, -5, 0, 0}};
  EXPECT_THAT(SlotProblems(money),
              ElementsAre("the unallocated remainder is negative", "budget slot 3 has a negative balance"));
  money.unallocated = 0;
  money.slots[1].reserved = 5;
  EXPECT_THAT(SlotProblems(money), IsEmpty());
}

TEST(SlotOfReplica, SameNameSameSlot_WithinRange) {
  EXPECT_EQ(SlotOfReplica("allowance-7c9f-abcde", 8), SlotOfReplica("allowance-7c9f-abcde", 8));
  std::set<int> seen;
  for (int i = 0; i < 64; ++i) {
    const int slot = SlotOfReplica("allowance-" + std::to_string(i), 8);
    EXPECT_GE(slot, 0);
    EXPECT_LT(slot, 8);
    seen.insert(slot);
  }
  EXPECT_GT(seen.size(), 4u);  // spread, not all on one slot
  EXPECT_EQ(SlotOfReplica("anything", 1), 0);
  EXPECT_EQ(SlotOfReplica("anything", 0), 0);
}

}  // namespace
}  // namespace shouhu::allowance
