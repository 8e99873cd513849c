// Casework's pure rules: the supervision state machine (every step from every state, the self-approval
// guard), instrument checks and scoring with the emergency override, the assessment schedule, plan item
// steps, the visit events that make follow-ups, and the task list's merge and page token.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/registry/assessment_schedule.h"
#include "services/registry/assessment_scoring.h"
#include "services/registry/case_plan_rules.h"
#include "services/registry/supervision.h"
#include "services/registry/task_list.h"
#include "services/registry/visit_follow_ups.h"
#include "shouhu/visits/v1/events.pb.h"
#include "tests/support/status_matchers.h"

namespace shouhu::registry {
namespace {

using ::shouhu::testing::StatusIs;

Actor Person(const std::string& subject) { return {subject, "org", absl::FromUnixSeconds(1'780'000'000)}; }

v1::Review InState(v1::ReviewState state, const std::string& submitted_by = "caseworker-1") {
  v1::Review r = DraftReview("01JX0000000000000000000001", v1::REVIEW_KIND_ASSESSMENT,
                             "01JX0000000000000000000002", Person("caseworker-1"));
  r.set_state(state);
  r.set_submitted_by(submitted_by);
  return r;
}

// ---- supervision

TEST(Supervision, EveryStepFromEveryState_OnlyTheOrderedOnesAreAllowed) {
  const std::vector<v1::ReviewState> states = {v1::REVIEW_STATE_DRAFT, v1::REVIEW_STATE_SUBMITTED,
                                               v1::REVIEW_STATE_TOWNSHIP_CHECKED,
                                               v1::REVIEW_STATE_COUNTY_CONFIRMED, v1::REVIEW_STATE_RETURNED};
  // step -> (from -> to); anything not listed is FAILED_PRECONDITION.
  const std::map<ReviewStep, std::map<v1::ReviewState, v1::ReviewState>> allowed = {
      {ReviewStep::kSubmit,
       {{v1::REVIEW_STATE_DRAFT, v1::REVIEW_STATE_SUBMITTED},
        {v1::REVIEW_STATE_RETURNED, v1::REVIEW_STATE_SUBMITTED}}},
      {ReviewStep::kTownshipCheck, {{v1::REVIEW_STATE_SUBMITTED, v1::REVIEW_STATE_TOWNSHIP_CHECKED}}},
      {ReviewStep::kCountyConfirm, {{v1::REVIEW_STATE_TOWNSHIP_CHECKED, v1::REVIEW_STATE_COUNTY_CONFIRMED}}},
      {ReviewStep::kReturn,
       {{v1::REVIEW_STATE_SUBMITTED, v1::REVIEW_STATE_RETURNED},
        {v1::REVIEW_STATE_TOWNSHIP_CHECKED, v1::REVIEW_STATE_RETURNED}}},
  };
  int checked = 0;
  for (const auto& [step, moves] : allowed) {
    for (v1::ReviewState from : states) {
      auto change = ApplyReviewStep(InState(from), step, Person("reviewer"), "理由", {});
      auto to = moves.find(from);
      if (to == moves.end()) {
        EXPECT_THAT(change, StatusIs(absl::StatusCode::kFailedPrecondition)) << ReviewStateName(from);
      } else {
        ASSERT_OK(change);
        EXPECT_EQ(change->updated.state(), to->second);
        EXPECT_EQ(change->step.from_state(), from);
        EXPECT_EQ(change->step.to_state(), to->second);
        EXPECT_EQ(change->step.actor(), "reviewer");
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 20);
}

TEST(Supervision, ConfirmedIsFinal_NothingMovesIt) {
  for (ReviewStep step :
       {ReviewStep::kSubmit, ReviewStep::kTownshipCheck, ReviewStep::kCountyConfirm, ReviewStep::kReturn}) {
    EXPECT_THAT(ApplyReviewStep(InState(v1::REVIEW_STATE_COUNTY_CONFIRMED), step, Person("x"), "r", {}),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST(Supervision, SubmitterReviewingOwnItem_RefusedUnlessPolicyAllowsItsKind) {
  const v1::Review submitted = InState(v1::REVIEW_STATE_SUBMITTED, "caseworker-1");
  EXPECT_THAT(ApplyReviewStep(submitted, ReviewStep::kTownshipCheck, Person("caseworker-1"), "", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ApplyReviewStep(submitted, ReviewStep::kReturn, Person("caseworker-1"), "r", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  const v1::Review checked = InState(v1::REVIEW_STATE_TOWNSHIP_CHECKED, "caseworker-1");
  EXPECT_THAT(ApplyReviewStep(checked, ReviewStep::kCountyConfirm, Person("caseworker-1"), "", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_OK_AND_ASSIGN(SelfApprovalPolicy plans_only, ParseSelfApprovalPolicy("CASE_PLAN", "setting"));
  EXPECT_THAT(ApplyReviewStep(submitted, ReviewStep::kTownshipCheck, Person("caseworker-1"), "", plans_only),
              StatusIs(absl::StatusCode::kFailedPrecondition));  // an assessment: not allowed
  ASSERT_OK_AND_ASSIGN(SelfApprovalPolicy assessments,
                       ParseSelfApprovalPolicy("ASSESSMENT, CLOSURE", "setting"));
  EXPECT_OK(ApplyReviewStep(submitted, ReviewStep::kTownshipCheck, Person("caseworker-1"), "", assessments));
}

// The township's check and the county's confirmation are two people's: one subject holding both roles
// confirms nothing they checked (unless the policy allows self-approval for the kind).
TEST(Supervision, CountyConfirmByTheTownshipChecker_RefusedUnlessPolicyAllowsItsKind) {
  v1::Review checked = InState(v1::REVIEW_STATE_TOWNSHIP_CHECKED, "caseworker-1");
  checked.set_township_checked_by("supervisor-1");
  EXPECT_THAT(ApplyReviewStep(checked, ReviewStep::kCountyConfirm, Person("supervisor-1"), "", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(ApplyReviewStep(checked, ReviewStep::kCountyConfirm, Person("officer-1"), "", {}));
  ASSERT_OK_AND_ASSIGN(SelfApprovalPolicy assessments, ParseSelfApprovalPolicy("ASSESSMENT", "setting"));
  EXPECT_OK(ApplyReviewStep(checked, ReviewStep::kCountyConfirm, Person("supervisor-1"), "", assessments));
}

// A confirmation takes effect only for what is newer than what is in force.
TEST(Supervision, OnlyANewerAssessmentOrPlanTakesEffect) {
  EXPECT_TRUE(AssessmentTakesEffect("01JX0000000000000000000002", ""));
  EXPECT_TRUE(AssessmentTakesEffect("01JX0000000000000000000002", "01JX0000000000000000000001"));
  EXPECT_FALSE(AssessmentTakesEffect("01JX0000000000000000000001", "01JX0000000000000000000002"));
  EXPECT_FALSE(AssessmentTakesEffect("01JX0000000000000000000001", "01JX0000000000000000000001"));
  EXPECT_TRUE(PlanTakesEffect(1, std::nullopt));
  EXPECT_TRUE(PlanTakesEffect(3, 2));
  EXPECT_FALSE(PlanTakesEffect(1, 2));
}

TEST(Supervision, ResubmittingAReturnedItem_ClearsTheReturnAndTheEarlierCheck) {
  v1::Review returned = InState(v1::REVIEW_STATE_RETURNED);
  returned.set_township_checked_by("supervisor-1");
  returned.set_returned_by("officer-1");
  returned.set_return_reason("缺少监护人意见");
  ASSERT_OK_AND_ASSIGN(ReviewChange change,
                       ApplyReviewStep(returned, ReviewStep::kSubmit, Person("caseworker-2"), "", {}));
  EXPECT_EQ(change.updated.state(), v1::REVIEW_STATE_SUBMITTED);
  EXPECT_EQ(change.updated.submitted_by(), "caseworker-2");
  EXPECT_EQ(change.updated.township_checked_by(), "");
  EXPECT_EQ(change.updated.return_reason(), "");
}

TEST(Supervision, SelfApprovalSetting_UnknownKindNamesTheSetting) {
  auto parsed = ParseSelfApprovalPolicy("ASSESSMENT,VISIT", "SHOUHU_CASEWORK_SELF_APPROVAL");
  EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(parsed.status().message().find("SHOUHU_CASEWORK_SELF_APPROVAL"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(SelfApprovalPolicy none, ParseSelfApprovalPolicy("", "s"));
  EXPECT_TRUE(none.kinds.empty());
}

// ---- instruments and scoring

v1::Instrument Instrument() {
  v1::Instrument i;
  i.set_code("child-risk");
  i.set_title("儿童风险评估");
  auto* safety = i.add_domains();
  safety->set_domain_id("safety");
  safety->set_title("安全");
  for (const char* id : {"q1", "q2"}) {
    auto* q = safety->add_questions();
    q->set_question_id(id);
    q->set_text("照护情况");
    for (int score : {0, 2, 5}) {
      auto* o = q->add_options();
      o->set_score(score);
      o->set_label("选项");
    }
  }
  auto* emergency = safety->add_questions();
  emergency->set_question_id("alone-tonight");
  emergency->set_text("今晚无人照护");
  emergency->set_emergency_override(true);
  for (int score : {0, 1}) {
    auto* o = emergency->add_options();
    o->set_score(score);
    o->set_label(score ? "是" : "否");
  }
  const std::vector<std::pair<v1::RiskLevel, int>> bands = {{v1::RISK_LEVEL_LOW, 0},
                                                            {v1::RISK_LEVEL_MEDIUM, 3},
                                                            {v1::RISK_LEVEL_HIGH, 6},
                                                            {v1::RISK_LEVEL_EXTREME, 9}};
  for (const auto& [level, min] : bands) {
    auto* b = i.add_bands();
    b->set_risk_level(level);
    b->set_min_total(min);
  }
  return i;
}

google::protobuf::RepeatedPtrField<v1::Answer> Answers(int q1, int q2, int emergency) {
  google::protobuf::RepeatedPtrField<v1::Answer> answers;
  for (const auto& [id, score] :
       std::vector<std::pair<std::string, int>>{{"q1", q1}, {"q2", q2}, {"alone-tonight", emergency}}) {
    auto* a = answers.Add();
    a->set_question_id(id);
    a->set_score(score);
  }
  return answers;
}

TEST(AssessmentScoring, TotalsGradeByBands_TheFourColours) {
  const v1::Instrument instrument = Instrument();
  ASSERT_OK(ValidateInstrument(instrument));
  const std::vector<std::tuple<int, int, v1::RiskLevel>> cases = {
      {0, 0, v1::RISK_LEVEL_LOW},    {0, 2, v1::RISK_LEVEL_LOW},  {2, 2, v1::RISK_LEVEL_MEDIUM},
      {5, 0, v1::RISK_LEVEL_MEDIUM}, {5, 2, v1::RISK_LEVEL_HIGH}, {5, 5, v1::RISK_LEVEL_EXTREME}};
  for (const auto& [q1, q2, grade] : cases) {
    ASSERT_OK_AND_ASSIGN(Score score, ScoreAnswers(instrument, Answers(q1, q2, 0)));
    EXPECT_EQ(score.total, q1 + q2);
    EXPECT_EQ(score.grade, grade) << q1 << "+" << q2;
    EXPECT_FALSE(score.emergency_override);
  }
}

TEST(AssessmentScoring, EmergencyYes_ForcesExtremeWhateverTheTotal) {
  ASSERT_OK_AND_ASSIGN(Score score, ScoreAnswers(Instrument(), Answers(0, 0, 1)));
  EXPECT_EQ(score.total, 0);  // the emergency question adds nothing to the total
  EXPECT_EQ(score.grade, v1::RISK_LEVEL_EXTREME);
  EXPECT_TRUE(score.emergency_override);
}

TEST(AssessmentScoring, BadAnswers_NameTheAnswer) {
  const v1::Instrument instrument = Instrument();
  auto unknown = Answers(0, 0, 0);
  unknown.Mutable(1)->set_question_id("q9");
  auto not_an_option = Answers(0, 3, 0);
  auto twice = Answers(0, 0, 0);
  twice.Mutable(1)->set_question_id("q1");
  auto missing = Answers(0, 0, 0);
  missing.RemoveLast();
  const std::vector<std::pair<google::protobuf::RepeatedPtrField<v1::Answer>, std::string>> bad = {
      {unknown, "answers[1].question_id"},
      {not_an_option, "answers[1].score"},
      {twice, "answers[1].question_id"},
      {missing, "answers"}};
  for (const auto& [answers, field] : bad) {
    auto score = ScoreAnswers(instrument, answers);
    EXPECT_THAT(score, StatusIs(absl::StatusCode::kInvalidArgument)) << field;
    EXPECT_EQ(FieldOf(score.status()), field);
  }
}

TEST(AssessmentScoring, UnpublishableInstruments_NameTheField) {
  std::vector<std::pair<std::function<void(v1::Instrument&)>, std::string>> spoil = {
      {[](v1::Instrument& i) { i.set_code("Child Risk"); }, "instrument.code"},
      {[](v1::Instrument& i) { i.set_title(""); }, "instrument.title"},
      {[](v1::Instrument& i) { i.clear_domains(); }, "instrument.domains"},
      {[](v1::Instrument& i) { i.mutable_domains(0)->mutable_questions(1)->set_question_id("q1"); },
       "instrument.domains[0].questions[1].question_id"},
      {[](v1::Instrument& i) {
         i.mutable_domains(0)->mutable_questions(0)->mutable_options(1)->set_score(0);
       },
       "instrument.domains[0].questions[0].options[1].score"},
      {[](v1::Instrument& i) {
         i.mutable_domains(0)->mutable_questions(2)->mutable_options(1)->set_score(2);
       },
       "instrument.domains[0].questions[2].options"},
      {[](v1::Instrument& i) { i.mutable_bands()->RemoveLast(); }, "instrument.bands"},
      {[](v1::Instrument& i) { i.mutable_bands(0)->set_min_total(1); }, "instrument.bands[0].min_total"},
      {[](v1::Instrument& i) { i.mutable_bands(2)->set_min_total(3); }, "instrument.bands[2].min_total"},
      {[](v1::Instrument& i) { i.mutable_bands(1)->set_risk_level(v1::RISK_LEVEL_HIGH); },
       "instrument.bands[1].risk_level"},
  };
  for (const auto& [change, field] : spoil) {
    v1::Instrument instrument = Instrument();
    change(instrument);
    const absl::Status status = ValidateInstrument(instrument);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << field;
    EXPECT_EQ(FieldOf(status), field);
  }
}

// ---- schedule

absl::CivilDay Day(int y, int m, int d) { return absl::CivilDay(y, m, d); }

TEST(AssessmentSchedule, Default_IntervalByGrade) {
  ASSERT_OK_AND_ASSIGN(AssessmentSchedule schedule, ParseAssessmentSchedule("", "s"));
  EXPECT_EQ(NextAssessmentDue(schedule, v1::RISK_LEVEL_EXTREME, Day(2026, 1, 31)), Day(2026, 2, 28));
  EXPECT_EQ(NextAssessmentDue(schedule, v1::RISK_LEVEL_HIGH, Day(2026, 1, 15)), Day(2026, 4, 15));
  EXPECT_EQ(NextAssessmentDue(schedule, v1::RISK_LEVEL_MEDIUM, Day(2026, 1, 15)), Day(2026, 7, 15));
  EXPECT_EQ(NextAssessmentDue(schedule, v1::RISK_LEVEL_LOW, Day(2026, 2, 28)), Day(2027, 2, 28));
  EXPECT_EQ(schedule.initial_days, 30);
}

TEST(AssessmentSchedule, FixedMonths_DueByTheEndOfTheNextRegradingMonth) {
  ASSERT_OK_AND_ASSIGN(AssessmentSchedule schedule, ParseAssessmentSchedule("months:3,9", "s"));
  EXPECT_EQ(NextAssessmentDue(schedule, v1::RISK_LEVEL_LOW, Day(2026, 2, 10)), Day(2026, 3, 31));
  EXPECT_EQ(NextAssessmentDue(schedule, v1::RISK_LEVEL_EXTREME, Day(2026, 3, 5)), Day(2026, 9, 30));
  EXPECT_EQ(NextAssessmentDue(schedule, v1::RISK_LEVEL_LOW, Day(2026, 10, 1)), Day(2027, 3, 31));
}

TEST(AssessmentSchedule, CustomIntervals_AndBadTextNamesTheSetting) {
  ASSERT_OK_AND_ASSIGN(AssessmentSchedule schedule,
                       ParseAssessmentSchedule("interval:LOW=6,MEDIUM=4,HIGH=2,EXTREME=1", "s"));
  EXPECT_EQ(NextAssessmentDue(schedule, v1::RISK_LEVEL_HIGH, Day(2026, 1, 15)), Day(2026, 3, 15));
  for (const char* bad : {"weekly", "months:13", "months:", "interval:LOW=6,MEDIUM=4,HIGH=2",
                          "interval:LOW=6,LOW=4,HIGH=2,EXTREME=1", "interval:LOW=0,MEDIUM=4,HIGH=2,EXTREME=1",
                          "interval:GREEN=6,MEDIUM=4,HIGH=2,EXTREME=1"}) {
    auto parsed = ParseAssessmentSchedule(bad, "SHOUHU_ASSESSMENT_SCHEDULE");
    EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_NE(parsed.status().message().find("SHOUHU_ASSESSMENT_SCHEDULE"), std::string::npos);
  }
}

// ---- plan items

TEST(CasePlanRules, ItemSteps_ForwardOnlyAndFinalOnceDoneOrCancelled) {
  using S = v1::PlanItemStatus;
  const std::vector<S> all = {v1::PLAN_ITEM_STATUS_PLANNED, v1::PLAN_ITEM_STATUS_IN_PROGRESS,
                              v1::PLAN_ITEM_STATUS_DONE, v1::PLAN_ITEM_STATUS_CANCELLED};
  const std::set<std::pair<S, S>> allowed = {
      {v1::PLAN_ITEM_STATUS_PLANNED, v1::PLAN_ITEM_STATUS_IN_PROGRESS},
      {v1::PLAN_ITEM_STATUS_PLANNED, v1::PLAN_ITEM_STATUS_DONE},
      {v1::PLAN_ITEM_STATUS_PLANNED, v1::PLAN_ITEM_STATUS_CANCELLED},
      {v1::PLAN_ITEM_STATUS_IN_PROGRESS, v1::PLAN_ITEM_STATUS_DONE},
      {v1::PLAN_ITEM_STATUS_IN_PROGRESS, v1::PLAN_ITEM_STATUS_CANCELLED}};
  for (S from : all) {
    for (S to : all) {
      if (allowed.count({from, to})) {
        EXPECT_OK(CheckPlanItemStep(from, to));
      } else {
        EXPECT_THAT(CheckPlanItemStep(from, to), StatusIs(absl::StatusCode::kFailedPrecondition))
            << v1::PlanItemStatus_Name(from) << " -> " << v1::PlanItemStatus_Name(to);
      }
    }
  }
}

// ---- visit follow-ups

common::v1::Event EventOf(const google::protobuf::Message& payload, absl::Time at) {
  common::v1::Event event;
  event.mutable_payload()->PackFrom(payload);
  *event.mutable_occurred_at() = ToProtoTimestamp(at);
  return event;
}

TEST(VisitFollowUps, DangerSignsWithinADay_MissingCheckOutWithinHours_OthersNothing) {
  const absl::Time at = absl::FromUnixSeconds(1'780'000'000);
  visits::v1::DangerSignsRaised danger;
  danger.set_report_id("report-1");
  danger.set_case_id("case-1");
  danger.add_danger_signs(1);
  auto follow_up = FollowUpFor(EventOf(danger, at));
  ASSERT_TRUE(follow_up.has_value());
  EXPECT_EQ(follow_up->kind, v1::TASK_KIND_VISIT_DANGER_SIGNS);
  EXPECT_EQ(follow_up->source_ref, "report-1");
  EXPECT_EQ(follow_up->case_id, "case-1");
  EXPECT_EQ(follow_up->due_at, at + absl::Hours(24));
  EXPECT_EQ(follow_up->village_code, "");  // danger signs follow the child

  visits::v1::VisitCheckOutMissing missing;
  missing.set_assignment_id("assignment-1");
  missing.set_case_id("case-1");
  follow_up = FollowUpFor(EventOf(missing, at));
  ASSERT_TRUE(follow_up.has_value());
  EXPECT_EQ(follow_up->kind, v1::TASK_KIND_VISIT_CHECK_OUT_MISSING);
  EXPECT_EQ(follow_up->due_at, at + absl::Hours(4));
  EXPECT_EQ(follow_up->village_code, "");  // an event without its place: acted on where the case is
  missing.set_division_code("532329101201");
  missing.set_organisation_id("ngo-wuding");
  follow_up = FollowUpFor(EventOf(missing, at));
  ASSERT_TRUE(follow_up.has_value());
  EXPECT_EQ(follow_up->village_code, "532329101201");  // the visitor's organisation, where the visit was
  EXPECT_EQ(follow_up->organisation_id, "ngo-wuding");

  visits::v1::VisitCheckedOut checked_out;
  checked_out.set_case_id("case-1");
  EXPECT_FALSE(FollowUpFor(EventOf(checked_out, at)).has_value());
  danger.clear_case_id();
  EXPECT_FALSE(FollowUpFor(EventOf(danger, at)).has_value());
}

// ---- task list

v1::Task TaskAt(v1::TaskKind kind, const std::string& record, absl::Time due) {
  v1::Task t;
  t.set_task_id(TaskId(kind, record));
  t.set_kind(kind);
  *t.mutable_due_at() = ToProtoTimestamp(due);
  return t;
}

TEST(TaskList, Merge_OrdersByDueThenIdAndMarksOverdue) {
  const absl::Time now = absl::FromUnixSeconds(1'780'000'000);
  std::vector<std::vector<v1::Task>> pages = {
      {TaskAt(v1::TASK_KIND_PLAN_ITEM_DUE, "01JX0000000000000000000003", now + absl::Hours(1))},
      {TaskAt(v1::TASK_KIND_ASSESSMENT_DUE, "01JX0000000000000000000001", now - absl::Hours(1)),
       TaskAt(v1::TASK_KIND_ASSESSMENT_DUE, "01JX0000000000000000000002", now + absl::Hours(1))},
      {}};
  std::vector<v1::Task> merged = MergeTaskPages(pages, 2, now);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].task_id(), "assessment-due:01JX0000000000000000000001");
  EXPECT_TRUE(merged[0].overdue());
  EXPECT_EQ(merged[1].task_id(), "assessment-due:01JX0000000000000000000002");  // same due: by id
  EXPECT_FALSE(merged[1].overdue());
}

TEST(TaskList, PageToken_RoundTripsAndPlacesEachSourceAfterIt) {
  const absl::Time due = absl::FromUnixSeconds(1'780'000'000);
  const v1::Task last = TaskAt(v1::TASK_KIND_PLAN_ITEM_DUE, "01JX0000000000000000000005", due);
  TaskQuery query;
  ASSERT_OK(ReadTaskPageToken(TaskPageToken(last), query));
  EXPECT_EQ(query.after_due, due);
  EXPECT_EQ(query.after_task_id, last.task_id());
  // At the same due instant: the same kind resumes after the record, kinds sorting before it have nothing
  // left, kinds sorting after it start from their first record.
  EXPECT_EQ(RecordIdAfter(query, v1::TASK_KIND_PLAN_ITEM_DUE), "01JX0000000000000000000005");
  EXPECT_EQ(RecordIdAfter(query, v1::TASK_KIND_ASSESSMENT_DUE), "\x7f");
  EXPECT_EQ(RecordIdAfter(query, v1::TASK_KIND_REVIEW_PENDING), "");
  for (const char* bad :
       {"x", "12/", "12/assessment-due:nope", "abc/plan-item-due:01JX0000000000000000000005"}) {
    TaskQuery q;
    EXPECT_EQ(FieldOf(ReadTaskPageToken(bad, q)), "page_token") << bad;
  }
  ASSERT_OK_AND_ASSIGN(auto parsed, ParseTaskId("visit-danger-signs:01JX0000000000000000000005", "task_id"));
  EXPECT_EQ(parsed.first, v1::TASK_KIND_VISIT_DANGER_SIGNS);
  EXPECT_EQ(FieldOf(ParseTaskId("visit-danger:01JX0000000000000000000005", "task_id").status()), "task_id");
}

TEST(TaskList, DueAtEndOf_IsShanghaiMidnightAfterTheDay) {
  EXPECT_EQ(DueAtEndOf(absl::CivilDay(2026, 3, 31)),
            absl::FromCivil(absl::CivilSecond(2026, 3, 31, 16, 0, 0), absl::UTCTimeZone()));
}

}  // namespace
}  // namespace shouhu::registry
