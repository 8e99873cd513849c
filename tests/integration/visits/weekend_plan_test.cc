// Weekend planning end to end: the due visits the registry's cases produced, the visitors registered here,
// a qualification check a visit day against (a fake) training, the LEMON planner, and the assignments stored
// under a key that makes double booking impossible — also when two plans race.
#include <thread>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/clock.h"
#include "services/visits/assignment_release.h"
#include "tests/integration/visits/visits_fixture.h"
#include "tests/support/case_requests.h"

namespace shouhu::visits::testing {
namespace {

using ::shouhu::testing::StatusIs;

class WeekendPlanTest : public VisitsTest {
 protected:
  // The first Saturday by which every case accepted today is due (verification within 14 days at most).
  // The registry stamps its events with real time, so this follows today; a year without an official
  // calendar file gets the fixture's weekends-only stand-in (TestCalendarsDir).
  static absl::CivilDay DueWeekend() {
    absl::CivilDay day = ShanghaiDay(absl::Now()) + 15;
    while (absl::GetWeekday(day) != absl::Weekday::saturday) ++day;
    return day;
  }

  absl::StatusOr<v1::PlanWeekendResponse> Plan(const Principal& as, const std::string& request_id,
                                               absl::CivilDay saturday) {
    v1::PlanWeekendRequest request;
    request.set_request_id(request_id);
    request.set_weekend_date(absl::FormatCivilTime(saturday));
    v1::PlanWeekendResponse response;
    auto context = principals_.Context(as);
    grpc::Status status = visits_stub_->PlanWeekend(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  absl::StatusOr<std::vector<v1::Assignment>> Assignments(const Principal& as, const std::string& visitor_id,
                                                          absl::CivilDay saturday) {
    v1::ListVisitorAssignmentsRequest request;
    request.set_visitor_id(visitor_id);
    request.set_weekend_date(absl::FormatCivilTime(saturday));
    v1::ListVisitorAssignmentsResponse response;
    auto context = principals_.Context(as);
    grpc::Status status = visits_stub_->ListVisitorAssignments(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return std::vector<v1::Assignment>(response.assignments().begin(), response.assignments().end());
  }

  // A registered visitor, qualified for home visits or not.
  v1::Visitor Visitor(const std::string& tag, bool qualified) {
    auto registered = Register(wuding_ngo_admin_, Registration("reg-" + tag));
    EXPECT_TRUE(registered.ok()) << registered.status();
    if (!registered.ok()) return {};
    training_->SetQualified(registered->participant_id(), qualified);
    return *registered;
  }

  // The one case plan the registry's events made, as a plan reads it: its id in `case_id`, its last folded
  // event in the map returned.
  CasesSeen OnlyCaseSeen(std::string& case_id) {
    CasesSeen seen;
    EXPECT_OK(visits_database_->pool().Autocommit([&](db::Session& session) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<db::Row> row,
                       session.QueryOne("SELECT case_id, last_event_sequence FROM case_plans"));
      if (row) {
        case_id = row->String(0);
        seen[case_id] = row->Int(1);
      }
      return absl::OkStatus();
    }));
    return seen;
  }

  // A plan of one visit: the case's household, by `visitor`, on `day`, in the first slot.
  static v1::PlanWeekendResponse OneVisit(const std::string& case_id, const v1::Visitor& visitor,
                                          absl::CivilDay day) {
    v1::PlanWeekendResponse answer;
    v1::Assignment* assignment = answer.add_assignments();
    assignment->set_case_id(case_id);
    assignment->set_child_id("child");
    assignment->set_visitor_id(visitor.visitor_id());
    assignment->set_visit_date(absl::FormatCivilTime(day));
    assignment->set_slot(0);
    return answer;
  }

  // The due weekend's plan of one visit, `visitor` at the case's household on `day`, stored straight through
  // the store as a plan that read `releases` and `cases` before judging would store it.
  absl::StatusOr<v1::PlanWeekendResponse> StoreOneVisit(const std::string& request_id,
                                                        const VisitorReleases& releases,
                                                        const CasesSeen& cases, const std::string& case_id,
                                                        const v1::Visitor& visitor, absl::CivilDay day) {
    const IdempotencyKey key{"shouhu.visits.v1.VisitsService/PlanWeekend", "planner", request_id, request_id};
    return visits_->store().StoreWeekendPlan(key, Actor{"planner", "", absl::Now()}, DueWeekend(),
                                             DueWeekend() + 1, releases, cases,
                                             OneVisit(case_id, visitor, day));
  }

  // Rows whose visitor, day and slot another row also holds: a double booking.
  int64_t DoubleBookings() {
    int64_t doubles = -1;
    EXPECT_OK(visits_database_->pool().Autocommit([&](db::Session& session) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<db::Row> row,
                       session.QueryOne("SELECT COUNT(*) - COUNT(DISTINCT visitor_id, visit_day, slot)"
                                        " FROM visit_assignments"));
      doubles = row ? row->Int(0) : -1;
      return absl::OkStatus();
    }));
    return doubles;
  }
};

TEST_F(WeekendPlanTest, PlanWeekend_DueCasesAndQualifiedPair_PlacesEachWithTwoAdultsNeverTheUnqualified) {
  const rv1::Case a = RegisterChild("1", "李娜");
  const rv1::Case b = RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  const rv1::Case c = RegisterChild("3", "王芳");
  AwaitRegistryEvents();
  const v1::Visitor first = Visitor("a", true);
  const v1::Visitor second = Visitor("b", true);
  const v1::Visitor unqualified = Visitor("c", false);
  const absl::CivilDay saturday = DueWeekend();

  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse plan, Plan(wuding_officer_, "plan-1", saturday));
  // One batch for every visitor, for each visit day of the weekend (a qualification can lapse within a run).
  EXPECT_EQ(training_->calls(),
            (std::vector<std::string>{
                absl::StrCat("BatchCheckQualification 3 ", absl::FormatCivilTime(saturday)),
                absl::StrCat("BatchCheckQualification 3 ", absl::FormatCivilTime(saturday + 1))}));
  EXPECT_EQ(plan.unplaced_size(), 0);
  ASSERT_EQ(plan.assignments_size(), 6);  // three households, two adults each
  absl::flat_hash_set<std::string> cases;
  for (const v1::Assignment& assignment : plan.assignments()) {
    EXPECT_NE(assignment.visitor_id(), unqualified.visitor_id());
    EXPECT_FALSE(assignment.assignment_id().empty());
    cases.insert(assignment.case_id());
  }
  EXPECT_EQ(cases, (absl::flat_hash_set<std::string>{a.case_id(), b.case_id(), c.case_id()}));

