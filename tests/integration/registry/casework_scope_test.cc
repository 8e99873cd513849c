// Scope and input, for every casework method: outside the caller's jurisdiction (another county, another
// township) or organisation (another NGO) a record is NOT_FOUND — the same answer as a record that does not
// exist — and a bad request is INVALID_ARGUMENT naming its field. Either way nothing is written.
#include <functional>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/method_access.h"
#include "tests/integration/registry/casework_fixture.h"

namespace shouhu::registry::testing {
namespace {

using Stub = v1::CaseworkService::Stub;
using Probe = std::function<absl::Status(const Principal&)>;

class CaseworkScopeTest : public CaseworkTest {
 protected:
  void SetUp() override {
    CaseworkTest::SetUp();
    if (HasFatalFailure()) return;
    Publish();
    case_ = RegisterChild("scope", "李娜");
    auto assessment = Assess(wuding_caseworker_, "scope-assess", case_.case_id(), Answers(0, 0));
    ASSERT_OK(assessment);
    assessment_ = *assessment;
    // A submitted item (for the township) and a checked one (for the county).
    ASSERT_OK(Submit(wuding_caseworker_, assessment_.assessment_id()));
    auto checked = Assess(wuding_caseworker_, "scope-assess-2", case_.case_id(), Answers(0, 0));
    ASSERT_OK(checked);
    checked_ = checked->assessment_id();
    ASSERT_OK(Submit(wuding_caseworker_, checked_));
    ASSERT_OK(Check(township_supervisor_, checked_));
    v1::CreateCasePlanRequest plan;
    plan.set_request_id("scope-plan");
    plan.set_case_id(case_.case_id());
    plan.add_goals("复学");
    auto* item = plan.add_items();
    item->set_description("联系学校");
    item->set_owner_id("caseworker-1");
    item->set_due_date("2026-12-31");
    auto created = Ask(&Stub::CreateCasePlan, wuding_caseworker_, plan);
    ASSERT_OK(created);
    plan_ = created->plan();
  }

  template <typename Request, typename Response>
  Probe Bind(CaseworkMethod<Request, Response> method, Request request) {
    return [this, method, request](const Principal& as) { return Ask(method, as, request).status(); };
  }

  std::map<std::string, int64_t> Written() {
    std::map<std::string, int64_t> counts;
    for (const char* table : {"instruments", "assessments", "case_plans", "plan_items", "closure_requests",
                              "casework_reviews", "casework_review_steps", "assessment_schedule",
                              "visit_follow_ups", "case_history", "idempotency_records"}) {
      counts[table] = Count(table);
    }
    return counts;
  }

  static std::set<std::string> AllMethods() {
    std::set<std::string> names;
    const auto* service = FindService(v1::CaseworkService::service_full_name());
    for (int i = 0; i < service->method_count(); ++i) names.insert(service->method(i)->name());
    return names;
  }

