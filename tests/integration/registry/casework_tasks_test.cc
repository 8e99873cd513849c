// The task list for its three audiences, against real MariaDB: a caseworker's own cases and plan items and
// what came back to them, a township supervisor's and a county's review queues, a county's whole
// jurisdiction; visit follow-ups from the visits service's events (a stand-in stream in the same StreamEvents
// shape, followed by a real EventConsumer applying the registry's follower), completed once; paging.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/event_consumer.h"
#include "common/timestamps.h"
#include "shouhu/registry/v1/cooperation_service.pb.h"
#include "shouhu/visits/v1/events.pb.h"
#include "tests/integration/common/event_source.h"
#include "tests/integration/registry/casework_fixture.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Stub = v1::CaseworkService::Stub;
using Listed = std::multiset<std::pair<v1::TaskKind, std::string>>;

class CaseworkTasksTest : public CaseworkTest {
 protected:
  absl::StatusOr<std::vector<v1::Task>> Tasks(const Principal& as, v1::TaskAudience audience,
                                              int horizon_days = 0, int page_size = 0) {
    std::vector<v1::Task> all;
    v1::ListTasksRequest request;
    request.set_audience(audience);
    request.set_horizon_days(horizon_days);
    request.set_page_size(page_size);
    for (int pages = 0; pages < 100; ++pages) {
      auto response = Ask(&Stub::ListTasks, as, request);
      if (!response.ok()) return response.status();
      for (const auto& t : response->tasks()) all.push_back(t);
      if (response->next_page_token().empty()) break;
      request.set_page_token(response->next_page_token());
    }
    return all;
  }

  static Listed Kinds(const std::vector<v1::Task>& tasks) {
    Listed listed;
    for (const auto& t : tasks) listed.emplace(t.kind(), t.record_id());
    return listed;
  }
};