  ASSERT_OK_AND_ASSIGN(std::vector<v1::Assignment> weekend,
                       Assignments(wuding_caseworker_, first.visitor_id(), saturday));
  ASSERT_EQ(weekend.size(), 3u);
  for (size_t i = 0; i < weekend.size(); ++i) {
    EXPECT_EQ(weekend[i].visit_date(), absl::FormatCivilTime(saturday));
    EXPECT_EQ(weekend[i].slot(), static_cast<int>(i));
  }
  ASSERT_OK_AND_ASSIGN(weekend, Assignments(wuding_officer_, second.visitor_id(), saturday));
  EXPECT_EQ(weekend.size(), 3u);
  ASSERT_OK_AND_ASSIGN(weekend, Assignments(wuding_officer_, unqualified.visitor_id(), saturday));
  EXPECT_TRUE(weekend.empty());
  EXPECT_THAT(Assignments(xixia_officer_, first.visitor_id(), saturday),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(WeekendPlanTest, CaseMovedCounty_PlanMovesWithTheCaseAndTheOldCountysVisitorsAreReleased) {
  const rv1::Case moving = RegisterChild("1", "李娜");
  const rv1::Case staying = RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  AwaitRegistryEvents();
  const v1::Visitor first = Visitor("a", true);
  const v1::Visitor second = Visitor("b", true);
  const absl::CivilDay saturday = DueWeekend();
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse plan, Plan(wuding_officer_, "plan-1", saturday));
  ASSERT_EQ(plan.assignments_size(), 4);

  rv1::RequestCountyTransferRequest move;
  move.set_request_id("move-1");
  move.set_case_id(moving.case_id());
  move.set_to_village_code(registry::testing::kXixiaVillage);
  move.set_reason("随务工父母迁居银川");
  ASSERT_OK_AND_ASSIGN(auto requested, Cooperate(&rv1::CaseCooperationService::Stub::RequestCountyTransfer,
                                                 wuding_caseworker_, move));
  rv1::AcceptCountyTransferRequest accept;
  accept.set_request_id("accept-1");
  accept.set_transfer_id(requested.transfer().transfer_id());
  ASSERT_OK(Cooperate(&rv1::CaseCooperationService::Stub::AcceptCountyTransfer, xixia_officer_, accept));
  AwaitRegistryEvents();

  // The plan lives in the new county, still open; the old county no longer sees it.
  ASSERT_OK_AND_ASSIGN(v1::VisitPlan moved, ChildPlan(xixia_officer_, moving.child_id()));
  EXPECT_EQ(moved.village_code(), registry::testing::kXixiaVillage);
  EXPECT_EQ(moved.organisation_id(), "xixia-civil-affairs");
  EXPECT_TRUE(moved.open());
  EXPECT_THAT(ChildPlan(wuding_officer_, moving.child_id()), StatusIs(absl::StatusCode::kNotFound));
  // Wuding's visitors keep only the child who stayed.
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Assignment> weekend,
                       Assignments(wuding_officer_, first.visitor_id(), saturday));
  ASSERT_EQ(weekend.size(), 1u);
  EXPECT_EQ(weekend[0].case_id(), staying.case_id());
  ASSERT_OK_AND_ASSIGN(weekend, Assignments(wuding_officer_, second.visitor_id(), saturday));
  ASSERT_EQ(weekend.size(), 1u);
  EXPECT_EQ(visits_database_->Count("released_assignments"), 2);
}

