// Supervision against real MariaDB: every step out of order is FAILED_PRECONDITION and changes nothing, a
// reviewer is never the submitter, a returned item carries its reason and comes back, a confirmed closure
// closes the case through the registry's rule (CaseClosed), plans become current only when confirmed, and two
// reviewers racing on one item: exactly one wins.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "shouhu/registry/v1/events.pb.h"
#include "tests/integration/registry/casework_fixture.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Stub = v1::CaseworkService::Stub;

constexpr auto kOutOfOrder = absl::StatusCode::kFailedPrecondition;

TEST_F(CaseworkTest, StepsOutOfOrder_FailedPreconditionAndNothingChanges) {
  Publish();
  const v1::Case c = RegisterChild("order", "李娜");
  ASSERT_OK_AND_ASSIGN(v1::Assessment a, Assess(wuding_caseworker_, "assess-o", c.case_id(), Answers(0, 0)));
  const std::string id = a.assessment_id();
  // A draft: only submission.
  EXPECT_THAT(Check(township_supervisor_, id), StatusIs(kOutOfOrder));
  EXPECT_THAT(Confirm(wuding_officer_, id), StatusIs(kOutOfOrder));
  EXPECT_THAT(Return(township_supervisor_, id, "缺材料"), StatusIs(kOutOfOrder));
  ASSERT_OK(Submit(wuding_caseworker_, id));
  // Submitted: the county cannot confirm before the township checked; no second submission.
  EXPECT_THAT(Confirm(wuding_officer_, id), StatusIs(kOutOfOrder));
  EXPECT_THAT(Submit(wuding_caseworker_, id), StatusIs(kOutOfOrder));
  ASSERT_OK(Check(township_supervisor_, id));
  EXPECT_THAT(Check(township_supervisor_, id), StatusIs(kOutOfOrder));
  ASSERT_OK(Confirm(wuding_officer_, id));
  // Confirmed is final.
  EXPECT_THAT(Return(wuding_officer_, id, "重新评估"), StatusIs(kOutOfOrder));
  EXPECT_THAT(Submit(wuding_caseworker_, id), StatusIs(kOutOfOrder));
  EXPECT_THAT(Confirm(second_wuding_officer_, id), StatusIs(kOutOfOrder));
  EXPECT_EQ(Count("casework_review_steps"), 3);
  EXPECT_EQ(EventsOf("shouhu.registry.v1.CaseworkReviewChanged").size(), 3u);
}

TEST_F(CaseworkTest, SubmitterAsReviewer_RefusedAnotherOfficerConfirms) {
  Publish();
  const v1::Case c = RegisterChild("self", "王强");
  // A county officer may write and submit an assessment, but not confirm their own.
  ASSERT_OK_AND_ASSIGN(v1::Assessment a, Assess(wuding_officer_, "assess-self", c.case_id(), Answers(0, 0)));
  ASSERT_OK(Submit(wuding_officer_, a.assessment_id()));
  ASSERT_OK(Check(township_supervisor_, a.assessment_id()));
  EXPECT_THAT(Confirm(wuding_officer_, a.assessment_id()), StatusIs(kOutOfOrder));
  EXPECT_THAT(Return(wuding_officer_, a.assessment_id(), "自查"), StatusIs(kOutOfOrder));
  ASSERT_OK_AND_ASSIGN(v1::Review confirmed, Confirm(second_wuding_officer_, a.assessment_id()));
  EXPECT_EQ(confirmed.county_confirmed_by(), "officer-wuding-2");
}

