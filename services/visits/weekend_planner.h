// The weekend plan for one jurisdiction: which team visits which household on which visit day, in what
// order, and what could not be placed and why. Pure: the service gathers the due visits (cadence.h), the
// visit days (visit_calendar.h), the visitors with their availability, and whom the training service said is
// qualified for home visits on each visit day (a batch call a day), and stores what comes back.
//
// How it solves (optimal within the model below, the assignment by a well-kept solver, not a heuristic):
//  1. Teams (visit_teams.h): each day's qualified, available visitors are paired by maximum-weight matching;
//     a team spends the day together, which meets the two-adult rule and rules out double booking by
//     construction. Unpaired people are teams of one, for visits whose organisation allows a single adult.
//  2. Assignment: a min-cost flow (LEMON's NetworkSimplex) source → team-day (capacity: the team's
//     households that day) → visit (one unit) → sink, plus a free source → sink arc for capacity left
//     unused. A team-day → visit arc exists when the team may serve the visit (a pair when two adults are
//     needed; every member's home within `max_travel_m` of the household) and costs
//         travel(team base → household) + continuity_lost_m (when no member made the child's last visit)
//         − value(visit),  value = base_value + risk_value[risk] + value_per_overdue_day × overdue days.
//     So a visit is placed whenever it is worth its travel, a scarce team goes to the more urgent children
//     first (an extreme-risk child outweighs several low-risk ones), and among equals the nearer team and
//     the child's last visitor win. Each visit keeps only its `arcs_per_visit_day` cheapest teams a day
//     (plus its last visitor's team) and each team its `arcs_per_team_slot` × capacity best visits net of
//     value, which keeps the network to O(visits + capacity) arcs.
//     A pair that got only visits whose organisation allows one adult is then split into two teams of one
//     and the flow solved once more; the better of the two solutions is kept.
//  3. Each team's day is ordered as a nearest-neighbour tour from its base; the order is the slot number.
//
// Optimality gap, stated plainly: the flow is exact for the model, but the model (a) charges each visit the
// straight trip from the team's base, not its marginal cost in the day's tour, so clustered households are
// costed too high; (b) fixes the pairs before the assignment (pairing ignores where the households are, and
// only pairs whose whole day allows one adult are split afterwards); (c) prunes arcs to the cheapest teams
// (and each team's best visits), which can leave a visit unplaced that a far team with spare capacity could
// take — on the benchmark county (武定, 20,000 children, 300 visitors) pruning lost 0.3% of the objective and
// cut the plan from 0.64 s to 0.10 s; (d) the nearest-neighbour tour can be O(log n) times the shortest.
// `placeable_bound` is an upper bound for ANY plan respecting qualification, availability, capacity, reach
// and the two-adult rule (a max flow over visitor-days, ignoring costs and pairing); it is loose where pairs
// of unequal capacity waste the larger one, so placed < bound does not by itself mean the solver missed one.
#ifndef SHOUHU_SERVICES_VISITS_WEEKEND_PLANNER_H_
#define SHOUHU_SERVICES_VISITS_WEEKEND_PLANNER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/visits/cadence.h"
#include "services/visits/visit_teams.h"
#include "services/visits/visit_travel.h"

namespace shouhu::visits {

struct VisitRequest {
  std::string visit_id;
  VisitDue due;  // overdue_days as of the weekend's first day
  Place household;
  bool single_adult_allowed = false;  // the organisation's policy allows one visitor for this visit
  std::string last_visitor_id;        // who made the child's last visit; empty when nobody has
};

struct PlannerWeights {
  int64_t max_travel_m = 60'000;  // a visitor's home farther than this from the household is not "nearby"
  int arcs_per_visit_day = 12;    // a visit's cheapest teams each day that enter the network
  int arcs_per_team_slot = 4;     // and each team's best visits, this many per household of capacity
  int64_t base_value = 200'000;   // in metres of travel: any visit within reach is worth making
  std::array<int64_t, kRiskLevels> risk_value = {0, 100'000, 300'000, 1'000'000};  // by RiskLevel
  int64_t value_per_overdue_day = 10'000;
  int max_overdue_days_valued = 60;
  int64_t continuity_lost_m = 5'000;  // another visitor than last time costs as much as 5 km more travel
  PairingRules pairing;
};

struct PlanningInput {
  std::vector<absl::CivilDay> visit_days;  // the weekend's, from VisitCalendar::WeekendVisitDays
  std::vector<VisitRequest> visits;
  std::vector<Visitor> visitors;
  QualifiedByDay qualified;  // who is qualified for home visits on each of these days
  PlannerWeights weights;
};

enum class UnplacedReason {
  kNoVisitDay,             // the weekend has no visit day (both days are make-up working days)
  kNobodyQualifiedNearby,  // no qualified, available visitor lives within reach
  kNoSecondAdult,          // two adults are needed and on no day are two within reach
  kCapacity,               // people within reach, but their capacity went to more urgent or nearer visits
};
const char* UnplacedReasonName(UnplacedReason reason);

struct PlannedVisit {
  std::string visit_id;
  absl::CivilDay day;
  int slot = 0;                          // 0 is the team's first household of the day
  std::vector<std::string> visitor_ids;  // one or two
  int64_t leg_m = 0;                     // travel from the previous stop (or the team's base)
  bool continuity_kept = false;          // the child's last visitor is on the team
};

struct UnplacedVisit {
  std::string visit_id;
  UnplacedReason reason = UnplacedReason::kCapacity;
};

struct TeamRoute {
  absl::CivilDay day;
  std::vector<std::string> visitor_ids;
  std::vector<std::string> visit_ids;  // in slot order
  int64_t tour_m = 0;                  // base → first household → ... → last household
};

struct WeekendPlan {
  std::vector<PlannedVisit> placed;     // by day, team, slot
  std::vector<UnplacedVisit> unplaced;  // in input order
  std::vector<TeamRoute> routes;        // teams with at least one visit
  int placeable_bound = 0;
  int64_t total_travel_m = 0;  // over the routes
  int continuity_kept = 0;     // placed visits whose child's last visitor is on the team
};

// INVALID_ARGUMENT naming the field for a repeated visit or visitor id, a negative capacity or weights
// that make no sense (non-positive reach or arcs per visit).
absl::StatusOr<WeekendPlan> PlanWeekend(const PlanningInput& input);

// The pieces PlanWeekend is made of, for baselines that want the same teams, reach and accounting.
int64_t VisitValue(const PlannerWeights& weights, const VisitRequest& visit);
// The team may serve the visit: a pair where two adults are needed, every member's home within reach.
bool CanServe(const PlanningInput& input, const Team& team, const VisitRequest& visit);
// A plan from `team_of_visit` (an index into `teams`, or -1): orders each team's day, explains the
// unplaced, totals travel and continuity, and computes the bound.
WeekendPlan AssemblePlan(const PlanningInput& input, const std::vector<Team>& teams,
                         const std::vector<int>& team_of_visit);
int PlaceableBound(const PlanningInput& input);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_WEEKEND_PLANNER_H_