// A child who moved home inside the county (the registry's MoveHousehold): to another village, the case's
// future visits to the old one are released and the case is planned again from the new one; a new address in
// the same village keeps its visitors, who are sent to the address the registry has.
TEST_F(WeekendPlanTest, HouseholdMoved_AnotherVillageIsPlannedAgain_ANewAddressKeepsItsVisitors) {
  const rv1::Case moving = RegisterChild("1", "李娜");
  const rv1::Case readdressed = RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  AwaitRegistryEvents();
  const v1::Visitor first = Visitor("a", true);
  const v1::Visitor second = Visitor("b", true);
  const absl::CivilDay saturday = DueWeekend();
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse plan, Plan(wuding_officer_, "plan-1", saturday));
  ASSERT_EQ(plan.assignments_size(), 4);

  const auto move = [&](const std::string& request_id, const rv1::Case& c, const std::string& village) {
    rv1::MoveHouseholdRequest r;
    r.set_request_id(request_id);
    r.set_case_id(c.case_id());
    r.mutable_household()->set_village_code(village);
    r.mutable_household()->set_address_detail("新家5组8号");
    r.set_reason("随祖母搬家");
    return Call(&rv1::RegistryService::Stub::MoveHousehold, wuding_caseworker_, r).status();
  };
  ASSERT_OK(move("move-1", moving, registry::testing::kWudingOtherTownshipVillage));
  ASSERT_OK(move("move-2", readdressed, registry::testing::kWudingVillage2));
  AwaitRegistryEvents();

  ASSERT_OK_AND_ASSIGN(v1::VisitPlan moved, ChildPlan(wuding_officer_, moving.child_id()));
  EXPECT_EQ(moved.village_code(), registry::testing::kWudingOtherTownshipVillage);
  EXPECT_EQ(moved.organisation_id(), moving.organisation_id());
  EXPECT_TRUE(moved.open());
  for (const v1::Visitor& v : {first, second}) {
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Assignment> weekend,
                         Assignments(wuding_officer_, v.visitor_id(), saturday));
    ASSERT_EQ(weekend.size(), 1u);
    EXPECT_EQ(weekend[0].case_id(), readdressed.case_id());
  }
  EXPECT_EQ(visits_database_->Count("released_assignments"), 2);
  // Planned again, the moved child is placed from the new village (or listed as not placed): not forgotten.
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse again, Plan(wuding_officer_, "plan-2", saturday));
  int considered = 0;
  for (const auto& a : again.assignments()) considered += a.case_id() == moving.case_id();
  for (const auto& u : again.unplaced()) considered += u.case_id() == moving.case_id();
  EXPECT_GT(considered, 0);
}