TEST_F(CaseworkTasksTest, ThreeAudiences_EachSeesItsOwnWork) {
  Publish();
  const v1::Case c1 = RegisterChild("t1", "李娜");
  const v1::Case c2 = RegisterChild("t2", "王强");
  const v1::Case c3 = RegisterChild("t3", "张小红");
  ASSERT_OK_AND_ASSIGN(v1::Assessment waiting_township,
                       Assess(wuding_caseworker_, "a1", c1.case_id(), Answers(0, 0)));
  ASSERT_OK(Submit(wuding_caseworker_, waiting_township.assessment_id()));
  ASSERT_OK_AND_ASSIGN(v1::Assessment waiting_county,
                       Assess(wuding_caseworker_, "a2", c2.case_id(), Answers(0, 0)));
  ASSERT_OK(Submit(wuding_caseworker_, waiting_county.assessment_id()));
  ASSERT_OK(Check(township_supervisor_, waiting_county.assessment_id()));
  ASSERT_OK_AND_ASSIGN(v1::Assessment returned,
                       Assess(wuding_caseworker_, "a3", c3.case_id(), Answers(0, 0)));
  ASSERT_OK(Submit(wuding_caseworker_, returned.assessment_id()));
  ASSERT_OK(Return(township_supervisor_, returned.assessment_id(), "请补充照片"));

  const std::string tomorrow = absl::FormatCivilTime(ShanghaiDay(clock_.Now()) + 1);
  v1::CreateCasePlanRequest plan_request;
  plan_request.set_request_id("plan-t");
  plan_request.set_case_id(c1.case_id());
  plan_request.add_goals("复学");
  for (const char* owner : {"caseworker-1", "director-7"}) {
    auto* item = plan_request.add_items();
    item->set_description("联系学校");
    item->set_owner_id(owner);
    item->set_due_date(tomorrow);
  }
  ASSERT_OK_AND_ASSIGN(auto plan, Ask(&Stub::CreateCasePlan, wuding_caseworker_, plan_request));
  Approve(plan.plan().plan_id());
  const std::string item1 = plan.plan().items(0).item_id(), item2 = plan.plan().items(1).item_id();

  // Within a week: the plan items (due tomorrow) and the returned assessment; first assessments are due in 30
  // days, beyond the week.
  ASSERT_OK_AND_ASSIGN(auto week, Tasks(wuding_caseworker_, v1::TASK_AUDIENCE_CASEWORKER));
  EXPECT_EQ(Kinds(week), (Listed{{v1::TASK_KIND_PLAN_ITEM_DUE, item1},
                                 {v1::TASK_KIND_PLAN_ITEM_DUE, item2},
                                 {v1::TASK_KIND_REVIEW_RETURNED, returned.assessment_id()}}));
  for (const auto& t : week) EXPECT_FALSE(t.overdue()) << t.task_id();
  ASSERT_OK_AND_ASSIGN(auto month, Tasks(wuding_caseworker_, v1::TASK_AUDIENCE_CASEWORKER, 31));
  EXPECT_EQ(Kinds(month), (Listed{{v1::TASK_KIND_ASSESSMENT_DUE, c1.case_id()},
                                  {v1::TASK_KIND_ASSESSMENT_DUE, c2.case_id()},
                                  {v1::TASK_KIND_ASSESSMENT_DUE, c3.case_id()},
                                  {v1::TASK_KIND_PLAN_ITEM_DUE, item1},
                                  {v1::TASK_KIND_PLAN_ITEM_DUE, item2},
                                  {v1::TASK_KIND_REVIEW_RETURNED, returned.assessment_id()}}));
  // Ordered by when they are due.
  for (size_t i = 1; i < month.size(); ++i) {
    EXPECT_LE(FromProtoTimestamp(month[i - 1].due_at()), FromProtoTimestamp(month[i].due_at()));
  }
  // Another organisation's caseworker has none of it.
  ASSERT_OK_AND_ASSIGN(auto other, Tasks(other_ngo_caseworker_, v1::TASK_AUDIENCE_CASEWORKER, 31));
  EXPECT_TRUE(other.empty());

  ASSERT_OK_AND_ASSIGN(auto township, Tasks(township_supervisor_, v1::TASK_AUDIENCE_SUPERVISOR, 31));
  EXPECT_EQ(Kinds(township), (Listed{{v1::TASK_KIND_REVIEW_PENDING, waiting_township.assessment_id()}}));
  ASSERT_OK_AND_ASSIGN(auto other_township,
                       Tasks(other_township_supervisor_, v1::TASK_AUDIENCE_SUPERVISOR, 31));
  EXPECT_TRUE(other_township.empty());

  ASSERT_OK_AND_ASSIGN(auto county_queue, Tasks(wuding_officer_, v1::TASK_AUDIENCE_SUPERVISOR));
  EXPECT_EQ(Kinds(county_queue), (Listed{{v1::TASK_KIND_REVIEW_PENDING, waiting_county.assessment_id()}}));
  ASSERT_OK_AND_ASSIGN(auto county, Tasks(wuding_officer_, v1::TASK_AUDIENCE_COUNTY, 31));
  EXPECT_EQ(Kinds(county), (Listed{{v1::TASK_KIND_ASSESSMENT_DUE, c1.case_id()},
                                   {v1::TASK_KIND_ASSESSMENT_DUE, c2.case_id()},
                                   {v1::TASK_KIND_ASSESSMENT_DUE, c3.case_id()},
                                   {v1::TASK_KIND_PLAN_ITEM_DUE, item1},
                                   {v1::TASK_KIND_PLAN_ITEM_DUE, item2},
                                   {v1::TASK_KIND_REVIEW_PENDING, waiting_county.assessment_id()}}));
  ASSERT_OK_AND_ASSIGN(auto xixia, Tasks(xixia_officer_, v1::TASK_AUDIENCE_COUNTY, 31));
  EXPECT_TRUE(xixia.empty());

  // Paged one at a time, the same tasks in the same order.
  ASSERT_OK_AND_ASSIGN(auto one_by_one,
                       Tasks(wuding_officer_, v1::TASK_AUDIENCE_COUNTY, 31, /*page_size=*/1));
  ASSERT_EQ(one_by_one.size(), county.size());
  for (size_t i = 0; i < county.size(); ++i) EXPECT_EQ(one_by_one[i].task_id(), county[i].task_id());

  // The county's list is the officer's; the supervisor's is not a caseworker's.
  EXPECT_THAT(Tasks(wuding_caseworker_, v1::TASK_AUDIENCE_COUNTY),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Tasks(wuding_caseworker_, v1::TASK_AUDIENCE_SUPERVISOR),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

// Service referrals out (CaseCooperationService) join the list by their due day while open, for the sending
// organisation and the county; paged across a day boundary like every source; gone once completed. The rows
// are written as the cooperation store writes them (its own tests cover how they get there).
TEST_F(CaseworkTasksTest, OpenServiceReferrals_AreTasksByTheirDueDay_UntilCompleted) {
  const v1::Case c = RegisterChild("r1", "李娜");
  const absl::CivilDay today = ShanghaiDay(clock_.Now());
  std::vector<std::string> ids;
  const auto refer = [&](absl::CivilDay due, v1::ServiceReferralStatus status) {
    ids.push_back(ids_->Next());
    EXPECT_OK(database_->pool().Autocommit([&](db::Session& session) {
      return session
          .Execute(
              "INSERT INTO service_referrals (id, case_id, child_id, village_code, from_org, to_org, "
              "service, due_date, note, status, consent_id, sent_by, sent_at) VALUES (?, ?, ?, ?, ?, ?, 1, "
              "?, '', ?, ?, 'caseworker-1', ?)",
              {ids.back(), c.case_id(), c.child_id(), kWudingVillage, "ngo-wuding", "legal-aid-wuding",
               absl::FormatCivilTime(due), int64_t{status}, ids_->Next(), ToSqlTimestamp(clock_.Now())})
          .status();
    }));
    return ids.back();
  };
  const std::string overdue = refer(today - 2, v1::SERVICE_REFERRAL_STATUS_ACCEPTED);
  const std::string soon = refer(today + 3, v1::SERVICE_REFERRAL_STATUS_SENT);
  const std::string also_soon = refer(today + 3, v1::SERVICE_REFERRAL_STATUS_SENT);
  refer(today + 1, v1::SERVICE_REFERRAL_STATUS_COMPLETED);
  refer(today + 1, v1::SERVICE_REFERRAL_STATUS_REJECTED);
  refer(today + 20, v1::SERVICE_REFERRAL_STATUS_SENT);  // beyond the week

  const auto referrals = [](const std::vector<v1::Task>& tasks) {
    std::vector<v1::Task> out;
    for (const auto& t : tasks) {
      if (t.kind() == v1::TASK_KIND_SERVICE_REFERRAL_DUE) out.push_back(t);
    }
    return out;
  };
  ASSERT_OK_AND_ASSIGN(auto county, Tasks(wuding_officer_, v1::TASK_AUDIENCE_COUNTY, 7));
  std::vector<v1::Task> listed = referrals(county);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].record_id(), overdue);
  EXPECT_TRUE(listed[0].overdue());
  EXPECT_EQ(FromProtoTimestamp(listed[0].due_at()), DueAtEndOf(today - 2));
  EXPECT_EQ((std::set<std::string>{listed[1].record_id(), listed[2].record_id()}),
            (std::set<std::string>{soon, also_soon}));
  EXPECT_FALSE(listed[1].overdue());
  ASSERT_OK_AND_ASSIGN(auto one_by_one, Tasks(wuding_officer_, v1::TASK_AUDIENCE_COUNTY, 7, /*page_size=*/1));
  std::vector<v1::Task> paged = referrals(one_by_one);
  ASSERT_EQ(paged.size(), listed.size());
  for (size_t i = 0; i < listed.size(); ++i) EXPECT_EQ(paged[i].task_id(), listed[i].task_id());
  ASSERT_OK_AND_ASSIGN(auto other, Tasks(other_ngo_caseworker_, v1::TASK_AUDIENCE_CASEWORKER, 7));
  EXPECT_TRUE(referrals(other).empty());
  ASSERT_OK_AND_ASSIGN(auto xixia, Tasks(xixia_officer_, v1::TASK_AUDIENCE_COUNTY, 7));
  EXPECT_TRUE(referrals(xixia).empty());

  ASSERT_OK(database_->pool().Autocommit([&](db::Session& session) {
    return session
        .Execute("UPDATE service_referrals SET status = ? WHERE id = ?",
                 {int64_t{v1::SERVICE_REFERRAL_STATUS_COMPLETED}, overdue})
        .status();
  }));
  ASSERT_OK_AND_ASSIGN(county, Tasks(wuding_officer_, v1::TASK_AUDIENCE_COUNTY, 7));
  EXPECT_EQ(referrals(county).size(), 2u);
}

