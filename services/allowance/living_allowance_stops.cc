#include "services/allowance/living_allowance_stops.h"

#include <string>

#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/status_macros.h"

namespace shouhu::allowance {

absl::StatusOr<std::vector<absl::CivilDay>> StopDaysOf(const db::Row& row, size_t i) {
  std::vector<absl::CivilDay> days;
  if (row.IsNull(i)) return days;
  const std::string list = row.String(i);
  for (absl::string_view day : absl::StrSplit(list, ',')) {
    ASSIGN_OR_RETURN(days.emplace_back(), ParseDay(day, "stopped_on"));
  }
  return days;
}

}  // namespace shouhu::allowance
