// Between the stored plans and visitors and the pure weekend planner (weekend_planner.h): what the planner
// is asked (each open case's next visit as of the weekend's first day, each visitor's weekend days) and the
// answer as the assignments to store and the visits left unplaced. Pure.
#ifndef SHOUHU_SERVICES_VISITS_PLANNING_INPUT_H_
#define SHOUHU_SERVICES_VISITS_PLANNING_INPUT_H_

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/civil_time.h"
#include "services/visits/cadence.h"
#include "services/visits/visits_store.h"
#include "services/visits/weekend_planner.h"
#include "shouhu/visits/v1/visits_service.pb.h"

namespace shouhu::visits {

// The planner's input: visits keyed by case id, visitors by visitor id, each available on the weekend's
// Saturday and Sunday as registered; every home visit wants two adults (no organisation policy allows one
// yet).
PlanningInput BuildPlanningInput(const CadencePolicy& cadence, const std::vector<CasePlan>& plans,
                                 const std::vector<v1::Visitor>& visitors,
                                 absl::flat_hash_set<std::string> qualified_visitor_ids,
                                 std::vector<absl::CivilDay> visit_days);

// The plan as the answer: one assignment per visitor of each placed visit (ids left for the store), and the
// unplaced with their reasons.
v1::PlanWeekendResponse PlanAnswer(const WeekendPlan& plan, const std::vector<CasePlan>& plans);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_PLANNING_INPUT_H_
