// Assessments against real MariaDB over loopback gRPC: scored and graded on the published instrument version,
// the grade set as the case's risk level (RiskLevelChanged, which the visits cadence follows) only when the
// county confirms, the emergency override raising the case at submission, the next assessment scheduled,
// and the overdue list.
#include <set>

#include "absl/strings/str_cat.h"
#include "shouhu/registry/v1/events.pb.h"
#include "tests/integration/registry/casework_fixture.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Stub = v1::CaseworkService::Stub;

TEST_F(CaseworkTest, PublishInstrument_NextVersionUnderTheSameCode_EarlierVersionUnchanged) {
  const v1::Instrument first = Publish();
  EXPECT_EQ(first.version(), 1);
  v1::PublishInstrumentRequest second;
  second.set_request_id("publish-v2");
  *second.mutable_instrument() = TestInstrument();
  second.mutable_instrument()->set_title("困境儿童风险评估（2027版）");
  ASSERT_OK_AND_ASSIGN(auto published, Ask(&Stub::PublishInstrument, wuding_officer_, second));
  EXPECT_EQ(published.instrument().version(), 2);
  EXPECT_NE(published.instrument().instrument_id(), first.instrument_id());
  v1::GetInstrumentRequest get;
  get.set_instrument_id(first.instrument_id());
  ASSERT_OK_AND_ASSIGN(auto read, Ask(&Stub::GetInstrument, wuding_caseworker_, get));
  EXPECT_EQ(read.instrument().title(), "困境儿童风险评估");
  EXPECT_EQ(read.instrument().version(), 1);
  EXPECT_EQ(read.instrument().domains(0).questions_size(), 3);
  EXPECT_EQ(read.instrument().published_by(), "officer-wuding");
}

TEST_F(CaseworkTest, ConfirmedAssessment_SetsRiskEmitsRiskLevelChangedAndSchedulesTheNext) {
  Publish();
  const v1::Case c = RegisterChild("graded", "李娜");  // accepted HIGH
  ASSERT_OK_AND_ASSIGN(v1::Assessment a, Assess(wuding_caseworker_, "assess-1", c.case_id(), Answers(0, 2)));
  EXPECT_EQ(a.total_score(), 2);
  EXPECT_EQ(a.grade(), v1::RISK_LEVEL_LOW);
  EXPECT_EQ(a.instrument_version(), 1);
  EXPECT_EQ(a.review().state(), v1::REVIEW_STATE_DRAFT);

  // Nothing changes on the case before the county confirms.
  ASSERT_OK(Submit(wuding_caseworker_, a.assessment_id()));
  ASSERT_OK(Check(township_supervisor_, a.assessment_id()));
  ASSERT_OK_AND_ASSIGN(v1::Case before, CaseNow(c.case_id()));
  EXPECT_EQ(before.risk_level(), v1::RISK_LEVEL_HIGH);
  EXPECT_TRUE(EventsOf("shouhu.registry.v1.RiskLevelChanged").empty());

  ASSERT_OK_AND_ASSIGN(v1::Review confirmed, Confirm(wuding_officer_, a.assessment_id()));
  EXPECT_EQ(confirmed.state(), v1::REVIEW_STATE_COUNTY_CONFIRMED);
  EXPECT_EQ(confirmed.submitted_by(), "caseworker-1");
  EXPECT_EQ(confirmed.township_checked_by(), "supervisor-101");
  EXPECT_EQ(confirmed.county_confirmed_by(), "officer-wuding");
  ASSERT_EQ(confirmed.history_size(), 3);
  ASSERT_OK_AND_ASSIGN(v1::Case after, CaseNow(c.case_id()));
  EXPECT_EQ(after.risk_level(), v1::RISK_LEVEL_LOW);
  EXPECT_EQ(after.history(after.history_size() - 1).action(), "risk_changed");

  auto changed = EventsOf("shouhu.registry.v1.RiskLevelChanged");
  ASSERT_EQ(changed.size(), 1u);
  v1::RiskLevelChanged event;
  ASSERT_TRUE(changed[0].payload().UnpackTo(&event));
  EXPECT_EQ(event.case_id(), c.case_id());
  EXPECT_EQ(event.from_risk_level(), v1::RISK_LEVEL_HIGH);
  EXPECT_EQ(event.to_risk_level(), v1::RISK_LEVEL_LOW);
  EXPECT_EQ(EventsOf("shouhu.registry.v1.CaseworkReviewChanged").size(), 3u);

  // Green: re-graded in twelve months; not overdue now, overdue the day after it was due.
  const absl::CivilDay today = ShanghaiDay(clock_.Now());
  const absl::CivilDay due(today.year() + 1, today.month(), today.day());
  v1::ListOverdueAssessmentsRequest list;
  list.set_division_prefix("532329");
  ASSERT_OK_AND_ASSIGN(auto now_list, Ask(&Stub::ListOverdueAssessments, wuding_officer_, list));
  EXPECT_EQ(now_list.assessments_size(), 0);
  list.set_as_of(absl::FormatCivilTime(due + 1));
  ASSERT_OK_AND_ASSIGN(auto later, Ask(&Stub::ListOverdueAssessments, wuding_officer_, list));
  ASSERT_EQ(later.assessments_size(), 1);
  EXPECT_EQ(later.assessments(0).case_id(), c.case_id());
  EXPECT_EQ(later.assessments(0).last_assessment_id(), a.assessment_id());
  EXPECT_EQ(later.assessments(0).risk_level(), v1::RISK_LEVEL_LOW);
  if (today.month() != 2 || today.day() != 29) {  // a year after 29 February is 28 February
    EXPECT_EQ(later.assessments(0).due_date(), absl::FormatCivilTime(due));
  }
  list.set_as_of(absl::FormatCivilTime(due));
  ASSERT_OK_AND_ASSIGN(auto on_the_day, Ask(&Stub::ListOverdueAssessments, wuding_officer_, list));
  EXPECT_EQ(on_the_day.assessments_size(), 0);
}

