// The weekend planner on small hand-made counties: each test pins one rule of the plan (capacity,
// qualification, two adults, no double booking, urgency first, continuity, reasons, the bound).
#include "services/visits/weekend_planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "tests/support/status_matchers.h"

namespace shouhu::visits {
namespace {

using ::shouhu::testing::StatusIs;

const absl::CivilDay kSaturday(2026, 3, 7);
const absl::CivilDay kSunday(2026, 3, 8);
// Villages of Wuding county (532329): two in one township, one in another.
const char* const kVillageA = "532329101001";
const char* const kVillageB = "532329101002";
const char* const kVillageC = "532329102001";
const char* const kOtherCounty = "640105001002";

Visitor Person(const std::string& id, const char* village, int capacity,
               std::vector<absl::CivilDay> days = {kSaturday}) {
  return Visitor{id, "ngo-a", Place{village, std::nullopt}, std::move(days), capacity};
}

VisitRequest Visit(const std::string& id, const char* village, RiskLevel risk = RiskLevel::kMedium,
                   int overdue_days = 0, bool single_adult_allowed = false) {
  VisitRequest visit;
  visit.visit_id = id;
  visit.due.child_id = "child-" + id;
  visit.due.case_id = "case-" + id;
  visit.due.due_day = kSaturday;
  visit.due.risk = risk;
  visit.due.overdue_days = overdue_days;
  visit.household = Place{village, std::nullopt};
  visit.single_adult_allowed = single_adult_allowed;
  return visit;
}

PlanningInput Input(std::vector<Visitor> visitors, std::vector<VisitRequest> visits,
                    std::vector<absl::CivilDay> days = {kSaturday}) {
  PlanningInput input;
  input.visit_days = std::move(days);
  for (absl::CivilDay day : input.visit_days) {
    for (const Visitor& visitor : visitors) input.qualified[day].insert(visitor.visitor_id);
  }
  input.visitors = std::move(visitors);
  input.visits = std::move(visits);
  return input;
}

const PlannedVisit* Placed(const WeekendPlan& plan, const std::string& visit_id) {
  for (const PlannedVisit& placed : plan.placed) {
    if (placed.visit_id == visit_id) return &placed;
  }
  return nullptr;
}

std::optional<UnplacedReason> ReasonFor(const WeekendPlan& plan, const std::string& visit_id) {
  for (const UnplacedVisit& unplaced : plan.unplaced) {
    if (unplaced.visit_id == visit_id) return unplaced.reason;
  }
  return std::nullopt;
}

TEST(WeekendPlanner, Capacity_NoTeamTakesMoreHouseholdsThanItsSmallerMemberCan) {
  PlanningInput input = Input({Person("v1", kVillageA, 3), Person("v2", kVillageA, 2)},
                              {Visit("a", kVillageA), Visit("b", kVillageA), Visit("c", kVillageB),
                               Visit("d", kVillageB), Visit("e", kVillageC)});
  ASSERT_OK_AND_ASSIGN(WeekendPlan plan, PlanWeekend(input));
  ASSERT_EQ(plan.routes.size(), 1u);
  EXPECT_EQ(plan.routes[0].visit_ids.size(), 2u);
  EXPECT_EQ(plan.placed.size(), 2u);
  EXPECT_EQ(plan.unplaced.size(), 3u);
  for (const UnplacedVisit& unplaced : plan.unplaced) EXPECT_EQ(unplaced.reason, UnplacedReason::kCapacity);
  EXPECT_EQ(plan.placeable_bound, 2);
}

// Qualified on the first day of a run and not on the second (a background check lapsing on the Sunday):
// planned on the Saturday only. Judged on the run's first day alone, the pair went out on both.
TEST(WeekendPlanner, QualifiedOnlyOnTheFirstDay_NeverAssignedOnTheSecond) {
  PlanningInput input = Input({Person("v1", kVillageA, 1), Person("v2", kVillageA, 1)},
                              {Visit("a", kVillageA), Visit("b", kVillageA)}, {kSaturday, kSaturday + 1});
  input.qualified[kSaturday + 1].erase("v1");
  ASSERT_OK_AND_ASSIGN(WeekendPlan plan, PlanWeekend(input));
  ASSERT_EQ(plan.placed.size(), 1u);
  EXPECT_EQ(plan.placed[0].day, kSaturday);
  EXPECT_EQ(plan.unplaced.size(), 1u);
}

TEST(WeekendPlanner, Unqualified_NeverAssignedEvenWhenNearest) {
  PlanningInput input = Input({Person("near-1", kVillageA, 4), Person("near-2", kVillageA, 4),
                               Person("far-1", kVillageC, 4), Person("far-2", kVillageC, 4)},
                              {Visit("a", kVillageA), Visit("b", kVillageA)});
  for (auto& [day, qualified] : input.qualified) qualified.erase("near-1");
  ASSERT_OK_AND_ASSIGN(WeekendPlan plan, PlanWeekend(input));
  ASSERT_EQ(plan.placed.size(), 2u);
  for (const PlannedVisit& placed : plan.placed) {
    EXPECT_THAT(placed.visitor_ids, ::testing::Not(::testing::Contains("near-1")));
    EXPECT_EQ(placed.visitor_ids.size(), 2u);
  }
  // Nobody qualified at all: nothing placed, and the reason says so.
  input.qualified.clear();
  ASSERT_OK_AND_ASSIGN(WeekendPlan none, PlanWeekend(input));
  EXPECT_TRUE(none.placed.empty());
  EXPECT_EQ(ReasonFor(none, "a"), UnplacedReason::kNobodyQualifiedNearby);
  EXPECT_EQ(none.placeable_bound, 0);
}

TEST(WeekendPlanner, TwoAdultRule_HomeVisitGetsTwoPeopleUnlessPolicyAllowsOne) {
  // Three people: one pair and one left over.
  PlanningInput input =
      Input({Person("v1", kVillageA, 1), Person("v2", kVillageA, 1), Person("v3", kVillageA, 1)},
            {Visit("pair", kVillageA), Visit("alone-ok", kVillageA, RiskLevel::kMedium, 0, true)});
  ASSERT_OK_AND_ASSIGN(WeekendPlan plan, PlanWeekend(input));
  const PlannedVisit* pair = Placed(plan, "pair");
  ASSERT_NE(pair, nullptr);
  ASSERT_EQ(pair->visitor_ids.size(), 2u);
  EXPECT_NE(pair->visitor_ids[0], pair->visitor_ids[1]);
  const PlannedVisit* alone = Placed(plan, "alone-ok");
  ASSERT_NE(alone, nullptr);
  EXPECT_EQ(alone->visitor_ids.size(), 1u);

  // One person alone may not make a visit that needs two, and the reason is the missing second adult.
  PlanningInput lonely =
      Input({Person("v1", kVillageA, 4)},
            {Visit("pair", kVillageA), Visit("alone-ok", kVillageA, RiskLevel::kLow, 0, true)});
  ASSERT_OK_AND_ASSIGN(WeekendPlan lonely_plan, PlanWeekend(lonely));
  EXPECT_EQ(Placed(lonely_plan, "pair"), nullptr);
  EXPECT_EQ(ReasonFor(lonely_plan, "pair"), UnplacedReason::kNoSecondAdult);
  EXPECT_NE(Placed(lonely_plan, "alone-ok"), nullptr);
  EXPECT_EQ(lonely_plan.placeable_bound, 1);
}

TEST(WeekendPlanner, PairWithOnlySingleAdultVisits_IsSplitToPlaceMore) {
  // Two people, one household a day each, two visits whose organisation allows one adult: as a pair they
  // could make one visit; split, each makes one.
  PlanningInput input = Input({Person("v1", kVillageA, 1), Person("v2", kVillageA, 1)},
                              {Visit("a", kVillageA, RiskLevel::kMedium, 0, true),
                               Visit("b", kVillageB, RiskLevel::kMedium, 0, true)});
  ASSERT_OK_AND_ASSIGN(WeekendPlan plan, PlanWeekend(input));
  ASSERT_EQ(plan.placed.size(), 2u);
  std::set<std::string> people;
  for (const PlannedVisit& placed : plan.placed) {
    ASSERT_EQ(placed.visitor_ids.size(), 1u);
    people.insert(placed.visitor_ids[0]);
  }
  EXPECT_EQ(people.size(), 2u);
  // One visit that needs two keeps them together, and the other then has nobody left.
  input.visits[0].single_adult_allowed = false;
  ASSERT_OK_AND_ASSIGN(WeekendPlan together, PlanWeekend(input));
  ASSERT_EQ(together.placed.size(), 1u);
  EXPECT_EQ(together.placed[0].visitor_ids.size(), 2u);
}

TEST(WeekendPlanner, NoVisitorTwiceAtTheSameSlot_AndNoneInTwoTeamsADay) {
  std::vector<Visitor> visitors;
  const char* villages[] = {kVillageA, kVillageB, kVillageC};
  for (int i = 0; i < 9; ++i)
    visitors.push_back(Person("v" + std::to_string(i), villages[i % 3], 1 + i % 4, {kSaturday, kSunday}));
  std::vector<VisitRequest> visits;
  for (int i = 0; i < 40; ++i) {
    visits.push_back(
        Visit("x" + std::to_string(i), villages[i % 3], static_cast<RiskLevel>(i % 4), i % 5, i % 7 == 0));
  }
  PlanningInput input = Input(std::move(visitors), std::move(visits), {kSaturday, kSunday});
  ASSERT_OK_AND_ASSIGN(WeekendPlan plan, PlanWeekend(input));
  ASSERT_FALSE(plan.placed.empty());
  std::set<std::tuple<std::string, absl::CivilDay, int>> booked;
  for (const PlannedVisit& placed : plan.placed) {
    for (const std::string& visitor : placed.visitor_ids) {
      EXPECT_TRUE(booked.emplace(visitor, placed.day, placed.slot).second) << visitor << " twice at one slot";
    }
  }
  std::set<std::pair<std::string, absl::CivilDay>> out;
  for (const TeamRoute& route : plan.routes) {
    for (const std::string& visitor : route.visitor_ids) {
      EXPECT_TRUE(out.emplace(visitor, route.day).second) << visitor << " in two teams on one day";
    }
  }
  EXPECT_LE(static_cast<int>(plan.placed.size()), plan.placeable_bound);
  EXPECT_EQ(plan.placed.size() + plan.unplaced.size(), 40u);
}

TEST(WeekendPlanner, ShortCapacity_MostUrgentPlacedFirst) {
  // One pair, one household a day: the extreme-risk child in the next township wins over a low-risk one
  // next door, and of two equal risks the more overdue wins.
  PlanningInput by_risk = Input({Person("v1", kVillageA, 1), Person("v2", kVillageA, 1)},
                                {Visit("low-next-door", kVillageA, RiskLevel::kLow),
                                 Visit("extreme-farther", kVillageC, RiskLevel::kExtreme)});
  ASSERT_OK_AND_ASSIGN(WeekendPlan risk_plan, PlanWeekend(by_risk));
  EXPECT_NE(Placed(risk_plan, "extreme-farther"), nullptr);
  EXPECT_EQ(ReasonFor(risk_plan, "low-next-door"), UnplacedReason::kCapacity);

  PlanningInput by_overdue = Input(
      {Person("v1", kVillageA, 1), Person("v2", kVillageA, 1)},
      {Visit("due", kVillageA, RiskLevel::kHigh, 0), Visit("overdue", kVillageB, RiskLevel::kHigh, 10)});
  ASSERT_OK_AND_ASSIGN(WeekendPlan overdue_plan, PlanWeekend(by_overdue));
  EXPECT_NE(Placed(overdue_plan, "overdue"), nullptr);
  EXPECT_EQ(Placed(overdue_plan, "due"), nullptr);
}

TEST(WeekendPlanner, EqualTravel_TheChildsLastVisitorIsPreferred) {
  // Four people in one village, two teams of one household each; two children in that village, each with
  // a different last visitor. Travel is equal everywhere, so only continuity decides.
  PlanningInput input = Input({Person("v1", kVillageA, 1), Person("v2", kVillageA, 1),
                               Person("v3", kVillageA, 1), Person("v4", kVillageA, 1)},
                              {Visit("a", kVillageA), Visit("b", kVillageA)});
  ASSERT_OK_AND_ASSIGN(WeekendPlan first, PlanWeekend(input));
  ASSERT_EQ(first.routes.size(), 2u);
  // Whoever the matching paired, give each child a last visitor from a different team.
  input.visits[0].last_visitor_id = first.routes[0].visitor_ids[0];
  input.visits[1].last_visitor_id = first.routes[1].visitor_ids[0];
  for (int swap = 0; swap < 2; ++swap) {
    if (swap == 1) std::swap(input.visits[0].last_visitor_id, input.visits[1].last_visitor_id);
    ASSERT_OK_AND_ASSIGN(WeekendPlan plan, PlanWeekend(input));
    EXPECT_EQ(plan.continuity_kept, 2);
    for (const VisitRequest& visit : input.visits) {
      const PlannedVisit* placed = Placed(plan, visit.visit_id);
      ASSERT_NE(placed, nullptr);
      EXPECT_THAT(placed->visitor_ids, ::testing::Contains(visit.last_visitor_id));
      EXPECT_TRUE(placed->continuity_kept);
    }
  }
}

TEST(WeekendPlanner, Unplaceable_EachVisitSaysWhy) {
  PlanningInput input =
      Input({Person("v1", kVillageA, 1), Person("v2", kVillageA, 1), Person("solo", kVillageC, 1)},
            {Visit("taken", kVillageA, RiskLevel::kExtreme), Visit("full", kVillageA),
             Visit("elsewhere", kOtherCounty), Visit("needs-two", kVillageC)});
  // Only solo lives within 10 km of village C; the pair's homes are in another township.
  input.weights.max_travel_m = 10'000;
  ASSERT_OK_AND_ASSIGN(WeekendPlan plan, PlanWeekend(input));
  EXPECT_NE(Placed(plan, "taken"), nullptr);
  EXPECT_EQ(ReasonFor(plan, "full"), UnplacedReason::kCapacity);
  EXPECT_EQ(ReasonFor(plan, "elsewhere"), UnplacedReason::kNobodyQualifiedNearby);
  EXPECT_EQ(ReasonFor(plan, "needs-two"), UnplacedReason::kNoSecondAdult);

  // A weekend whose days are all worked has nothing to plan on.
  input.visit_days.clear();
  ASSERT_OK_AND_ASSIGN(WeekendPlan no_days, PlanWeekend(input));
  EXPECT_TRUE(no_days.placed.empty());
  EXPECT_EQ(ReasonFor(no_days, "taken"), UnplacedReason::kNoVisitDay);
}

// Distances are computed once per pair of distinct places (most households share their village's); a place
// with recorded coordinates is a place of its own, even in a village where others have none or other ones.
TEST(WeekendPlanner, RecordedCoordinates_ToldApartWithinOneVillage) {
  Visitor solo = Person("solo", kVillageA, 3);
  solo.home.point = GeoPoint{25.530, 102.400};
  VisitRequest near = Visit("near", kVillageA, RiskLevel::kMedium, 0, true);
  near.household.point = GeoPoint{25.539, 102.400};  // about 1 km north
  VisitRequest far = Visit("far", kVillageA, RiskLevel::kExtreme, 0, true);
  far.household.point = GeoPoint{25.890, 102.400};  // about 40 km north, recorded in the same village
  VisitRequest unknown = Visit("unknown", kVillageA, RiskLevel::kMedium, 0, true);  // the village's 1.5 km
  PlanningInput input = Input({solo}, {near, far, unknown});
  input.weights.max_travel_m = 10'000;
  ASSERT_OK_AND_ASSIGN(WeekendPlan plan, PlanWeekend(input));
  ASSERT_NE(Placed(plan, "near"), nullptr);
  EXPECT_NEAR(static_cast<double>(Placed(plan, "near")->leg_m), 1'000, 50);
  EXPECT_NE(Placed(plan, "unknown"), nullptr);
  EXPECT_EQ(ReasonFor(plan, "far"), UnplacedReason::kNobodyQualifiedNearby);
}

TEST(WeekendPlanner, Route_StartsNearestToTheTeamsBase) {
  PlanningInput input = Input({Person("v1", kVillageA, 3), Person("v2", kVillageA, 3)},
                              {Visit("other-township", kVillageC), Visit("home-village", kVillageA),
                               Visit("same-township", kVillageB)});
  ASSERT_OK_AND_ASSIGN(WeekendPlan plan, PlanWeekend(input));
  ASSERT_EQ(plan.routes.size(), 1u);
  EXPECT_EQ(plan.routes[0].visit_ids,
            (std::vector<std::string>{"home-village", "same-township", "other-township"}));
  EXPECT_EQ(Placed(plan, "home-village")->slot, 0);
  EXPECT_EQ(Placed(plan, "other-township")->slot, 2);
  const HierarchyDistances h;
  EXPECT_EQ(plan.total_travel_m, h.same_village_m + h.same_township_m + h.same_county_m);
}

TEST(WeekendPlanner, BadInput_NamesTheField) {
  PlanningInput twice = Input({Person("v1", kVillageA, 1)}, {Visit("a", kVillageA), Visit("a", kVillageB)});
  auto visits = PlanWeekend(twice);
  EXPECT_THAT(visits, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(visits.status()), "visits.visit_id");
  PlanningInput people = Input({Person("v1", kVillageA, 1), Person("v1", kVillageB, 1)}, {});
  EXPECT_EQ(FieldOf(PlanWeekend(people).status()), "visitors.visitor_id");
  PlanningInput negative = Input({Person("v1", kVillageA, -1)}, {});
  EXPECT_EQ(FieldOf(PlanWeekend(negative).status()), "visitors.daily_capacity");
  PlanningInput reach = Input({}, {});
  reach.weights.max_travel_m = 0;
  EXPECT_EQ(FieldOf(PlanWeekend(reach).status()), "weights.max_travel_m");
}

}  // namespace
}  // namespace shouhu::visits
