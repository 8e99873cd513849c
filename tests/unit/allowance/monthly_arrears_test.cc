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

// The months of a claim, by month.
std::vector<absl::CivilMonth> MonthsOf(const std::vector<MonthShortfall>& shortfalls) {
  std::vector<absl::CivilMonth> out;
  for (const MonthShortfall& s : shortfalls) out.push_back(s.month);
  return out;
}

TEST(MonthsOfOneClaimTest, TakesTheFirstMonthsWhoseSumFits) {
  const std::vector<MonthShortfall> owed = {{kArrearsMarch, 60'000, 65'000, 5'000, 1},
                                            {kArrearsApril, 60'000, 65'000, 5'000, 1},
                                            {kArrearsMay, 60'000, 65'000, 5'000, 1}};
  EXPECT_EQ(MonthsOfOneClaim(owed, 0, 15'000).claimed.size(), 3u);
  EXPECT_TRUE(MonthsOfOneClaim(owed, 0, 15'000).left_owed.empty());
  const ClaimMonths two = MonthsOfOneClaim(owed, 0, 14'999);
  EXPECT_EQ(MonthsOf(two.claimed), (std::vector<absl::CivilMonth>{kArrearsMarch, kArrearsApril}));
  EXPECT_EQ(MonthsOf(two.left_owed), std::vector<absl::CivilMonth>{kArrearsMay});
  EXPECT_EQ(MonthsOfOneClaim(owed, 0, 5'000).claimed.size(), 1u);
  EXPECT_EQ(MonthsOfOneClaim(owed, 0, 4'999).claimed.size(), 0u);
  EXPECT_EQ(MonthsOfOneClaim(owed, 0, 4'999).left_owed.size(), 3u);
  EXPECT_TRUE(MonthsOfOneClaim({}, 0, 4'999).claimed.empty());
}

// Past the cap, a claim stops: a smaller month after the one that did not fit waits with it, so that the
// months claimed are always the first owed of their year.
TEST(MonthsOfOneClaimTest, StopsAtTheFirstMonthPastTheCap) {
  const std::vector<MonthShortfall> owed = {{kArrearsMarch, 60'000, 65'000, 5'000, 1},
                                            {kArrearsApril, 60'000, 70'000, 10'000, 1},
                                            {kArrearsMay, 60'000, 65'000, 5'000, 1}};
  const ClaimMonths claim = MonthsOfOneClaim(owed, 0, 12'000);
  EXPECT_EQ(MonthsOf(claim.claimed), std::vector<absl::CivilMonth>{kArrearsMarch});
  EXPECT_EQ(MonthsOf(claim.left_owed), (std::vector<absl::CivilMonth>{kArrearsApril, kArrearsMay}));
}

// A claim counts against its months' year's cap per child: December's arrears and January's are two claims.
TEST(MonthsOfOneClaimTest, StopsAtTheFirstMonthOfAnotherYear) {
  const std::vector<MonthShortfall> owed = {{absl::CivilMonth(2026, 11), 60'000, 65'000, 5'000, 1},
                                            {absl::CivilMonth(2026, 12), 60'000, 65'000, 5'000, 1},
                                            {absl::CivilMonth(2027, 1), 60'000, 65'000, 5'000, 1},
                                            {absl::CivilMonth(2027, 2), 60'000, 65'000, 5'000, 1}};
  const ClaimMonths first = MonthsOfOneClaim(owed, 0, 100'000);
  EXPECT_EQ(MonthsOf(first.claimed),
            (std::vector<absl::CivilMonth>{absl::CivilMonth(2026, 11), absl::CivilMonth(2026, 12)}));
  EXPECT_EQ(MonthsOf(first.left_owed),
            (std::vector<absl::CivilMonth>{absl::CivilMonth(2027, 1), absl::CivilMonth(2027, 2)}));
  EXPECT_EQ(MonthsOfOneClaim(owed, 0, 5'000).claimed.size(), 1u);
  EXPECT_EQ(MonthsOfOneClaim(owed, 2026, 100'000).claimed.size(), 2u);
}

// Named, a later year is claimed ahead of an earlier one (refused, say, for its cap per child); the earlier
// year's months are left owed. A year with nothing owed claims nothing.
TEST(MonthsOfOneClaimTest, ClaimsTheNamedYear) {
  const std::vector<MonthShortfall> owed = {{absl::CivilMonth(2026, 12), 60'000, 65'000, 5'000, 1},
                                            {absl::CivilMonth(2027, 1), 60'000, 65'000, 5'000, 1},
                                            {absl::CivilMonth(2027, 2), 60'000, 65'000, 5'000, 1}};
  const ClaimMonths later = MonthsOfOneClaim(owed, 2027, 100'000);
  EXPECT_EQ(MonthsOf(later.claimed),
            (std::vector<absl::CivilMonth>{absl::CivilMonth(2027, 1), absl::CivilMonth(2027, 2)}));
  EXPECT_EQ(MonthsOf(later.left_owed), std::vector<absl::CivilMonth>{absl::CivilMonth(2026, 12)});
  const ClaimMonths none = MonthsOfOneClaim(owed, 2028, 100'000);
  EXPECT_TRUE(none.claimed.empty());
  EXPECT_EQ(none.left_owed.size(), 3u);
}

}  // namespace
}  // namespace shouhu::allowance