TEST_F(CaseworkTest, RegradingToTheSameLevel_SchedulesButEmitsNoRiskChange) {
  Publish();
  const v1::Case c = RegisterChild("same", "王强");  // HIGH
  ASSERT_OK_AND_ASSIGN(v1::Assessment a,
                       Assess(wuding_caseworker_, "assess-same", c.case_id(), Answers(5, 2)));
  EXPECT_EQ(a.grade(), v1::RISK_LEVEL_HIGH);
  Approve(a.assessment_id());
  EXPECT_TRUE(EventsOf("shouhu.registry.v1.RiskLevelChanged").empty());
  v1::ListOverdueAssessmentsRequest list;
  const absl::CivilDay today = ShanghaiDay(clock_.Now());
  list.set_as_of(absl::FormatCivilTime(today + 100));  // yellow: three months
  ASSERT_OK_AND_ASSIGN(auto overdue, Ask(&Stub::ListOverdueAssessments, wuding_officer_, list));
  ASSERT_EQ(overdue.assessments_size(), 1);
  EXPECT_EQ(overdue.assessments(0).last_assessment_id(), a.assessment_id());
}

TEST_F(CaseworkTest, EmergencyOverride_RaisesTheCaseOnSubmissionAndStillGoesForApproval) {
  Publish();
  const v1::Case c = RegisterChild("alone", "张小红");  // HIGH
  ASSERT_OK_AND_ASSIGN(v1::Assessment a, Assess(wuding_caseworker_, "assess-alone", c.case_id(),
                                                Answers(0, 0, /*emergency=*/1)));
  EXPECT_TRUE(a.emergency_override());
  EXPECT_EQ(a.grade(), v1::RISK_LEVEL_EXTREME);
  EXPECT_EQ(a.total_score(), 0);
  ASSERT_OK_AND_ASSIGN(v1::Case drafted, CaseNow(c.case_id()));
  EXPECT_EQ(drafted.risk_level(), v1::RISK_LEVEL_HIGH);  // a draft is not yet anyone's word

  ASSERT_OK_AND_ASSIGN(v1::Review submitted, Submit(wuding_caseworker_, a.assessment_id()));
  EXPECT_EQ(submitted.state(), v1::REVIEW_STATE_SUBMITTED);
  ASSERT_OK_AND_ASSIGN(v1::Case raised, CaseNow(c.case_id()));
  EXPECT_EQ(raised.risk_level(), v1::RISK_LEVEL_EXTREME);
  auto changed = EventsOf("shouhu.registry.v1.RiskLevelChanged");
  ASSERT_EQ(changed.size(), 1u);
  v1::RiskLevelChanged event;
  ASSERT_TRUE(changed[0].payload().UnpackTo(&event));
  EXPECT_EQ(event.to_risk_level(), v1::RISK_LEVEL_EXTREME);

  // The review still runs; confirming the red grade changes nothing more.
  ASSERT_OK(Check(township_supervisor_, a.assessment_id()));
  ASSERT_OK(Confirm(wuding_officer_, a.assessment_id()));
  EXPECT_EQ(EventsOf("shouhu.registry.v1.RiskLevelChanged").size(), 1u);
  ASSERT_OK_AND_ASSIGN(v1::Case confirmed, CaseNow(c.case_id()));
  EXPECT_EQ(confirmed.risk_level(), v1::RISK_LEVEL_EXTREME);
}