TEST_F(CaseworkTest, ReturnedWithReason_ResubmittedAndReviewedAgain) {
  Publish();
  const v1::Case c = RegisterChild("return", "李娜");
  ASSERT_OK_AND_ASSIGN(v1::Assessment a,
                       Assess(wuding_caseworker_, "assess-ret", c.case_id(), Answers(5, 5)));
  ASSERT_OK(Submit(wuding_caseworker_, a.assessment_id()));
  ASSERT_OK_AND_ASSIGN(v1::Review returned, Return(township_supervisor_, a.assessment_id(), "未入户核实"));
  EXPECT_EQ(returned.state(), v1::REVIEW_STATE_RETURNED);
  EXPECT_EQ(returned.return_reason(), "未入户核实");
  EXPECT_EQ(returned.returned_by(), "supervisor-101");
  EXPECT_THAT(Check(township_supervisor_, a.assessment_id()), StatusIs(kOutOfOrder));
  ASSERT_OK(Submit(wuding_caseworker_, a.assessment_id()));
  ASSERT_OK(Check(township_supervisor_, a.assessment_id()));
  // The county may return a checked item too.
  ASSERT_OK_AND_ASSIGN(v1::Review county_returned, Return(wuding_officer_, a.assessment_id(), "分数有误"));
  EXPECT_EQ(county_returned.state(), v1::REVIEW_STATE_RETURNED);
  ASSERT_OK(Submit(wuding_caseworker_, a.assessment_id()));
  ASSERT_OK(Check(township_supervisor_, a.assessment_id()));
  ASSERT_OK_AND_ASSIGN(v1::Review confirmed, Confirm(wuding_officer_, a.assessment_id()));
  std::vector<v1::ReviewState> path;
  for (const auto& step : confirmed.history()) path.push_back(step.to_state());
  EXPECT_EQ(path,
            (std::vector<v1::ReviewState>{
                v1::REVIEW_STATE_SUBMITTED, v1::REVIEW_STATE_RETURNED, v1::REVIEW_STATE_SUBMITTED,
                v1::REVIEW_STATE_TOWNSHIP_CHECKED, v1::REVIEW_STATE_RETURNED, v1::REVIEW_STATE_SUBMITTED,
                v1::REVIEW_STATE_TOWNSHIP_CHECKED, v1::REVIEW_STATE_COUNTY_CONFIRMED}));
  ASSERT_OK_AND_ASSIGN(v1::Case now, CaseNow(c.case_id()));
  EXPECT_EQ(now.risk_level(), v1::RISK_LEVEL_EXTREME);
}

TEST_F(CaseworkTest, ConfirmedClosure_ClosesTheCaseWithCaseClosed) {
  const v1::Case c = RegisterChild("close", "李娜");
  v1::RequestCaseClosureRequest request;
  request.set_request_id("close-1");
  request.set_case_id(c.case_id());
  request.set_reason("父母返乡，监护恢复");
  ASSERT_OK_AND_ASSIGN(auto requested, Ask(&Stub::RequestCaseClosure, wuding_caseworker_, request));
  const std::string id = requested.closure().closure_id();
  EXPECT_EQ(requested.closure().review().state(), v1::REVIEW_STATE_DRAFT);
  ASSERT_OK(Submit(wuding_caseworker_, id));
  ASSERT_OK(Check(township_supervisor_, id));
  ASSERT_OK_AND_ASSIGN(v1::Case open, CaseNow(c.case_id()));
  EXPECT_EQ(open.status(), v1::CASE_STATUS_VERIFYING);
  ASSERT_OK(Confirm(wuding_officer_, id));
  ASSERT_OK_AND_ASSIGN(v1::Case closed, CaseNow(c.case_id()));
  EXPECT_EQ(closed.status(), v1::CASE_STATUS_CLOSED);
  EXPECT_EQ(closed.close_reason(), "父母返乡，监护恢复");
  auto events = EventsOf("shouhu.registry.v1.CaseClosed");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].aggregate_id(), c.case_id());
  // A closed case takes no new casework.
  request.set_request_id("close-2");
  EXPECT_THAT(Ask(&Stub::RequestCaseClosure, wuding_caseworker_, request), StatusIs(kOutOfOrder));
}

