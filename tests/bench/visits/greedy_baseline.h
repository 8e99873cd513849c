// The baseline the planner is measured against: most urgent visit first, each to the nearest team that may
// serve it and still has room that day. Same teams, same reach, same accounting as the planner, so the
// difference is the assignment alone.
#ifndef SHOUHU_TESTS_BENCH_VISITS_GREEDY_BASELINE_H_
#define SHOUHU_TESTS_BENCH_VISITS_GREEDY_BASELINE_H_

#include <vector>

#include "services/visits/weekend_planner.h"

namespace shouhu::visits {

// For each visit, the index of its team in `teams`, or -1.
std::vector<int> GreedyAssignment(const PlanningInput& input, const std::vector<Team>& teams);

}  // namespace shouhu::visits

#endif  // SHOUHU_TESTS_BENCH_VISITS_GREEDY_BASELINE_H_
