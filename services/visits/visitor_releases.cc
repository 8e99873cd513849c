#include "services/visits/visitor_releases.h"

namespace shouhu::visits {

bool PlanStillHolds(const ReleaseCounts& seen, const ReleasesNow& now, absl::CivilDay last_visit_day) {
  if (now.counts.from_today != seen.from_today) return false;
  if (now.counts.later == seen.later) return true;
  return now.counts.later == seen.later + 1 && now.later_from.has_value() && *now.later_from > last_visit_day;
}

}  // namespace shouhu::visits