TEST_F(CaseworkTest, SecondClosureOfAClosedCase_ConfirmRefusedByTheCloseRule) {
  const v1::Case c = RegisterChild("close2", "王强");
  std::vector<std::string> ids;
  for (const char* rid : {"close-a", "close-b"}) {
    v1::RequestCaseClosureRequest request;
    request.set_request_id(rid);
    request.set_case_id(c.case_id());
    request.set_reason("监护恢复");
    ASSERT_OK_AND_ASSIGN(auto requested, Ask(&Stub::RequestCaseClosure, wuding_caseworker_, request));
    ids.push_back(requested.closure().closure_id());
    ASSERT_OK(Submit(wuding_caseworker_, ids.back()));
    ASSERT_OK(Check(township_supervisor_, ids.back()));
  }
  ASSERT_OK(Confirm(wuding_officer_, ids[0]));
  EXPECT_THAT(Confirm(wuding_officer_, ids[1]), StatusIs(kOutOfOrder));
  EXPECT_EQ(EventsOf("shouhu.registry.v1.CaseClosed").size(), 1u);
}

v1::CreateCasePlanRequest PlanRequest(const std::string& request_id, const std::string& case_id,
                                      const std::string& due) {
  v1::CreateCasePlanRequest r;
  r.set_request_id(request_id);
  r.set_case_id(case_id);
  r.add_goals("恢复正常上学");
  r.add_goals("落实监护责任");
  auto* school = r.add_items();
  school->set_description("联系学校办理复学");
  school->set_owner_id("caseworker-1");
  school->set_due_date(due);
  auto* guardian = r.add_items();
  guardian->set_description("与父亲签订委托照护协议");
  guardian->set_owner_id("director-7");
  guardian->set_due_date(due);
  return r;
}

TEST_F(CaseworkTest, CasePlan_CurrentOnlyOnceConfirmed_ItemsMoveForwardIdempotently) {
  const v1::Case c = RegisterChild("plan", "李娜");
  ASSERT_OK_AND_ASSIGN(auto v1_plan, Ask(&Stub::CreateCasePlan, wuding_caseworker_,
                                         PlanRequest("plan-1", c.case_id(), "2026-12-31")));
  const v1::CasePlan& first = v1_plan.plan();
  EXPECT_EQ(first.version(), 1);
  EXPECT_FALSE(first.current());
  ASSERT_EQ(first.items_size(), 2);
  EXPECT_EQ(first.items(0).status(), v1::PLAN_ITEM_STATUS_PLANNED);

  v1::UpdatePlanItemStatusRequest start;
  start.set_request_id("item-start");
  start.set_item_id(first.items(0).item_id());
  start.set_status(v1::PLAN_ITEM_STATUS_IN_PROGRESS);
  EXPECT_THAT(Ask(&Stub::UpdatePlanItemStatus, wuding_caseworker_, start), StatusIs(kOutOfOrder));
  v1::GetCasePlanRequest current;
  current.set_purpose("case review");
  current.set_case_id(c.case_id());
  EXPECT_THAT(Ask(&Stub::GetCasePlan, wuding_caseworker_, current), StatusIs(absl::StatusCode::kNotFound));

  Approve(first.plan_id());
  ASSERT_OK_AND_ASSIGN(auto read, Ask(&Stub::GetCasePlan, wuding_caseworker_, current));
  EXPECT_EQ(read.plan().plan_id(), first.plan_id());
  EXPECT_TRUE(read.plan().current());
  EXPECT_EQ(read.plan().goals_size(), 2);

  ASSERT_OK_AND_ASSIGN(auto started, Ask(&Stub::UpdatePlanItemStatus, wuding_caseworker_, start));
  EXPECT_EQ(started.item().status(), v1::PLAN_ITEM_STATUS_IN_PROGRESS);
  ASSERT_OK_AND_ASSIGN(auto retried, Ask(&Stub::UpdatePlanItemStatus, wuding_caseworker_, start));
  EXPECT_EQ(retried.SerializeAsString(), started.SerializeAsString());
  v1::UpdatePlanItemStatusRequest other_content = start;
  other_content.set_status(v1::PLAN_ITEM_STATUS_CANCELLED);
  auto rejected = Ask(&Stub::UpdatePlanItemStatus, wuding_caseworker_, other_content);
  EXPECT_THAT(rejected, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(rejected.status()), "request_id");
  v1::UpdatePlanItemStatusRequest done = start;
  done.set_request_id("item-done");
  done.set_status(v1::PLAN_ITEM_STATUS_DONE);
  ASSERT_OK(Ask(&Stub::UpdatePlanItemStatus, wuding_caseworker_, done));
  v1::UpdatePlanItemStatusRequest back = start;
  back.set_request_id("item-back");
  back.set_status(v1::PLAN_ITEM_STATUS_PLANNED);
  EXPECT_THAT(Ask(&Stub::UpdatePlanItemStatus, wuding_caseworker_, back), StatusIs(kOutOfOrder));

  // Version 2 replaces version 1 once confirmed; version 1's items no longer move.
  ASSERT_OK_AND_ASSIGN(auto v2_plan, Ask(&Stub::CreateCasePlan, wuding_caseworker_,
                                         PlanRequest("plan-2", c.case_id(), "2027-06-30")));
  EXPECT_EQ(v2_plan.plan().version(), 2);
  Approve(v2_plan.plan().plan_id());
  ASSERT_OK_AND_ASSIGN(auto now_current, Ask(&Stub::GetCasePlan, wuding_caseworker_, current));
  EXPECT_EQ(now_current.plan().plan_id(), v2_plan.plan().plan_id());
  v1::GetCasePlanRequest old;
  old.set_purpose("case review");
  old.set_plan_id(first.plan_id());
  ASSERT_OK_AND_ASSIGN(auto old_read, Ask(&Stub::GetCasePlan, wuding_caseworker_, old));
  EXPECT_FALSE(old_read.plan().current());
  v1::UpdatePlanItemStatusRequest stale;
  stale.set_request_id("item-stale");
  stale.set_item_id(first.items(1).item_id());
  stale.set_status(v1::PLAN_ITEM_STATUS_IN_PROGRESS);
  EXPECT_THAT(Ask(&Stub::UpdatePlanItemStatus, wuding_caseworker_, stale), StatusIs(kOutOfOrder));
}

