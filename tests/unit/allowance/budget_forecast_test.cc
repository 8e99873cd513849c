// The budget forecast: committed money first, rosters on the first of each month, one-time spending at the
// trailing pace, the run-out day and whether it falls inside the period. Integer fen throughout.
#include "services/allowance/budget_forecast.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "tests/support/status_matchers.h"

namespace shouhu::allowance {
namespace {

using ::shouhu::testing::StatusIs;

ForecastInput Program() {
  ForecastInput in;
  in.budget_fen = 10'000'000;  // 100,000 yuan
  in.today = absl::CivilDay(2026, 3, 10);
  in.period_end = absl::CivilDay(2026, 12, 31);
  return in;
}

TEST(BudgetForecast, NothingToSpend_LastsThePeriod) {
  ASSERT_OK_AND_ASSIGN(ForecastResult r, Forecast(Program()));
  EXPECT_FALSE(r.runs_out_on.has_value());
  EXPECT_FALSE(r.at_risk);
  EXPECT_EQ(r.uncommitted_fen, 10'000'000);
  EXPECT_EQ(r.left_at_period_end_fen, 10'000'000);
}

TEST(BudgetForecast, RostersOnly_RunsOutOnTheFirstOfTheMonthTheyPassTheBudget) {
  ForecastInput in = Program();
  in.paid_fen = 2'000'000;
  in.reserved_fen = 1'000'000;
  in.pipeline_fen = 1'000'000;  // 6,000,000 left
  for (int m = 4; m <= 12; ++m) in.rosters.push_back({absl::CivilMonth(2026, m), 1'500'000});
  ASSERT_OK_AND_ASSIGN(ForecastResult r, Forecast(in));
  EXPECT_EQ(r.uncommitted_fen, 6'000'000);
  // April, May, June, July make 6,000,000 exactly (not past it); August's roster passes it.
  ASSERT_TRUE(r.runs_out_on.has_value());
  EXPECT_EQ(*r.runs_out_on, absl::CivilDay(2026, 8, 1));
  EXPECT_TRUE(r.at_risk);
  EXPECT_EQ(r.rosters_to_come_fen, 9 * 1'500'000);
  EXPECT_EQ(r.left_at_period_end_fen, 6'000'000 - 9 * 1'500'000);
}

TEST(BudgetForecast, Pace_SpreadsTheWindowEvenlyOverTheDays) {
  ForecastInput in = Program();
  in.budget_fen = 1'000'000;
  in.pace_fen = 900'000;  // 10,000 fen a day over 90 days
  in.pace_window_days = 90;
  ASSERT_OK_AND_ASSIGN(ForecastResult r, Forecast(in));
  // Day 100 after today spends exactly 1,000,000; day 101 passes it.
  ASSERT_TRUE(r.runs_out_on.has_value());
  EXPECT_EQ(*r.runs_out_on, absl::CivilDay(2026, 3, 10) + 101);
  EXPECT_TRUE(r.at_risk);
}

TEST(BudgetForecast, SlowPace_LastsThePeriodWithTheRestLeft) {
  ForecastInput in = Program();
  in.pace_fen = 90'000;  // 1,000 fen a day
  ASSERT_OK_AND_ASSIGN(ForecastResult r, Forecast(in));
  EXPECT_FALSE(r.at_risk);
  const int64_t days = absl::CivilDay(2026, 12, 31) - absl::CivilDay(2026, 3, 10);
  EXPECT_EQ(r.one_time_to_come_fen, days * 1'000);
  EXPECT_EQ(r.left_at_period_end_fen, 10'000'000 - days * 1'000);
}

TEST(BudgetForecast, OverCommitted_RunsOutToday) {
  ForecastInput in = Program();
  in.reserved_fen = 6'000'000;
  in.pipeline_fen = 4'000'001;
  ASSERT_OK_AND_ASSIGN(ForecastResult r, Forecast(in));
  EXPECT_EQ(r.uncommitted_fen, -1);
  EXPECT_EQ(r.runs_out_on, in.today);
  EXPECT_TRUE(r.at_risk);
}

TEST(BudgetForecast, ArrearsOwed_SpokenForLikeThePipeline) {
  ForecastInput in = Program();
  in.reserved_fen = 6'000'000;
  in.pipeline_fen = 3'000'000;
  in.arrears_owed_fen = 1'000'001;
  ASSERT_OK_AND_ASSIGN(ForecastResult r, Forecast(in));
  EXPECT_EQ(r.uncommitted_fen, -1);
  EXPECT_TRUE(r.at_risk);
}

TEST(BudgetForecast, RosterOfThisMonthOrEarlier_AlreadyCountedNotAgain) {
  ForecastInput in = Program();
  in.budget_fen = 1'000'000;
  in.rosters = {{absl::CivilMonth(2026, 3), 5'000'000}, {absl::CivilMonth(2026, 4), 600'000}};
  ASSERT_OK_AND_ASSIGN(ForecastResult r, Forecast(in));
  EXPECT_FALSE(r.at_risk);
  EXPECT_EQ(r.rosters_to_come_fen, 600'000);
}

TEST(BudgetForecast, PeriodOver_NoWalk) {
  ForecastInput in = Program();
  in.today = absl::CivilDay(2027, 1, 5);
  in.pace_fen = 1'000'000'000;
  ASSERT_OK_AND_ASSIGN(ForecastResult r, Forecast(in));
  EXPECT_FALSE(r.at_risk);
  EXPECT_EQ(r.one_time_to_come_fen, 0);
}

TEST(BudgetForecast, BadInput_NamesTheField) {
  struct Row {
    void (*spoil)(ForecastInput&);
    const char* field;
  };
  const Row rows[] = {
      {[](ForecastInput& in) { in.budget_fen = -1; }, "budget_fen"},
      {[](ForecastInput& in) { in.paid_fen = -1; }, "paid_fen"},
      {[](ForecastInput& in) { in.reserved_fen = -1; }, "reserved_fen"},
      {[](ForecastInput& in) { in.pipeline_fen = -1; }, "pipeline_fen"},
      {[](ForecastInput& in) { in.arrears_owed_fen = -1; }, "arrears_owed_fen"},
      {[](ForecastInput& in) { in.pace_fen = -1; }, "pace_fen"},
      {[](ForecastInput& in) { in.pace_window_days = 0; }, "pace_window_days"},
      {[](ForecastInput& in) {
         in.rosters = {{absl::CivilMonth(2026, 5), -1}};
       },
       "rosters.amount_fen"},
      {[](ForecastInput& in) {
         in.rosters = {{absl::CivilMonth(2026, 5), 1}, {absl::CivilMonth(2026, 5), 1}};
       },
       "rosters.month"},
  };
  for (const Row& row : rows) {
    ForecastInput in = Program();
    row.spoil(in);
    absl::StatusOr<ForecastResult> r = Forecast(in);
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument)) << row.field;
    EXPECT_TRUE(absl::StartsWith(r.status().message(), row.field)) << r.status();
  }
}

}  // namespace
}  // namespace shouhu::allowance
