#include "services/allowance/living_allowance_stops.h"

#include "common/clock.h"
#include "common/status_macros.h"

namespace shouhu::allowance {

absl::StatusOr<std::optional<absl::CivilDay>> StopOf(const db::Row& row, size_t i) {
  if (row.IsNull(i)) return std::nullopt;
  ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(row.String(i).substr(0, 10), "stopped_on"));
  return day;
}

}  // namespace shouhu::allowance