// An officer clearing a backlog confirms an older plan (or assessment) after a newer one: it is recorded as
// confirmed and stays history. Taking effect, version 1 replaced version 2 (and an older LOW assessment
// lowered the case a newer HIGH one had kept, and moved its next assessment on by a year).
TEST_F(CaseworkTest, OlderItemConfirmedAfterANewerOne_ConfirmedButTheNewerStaysInForce) {
  Publish();
  const v1::Case c = RegisterChild("backlog", "李娜");  // accepted HIGH
  ASSERT_OK_AND_ASSIGN(auto v1_plan, Ask(&Stub::CreateCasePlan, wuding_caseworker_,
                                         PlanRequest("plan-1", c.case_id(), "2026-12-31")));
  ASSERT_OK_AND_ASSIGN(auto v2_plan, Ask(&Stub::CreateCasePlan, wuding_caseworker_,
                                         PlanRequest("plan-2", c.case_id(), "2027-06-30")));
  ASSERT_OK_AND_ASSIGN(v1::Assessment low,
                       Assess(wuding_caseworker_, "assess-low", c.case_id(), Answers(0, 2)));
  ASSERT_OK_AND_ASSIGN(v1::Assessment high,
                       Assess(wuding_caseworker_, "assess-high", c.case_id(), Answers(5, 2)));
  for (const std::string& id : {v1_plan.plan().plan_id(), low.assessment_id()}) {
    ASSERT_OK(Submit(wuding_caseworker_, id));
    ASSERT_OK(Check(township_supervisor_, id));
  }
  Approve(v2_plan.plan().plan_id());
  Approve(high.assessment_id());
  ASSERT_OK_AND_ASSIGN(v1::Review plan_confirmed, Confirm(wuding_officer_, v1_plan.plan().plan_id()));
  EXPECT_EQ(plan_confirmed.state(), v1::REVIEW_STATE_COUNTY_CONFIRMED);
  ASSERT_OK_AND_ASSIGN(v1::Review assessment_confirmed, Confirm(wuding_officer_, low.assessment_id()));
  EXPECT_EQ(assessment_confirmed.state(), v1::REVIEW_STATE_COUNTY_CONFIRMED);

  v1::GetCasePlanRequest current;

  current.set_purpose("case review");
  current.set_case_id(c.case_id());
  ASSERT_OK_AND_ASSIGN(auto in_force, Ask(&Stub::GetCasePlan, wuding_caseworker_, current));
  EXPECT_EQ(in_force.plan().plan_id(), v2_plan.plan().plan_id());
  ASSERT_OK_AND_ASSIGN(v1::Case now, CaseNow(c.case_id()));
  EXPECT_EQ(now.risk_level(), v1::RISK_LEVEL_HIGH);
  EXPECT_TRUE(EventsOf("shouhu.registry.v1.RiskLevelChanged").empty());
  v1::ListOverdueAssessmentsRequest list;
  list.set_as_of(absl::FormatCivilTime(ShanghaiDay(clock_.Now()) + 100));  // yellow: three months
  ASSERT_OK_AND_ASSIGN(auto overdue, Ask(&Stub::ListOverdueAssessments, wuding_officer_, list));
  ASSERT_EQ(overdue.assessments_size(), 1);
  EXPECT_EQ(overdue.assessments(0).last_assessment_id(), high.assessment_id());
}

