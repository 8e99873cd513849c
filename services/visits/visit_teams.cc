#include "services/visits/visit_teams.h"

#include <algorithm>
#include <utility>

#include "lemon/list_graph.h"
#include "lemon/matching.h"

namespace shouhu::visits {
namespace {

Place PairBase(const Place& a, const Place& b) {
  Place base = a;
  if (a.point && b.point) {
    // Homes in one county are close enough for the arithmetic midpoint to stand for the geodesic one.
    base.point =
        GeoPoint{(a.point->latitude + b.point->latitude) / 2, (a.point->longitude + b.point->longitude) / 2};
  }
  return base;
}

}  // namespace

bool CanGoOut(const Visitor& visitor, const QualifiedByDay& qualified, absl::CivilDay day) {
  const auto that_day = qualified.find(day);
  return visitor.daily_capacity > 0 && that_day != qualified.end() &&
         that_day->second.contains(visitor.visitor_id) &&
         std::find(visitor.available_days.begin(), visitor.available_days.end(), day) !=
             visitor.available_days.end();
}

std::vector<Team> FormTeams(const std::vector<Visitor>& visitors, const QualifiedByDay& qualified,
                            const std::vector<absl::CivilDay>& days, const PairingRules& rules) {
  std::vector<Team> teams;
  for (absl::CivilDay day : days) {
    std::vector<int> present;
    for (int v = 0; v < static_cast<int>(visitors.size()); ++v) {
      if (CanGoOut(visitors[v], qualified, day)) present.push_back(v);
    }
    const int n = static_cast<int>(present.size());
    lemon::ListGraph graph;
    std::vector<lemon::ListGraph::Node> nodes;
    nodes.reserve(n);
    for (int i = 0; i < n; ++i) nodes.push_back(graph.addNode());
    lemon::ListGraph::EdgeMap<int64_t> weight(graph);
    // Any pair outweighs any sum of distances, so the matching maximises the number of pairs first.
    const int64_t pair_reward = rules.max_pair_distance_m * (n + 1) + 1;
    std::vector<std::pair<int64_t, int>> candidates;
    for (int i = 0; i < n; ++i) {
      candidates.clear();
      for (int j = 0; j < n; ++j) {
        if (j == i) continue;
        const int64_t d = TravelMeters(visitors[present[i]].home, visitors[present[j]].home, rules.hierarchy);
        if (d <= rules.max_pair_distance_m) candidates.emplace_back(d, j);
      }
      const size_t keep = std::min<size_t>(candidates.size(), std::max(rules.neighbours, 1));
      std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end());
      for (size_t k = 0; k < keep; ++k) {
        const int j = candidates[k].second;
        // Each pair once: from the lower index, or from the higher one when the lower did not choose it.
        if (j < i && lemon::findEdge(graph, nodes[j], nodes[i]) != lemon::INVALID) continue;
        weight.set(graph.addEdge(nodes[i], nodes[j]), pair_reward - candidates[k].first);
      }
    }
    lemon::MaxWeightedMatching<lemon::ListGraph, lemon::ListGraph::EdgeMap<int64_t>> matching(graph, weight);
    matching.run();
    for (int i = 0; i < n; ++i) {
      const lemon::ListGraph::Node mate = matching.mate(nodes[i]);
      const Visitor& first = visitors[present[i]];
      if (mate == lemon::INVALID) {
        teams.push_back(Team{day, {present[i]}, first.home, first.daily_capacity});
        continue;
      }
      const int j = graph.id(mate);
      if (j < i) continue;  // the pair was made at its lower index
      const Visitor& second = visitors[present[j]];
      teams.push_back(Team{day,
                           {present[i], present[j]},
                           PairBase(first.home, second.home),
                           std::min(first.daily_capacity, second.daily_capacity)});
    }
  }
  return teams;
}

}  // namespace shouhu::visits
