#include "services/visits/planning_input.h"

#include "absl/container/flat_hash_map.h"

namespace shouhu::visits {
namespace {

v1::UnplacedReason ToProtoReason(UnplacedReason reason) {
  switch (reason) {
    case UnplacedReason::kNoVisitDay:
      return v1::UNPLACED_REASON_NO_VISIT_DAY;
    case UnplacedReason::kNobodyQualifiedNearby:
      return v1::UNPLACED_REASON_NOBODY_QUALIFIED_NEARBY;
    case UnplacedReason::kNoSecondAdult:
      return v1::UNPLACED_REASON_NO_SECOND_ADULT;
    case UnplacedReason::kCapacity:
      return v1::UNPLACED_REASON_CAPACITY;
  }
  return v1::UNPLACED_REASON_UNSPECIFIED;
}

}  // namespace

PlanningInput BuildPlanningInput(const CadencePolicy& cadence, const std::vector<CasePlan>& plans,
                                 const std::vector<v1::Visitor>& visitors, QualifiedByDay qualified,
                                 std::vector<absl::CivilDay> visit_days,
                                 const std::vector<v1::Assignment>& already_assigned) {
  PlanningInput input;
  input.visit_days = std::move(visit_days);
  input.qualified = std::move(qualified);
  const absl::CivilDay first = input.visit_days.empty() ? absl::CivilDay() : input.visit_days.front();
  absl::flat_hash_set<std::string> planned_cases;
  absl::flat_hash_set<std::pair<std::string, std::string>> booked;  // (visitor id, visit date)
  for (const v1::Assignment& a : already_assigned) {
    planned_cases.insert(a.case_id());
    booked.insert({a.visitor_id(), a.visit_date()});
  }
  for (const CasePlan& plan : plans) {
    if (planned_cases.contains(plan.standing.case_id)) continue;
    std::optional<VisitDue> due = NextVisitDue(cadence, plan.standing, first);
    if (!due) continue;
    // The stored plans were chosen by their next_due_day column; the standing is what decides (a column
    // written by an older version may be behind it).
    if (!input.visit_days.empty() && due->due_day > input.visit_days.back()) continue;
    VisitRequest visit;
    visit.visit_id = plan.standing.case_id;
    visit.due = *std::move(due);
    visit.household.village_code = plan.village_code;
    visit.last_visitor_id = plan.standing.last_visitor_id;
    input.visits.push_back(std::move(visit));
  }
  for (const v1::Visitor& v : visitors) {
    Visitor visitor;
    visitor.visitor_id = v.visitor_id();
    visitor.organisation_id = v.organisation_id();
    visitor.home.village_code = v.home_village_code();
    visitor.daily_capacity = v.daily_capacity();
    for (absl::CivilDay day : input.visit_days) {
      const absl::Weekday weekday = absl::GetWeekday(day);
      if (booked.contains(std::make_pair(v.visitor_id(), absl::FormatCivilTime(day)))) continue;
      if ((weekday == absl::Weekday::saturday && v.available_saturday()) ||
          (weekday == absl::Weekday::sunday && v.available_sunday())) {
        visitor.available_days.push_back(day);
      }
    }
    input.visitors.push_back(std::move(visitor));
  }
  return input;
}

int AlreadyPlanned(const std::vector<CasePlan>& plans, const std::vector<v1::Assignment>& already_assigned) {
  absl::flat_hash_set<std::string> planned_cases;
  for (const v1::Assignment& a : already_assigned) planned_cases.insert(a.case_id());
  int count = 0;
  for (const CasePlan& plan : plans) count += planned_cases.contains(plan.standing.case_id) ? 1 : 0;
  return count;
}

v1::PlanWeekendResponse PlanAnswer(const WeekendPlan& plan, const std::vector<CasePlan>& plans) {
  absl::flat_hash_map<std::string, std::string> child_of;
  for (const CasePlan& p : plans) child_of[p.standing.case_id] = p.standing.child_id;
  v1::PlanWeekendResponse answer;
  for (const PlannedVisit& placed : plan.placed) {
    for (const std::string& visitor_id : placed.visitor_ids) {
      v1::Assignment* a = answer.add_assignments();
      a->set_case_id(placed.visit_id);
      a->set_child_id(child_of[placed.visit_id]);
      a->set_visitor_id(visitor_id);
      a->set_visit_date(absl::FormatCivilTime(placed.day));
      a->set_slot(placed.slot);
    }
  }
  for (const UnplacedVisit& unplaced : plan.unplaced) {
    v1::UnplacedVisit* u = answer.add_unplaced();
    u->set_case_id(unplaced.visit_id);
    u->set_child_id(child_of[unplaced.visit_id]);
    u->set_reason(ToProtoReason(unplaced.reason));
  }
  answer.set_placeable_bound(plan.placeable_bound);
  return answer;
}

}  // namespace shouhu::visits
