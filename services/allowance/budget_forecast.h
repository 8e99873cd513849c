// When a program's budget runs out at the current pace: pure integer arithmetic in fen over calendar days
// (Asia/Shanghai), no clock and no table. The store gathers the figures; GetProgramForecast and the forecast
// sweep ask Forecast.
//
// What is already spoken for comes off the budget first, whatever its timing: paid, reserved (approved but
// unpaid), the applications in the pipeline (submitted, not yet decided — counted in full, since an
// application not yet rejected may still be approved) and the monthly arrears owed and not yet claimed. Then
// the days are walked from the day after `today`: each month's roster of monthly living allowances falls due
// on the month's first day, and one-time spending continues at the pace of the trailing window (what was
// approved in its last `pace_window_days` days, spread evenly: by day d of the walk, pace_fen × d ÷
// pace_window_days, rounded down). The first day the spending passes the budget is the run-out day.
#ifndef SHOUHU_SERVICES_ALLOWANCE_BUDGET_FORECAST_H_
#define SHOUHU_SERVICES_ALLOWANCE_BUDGET_FORECAST_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace shouhu::allowance {

// One month's roster to come: the monthly living allowances payable in `month`.
struct RosterDue {
  absl::CivilMonth month;
  int64_t amount_fen = 0;
};

struct ForecastInput {
  int64_t budget_fen = 0;
  int64_t paid_fen = 0;      // paid, net of reversals
  int64_t reserved_fen = 0;  // approved but not yet paid
  int64_t pipeline_fen = 0;  // submitted, awaiting a decision
  // Months of monthly enrolments paid short of a raised amount and not yet claimed (monthly_arrears.h): owed,
  // so spoken for like the pipeline; once claimed they are an application's.
  int64_t arrears_owed_fen = 0;
  // One-time spending (everything but the monthly rosters) approved in the trailing window.
  int64_t pace_fen = 0;
  int pace_window_days = 90;
  // The monthly rosters still to be generated, one entry per month after today's (a month whose roster
  // already exists is in paid or reserved).
  std::vector<RosterDue> rosters;
  absl::CivilDay today;
  absl::CivilDay period_end;  // the program's last day
};

struct ForecastResult {
  // What is left after paid, reserved, pipeline and arrears owed; negative when already over-committed.
  int64_t uncommitted_fen = 0;
  // The day spending passes the budget, when that happens on or before period_end; `today` when the budget
  // is already over-committed.
  std::optional<absl::CivilDay> runs_out_on;
  // Forecast to run out before the period ends (the ProgramBudgetAtRisk condition).
  bool at_risk = false;
  // Budget left at the end of the period at this pace (negative when it runs out).
  int64_t left_at_period_end_fen = 0;
  int64_t rosters_to_come_fen = 0;   // the rosters in the walk
  int64_t one_time_to_come_fen = 0;  // pace spending to the period's end
};

// INVALID_ARGUMENT naming the field for a negative figure, a window of no days, or a roster out of order.
absl::StatusOr<ForecastResult> Forecast(const ForecastInput& input);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_BUDGET_FORECAST_H_