TEST_F(WeekendPlanTest, PlanWeekend_OnlyOneQualifiedVisitor_ReportsNoSecondAdult) {
  const rv1::Case a = RegisterChild("1", "李娜");
  AwaitRegistryEvents();
  Visitor("a", true);
  Visitor("b", false);

  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse plan, Plan(wuding_officer_, "plan-1", DueWeekend()));
  EXPECT_EQ(plan.assignments_size(), 0);
  ASSERT_EQ(plan.unplaced_size(), 1);
  EXPECT_EQ(plan.unplaced(0).case_id(), a.case_id());
  EXPECT_EQ(plan.unplaced(0).child_id(), a.child_id());
  EXPECT_EQ(plan.unplaced(0).reason(), v1::UNPLACED_REASON_NO_SECOND_ADULT);
}

TEST_F(WeekendPlanTest, PlanWeekend_RetriedWithSameRequestId_ReturnsFirstAnswerAndStoresOnce) {
  RegisterChild("1", "李娜");
  AwaitRegistryEvents();
  Visitor("a", true);
  Visitor("b", true);
  const absl::CivilDay saturday = DueWeekend();
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse first, Plan(wuding_officer_, "plan-1", saturday));
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse again, Plan(wuding_officer_, "plan-1", saturday));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 2);
}

TEST_F(WeekendPlanTest, PlanWeekend_TwoPlansRaced_NeverBooksAVisitorTwiceForASlot) {
  RegisterChild("1", "李娜");
  RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  AwaitRegistryEvents();
  Visitor("a", true);
  Visitor("b", true);
  const absl::CivilDay saturday = DueWeekend();

  absl::StatusOr<v1::PlanWeekendResponse> results[2];
  std::thread racer([&] { results[1] = Plan(wuding_ngo_admin_, "plan-admin", saturday); });
  results[0] = Plan(wuding_officer_, "plan-officer", saturday);
  racer.join();

  // Planned at once, the later plan meets the first's bookings and is refused ABORTED; planned one after
  // the other, the later one keeps the first's assignments and places nothing. Either way each visit is
  // placed once and no visitor twice.
  int succeeded = 0, placed = 0;
  for (const auto& result : results) {
    if (result.ok()) {
      ++succeeded;
      placed += result->assignments_size();
    } else {
      EXPECT_THAT(result, StatusIs(absl::StatusCode::kAborted));
    }
  }
  EXPECT_GE(succeeded, 1);
  EXPECT_EQ(placed, 4);
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 4);
  EXPECT_EQ(DoubleBookings(), 0);
}

// Two plans made at once with different visitors (an officer's and an NGO's, say) could each place the same
// household: no visitor's slot is shared, so only the lock on the household's plan row and the check after
// it keep the household to one visit a weekend. Stored straight through the store, each round a new weekend.
TEST_F(WeekendPlanTest, StoreWeekendPlan_TwoPlansWithOtherVisitorsRaced_PlaceAHouseholdOnce) {
  RegisterChild("1", "李娜");
  AwaitRegistryEvents();
  const v1::Visitor a = Visitor("a", true);
  const v1::Visitor b = Visitor("b", true);
  std::string case_id;
  const CasesSeen cases_seen = OnlyCaseSeen(case_id);
  ASSERT_FALSE(case_id.empty());
  const VisitorReleases never_released = {{a.visitor_id(), {}}, {b.visitor_id(), {}}};
  for (int round = 0; round < 12; ++round) {
    const absl::CivilDay saturday = DueWeekend() + 7 * round;
    absl::StatusOr<v1::PlanWeekendResponse> results[2];
    const auto store = [&](int i, const v1::Visitor& visitor, absl::CivilDay day) {
      const IdempotencyKey key{"shouhu.visits.v1.VisitsService/PlanWeekend", "planner",
                               absl::StrCat("round-", round, "-", i), absl::StrCat(round, i)};
      results[i] =
          visits_->store().StoreWeekendPlan(key, Actor{"planner", "", absl::Now()}, saturday, saturday + 1,
                                            never_released, cases_seen, OneVisit(case_id, visitor, day));
    };
    std::thread racer([&] { store(1, b, saturday + 1); });  // the other plan puts it on the Sunday
    store(0, a, saturday);
    racer.join();
    int stored = 0;
    for (const auto& result : results) {
      if (result.ok()) {
        ++stored;
      } else {
        EXPECT_THAT(result, StatusIs(absl::StatusCode::kAborted));
      }
    }
    EXPECT_EQ(stored, 1) << "round " << round;
  }
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 12);
}

