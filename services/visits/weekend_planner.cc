#include "services/visits/weekend_planner.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "absl/base/casts.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "lemon/list_graph.h"
#include "lemon/network_simplex.h"
#include "lemon/preflow.h"

namespace shouhu::visits {
namespace {

int AdultsNeeded(const VisitRequest& visit) { return visit.single_adult_allowed ? 1 : 2; }

// The distinct places among `places`, and which one each is. Travel depends only on the two places, and
// without recorded coordinates a place is its village: a county's 25,000 households lie in a few hundred.
class DistinctPlaces {
 public:
  int IndexOf(const Place& place) {
    std::string key = place.village_code;
    if (place.point) {
      // Coordinates make a place of its own, compared exactly (the distance is computed from these bits).
      absl::StrAppend(&key, "@", absl::Hex(absl::bit_cast<uint64_t>(place.point->latitude)), ",",
                      absl::Hex(absl::bit_cast<uint64_t>(place.point->longitude)));
    }
    auto [it, added] = index_.try_emplace(std::move(key), static_cast<int>(places_.size()));
    if (added) places_.push_back(&place);
    return it->second;
  }
  const std::vector<const Place*>& places() const { return places_; }

 private:
  absl::flat_hash_map<std::string, int> index_;
  std::vector<const Place*> places_;  // the first of each, owned by the input
};

// Distances from every visitor's home to every household, computed once per pair of distinct places: reach,
// reasons and the bound all ask them, and the hierarchy lookup is not free at 25,000 households × 500
// visitors (13 million lookups and a 100 MB table when computed per household and person).
class ReachTable {
 public:
  explicit ReachTable(const PlanningInput& input) {
    DistinctPlaces households, homes;
    visit_place_.reserve(input.visits.size());
    for (const VisitRequest& visit : input.visits)
      visit_place_.push_back(households.IndexOf(visit.household));
    visitor_place_.reserve(input.visitors.size());
    for (const Visitor& visitor : input.visitors) visitor_place_.push_back(homes.IndexOf(visitor.home));
    columns_ = homes.places().size();
    meters_.resize(households.places().size() * columns_);
    for (size_t h = 0; h < households.places().size(); ++h) {
      for (size_t p = 0; p < columns_; ++p) {
        meters_[h * columns_ + p] =
            TravelMeters(*homes.places()[p], *households.places()[h], input.weights.pairing.hierarchy);
      }
    }
  }
  int64_t Meters(int visit, int visitor) const {
    return meters_[static_cast<size_t>(visit_place_[visit]) * columns_ + visitor_place_[visitor]];
  }
  // The visit's household's distinct place: visits with the same place are the same distance from everyone.
  int PlaceOf(int visit) const { return visit_place_[visit]; }

