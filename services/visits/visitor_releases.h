// Whether a weekend plan may still send a visitor it judged before they were taken off visits. A plan reads
// each visitor's counts of releases, asks training about each visit day, then stores its visits; a release
// in between found none of this plan's visits to take back. The store therefore compares the counts under the
// visitor's row lock: a release from today (a concern, a suspension, a certificate lost) refuses the plan;
// a release from a later day only (a background check cleared until then) refuses it only when the plan has
// the visitor visit on or after that day, since training answered for the days before it.
#ifndef SHOUHU_SERVICES_VISITS_VISITOR_RELEASES_H_
#define SHOUHU_SERVICES_VISITS_VISITOR_RELEASES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/civil_time.h"

namespace shouhu::visits {

// How many times a visitor was taken off their future visits: from the day of the release (visitors.releases,
// visits 0031), and from a later day only (visitors.later_releases, 0040).
struct ReleaseCounts {
  int64_t from_today = 0;
  int64_t later = 0;
};

// Visitor id → their counts, as a plan read them before judging who may visit (a visitor missing: none).
using VisitorReleases = absl::flat_hash_map<std::string, ReleaseCounts>;

// A visitor's counts as the plan's store reads them, with the first day of their latest later-day release.
struct ReleasesNow {
  ReleaseCounts counts;
  std::optional<absl::CivilDay> later_from;
};

// True when a plan that read `seen` may store the visitor's visits, the last of them on `last_visit_day`:
// no release since, or a single later-day release whose first day is after it. Two or more later-day
// releases since are refused: only the latest one's day is kept.
bool PlanStillHolds(const ReleaseCounts& seen, const ReleasesNow& now, absl::CivilDay last_visit_day);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_VISITOR_RELEASES_H_