// A plan judges its visitors (their concerns, their qualification in training) before it stores its visits.
// A visitor taken off their visits in between (a concern raised, a certificate lapsed: the release finds none
// of this plan's visits yet) must not be sent: the store sees their count of releases moved since the plan
// read it, and refuses the whole plan. Without that check the visit below is stored.
TEST_F(WeekendPlanTest,
       StoreWeekendPlan_VisitorTakenOffVisitsAfterThePlanJudgedThem_RefusedAndNothingStored) {
  RegisterChild("1", "李娜");
  AwaitRegistryEvents();
  const v1::Visitor a = Visitor("a", true);
  std::string case_id;
  const CasesSeen cases_seen = OnlyCaseSeen(case_id);
  ASSERT_FALSE(case_id.empty());
  const auto store = [&](const std::string& request_id, const VisitorReleases& seen) {
    return StoreOneVisit(request_id, seen, cases_seen, case_id, a, DueWeekend());
  };

  ASSERT_OK_AND_ASSIGN(VisitorReleases judged, visits_->store().ReleasesIn(a.home_village_code(), ""));
  ASSERT_EQ(judged.count(a.visitor_id()), 1u);
  // Taken off visits after the plan read the counts: nothing of this plan is there to release yet.
  ASSERT_OK(visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(int released, ReleaseFutureAssignments(tx, a.participant_id(), ShanghaiDay(absl::Now()),
                                                            "test", absl::Now()));
    EXPECT_EQ(released, 0);
    return absl::OkStatus();
  }));
  EXPECT_THAT(store("judged-before", judged), StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 0);

  // A plan that read the counts after the release is stored (here the visitor is still registered and the
  // test plays the planner; the service would have judged them again and left them out).
  ASSERT_OK_AND_ASSIGN(VisitorReleases after, visits_->store().ReleasesIn(a.home_village_code(), ""));
  EXPECT_EQ(after.at(a.visitor_id()).from_today, judged.at(a.visitor_id()).from_today + 1);
  EXPECT_OK(store("judged-after", after).status());
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 1);
}

// A release from a later day only (a background check cleared until the Saturday: its Sunday visits are
// taken back when it is recorded) refuses a plan that judged the visitor before it only where the plan has
// them visit from that day: training answered for each of the plan's days, the Saturday among them. Without
// the later-day count the Sunday visit below is stored; without its day every plan of the county made while
// a volunteer's check is recorded (cleared for years) would be refused.
TEST_F(WeekendPlanTest,
       StoreWeekendPlan_VisitorReleasedFromTheSundayAfterThePlanJudgedThem_OnlySundayRefused) {
  RegisterChild("1", "李娜");
  AwaitRegistryEvents();
  const v1::Visitor a = Visitor("a", true);
  std::string case_id;
  const CasesSeen cases_seen = OnlyCaseSeen(case_id);
  ASSERT_FALSE(case_id.empty());
  const absl::CivilDay saturday = DueWeekend();
  const auto store = [&](const std::string& request_id, const VisitorReleases& seen, absl::CivilDay day) {
    return StoreOneVisit(request_id, seen, cases_seen, case_id, a, day);
  };
  const auto release_from = [&](absl::CivilDay day) {
    return visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
      return ReleaseFutureAssignments(tx, a.participant_id(), day, "test", absl::Now()).status();
    });
  };

  ASSERT_OK_AND_ASSIGN(VisitorReleases judged, visits_->store().ReleasesIn(a.home_village_code(), ""));
  ASSERT_OK(release_from(saturday + 1));
  EXPECT_THAT(store("sunday", judged, saturday + 1), StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 0);
  ASSERT_OK_AND_ASSIGN(VisitorReleases after, visits_->store().ReleasesIn(a.home_village_code(), ""));
  EXPECT_EQ(after.at(a.visitor_id()).from_today, judged.at(a.visitor_id()).from_today);
  EXPECT_EQ(after.at(a.visitor_id()).later, judged.at(a.visitor_id()).later + 1);

  // Released from a day after the plan's: the Saturday stands.
  EXPECT_OK(store("saturday", judged, saturday).status());
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 1);
}