class CaseworkVisitFollowUpTest : public CaseworkTasksTest {
 protected:
  void SetUp() override {
    CaseworkTasksTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(source_db_, shouhu::testing::TestDatabase::Create({}));
    source_ = std::make_unique<shouhu::testing::EventSource>(source_db_->pool());
    EventConsumerOptions options;
    options.name = "registry-from-visits-test";
    options.method = shouhu::testing::kEventSourceStreamMethod;
    options.channel = source_->channel();
    options.identify = identity_.ForSelf();
    options.min_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(100);
    CaseworkStore* store = &module_->casework().store();
    consumer_ = std::make_unique<EventConsumer>(
        database_->pool(), metrics_, logger_, options,
        [store](db::Session& tx, const common::v1::Event& e) { return store->ApplyVisitEvent(tx, e); });
    consumer_->Start();
  }
  void TearDown() override {
    consumer_.reset();
    source_.reset();
    source_db_.reset();
    CaseworkTasksTest::TearDown();
  }

  absl::Status Emit(const std::string& aggregate, const google::protobuf::Message& payload) {
    ++published_;
    return source_db_->pool().Transaction(
        [&](db::Session& tx) { return source_->outbox().Append(tx, aggregate, payload, absl::Now()); });
  }

  void AwaitApplied() {
    const absl::Time give_up = absl::Now() + absl::Minutes(1);
    while (consumer_->Checkpoint().value_or(0) < published_ && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_OK_AND_ASSIGN(int64_t checkpoint, consumer_->Checkpoint());
    ASSERT_EQ(checkpoint, published_);
  }

  int64_t published_ = 0;
  std::unique_ptr<shouhu::testing::TestDatabase> source_db_;
  std::unique_ptr<shouhu::testing::EventSource> source_;
  std::unique_ptr<EventConsumer> consumer_;
};

TEST_F(CaseworkVisitFollowUpTest, DangerSignsAndMissingCheckOut_BecomeTasksOnceAndEndWhenCompleted) {
  const v1::Case c = RegisterChild("visit", "李娜");
  visits::v1::DangerSignsRaised danger;
  danger.set_report_id("01JX00000000000000000000R1");
  danger.set_case_id(c.case_id());
  danger.set_child_id(c.child_id());
  danger.set_division_code(kWudingVillage);
  danger.add_danger_signs(3);
  visits::v1::VisitCheckOutMissing missing;
  missing.set_assignment_id("01JX00000000000000000000A1");
  missing.set_case_id(c.case_id());
  visits::v1::VisitCheckedOut checked_out;  // makes no task
  checked_out.set_case_id(c.case_id());
  ASSERT_OK(Emit(danger.report_id(), danger));
  ASSERT_OK(Emit(missing.assignment_id(), missing));
  ASSERT_OK(Emit(danger.report_id(), danger));  // delivered twice
  ASSERT_OK(Emit("a2", checked_out));
  AwaitApplied();
  EXPECT_EQ(Count("visit_follow_ups"), 2);

  ASSERT_OK_AND_ASSIGN(auto mine, Tasks(wuding_caseworker_, v1::TASK_AUDIENCE_CASEWORKER));
  ASSERT_EQ(mine.size(), 2u);
  // The missing check-out is due within hours, the danger signs within a day: that order.
  EXPECT_EQ(mine[0].kind(), v1::TASK_KIND_VISIT_CHECK_OUT_MISSING);
  EXPECT_EQ(mine[1].kind(), v1::TASK_KIND_VISIT_DANGER_SIGNS);
  EXPECT_EQ(mine[1].case_id(), c.case_id());
  EXPECT_EQ(mine[1].assignee(), "caseworker-1");
  ASSERT_OK_AND_ASSIGN(auto township, Tasks(township_supervisor_, v1::TASK_AUDIENCE_SUPERVISOR));
  EXPECT_EQ(township.size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto other, Tasks(other_ngo_caseworker_, v1::TASK_AUDIENCE_CASEWORKER));
  EXPECT_TRUE(other.empty());

  v1::CompleteTaskRequest complete;
  complete.set_request_id("done-danger");
  complete.set_task_id(mine[1].task_id());
  complete.set_note("已入户，孩子由姑姑临时照护");
  // Outside scope it does not exist.
  EXPECT_THAT(Ask(&Stub::CompleteTask, other_ngo_caseworker_, complete),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto done, Ask(&Stub::CompleteTask, wuding_caseworker_, complete));
  EXPECT_EQ(done.task().task_id(), mine[1].task_id());
  ASSERT_OK_AND_ASSIGN(auto retried, Ask(&Stub::CompleteTask, wuding_caseworker_, complete));
  EXPECT_EQ(retried.SerializeAsString(), done.SerializeAsString());
  complete.set_request_id("done-danger-again");
  EXPECT_THAT(Ask(&Stub::CompleteTask, wuding_caseworker_, complete),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto left, Tasks(wuding_caseworker_, v1::TASK_AUDIENCE_CASEWORKER));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].kind(), v1::TASK_KIND_VISIT_CHECK_OUT_MISSING);
  // Derived tasks end when their record moves, not by completion.
  v1::CompleteTaskRequest derived;
  derived.set_request_id("done-derived");
  derived.set_task_id(TaskId(v1::TASK_KIND_ASSESSMENT_DUE, c.case_id()));
  derived.set_note("x");
  auto refused = Ask(&Stub::CompleteTask, wuding_caseworker_, derived);
  EXPECT_EQ(FieldOf(refused.status()), "task_id");
}