TEST_F(CaseworkTest, OverdueList_NeverAssessedCasesDueAfterInitialDays_PagedByCase) {
  const v1::Case a = RegisterChild("o1", "李娜");
  const v1::Case b = RegisterChild("o2", "王强");
  RegisterChild("o3", "马丽", kXixiaVillage);  // another county
  const absl::CivilDay today = ShanghaiDay(clock_.Now());
  v1::ListOverdueAssessmentsRequest list;
  list.set_as_of(absl::FormatCivilTime(today + 29));
  ASSERT_OK_AND_ASSIGN(auto early, Ask(&Stub::ListOverdueAssessments, wuding_officer_, list));
  EXPECT_EQ(early.assessments_size(), 0);
  list.set_as_of(absl::FormatCivilTime(today + 32));
  list.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(auto page1, Ask(&Stub::ListOverdueAssessments, wuding_officer_, list));
  ASSERT_EQ(page1.assessments_size(), 1);
  EXPECT_EQ(page1.assessments(0).last_assessment_id(), "");
  list.set_page_token(page1.next_page_token());
  ASSERT_OK_AND_ASSIGN(auto page2, Ask(&Stub::ListOverdueAssessments, wuding_officer_, list));
  ASSERT_EQ(page2.assessments_size(), 1);
  std::set<std::string> listed = {page1.assessments(0).case_id(), page2.assessments(0).case_id()};
  EXPECT_EQ(listed, (std::set<std::string>{a.case_id(), b.case_id()}));
  list.set_page_token(page2.next_page_token());
  ASSERT_OK_AND_ASSIGN(auto page3, Ask(&Stub::ListOverdueAssessments, wuding_officer_, list));
  EXPECT_EQ(page3.assessments_size(), 0);
  // An NGO caseworker of another organisation sees none of them.
  list.clear_page_token();
  ASSERT_OK_AND_ASSIGN(auto other, Ask(&Stub::ListOverdueAssessments, other_ngo_caseworker_, list));
  EXPECT_EQ(other.assessments_size(), 0);
}

TEST_F(CaseworkTest, CreateAssessment_RetriedWithSameId_SameAnswerOneRow_OtherContentRejected) {
  Publish();
  const v1::Case c = RegisterChild("retry", "李娜");
  ASSERT_OK_AND_ASSIGN(v1::Assessment first,
                       Assess(wuding_caseworker_, "assess-r", c.case_id(), Answers(2, 2)));
  ASSERT_OK_AND_ASSIGN(v1::Assessment again,
                       Assess(wuding_caseworker_, "assess-r", c.case_id(), Answers(2, 2)));
  EXPECT_EQ(again.assessment_id(), first.assessment_id());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(Count("assessments"), 1);
  auto other = Assess(wuding_caseworker_, "assess-r", c.case_id(), Answers(5, 5));
  EXPECT_THAT(other, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(other.status()), "request_id");
  EXPECT_EQ(Count("assessments"), 1);
}

TEST_F(CaseworkTest, CreateAssessment_AnswersNotOfTheInstrument_NameTheAnswerAndWriteNothing) {
  Publish();
  const v1::Case c = RegisterChild("bad", "李娜");
  auto answers = Answers(2, 3);  // 3 is no option of q2
  auto bad_score = Assess(wuding_caseworker_, "assess-bad", c.case_id(), answers);
  EXPECT_THAT(bad_score, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(bad_score.status()), "answers[1].score");
  answers = Answers(2, 2);
  answers.pop_back();
  auto missing = Assess(wuding_caseworker_, "assess-bad-2", c.case_id(), answers);
  EXPECT_EQ(FieldOf(missing.status()), "answers");
  EXPECT_EQ(Count("assessments"), 0);
  EXPECT_EQ(Count("casework_reviews"), 0);
}

}  // namespace
}  // namespace shouhu::registry::testing
