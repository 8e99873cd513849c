#include "tests/bench/visits/greedy_baseline.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace shouhu::visits {

std::vector<int> GreedyAssignment(const PlanningInput& input, const std::vector<Team>& teams) {
  std::vector<int> order(input.visits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return VisitValue(input.weights, input.visits[a]) > VisitValue(input.weights, input.visits[b]);
  });
  std::vector<int> room(teams.size());
  for (size_t t = 0; t < teams.size(); ++t) room[t] = teams[t].capacity;
  std::vector<int> team_of_visit(input.visits.size(), -1);
  for (int v : order) {
    const VisitRequest& visit = input.visits[v];
    int best = -1;
    int64_t best_m = std::numeric_limits<int64_t>::max();
    for (size_t t = 0; t < teams.size(); ++t) {
      if (room[t] == 0 || !CanServe(input, teams[t], visit)) continue;
      const int64_t m = TravelMeters(teams[t].base, visit.household, input.weights.pairing.hierarchy);
      if (m < best_m) best_m = m, best = static_cast<int>(t);
    }
    if (best < 0) continue;
    --room[best];
    team_of_visit[v] = best;
  }
  return team_of_visit;
}

}  // namespace shouhu::visits
