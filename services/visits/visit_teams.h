// Who goes out together on each visit day. The safeguarding rule wants two adults at a home visit, and the
// two must be at the household at the same time; so the planner first pairs the day's available, qualified
// visitors into teams that spend the whole day together (same households, same slots), then assigns
// households to teams. A visitor is in at most one team a day, which is what rules out a visitor being
// booked twice for the same slot.
//
// Pairing is a maximum-weight matching (LEMON's MaxWeightedMatching, Edmonds' blossom algorithm) over each
// visitor's nearest colleagues by home: the weight rewards every pair by far more than any distance can cost,
// so it forms as many pairs as possible and, among those, the pairs whose homes are closest (they meet before
// setting out). Who is left unpaired (an odd one out, or nobody near enough) is a team of one, who can only
// take the visits whose organisation allows a single visitor.
#ifndef SHOUHU_SERVICES_VISITS_VISIT_TEAMS_H_
#define SHOUHU_SERVICES_VISITS_VISIT_TEAMS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/civil_time.h"
#include "services/visits/visit_travel.h"

namespace shouhu::visits {

// Who training says is qualified for home visits, on each visit day of a weekend's run. Asked day by day: a
// run of holiday visit days lasts up to nine days, and a certificate, a background check or an organisation's
// qualification can lapse inside it.
using QualifiedByDay = std::map<absl::CivilDay, absl::flat_hash_set<std::string>>;

struct Visitor {
  std::string visitor_id;
  std::string organisation_id;
  Place home;
  std::vector<absl::CivilDay> available_days;  // the weekend's visit days this person can go out
  int daily_capacity = 0;                      // households a day
};

struct PairingRules {
  int64_t max_pair_distance_m = 30'000;  // homes farther apart than this are not paired
  int neighbours = 10;                   // candidate partners per visitor: the nearest by home
  HierarchyDistances hierarchy;
};

struct Team {
  absl::CivilDay day;
  std::vector<int> members;  // indices into the visitors; one or two
  Place base;                // where the day starts: the midpoint of the homes, or the first member's home
  int capacity = 0;          // households that day: the smaller of the members' capacities
};

// The person can go out on `day`: qualified that day, available that day, with a positive capacity.
bool CanGoOut(const Visitor& visitor, const QualifiedByDay& qualified, absl::CivilDay day);

// The teams of every day in `days`, day by day; only visitors qualified that day, available that day and with
// a positive capacity take part.
std::vector<Team> FormTeams(const std::vector<Visitor>& visitors, const QualifiedByDay& qualified,
                            const std::vector<absl::CivilDay>& days, const PairingRules& rules);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_VISIT_TEAMS_H_
