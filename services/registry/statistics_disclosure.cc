#include "services/registry/statistics_disclosure.h"

#include <algorithm>

#include "common/status_macros.h"
#include "services/registry/child_columns.h"

namespace shouhu::registry {
namespace {

bool Small(int64_t children, int64_t smallest_shown) { return children > 0 && children < smallest_shown; }

template <typename Rows, typename Count>
void DropSmall(Rows& rows, int64_t smallest_shown, Count count) {
  rows.erase(std::remove_if(rows.begin(), rows.end(),
                            [&](const auto& row) { return Small(count(row), smallest_shown); }),
             rows.end());
}

}  // namespace

absl::Status CheckWholeCountiesOnly(absl::string_view prefix) {
  if (prefix.size() > kCountyCodeDigits) {
    return InvalidField(
        "division_prefix",
        "organisation staff read the statistics of a whole county or wider: a township's or a "
        "village's counts can name a child");
  }
  return absl::OkStatus();
}

void WithholdSmallCounts(Statistics& statistics, int64_t smallest_shown) {
  DropSmall(statistics.by_county, smallest_shown, [](const Statistics::CountyRow& r) { return r.children; });
  DropSmall(statistics.by_category, smallest_shown, [](const auto& r) { return r.second; });
  DropSmall(statistics.by_risk, smallest_shown, [](const auto& r) { return r.second; });
}

}  // namespace shouhu::registry