  v1::Case case_;
  v1::Assessment assessment_;
  std::string checked_;
  v1::CasePlan plan_;
};

TEST_F(CaseworkScopeTest, EveryMethodOutsideScope_NotFoundAndNothingWritten) {
  struct Row {
    Probe call;
    std::vector<const Principal*> outsiders;  // each gets NOT_FOUND
  };
  v1::CreateAssessmentRequest assess;
  assess.set_request_id("oos-assess");
  assess.set_case_id(case_.case_id());
  assess.set_instrument_id(instrument_id_);
  for (const auto& a : Answers(0, 0)) *assess.add_answers() = a;
  v1::GetAssessmentRequest get_assessment;
  get_assessment.set_purpose("case review");
  get_assessment.set_assessment_id(assessment_.assessment_id());
  v1::CreateCasePlanRequest plan;
  plan.set_request_id("oos-plan");
  plan.set_case_id(case_.case_id());
  plan.add_goals("复学");
  v1::GetCasePlanRequest get_plan;
  get_plan.set_purpose("case review");
  get_plan.set_plan_id(plan_.plan_id());
  v1::UpdatePlanItemStatusRequest item;
  item.set_request_id("oos-item");
  item.set_item_id(plan_.items(0).item_id());
  item.set_status(v1::PLAN_ITEM_STATUS_IN_PROGRESS);
  v1::RequestCaseClosureRequest closure;
  closure.set_request_id("oos-close");
  closure.set_case_id(case_.case_id());
  closure.set_reason("监护恢复");
  v1::SubmitForReviewRequest submit;
  submit.set_request_id("oos-submit");
  submit.set_item_id(plan_.plan_id());
  v1::CheckReviewRequest check;
  check.set_request_id("oos-check");
  check.set_item_id(assessment_.assessment_id());
  v1::ConfirmReviewRequest confirm;
  confirm.set_request_id("oos-confirm");
  confirm.set_item_id(checked_);
  v1::ReturnForRevisionRequest return_township;
  return_township.set_request_id("oos-return");
  return_township.set_item_id(assessment_.assessment_id());
  return_township.set_reason("缺材料");
  v1::ReturnForRevisionRequest return_county = return_township;
  return_county.set_item_id(checked_);
  v1::ListOverdueAssessmentsRequest overdue;
  overdue.set_division_prefix("532329");
  v1::ListTasksRequest tasks;
  tasks.set_audience(v1::TASK_AUDIENCE_CASEWORKER);
  tasks.set_division_prefix("532329");
  v1::CompleteTaskRequest complete;
  complete.set_request_id("oos-complete");
  complete.set_task_id(TaskId(v1::TASK_KIND_VISIT_DANGER_SIGNS, case_.case_id()));
  complete.set_note("x");

  const Principal* other_county = &xixia_officer_;
  const Principal* other_ngo = &other_ngo_caseworker_;
  const Principal* other_township = &other_township_supervisor_;
  const std::map<std::string, Row> table = {
      {"CreateAssessment", {Bind(&Stub::CreateAssessment, assess), {other_county, other_ngo}}},
      {"GetAssessment",
       {Bind(&Stub::GetAssessment, get_assessment), {other_county, other_ngo, other_township}}},
      {"CreateCasePlan", {Bind(&Stub::CreateCasePlan, plan), {other_county, other_ngo}}},
      {"GetCasePlan", {Bind(&Stub::GetCasePlan, get_plan), {other_county, other_ngo, other_township}}},
      {"UpdatePlanItemStatus", {Bind(&Stub::UpdatePlanItemStatus, item), {other_county, other_ngo}}},
      {"RequestCaseClosure", {Bind(&Stub::RequestCaseClosure, closure), {other_county, other_ngo}}},
      {"SubmitForReview", {Bind(&Stub::SubmitForReview, submit), {other_county, other_ngo}}},
      {"CheckReview", {Bind(&Stub::CheckReview, check), {other_township}}},
      {"ConfirmReview", {Bind(&Stub::ConfirmReview, confirm), {other_county}}},
      {"ReturnForRevision",
       {[&](const Principal& as) {
          return Ask(&Stub::ReturnForRevision, as,
                     HasRole(as, common::v1::ROLE_TOWNSHIP_SUPERVISOR) ? return_township : return_county)
              .status();
        },
        {other_county, other_township}}},
      // A division prefix outside the jurisdiction does not exist either.
      {"ListOverdueAssessments", {Bind(&Stub::ListOverdueAssessments, overdue), {other_county}}},
      {"ListTasks", {Bind(&Stub::ListTasks, tasks), {other_county, other_township}}},
      // No such follow-up: the same answer as one outside scope (the visit test covers the latter).
      {"CompleteTask", {Bind(&Stub::CompleteTask, complete), {&wuding_caseworker_}}},
  };
  // Region-wide reference data, not row-scoped: instruments (like the division table).
  const std::set<std::string> unscoped = {"PublishInstrument", "GetInstrument"};
  std::set<std::string> covered = unscoped;
  for (const auto& [name, row] : table) covered.insert(name);
  ASSERT_EQ(covered, AllMethods());

  const auto before = Written();
  const auto* service = FindService(v1::CaseworkService::service_full_name());
  for (const auto& [name, row] : table) {
    for (const Principal* outsider : row.outsiders) {
      ASSERT_TRUE(MayCall(*outsider, *service->FindMethodByName(name))) << name << " " << outsider->subject();
      EXPECT_THAT(row.call(*outsider), ::shouhu::testing::StatusIs(absl::StatusCode::kNotFound))
          << name << " as " << outsider->subject();
    }
  }
  EXPECT_EQ(Written(), before);
}

TEST_F(CaseworkScopeTest, BadInput_NamesTheFieldAndWritesNothing) {
  // As a county officer (whose roles admit every method but the township's check), in scope: only the input
  // is wrong.
  struct Bad {
    std::string field;
    Probe call;
    const Principal* as = nullptr;
  };
  const auto assess = [&](const std::function<void(v1::CreateAssessmentRequest&)>& spoil) {
    v1::CreateAssessmentRequest r;
    r.set_request_id("bad-assess");
    r.set_case_id(case_.case_id());
    r.set_instrument_id(instrument_id_);
    for (const auto& a : Answers(0, 0)) *r.add_answers() = a;
    spoil(r);
    return Bind(&Stub::CreateAssessment, r);
  };
  const auto plan = [&](const std::function<void(v1::CreateCasePlanRequest&)>& spoil) {
    v1::CreateCasePlanRequest r;
    r.set_request_id("bad-plan");
    r.set_case_id(case_.case_id());
    r.add_goals("复学");
    auto* item = r.add_items();
    item->set_description("联系学校");
    item->set_owner_id("caseworker-1");
    item->set_due_date("2026-12-31");
    spoil(r);
    return Bind(&Stub::CreateCasePlan, r);
  };
  v1::PublishInstrumentRequest no_instrument;
  no_instrument.set_request_id("bad-publish");
  v1::PublishInstrumentRequest bad_band = no_instrument;
  *bad_band.mutable_instrument() = TestInstrument();
  bad_band.mutable_instrument()->mutable_bands(0)->set_min_total(2);
  v1::GetInstrumentRequest bad_instrument_id;
  bad_instrument_id.set_instrument_id("instrument-1");
  v1::GetCasePlanRequest both;
  both.set_purpose("case review");
  both.set_plan_id(plan_.plan_id());
  both.set_case_id(case_.case_id());
  v1::GetAssessmentRequest no_purpose;
  no_purpose.set_assessment_id(assessment_.assessment_id());
  v1::GetCasePlanRequest blank_purpose;
  blank_purpose.set_case_id(case_.case_id());
  blank_purpose.set_purpose("　");
  v1::UpdatePlanItemStatusRequest no_status;
  no_status.set_request_id("bad-item");
  no_status.set_item_id(plan_.items(0).item_id());
  v1::RequestCaseClosureRequest blank_reason;
  blank_reason.set_request_id("bad-close");
  blank_reason.set_case_id(case_.case_id());
  blank_reason.set_reason("  ");
  v1::SubmitForReviewRequest no_request_id;
  no_request_id.set_item_id(plan_.plan_id());
  v1::CheckReviewRequest bad_item;
  bad_item.set_request_id("bad-check");
  bad_item.set_item_id("x");
  v1::ReturnForRevisionRequest no_reason;
  no_reason.set_request_id("bad-return");
  no_reason.set_item_id(checked_);
  v1::ListOverdueAssessmentsRequest bad_as_of;
  bad_as_of.set_as_of("2026-02-30");
  v1::ListOverdueAssessmentsRequest bad_prefix;
  bad_prefix.set_division_prefix("53232");
  v1::ListTasksRequest no_audience;
  v1::ListTasksRequest long_horizon;
  long_horizon.set_audience(v1::TASK_AUDIENCE_CASEWORKER);
  long_horizon.set_horizon_days(365);
  v1::ListTasksRequest foreign_token;
  foreign_token.set_audience(v1::TASK_AUDIENCE_CASEWORKER);
  foreign_token.set_page_token("page-2");
  v1::CompleteTaskRequest bad_task;
  bad_task.set_request_id("bad-complete");
  bad_task.set_task_id("task-1");
  bad_task.set_note("x");

  const std::vector<Bad> bad = {
      {"instrument", Bind(&Stub::PublishInstrument, no_instrument)},
      {"instrument.bands[0].min_total", Bind(&Stub::PublishInstrument, bad_band)},
      {"instrument_id", Bind(&Stub::GetInstrument, bad_instrument_id)},
      {"case_id", assess([](auto& r) { r.set_case_id("case-1"); })},
      {"answers", assess([](auto& r) { r.clear_answers(); })},
      {"answers[0].score", assess([](auto& r) { r.mutable_answers(0)->set_score(4); })},
      {"answers[2].question_id", assess([](auto& r) { r.mutable_answers(2)->set_question_id("q9"); })},
      {"note", assess([](auto& r) { r.set_note("ok\x01"); })},
      {"goals", plan([](auto& r) { r.clear_goals(); })},
      {"items[0].due_date", plan([](auto& r) { r.mutable_items(0)->set_due_date("31/12/2026"); })},
      {"items[0].owner_id", plan([](auto& r) { r.mutable_items(0)->set_owner_id("two words"); })},
      {"items[0].description", plan([](auto& r) { r.mutable_items(0)->set_description(""); })},
      {"plan_id", Bind(&Stub::GetCasePlan, both)},
      {"purpose", Bind(&Stub::GetAssessment, no_purpose)},
      {"purpose", Bind(&Stub::GetCasePlan, blank_purpose)},
      {"status", Bind(&Stub::UpdatePlanItemStatus, no_status)},
      {"reason", Bind(&Stub::RequestCaseClosure, blank_reason)},
      {"request_id", Bind(&Stub::SubmitForReview, no_request_id)},
      {"item_id", Bind(&Stub::CheckReview, bad_item), &township_supervisor_},
      {"reason", Bind(&Stub::ReturnForRevision, no_reason)},
      {"as_of", Bind(&Stub::ListOverdueAssessments, bad_as_of)},
      {"division_prefix", Bind(&Stub::ListOverdueAssessments, bad_prefix)},
      {"audience", Bind(&Stub::ListTasks, no_audience)},
      {"horizon_days", Bind(&Stub::ListTasks, long_horizon)},
      {"page_token", Bind(&Stub::ListTasks, foreign_token)},
      {"task_id", Bind(&Stub::CompleteTask, bad_task)},
  };
  const auto before = Written();
  for (const auto& b : bad) {
    const absl::Status status = b.call(b.as ? *b.as : wuding_officer_);
    EXPECT_THAT(status, ::shouhu::testing::StatusIs(absl::StatusCode::kInvalidArgument)) << b.field;
    EXPECT_EQ(FieldOf(status), b.field) << status;
  }
  EXPECT_EQ(Written(), before);
}

// An assessment's answers and notes, and a plan's goals, are the child's personal data: each read is logged
// under the child, with who, why and what, before the answer leaves. They were answered with no log.
TEST_F(CaseworkScopeTest, AssessmentAndPlanReads_LoggedUnderTheChildWithTheirPurpose) {
  v1::GetAssessmentRequest assessment;
  assessment.set_assessment_id(assessment_.assessment_id());
  assessment.set_purpose("督导复核");
  ASSERT_OK(Ask(&Stub::GetAssessment, township_supervisor_, assessment));
  v1::GetCasePlanRequest plan;
  plan.set_plan_id(plan_.plan_id());
  plan.set_purpose("家访准备");
  ASSERT_OK(Ask(&Stub::GetCasePlan, wuding_caseworker_, plan));

  const std::vector<v1::AccessLogEntry> assessed = AccessLogOf(case_.child_id(), "GetAssessment");
  ASSERT_EQ(assessed.size(), 1u);
  EXPECT_EQ(assessed[0].subject(), township_supervisor_.subject());
  EXPECT_EQ(assessed[0].purpose(), "督导复核");
  EXPECT_EQ(assessed[0].fields(), "assessment");
  const std::vector<v1::AccessLogEntry> planned = AccessLogOf(case_.child_id(), "GetCasePlan");
  ASSERT_EQ(planned.size(), 1u);
  EXPECT_EQ(planned[0].subject(), wuding_caseworker_.subject());
  EXPECT_EQ(planned[0].purpose(), "家访准备");
  EXPECT_EQ(planned[0].fields(), "case_plan");
  // Outside scope, nothing is shown and nothing logged.
  EXPECT_THAT(Ask(&Stub::GetAssessment, other_ngo_caseworker_, assessment),
              ::shouhu::testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(AccessLogOf(case_.child_id(), "GetAssessment").size(), 1u);
}

}  // namespace
}  // namespace shouhu::registry::testing
