// The planner's input from stored plans and visitors, and its answer back as assignments.
#include "services/visits/planning_input.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace shouhu::visits {
namespace {

CasePlan OpenPlan(const std::string& case_id, RiskLevel risk, absl::CivilDay opened_on) {
  CasePlan plan;
  plan.standing.case_id = case_id;
  plan.standing.child_id = "child-" + case_id;
  plan.standing.risk = risk;
  plan.standing.open = true;
  plan.standing.opened_on = opened_on;
  plan.village_code = "532329101001";
  plan.organisation_id = "ngo-wuding";
  return plan;
}

TEST(PlanningInputTest, BuildPlanningInput_ClosedCaseAndSundayOnlyVisitor_LeftOutOfSaturday) {
  const absl::CivilDay saturday(2026, 12, 19);
  CasePlan closed = OpenPlan("c2", RiskLevel::kLow, saturday - 30);
  closed.standing.open = false;
  v1::Visitor sunday_only;
  sunday_only.set_visitor_id("v1");
  sunday_only.set_home_village_code("532329101001");
  sunday_only.set_available_sunday(true);
  sunday_only.set_daily_capacity(3);

  PlanningInput input = BuildPlanningInput(
      CadencePolicy(), {OpenPlan("c1", RiskLevel::kHigh, saturday - 10), closed}, {sunday_only},
      {{saturday, {"v1"}}, {saturday + 1, {"v1"}}}, {saturday, saturday + 1});
  ASSERT_EQ(input.visits.size(), 1u);
  EXPECT_EQ(input.visits[0].visit_id, "c1");
  EXPECT_EQ(input.visits[0].due.kind, VisitKind::kVerification);
  EXPECT_EQ(input.visits[0].due.overdue_days, 3);  // high risk: due 7 days after opening
  EXPECT_FALSE(input.visits[0].single_adult_allowed);
  ASSERT_EQ(input.visitors.size(), 1u);
  EXPECT_EQ(input.visitors[0].available_days, std::vector<absl::CivilDay>{saturday + 1});
  EXPECT_EQ(input.visitors[0].daily_capacity, 3);
}

// The plans come chosen by their stored next_due_day; a case visited since (its standing says so) is not
// asked for again before its next visit falls due.
TEST(PlanningInputTest, BuildPlanningInput_CaseVisitedLately_NotAskedForBeforeItsNextVisitIsDue) {
  const absl::CivilDay saturday(2026, 12, 19);
  CasePlan lately = OpenPlan("c1", RiskLevel::kHigh, saturday - 60);
  lately.standing.last_completed_visit = saturday - 7;  // high: fortnightly, due the Saturday after
  CasePlan long_ago = OpenPlan("c2", RiskLevel::kHigh, saturday - 60);
  long_ago.standing.last_completed_visit = saturday - 20;

  PlanningInput input =
      BuildPlanningInput(CadencePolicy(), {lately, long_ago}, {}, {}, {saturday, saturday + 1});
  ASSERT_EQ(input.visits.size(), 1u);
  EXPECT_EQ(input.visits[0].visit_id, "c2");
  EXPECT_EQ(input.visits[0].due.kind, VisitKind::kFollowUp);
  EXPECT_EQ(input.visits[0].due.overdue_days, 6);
}

TEST(PlanningInputTest, BuildPlanningInput_WeekendPlannedBefore_KeepsItsCasesAndVisitorsDays) {
  const absl::CivilDay saturday(2026, 12, 19);
  v1::Visitor booked;
  booked.set_visitor_id("v1");
  booked.set_home_village_code("532329101001");
  booked.set_available_saturday(true);
  booked.set_available_sunday(true);
  booked.set_daily_capacity(4);
  v1::Assignment earlier;
  earlier.set_case_id("c1");
  earlier.set_visitor_id("v1");
  earlier.set_visit_date("2026-12-19");
  const std::vector<CasePlan> plans = {OpenPlan("c1", RiskLevel::kHigh, saturday - 10),
                                       OpenPlan("c2", RiskLevel::kHigh, saturday - 10)};

  PlanningInput input =
      BuildPlanningInput(CadencePolicy(), plans, {booked}, {{saturday, {"v1"}}, {saturday + 1, {"v1"}}},
                         {saturday, saturday + 1}, {earlier});
  ASSERT_EQ(input.visits.size(), 1u);
  EXPECT_EQ(input.visits[0].visit_id, "c2");
  ASSERT_EQ(input.visitors.size(), 1u);
  EXPECT_EQ(input.visitors[0].available_days, std::vector<absl::CivilDay>{saturday + 1});
  EXPECT_EQ(AlreadyPlanned(plans, {earlier}), 1);
}

TEST(PlanningInputTest, PlanAnswer_PairedVisit_OneAssignmentPerVisitorAndReasonsForTheRest) {
  WeekendPlan plan;
  PlannedVisit placed;
  placed.visit_id = "c1";
  placed.day = absl::CivilDay(2026, 12, 19);
  placed.slot = 2;
  placed.visitor_ids = {"v1", "v2"};
  plan.placed.push_back(placed);
  plan.unplaced.push_back({"c2", UnplacedReason::kNoSecondAdult});
  plan.placeable_bound = 1;

  v1::PlanWeekendResponse answer = PlanAnswer(
      plan, {OpenPlan("c1", RiskLevel::kLow, placed.day), OpenPlan("c2", RiskLevel::kLow, placed.day)});
  ASSERT_EQ(answer.assignments_size(), 2);
  EXPECT_EQ(answer.assignments(0).visitor_id(), "v1");
  EXPECT_EQ(answer.assignments(1).visitor_id(), "v2");
  EXPECT_EQ(answer.assignments(1).child_id(), "child-c1");
  EXPECT_EQ(answer.assignments(1).visit_date(), "2026-12-19");
  EXPECT_EQ(answer.assignments(1).slot(), 2);
  ASSERT_EQ(answer.unplaced_size(), 1);
  EXPECT_EQ(answer.unplaced(0).child_id(), "child-c2");
  EXPECT_EQ(answer.unplaced(0).reason(), v1::UNPLACED_REASON_NO_SECOND_ADULT);
  EXPECT_EQ(answer.placeable_bound(), 1);
}

}  // namespace
}  // namespace shouhu::visits
