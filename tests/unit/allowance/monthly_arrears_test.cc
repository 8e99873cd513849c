// A monthly enrolment's arrears (ClaimMonthlyArrears): what each month paid short is owed, what live claims
// hold, and how many months one claim within the cap per payment takes.
#include "services/allowance/monthly_arrears.h"

#include <gtest/gtest.h>

namespace shouhu::allowance {
namespace {

constexpr int64_t kApprovedMonthly = 60'000;
const absl::CivilMonth kArrearsMarch(2027, 3);
const absl::CivilMonth kArrearsApril(2027, 4);
const absl::CivilMonth kArrearsMay(2027, 5);

TEST(UnclaimedShortfallsTest, NoChange_NothingOwed) {
  EXPECT_TRUE(
      UnclaimedShortfalls(kApprovedMonthly, {}, {{kArrearsMarch, 60'000}, {kArrearsApril, 60'000}}, {})
          .empty());
}

TEST(UnclaimedShortfallsTest, ARaiseOverPaidMonths_EachOwedItsDifference_InMonthOrder) {
  // Raised to 65,000 from April: March is not covered; May's line was written after the change, at it.
  const std::vector<MonthlyAmountStep> raise = {{1, kArrearsApril, 65'000}};
  const std::vector<MonthShortfall> owed = UnclaimedShortfalls(
      kApprovedMonthly, raise, {{kArrearsMay, 65'000}, {kArrearsApril, 60'000}, {kArrearsMarch, 60'000}}, {});
  ASSERT_EQ(owed.size(), 1u);
  EXPECT_EQ(owed[0].month, kArrearsApril);
  EXPECT_EQ(owed[0].paid_fen, 60'000);
  EXPECT_EQ(owed[0].due_fen, 65'000);
  EXPECT_EQ(owed[0].owed_fen, 5'000);
  EXPECT_EQ(owed[0].attempt, 1);

  const std::vector<MonthlyAmountStep> from_march = {{1, kArrearsMarch, 65'000}};
  const std::vector<MonthShortfall> both = UnclaimedShortfalls(
      kApprovedMonthly, from_march, {{kArrearsApril, 60'000}, {kArrearsMarch, 60'000}}, {});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].month, kArrearsMarch);
  EXPECT_EQ(both[1].month, kArrearsApril);
}

TEST(UnclaimedShortfallsTest, ALiveClaimHoldsItsPart_ADeadOneNothing_TheNextAttemptCounts) {
  const std::vector<MonthlyAmountStep> raises = {{1, kArrearsMarch, 65'000}, {2, kArrearsMarch, 70'000}};
  const std::vector<MonthPaidAt> paid = {{kArrearsMarch, 60'000}, {kArrearsApril, 60'000}};
  // March: a rejected claim (attempt 1) and a live one of the first raise's 5,000 (attempt 2).
  // April: one live claim of the whole 10,000.
  const std::vector<ArrearsClaim> claims = {
      {kArrearsMarch, 1, "A1", false, 60'000, 65'000, 5'000},
      {kArrearsMarch, 2, "A2", true, 60'000, 65'000, 5'000},
      {kArrearsApril, 1, "A3", true, 60'000, 70'000, 10'000},
  };
  const std::vector<MonthShortfall> owed = UnclaimedShortfalls(kApprovedMonthly, raises, paid, claims);
  ASSERT_EQ(owed.size(), 1u);
  EXPECT_EQ(owed[0].month, kArrearsMarch);
  EXPECT_EQ(owed[0].due_fen, 70'000);
  EXPECT_EQ(owed[0].owed_fen, 5'000);  // 70,000 - 60,000 paid - 5,000 claimed live
  EXPECT_EQ(owed[0].attempt, 3);
}

TEST(MonthsOfOneClaimTest, TakesTheFirstMonthsWhoseSumFits) {
  const std::vector<MonthShortfall> owed = {{kArrearsMarch, 60'000, 65'000, 5'000, 1},
                                            {kArrearsApril, 60'000, 65'000, 5'000, 1},
                                            {kArrearsMay, 60'000, 65'000, 5'000, 1}};
  EXPECT_EQ(MonthsOfOneClaim(owed, 15'000), 3u);
  EXPECT_EQ(MonthsOfOneClaim(owed, 14'999), 2u);
  EXPECT_EQ(MonthsOfOneClaim(owed, 5'000), 1u);
  EXPECT_EQ(MonthsOfOneClaim(owed, 4'999), 0u);
  EXPECT_EQ(MonthsOfOneClaim({}, 4'999), 0u);
}

// A claim counts against its months' year's cap per child: December's arrears and January's are two claims.
TEST(MonthsOfOneClaimTest, StopsAtTheFirstMonthOfAnotherYear) {
  const std::vector<MonthShortfall> owed = {{absl::CivilMonth(2026, 11), 60'000, 65'000, 5'000, 1},
                                            {absl::CivilMonth(2026, 12), 60'000, 65'000, 5'000, 1},
                                            {absl::CivilMonth(2027, 1), 60'000, 65'000, 5'000, 1},
                                            {absl::CivilMonth(2027, 2), 60'000, 65'000, 5'000, 1}};
  EXPECT_EQ(MonthsOfOneClaim(owed, 100'000), 2u);
  EXPECT_EQ(MonthsOfOneClaim(owed, 5'000), 1u);
  const std::vector<MonthShortfall> next_year(owed.begin() + 2, owed.end());
  EXPECT_EQ(MonthsOfOneClaim(next_year, 100'000), 2u);
}

}  // namespace
}  // namespace shouhu::allowance