// A plan reads its households' cases before it judges them; the registry's follower may fold a close, a
// transfer or a county move in between, releasing the case's visits (none of this plan's yet). The store
// sees the case's last folded event moved and refuses the whole plan: without that check the closed
// child's visit below is stored and a visitor is sent to a case nobody holds any more.
TEST_F(WeekendPlanTest, StoreWeekendPlan_CaseClosedAfterThePlanReadIt_RefusedAndNothingStored) {
  const rv1::Case c = RegisterChild("1", "李娜");
  AwaitRegistryEvents();
  const v1::Visitor a = Visitor("a", true);
  const absl::CivilDay saturday = DueWeekend();
  ASSERT_OK_AND_ASSIGN(std::vector<CasePlan> due, visits_->store().ListDueBy("532329", "", saturday + 1));
  ASSERT_EQ(due.size(), 1u);
  const CasesSeen read_before = {{due[0].standing.case_id, due[0].last_event_sequence}};
  const VisitorReleases never_released = {{a.visitor_id(), {}}};
  v1::PlanWeekendResponse plan;
  v1::Assignment* assignment = plan.add_assignments();
  assignment->set_case_id(c.case_id());
  assignment->set_child_id(c.child_id());
  assignment->set_visitor_id(a.visitor_id());
  assignment->set_visit_date(absl::FormatCivilTime(saturday));
  assignment->set_slot(0);

  auto close = shouhu::testing::WithCase<rv1::CloseCaseRequest>("close-1", c.case_id());
  close.set_reason("父母返乡，监护恢复");
  ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  AwaitRegistryEvents();

  const IdempotencyKey key{"shouhu.visits.v1.VisitsService/PlanWeekend", "planner", "plan-1", "plan-1"};
  EXPECT_THAT(visits_->store().StoreWeekendPlan(key, Actor{"planner", "", absl::Now()}, saturday,
                                                saturday + 1, never_released, read_before, plan),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 0);
  // Planned again, the closed case is not due: nothing to place.
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse again, Plan(wuding_officer_, "plan-2", saturday));
  EXPECT_EQ(again.assignments_size(), 0);
}

