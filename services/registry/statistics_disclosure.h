// What statistics an organisation's staff are shown. A civil-affairs officer, an auditor and the services see
// every count of their jurisdiction. An NGO admin sees the county's children across every organisation, and a
// small count names a child as surely as a list would: "street children: 1" in a county, or any category of a
// village, is that one child. Their statistics are therefore of a county or wider, and a row counting fewer
// children than kSmallestCountShown is withheld (the answer says so), as statistical offices withhold small
// cells.
#ifndef SHOUHU_SERVICES_REGISTRY_STATISTICS_DISCLOSURE_H_
#define SHOUHU_SERVICES_REGISTRY_STATISTICS_DISCLOSURE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/registry/statistics_counts.h"

namespace shouhu::registry {

inline constexpr int64_t kSmallestCountShown = 5;

// INVALID_ARGUMENT on division_prefix unless `prefix` is a county's or wider.
absl::Status CheckWholeCountiesOnly(absl::string_view prefix);

// Drops every row counting 1 to smallest_shown - 1 children.
void WithholdSmallCounts(Statistics& statistics, int64_t smallest_shown);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_STATISTICS_DISCLOSURE_H_
