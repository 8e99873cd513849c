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
// yet). A re-plan keeps what earlier plans of the weekend placed (`already_assigned`): a case assigned on
// one of the visit days is not planned again, and a visitor booked on a day is not free that day (a team
// spends its day together, so a half-booked visitor is not split across two teams; their day stays as
// planned).
PlanningInput BuildPlanningInput(const CadencePolicy& cadence, const std::vector<CasePlan>& plans,
                                 const std::vector<v1::Visitor>& visitors, QualifiedByDay qualified,
                                 std::vector<absl::CivilDay> visit_days,
                                 const std::vector<v1::Assignment>& already_assigned = {});

// How many of `plans` already have an assignment in `already_assigned` (kept by a re-plan).
int AlreadyPlanned(const std::vector<CasePlan>& plans, const std::vector<v1::Assignment>& already_assigned);

// The plan as the answer: one assignment per visitor of each placed visit (ids left for the store), and the
// unplaced with their reasons.
v1::PlanWeekendResponse PlanAnswer(const WeekendPlan& plan, const std::vector<CasePlan>& plans);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_PLANNING_INPUT_H_