// What a re-plan of a county's weekend keeps: the weekend's visits to the county's households and those of
// its visitors, wherever the household is; one row for a visit that is both; none of another county's visits
// or of another weekend. Read from the county's cases and visitors (not the province's visits of the
// weekend): a query that reads only one side of the union, or UNION ALL, fails here.
TEST_F(WeekendPlanTest, ListAssignmentsIn_HouseholdsOrVisitorsOfTheCounty_ThatWeekendsVisitsOnce) {
  const absl::CivilDay saturday = DueWeekend();
  const std::string here = "532329101001", elsewhere = "530102001001";  // Wuding; Kunming's Wuhua
  const auto id = [](char tag) { return std::string(25, '0') + tag; };
  ASSERT_OK(visits_database_->pool().Autocommit([&](db::Session& session) -> absl::Status {
    for (const auto& [case_id, village] :
         {std::pair{"case-here", here}, std::pair{"case-elsewhere", elsewhere}}) {
      RETURN_IF_ERROR(
          session
              .Execute("INSERT INTO case_plans (case_id, child_id, village_code, organisation_id, risk,"
                       " is_open, opened_on, last_event_sequence, updated_at)"
                       " VALUES (?, ?, ?, 'ngo', 1, 1, '2026-01-01', 1, NOW(6))",
                       {case_id, absl::StrCat("child-of-", case_id), village})
              .status());
    }
    for (const auto& [visitor, village] : {std::pair{id('H'), here}, std::pair{id('E'), elsewhere}}) {
      RETURN_IF_ERROR(
          session
              .Execute("INSERT INTO visitors (id, participant_id, organisation_id, home_village_code,"
                       " available_saturday, available_sunday, daily_capacity, created_by, created_at)"
                       " VALUES (?, ?, 'ngo', ?, 1, 1, 4, 'test', NOW(6))",
                       {visitor, absl::StrCat("participant-", visitor), village})
              .status());
    }
    // Visit id, case, visitor, day, slot.
    const std::vector<std::tuple<char, std::string, std::string, absl::CivilDay, int>> visits = {
        {'1', "case-here", id('E'), saturday, 0},           // the household is here
        {'2', "case-elsewhere", id('H'), saturday, 0},      // the visitor is
        {'3', "case-here", id('H'), saturday + 1, 0},       // both
        {'4', "case-elsewhere", id('E'), saturday + 1, 1},  // neither
        {'5', "case-here", id('H'), saturday + 7, 0},       // the next weekend
    };
    for (const auto& [visit, case_id, visitor, day, slot] : visits) {
      RETURN_IF_ERROR(
          session
              .Execute("INSERT INTO visit_assignments (id, case_id, child_id, visitor_id, visit_day,"
                       " slot, planned_by, created_at) VALUES (?, ?, 'child', ?, ?, ?, 'test', NOW(6))",
                       {id(visit), case_id, visitor, absl::FormatCivilTime(day), slot})
              .status());
    }
    return absl::OkStatus();
  }));

  // The ids a re-plan of the division keeps, in the order it reads them: by day, visitor and slot.
  const auto kept_in = [&](const std::string& prefix) -> absl::StatusOr<std::vector<std::string>> {
    ASSIGN_OR_RETURN(std::vector<v1::Assignment> kept,
                     visits_->store().ListAssignmentsIn(prefix, saturday, saturday + 1));
    std::vector<std::string> ids;
    for (const v1::Assignment& a : kept) ids.push_back(a.assignment_id());
    return ids;
  };
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> here_kept, kept_in("532329"));
  EXPECT_EQ(here_kept, (std::vector<std::string>{id('1'), id('2'), id('3')}));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> there_kept, kept_in("530102"));
  EXPECT_EQ(there_kept, (std::vector<std::string>{id('1'), id('2'), id('4')}));
}

TEST_F(WeekendPlanTest, PlanWeekend_NotASaturday_InvalidArgumentNamingWeekendDate) {
  absl::StatusOr<v1::PlanWeekendResponse> plan = Plan(wuding_officer_, "plan-1", DueWeekend() + 1);
  EXPECT_THAT(plan, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(plan.status().message(), ::testing::HasSubstr("weekend_date"));
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 0);
  EXPECT_TRUE(training_->calls().empty());
}

// The operator hears of the calendars' end before PlanWeekend refuses: the module's metrics carry the first
// day it refuses (here: the fixture's calendars are this year's and next year's, official or stand-in).
TEST_F(WeekendPlanTest, Metrics_CarryTheFirstDayTheCalendarsDoNotAnswer) {
  const absl::CivilDay today = ShanghaiDay(absl::Now());
  const int64_t expected =
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(today.year() + 2, 1, 1), ShanghaiTimeZone()));
  std::string value;
  for (absl::string_view line : absl::StrSplit(metrics_.Render(), '\n')) {
    if (absl::StartsWith(line, "shouhu_visits_calendar_covered_until_seconds{")) {
      value = std::string(line.substr(line.rfind(' ') + 1));
    }
  }
  EXPECT_EQ(value, absl::StrCat(expected));
}

}  // namespace
}  // namespace shouhu::visits::testing