 private:
  std::vector<int> visit_place_;    // per visit, its household's distinct place
  std::vector<int> visitor_place_;  // per visitor, their home's distinct place
  size_t columns_ = 0;
  std::vector<int64_t> meters_;  // [household place][home place]
};

bool Reaches(const PlanningInput& input, const ReachTable& reach, const Team& team, int visit) {
  if (static_cast<int>(team.members.size()) < AdultsNeeded(input.visits[visit])) return false;
  for (int member : team.members) {
    if (reach.Meters(visit, member) > input.weights.max_travel_m) return false;
  }
  return true;
}

bool KeepsContinuity(const PlanningInput& input, const Team& team, const VisitRequest& visit) {
  if (visit.last_visitor_id.empty()) return false;
  for (int member : team.members) {
    if (input.visitors[member].visitor_id == visit.last_visitor_id) return true;
  }
  return false;
}

// The people who could go out on `day`.
std::vector<int> PresentOn(const PlanningInput& input, absl::CivilDay day) {
  std::vector<int> present;
  for (int p = 0; p < static_cast<int>(input.visitors.size()); ++p) {
    if (CanGoOut(input.visitors[p], input.qualified, day)) present.push_back(p);
  }
  return present;
}

// For each visit, the most qualified, available people within reach on any one day.
std::vector<int> MostNearbyOnADay(const PlanningInput& input, const ReachTable& reach) {
  std::vector<int> most(input.visits.size(), 0);
  for (absl::CivilDay day : input.visit_days) {
    const std::vector<int> present = PresentOn(input, day);
    for (int v = 0; v < static_cast<int>(input.visits.size()); ++v) {
      int nearby = 0;
      for (int p : present) nearby += reach.Meters(v, p) <= input.weights.max_travel_m ? 1 : 0;
      most[v] = std::max(most[v], nearby);
    }
  }
  return most;
}

int Bound(const PlanningInput& input, const ReachTable& reach, const std::vector<int>& most_nearby) {
  // Visits that could be placed at all, grouped by the set of people within reach: in the relaxation below
  // visits with the same set are interchangeable, so one node stands for all of them.
  int feasible_single = 0;
  int feasible_pair = 0;
  std::map<std::vector<int>, std::pair<int, int>> groups;  // reach set → (visits, adult units)
  for (int v = 0; v < static_cast<int>(input.visits.size()); ++v) {
    const int need = AdultsNeeded(input.visits[v]);
    if (most_nearby[v] < need) continue;
    (need == 1 ? feasible_single : feasible_pair)++;
    std::vector<int> within;
    for (int p = 0; p < static_cast<int>(input.visitors.size()); ++p) {
      if (reach.Meters(v, p) <= input.weights.max_travel_m) within.push_back(p);
    }
    auto& group = groups[std::move(within)];
    group.first += 1;
    group.second += need;
  }
  // Max flow: source → (visitor, day) [capacity] → reach group [at most one unit per visit] → sink [the
  // group's adult units]. Any plan is such a flow, so its adult units F bound what any plan can staff.
  lemon::ListDigraph graph;
  lemon::ListDigraph::ArcMap<int64_t> capacity(graph);
  const lemon::ListDigraph::Node source = graph.addNode();
  const lemon::ListDigraph::Node sink = graph.addNode();
  std::vector<std::pair<const std::vector<int>*, lemon::ListDigraph::Node>> group_nodes;
  for (const auto& [within, group] : groups) {
    const lemon::ListDigraph::Node node = graph.addNode();
    capacity.set(graph.addArc(node, sink), group.second);
    group_nodes.emplace_back(&within, node);
  }
  for (absl::CivilDay day : input.visit_days) {
    for (int p : PresentOn(input, day)) {
      const lemon::ListDigraph::Node person_day = graph.addNode();
      capacity.set(graph.addArc(source, person_day), input.visitors[p].daily_capacity);
      for (const auto& [within, node] : group_nodes) {
        if (!std::binary_search(within->begin(), within->end(), p)) continue;
        capacity.set(graph.addArc(person_day, node),
                     std::min<int64_t>(input.visitors[p].daily_capacity, groups.at(*within).first));
      }
    }
  }
  lemon::Preflow<lemon::ListDigraph, lemon::ListDigraph::ArcMap<int64_t>> flow(graph, capacity, source, sink);
  flow.runMinCut();
  const int64_t units = flow.flowValue();
  // A plan places P1 single-adult and P2 two-adult visits with P1 + 2·P2 <= F: at most this many in all.
  const int64_t singles = std::min<int64_t>(feasible_single, units);
  const int64_t pairs = std::min<int64_t>(feasible_pair, (units - singles) / 2);
  return static_cast<int>(singles + pairs);
}

WeekendPlan Assemble(const PlanningInput& input, const ReachTable& reach, const std::vector<Team>& teams,
                     const std::vector<int>& team_of_visit) {
  WeekendPlan plan;
  const HierarchyDistances& hierarchy = input.weights.pairing.hierarchy;
  std::vector<std::vector<int>> visits_of_team(teams.size());
  for (int v = 0; v < static_cast<int>(team_of_visit.size()); ++v) {
    if (team_of_visit[v] >= 0) visits_of_team[team_of_visit[v]].push_back(v);
  }
  for (int t = 0; t < static_cast<int>(teams.size()); ++t) {
    std::vector<int> remaining = visits_of_team[t];
    if (remaining.empty()) continue;
    const Team& team = teams[t];
    TeamRoute route;
    route.day = team.day;
    for (int member : team.members) route.visitor_ids.push_back(input.visitors[member].visitor_id);
    Place at = team.base;
    // Nearest neighbour from the base: visitors in the field want the next household to be the closest.
    while (!remaining.empty()) {
      size_t best = 0;
      int64_t best_m = std::numeric_limits<int64_t>::max();
      for (size_t i = 0; i < remaining.size(); ++i) {
        const int64_t m = TravelMeters(at, input.visits[remaining[i]].household, hierarchy);
        if (m < best_m) best_m = m, best = i;
      }
      const VisitRequest& visit = input.visits[remaining[best]];
      PlannedVisit placed;
      placed.visit_id = visit.visit_id;
      placed.day = team.day;
      placed.slot = static_cast<int>(route.visit_ids.size());
      placed.visitor_ids = route.visitor_ids;
      placed.leg_m = best_m;
      placed.continuity_kept = KeepsContinuity(input, team, visit);
      plan.continuity_kept += placed.continuity_kept ? 1 : 0;
      route.visit_ids.push_back(visit.visit_id);
      route.tour_m += best_m;
      at = visit.household;
      plan.placed.push_back(std::move(placed));
      remaining.erase(remaining.begin() + best);
    }
    plan.total_travel_m += route.tour_m;
    plan.routes.push_back(std::move(route));
  }
  const std::vector<int> most_nearby = MostNearbyOnADay(input, reach);
  for (int v = 0; v < static_cast<int>(input.visits.size()); ++v) {
    if (team_of_visit[v] >= 0) continue;
    UnplacedReason reason = UnplacedReason::kCapacity;
    if (input.visit_days.empty()) {
      reason = UnplacedReason::kNoVisitDay;
    } else if (most_nearby[v] == 0) {
      reason = UnplacedReason::kNobodyQualifiedNearby;
    } else if (most_nearby[v] < AdultsNeeded(input.visits[v])) {
      reason = UnplacedReason::kNoSecondAdult;
    }
    plan.unplaced.push_back(UnplacedVisit{input.visits[v].visit_id, reason});
  }
  plan.placeable_bound = Bound(input, reach, most_nearby);
  return plan;
}

absl::Status ValidateInput(const PlanningInput& input) {
  absl::flat_hash_set<std::string> seen;
  for (const VisitRequest& visit : input.visits) {
    if (visit.visit_id.empty()) return InvalidField("visits.visit_id", "is required");
    if (!seen.insert(visit.visit_id).second) return InvalidField("visits.visit_id", "appears twice");
  }
  seen.clear();
  for (const Visitor& visitor : input.visitors) {
    if (visitor.visitor_id.empty()) return InvalidField("visitors.visitor_id", "is required");
    if (!seen.insert(visitor.visitor_id).second) return InvalidField("visitors.visitor_id", "appears twice");
    if (visitor.daily_capacity < 0) return InvalidField("visitors.daily_capacity", "must not be negative");
  }
  const PlannerWeights& w = input.weights;
  if (w.max_travel_m <= 0) return InvalidField("weights.max_travel_m", "must be positive");
  if (w.arcs_per_visit_day < 1) return InvalidField("weights.arcs_per_visit_day", "must be at least 1");
  if (w.arcs_per_team_slot < 0) return InvalidField("weights.arcs_per_team_slot", "must not be negative");
  if (w.base_value <= 0 || w.value_per_overdue_day < 0 || w.max_overdue_days_valued < 0 ||
      w.continuity_lost_m < 0) {
    return InvalidField("weights", "values must not be negative and base_value must be positive");
  }
  for (int64_t value : w.risk_value) {
    if (value < 0) return InvalidField("weights.risk_value", "must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace

const char* UnplacedReasonName(UnplacedReason reason) {
  switch (reason) {
    case UnplacedReason::kNoVisitDay:
      return "no visit day";
    case UnplacedReason::kNobodyQualifiedNearby:
      return "nobody qualified nearby";
    case UnplacedReason::kNoSecondAdult:
      return "no second adult";
    case UnplacedReason::kCapacity:
      return "capacity";
  }
  return "unknown";
}

int64_t VisitValue(const PlannerWeights& weights, const VisitRequest& visit) {
  const int overdue = std::clamp(visit.due.overdue_days, 0, weights.max_overdue_days_valued);
  return weights.base_value + weights.risk_value[static_cast<int>(visit.due.risk)] +
         weights.value_per_overdue_day * overdue;
}

bool CanServe(const PlanningInput& input, const Team& team, const VisitRequest& visit) {
  if (static_cast<int>(team.members.size()) < AdultsNeeded(visit)) return false;
  for (int member : team.members) {
    if (TravelMeters(input.visitors[member].home, visit.household, input.weights.pairing.hierarchy) >
        input.weights.max_travel_m) {
      return false;
    }
  }
  return true;
}

WeekendPlan AssemblePlan(const PlanningInput& input, const std::vector<Team>& teams,
                         const std::vector<int>& team_of_visit) {
  return Assemble(input, ReachTable(input), teams, team_of_visit);
}

int PlaceableBound(const PlanningInput& input) {
  const ReachTable reach(input);
  return Bound(input, reach, MostNearbyOnADay(input, reach));
}

namespace {

struct Assignment {
  std::vector<int> team_of_visit;
  int64_t cost = 0;  // the flow's total: travel and continuity minus the value of what was placed
};

absl::StatusOr<Assignment> Assign(const PlanningInput& input, const ReachTable& reach,
                                  const std::vector<Team>& teams) {
  const HierarchyDistances& hierarchy = input.weights.pairing.hierarchy;

  lemon::ListDigraph graph;
  lemon::ListDigraph::ArcMap<int64_t> capacity(graph);
  lemon::ListDigraph::ArcMap<int64_t> cost(graph);
  const lemon::ListDigraph::Node source = graph.addNode();
  const lemon::ListDigraph::Node sink = graph.addNode();
  std::vector<lemon::ListDigraph::Node> team_nodes;
  int64_t supply = 0;
  for (const Team& team : teams) {
    team_nodes.push_back(graph.addNode());
    lemon::ListDigraph::Arc arc = graph.addArc(source, team_nodes.back());
    capacity.set(arc, team.capacity);
    cost.set(arc, 0);
    supply += team.capacity;
  }
  // The capacity nobody uses flows straight to the sink at no cost.
  {
    lemon::ListDigraph::Arc idle = graph.addArc(source, sink);
    capacity.set(idle, supply);
    cost.set(idle, 0);
  }
  // Which team-day → visit arcs enter the network. From the visit's side, its cheapest teams each day (and
  // its last visitor's team); from the team's side, the visits it serves best net of their value, so a team
  // that is nobody's nearest (a lone visitor in a far township) still gets work it could do.
  struct Candidate {
    int64_t cost;  // travel + continuity, in metres
    int visit;
    int team;
  };
  const auto by_cost = [](const Candidate& a, const Candidate& b) {
    return a.cost != b.cost ? a.cost < b.cost : a.team < b.team;
  };
  // Each team's best visits net of value, kept as a bounded max-heap (worst on top) while the visits are
  // walked: a team is offered every visit it reaches, millions in a large county, and keeps only its
  // arcs_per_team_slot × capacity best. Ties go to the earlier visit, so the kept set is one and the same
  // whatever order the offers come in.
  const auto by_net_cost = [](const Candidate& a, const Candidate& b) {
    return a.cost != b.cost ? a.cost < b.cost : a.visit < b.visit;
  };
  std::vector<std::vector<Candidate>> by_team(teams.size());  // cost net of the visit's value
  auto offer = [&](const Candidate& net) {
    std::vector<Candidate>& best = by_team[net.team];
    const size_t keep = static_cast<size_t>(input.weights.arcs_per_team_slot) * teams[net.team].capacity;
    if (best.size() < keep) {
      best.push_back(net);
      std::push_heap(best.begin(), best.end(), by_net_cost);
    } else if (keep > 0 && by_net_cost(net, best.front())) {
      std::pop_heap(best.begin(), best.end(), by_net_cost);
      best.back() = net;
      std::push_heap(best.begin(), best.end(), by_net_cost);
    }
  };
  std::vector<std::vector<int>> teams_on_day(input.visit_days.size());
  for (int t = 0; t < static_cast<int>(teams.size()); ++t) {
    const auto day = std::find(input.visit_days.begin(), input.visit_days.end(), teams[t].day);
    if (day != input.visit_days.end()) teams_on_day[day - input.visit_days.begin()].push_back(t);
  }
  // The teams that reach a household on a day, and what each would travel, depend only on its place and on
  // how many adults the visit needs: worked out once per (day, place, adults), sorted by (cost, team) as if
  // no member had made the child's last visit, and shared by every visit there (in a county without recorded
  // coordinates, the households of one village). Only a visit whose last visitor is on a reaching team that
  // day has its own list.
  absl::flat_hash_map<std::tuple<size_t, int, int>, std::vector<Candidate>> shared_lists;
  auto teams_reaching = [&](size_t d, int v) -> const std::vector<Candidate>& {
    auto [it, added] = shared_lists.try_emplace({d, reach.PlaceOf(v), AdultsNeeded(input.visits[v])});
    if (added) {
      for (int t : teams_on_day[d]) {
        const Team& team = teams[t];
        if (!Reaches(input, reach, team, v)) continue;
        const int64_t travel = team.members.size() == 1 || !team.base.point
                                   ? reach.Meters(v, team.members[0])
                                   : TravelMeters(team.base, input.visits[v].household, hierarchy);
        it->second.push_back(Candidate{travel + input.weights.continuity_lost_m, -1, t});
      }
      std::sort(it->second.begin(), it->second.end(), by_cost);
    }
    return it->second;
  };
  std::vector<absl::flat_hash_map<std::string, int>> team_of_visitor(teams_on_day.size());  // per day
  for (size_t d = 0; d < teams_on_day.size(); ++d) {
    for (int t : teams_on_day[d]) {
      for (int member : teams[t].members) team_of_visitor[d][input.visitors[member].visitor_id] = t;
    }
  }
  std::vector<Candidate> chosen;
  std::vector<Candidate> candidates;
  for (int v = 0; v < static_cast<int>(input.visits.size()); ++v) {
    const VisitRequest& visit = input.visits[v];
    const int64_t value = VisitValue(input.weights, visit);
    for (size_t d = 0; d < teams_on_day.size(); ++d) {
      const std::vector<Candidate>& reaching = teams_reaching(d, v);
      int continuity_team = -1;
      if (!visit.last_visitor_id.empty()) {
        auto found = team_of_visitor[d].find(visit.last_visitor_id);
        if (found != team_of_visitor[d].end() && Reaches(input, reach, teams[found->second], v)) {
          continuity_team = found->second;
        }
      }
      if (continuity_team < 0) {  // the shared list as it is: its cheapest to the network, the rest offered
        const size_t keep = std::min<size_t>(reaching.size(), input.weights.arcs_per_visit_day);
        for (size_t k = 0; k < reaching.size(); ++k) {
          const Candidate c{reaching[k].cost, v, reaching[k].team};
          if (k < keep) {
            chosen.push_back(c);
          } else {
            offer(Candidate{c.cost - value, v, c.team});
          }
        }
        continue;
      }
      candidates.clear();
      for (const Candidate& c : reaching) {
        candidates.push_back(Candidate{
            c.team == continuity_team ? c.cost - input.weights.continuity_lost_m : c.cost, v, c.team});
      }
      size_t keep = std::min<size_t>(candidates.size(), input.weights.arcs_per_visit_day);
      std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(), by_cost);
      for (size_t k = keep; k < candidates.size(); ++k) {
        if (candidates[k].team == continuity_team) {
          std::swap(candidates[keep++], candidates[k]);
        } else {
          offer(Candidate{candidates[k].cost - value, v, candidates[k].team});
        }
      }
      chosen.insert(chosen.end(), candidates.begin(), candidates.begin() + keep);
    }
  }
  for (std::vector<Candidate>& best : by_team) {
    std::sort_heap(best.begin(), best.end(), by_net_cost);
    for (const Candidate& c : best) {
      chosen.push_back(Candidate{c.cost + VisitValue(input.weights, input.visits[c.visit]), c.visit, c.team});
    }
  }
  std::vector<lemon::ListDigraph::Node> visit_nodes(input.visits.size(), lemon::INVALID);
  std::vector<std::pair<lemon::ListDigraph::Arc, std::pair<int, int>>> assignment_arcs;  // (visit, team)
  assignment_arcs.reserve(chosen.size());
  for (const Candidate& c : chosen) {
    if (visit_nodes[c.visit] == lemon::INVALID) {
      visit_nodes[c.visit] = graph.addNode();
      lemon::ListDigraph::Arc out = graph.addArc(visit_nodes[c.visit], sink);
      capacity.set(out, 1);
      cost.set(out, 0);
    }
    lemon::ListDigraph::Arc arc = graph.addArc(team_nodes[c.team], visit_nodes[c.visit]);
    capacity.set(arc, 1);
    cost.set(arc, c.cost - VisitValue(input.weights, input.visits[c.visit]));
    assignment_arcs.push_back({arc, {c.visit, c.team}});
  }
  lemon::NetworkSimplex<lemon::ListDigraph, int64_t, int64_t> solver(graph);
  solver.upperMap(capacity).costMap(cost).stSupply(source, sink, supply);
  if (solver.run() != lemon::NetworkSimplex<lemon::ListDigraph, int64_t, int64_t>::OPTIMAL) {
    return absl::InternalError("the assignment flow has no optimal solution");
  }
  Assignment assignment;
  assignment.team_of_visit.assign(input.visits.size(), -1);
  for (const auto& [arc, visit_team] : assignment_arcs) {
    if (solver.flow(arc) > 0) assignment.team_of_visit[visit_team.first] = visit_team.second;
  }
  assignment.cost = solver.totalCost();
  return assignment;
}

// The teams again, with every pair whose day holds only visits that allow one adult split in two: each
// member can then take their own households. Empty when no pair qualifies.
std::vector<Team> SplitUnneededPairs(const PlanningInput& input, const std::vector<Team>& teams,
                                     const std::vector<int>& team_of_visit) {
  std::vector<int> visits(teams.size(), 0);
  std::vector<bool> needs_two(teams.size(), false);
  for (size_t v = 0; v < team_of_visit.size(); ++v) {
    if (team_of_visit[v] < 0) continue;
    visits[team_of_visit[v]]++;
    if (!input.visits[v].single_adult_allowed) needs_two[team_of_visit[v]] = true;
  }
  std::vector<Team> split;
  bool changed = false;
  for (size_t t = 0; t < teams.size(); ++t) {
    if (teams[t].members.size() != 2 || visits[t] == 0 || needs_two[t]) {
      split.push_back(teams[t]);
      continue;
    }
    changed = true;
    for (int member : teams[t].members) {
      const Visitor& visitor = input.visitors[member];
      split.push_back(Team{teams[t].day, {member}, visitor.home, visitor.daily_capacity});
    }
  }
  if (!changed) split.clear();
  return split;
}

}  // namespace

absl::StatusOr<WeekendPlan> PlanWeekend(const PlanningInput& input) {
  RETURN_IF_ERROR(ValidateInput(input));
  const ReachTable reach(input);
  std::vector<Team> teams =
      FormTeams(input.visitors, input.qualified, input.visit_days, input.weights.pairing);
  ASSIGN_OR_RETURN(Assignment assignment, Assign(input, reach, teams));
  // Pairs are fixed before the assignment; a pair that ended up with only single-adult visits spends two
  // people where one would do. Split such pairs and solve once more, keeping whichever plan the objective
  // prefers (the split one can always do what the pair did, so it is rarely worse).
  std::vector<Team> split = SplitUnneededPairs(input, teams, assignment.team_of_visit);
  if (!split.empty()) {
    ASSIGN_OR_RETURN(Assignment second, Assign(input, reach, split));
    if (second.cost <= assignment.cost) {
      teams = std::move(split);
      assignment = std::move(second);
    }
  }
  return Assemble(input, reach, teams, assignment.team_of_visit);
}

}  // namespace shouhu::visits
