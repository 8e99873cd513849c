#include "services/allowance/budget_forecast.h"

#include <cstddef>

namespace shouhu::allowance {

absl::StatusOr<ForecastResult> Forecast(const ForecastInput& in) {
  if (in.budget_fen < 0) return absl::InvalidArgumentError("budget_fen: must not be negative");
  if (in.paid_fen < 0) return absl::InvalidArgumentError("paid_fen: must not be negative");
  if (in.reserved_fen < 0) return absl::InvalidArgumentError("reserved_fen: must not be negative");
  if (in.pipeline_fen < 0) return absl::InvalidArgumentError("pipeline_fen: must not be negative");
  if (in.arrears_owed_fen < 0) return absl::InvalidArgumentError("arrears_owed_fen: must not be negative");
  if (in.pace_fen < 0) return absl::InvalidArgumentError("pace_fen: must not be negative");
  if (in.pace_window_days <= 0) return absl::InvalidArgumentError("pace_window_days: must be positive");
  for (size_t i = 0; i < in.rosters.size(); ++i) {
    if (in.rosters[i].amount_fen < 0)
      return absl::InvalidArgumentError("rosters.amount_fen: must not be negative");
    if (i > 0 && in.rosters[i].month <= in.rosters[i - 1].month) {
      return absl::InvalidArgumentError("rosters.month: must increase");
    }
  }

  ForecastResult result;
  result.uncommitted_fen =
      in.budget_fen - in.paid_fen - in.reserved_fen - in.pipeline_fen - in.arrears_owed_fen;
  if (result.uncommitted_fen < 0) {
    result.runs_out_on = in.today;
    result.at_risk = true;
  }

  // Walk the days after today to the period's end. A program of a few years is a few thousand steps.
  int64_t rosters = 0;
  int64_t one_time = 0;
  size_t next_roster = 0;
  while (next_roster < in.rosters.size() && in.rosters[next_roster].month <= absl::CivilMonth(in.today)) {
    ++next_roster;  // due before the walk starts: already generated, so in paid or reserved
  }
  int64_t d = 0;
  for (absl::CivilDay day = in.today + 1; day <= in.period_end; ++day) {
    ++d;
    if (day.day() == 1 && next_roster < in.rosters.size() &&
        in.rosters[next_roster].month == absl::CivilMonth(day)) {
      rosters += in.rosters[next_roster].amount_fen;
      ++next_roster;
    }
    one_time = in.pace_fen * d / in.pace_window_days;
    if (!result.runs_out_on && rosters + one_time > result.uncommitted_fen) {
      result.runs_out_on = day;
      result.at_risk = true;
    }
  }
  result.rosters_to_come_fen = rosters;
  result.one_time_to_come_fen = one_time;
  result.left_at_period_end_fen = result.uncommitted_fen - rosters - one_time;
  return result;
}

}  // namespace shouhu::allowance