// Two county officers act on the same township-checked item at once, one confirming and one returning it:
// the review row is locked before its state is judged, so exactly one of them moves it and the other is told
// it is out of order. Without the lock both would read TOWNSHIP_CHECKED and both succeed.
TEST_F(CaseworkTest, ConfirmAndReturnRacing_ExactlyOneWins) {
  Publish();
  constexpr int kItems = 6;
  std::vector<std::string> items;
  for (int i = 0; i < kItems; ++i) {
    const v1::Case c = RegisterChild(absl::StrCat("race-", i), "李娜");
    ASSERT_OK_AND_ASSIGN(v1::Assessment a, Assess(wuding_caseworker_, absl::StrCat("assess-race-", i),
                                                  c.case_id(), Answers(0, 0)));
    ASSERT_OK(Submit(wuding_caseworker_, a.assessment_id()));
    ASSERT_OK(Check(township_supervisor_, a.assessment_id()));
    items.push_back(a.assessment_id());
  }
  for (int i = 0; i < kItems; ++i) {
    std::atomic<int> ready{0};
    absl::Status confirmed, returned;
    std::thread confirmer([&] {
      v1::ConfirmReviewRequest r;
      r.set_request_id(absl::StrCat("race-confirm-", i));
      r.set_item_id(items[i]);
      ++ready;
      while (ready.load() < 2) {
      }
      confirmed = Ask(&Stub::ConfirmReview, wuding_officer_, r).status();
    });
    std::thread returner([&] {
      v1::ReturnForRevisionRequest r;
      r.set_request_id(absl::StrCat("race-return-", i));
      r.set_item_id(items[i]);
      r.set_reason("需补充家访记录");
      ++ready;
      while (ready.load() < 2) {
      }
      returned = Ask(&Stub::ReturnForRevision, second_wuding_officer_, r).status();
    });
    confirmer.join();
    returner.join();
    EXPECT_NE(confirmed.ok(), returned.ok()) << "item " << i << ": " << confirmed << " / " << returned;
    const absl::Status& loser = confirmed.ok() ? returned : confirmed;
    EXPECT_THAT(loser, StatusIs(kOutOfOrder));
  }
  // Each item took exactly one of the two final steps.
  EXPECT_EQ(Count("casework_review_steps"), kItems * 3);
}

}  // namespace
}  // namespace shouhu::registry::testing