// A visitor who checked in and never checked out is reached by the organisation that sent them, in the county
// of the visit, even once the child has moved to another county and organisation; danger signs go with the
// child.
TEST_F(CaseworkVisitFollowUpTest, MissingCheckOut_AfterTheChildMovedCounty_StaysWhereTheVisitWasMade) {
  const v1::Case c = RegisterChild("moved", "李娜");
  // The child's case now in Xixia with another organisation's caseworker, as a county transfer's accept
  // leaves it (how it got there is the cooperation tests'; here only where the follow-ups land).
  ASSERT_OK(database_->pool().Autocommit([&](db::Session& session) {
    return session
        .Execute(
            "UPDATE cases SET village_code = ?, organisation_id = 'ngo-xixia', caseworker_id = 'caseworker-x'"
            " WHERE id = ?",
            {std::string(kXixiaVillage), c.case_id()})
        .status();
  }));
  visits::v1::VisitCheckOutMissing missing;  // the Saturday visit in Wuding, before the move
  missing.set_assignment_id("01JX00000000000000000000A2");
  missing.set_case_id(c.case_id());
  missing.set_division_code(kWudingVillage);
  missing.set_organisation_id(c.organisation_id());
  visits::v1::DangerSignsRaised danger;
  danger.set_report_id("01JX00000000000000000000R2");
  danger.set_case_id(c.case_id());
  danger.set_division_code(kWudingVillage);
  danger.add_danger_signs(3);
  ASSERT_OK(Emit(missing.assignment_id(), missing));
  ASSERT_OK(Emit(danger.report_id(), danger));
  AwaitApplied();

  ASSERT_OK_AND_ASSIGN(auto wuding, Tasks(wuding_officer_, v1::TASK_AUDIENCE_COUNTY));
  ASSERT_EQ(wuding.size(), 1u);
  EXPECT_EQ(wuding[0].kind(), v1::TASK_KIND_VISIT_CHECK_OUT_MISSING);
  EXPECT_EQ(wuding[0].village_code(), kWudingVillage);
  EXPECT_EQ(wuding[0].assignee(), "");  // the case's caseworker is the other organisation's now
  ASSERT_OK_AND_ASSIGN(auto township, Tasks(township_supervisor_, v1::TASK_AUDIENCE_SUPERVISOR));
  EXPECT_EQ(Kinds(township), (Listed{{v1::TASK_KIND_VISIT_CHECK_OUT_MISSING, wuding[0].record_id()}}));
  ASSERT_OK_AND_ASSIGN(auto xixia, Tasks(xixia_officer_, v1::TASK_AUDIENCE_COUNTY));
  ASSERT_EQ(xixia.size(), 1u);
  EXPECT_EQ(xixia[0].kind(), v1::TASK_KIND_VISIT_DANGER_SIGNS);
  EXPECT_EQ(xixia[0].village_code(), kXixiaVillage);
  EXPECT_EQ(xixia[0].assignee(), "caseworker-x");

  v1::CompleteTaskRequest complete;
  complete.set_request_id("reached-the-visitor");
  complete.set_task_id(wuding[0].task_id());
  complete.set_note("已联系志愿者，平安到家");
  EXPECT_THAT(Ask(&Stub::CompleteTask, xixia_officer_, complete), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto done, Ask(&Stub::CompleteTask, wuding_officer_, complete));
  EXPECT_EQ(done.task().village_code(), kWudingVillage);
  ASSERT_OK_AND_ASSIGN(wuding, Tasks(wuding_officer_, v1::TASK_AUDIENCE_COUNTY));
  EXPECT_TRUE(wuding.empty());
}

}  // namespace
}  // namespace shouhu::registry::testing
