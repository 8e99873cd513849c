// Safeguarding concerns about visitors and the training events visits follows, end to end: the visits
// service against the real registry and a real training service (both in this process, over loopback gRPC,
// each on its own MariaDB schema). Raising a concern suspends the person in training at once and takes them
// off every future visit; the planner never places them again; a lead's unfounded close reinstates them. A
// lost qualification arriving as a training event does the same, and replaying training's stream from 0
// changes nothing. With a fake training that fails, the concern is still recorded and the suspension is
// carried by the sync job.
#include "tests/integration/visits/training_backed_fixture.h"

namespace shouhu::visits::testing {
namespace {

using ::shouhu::testing::StatusIs;

using SafeguardingTest = TrainingBackedTest;

bool Suspended(const tv1::QualificationResult& result) {
  for (const auto& r : result.reasons()) {
    if (r.reason() == tv1::QUALIFICATION_REASON_SUSPENDED) return true;
  }
  return false;
}

TEST_F(SafeguardingTest,
       RaiseConcern_PlannedVisitor_SuspendedAtOnceOffEveryFutureVisitNeverPlannedAndReinstatedWhenUnfounded) {
  RegisterChild("1", "李娜");
  RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  AwaitRegistryEvents();
  const v1::Visitor accused = QualifiedVisitor("a");
  const v1::Visitor partner = QualifiedVisitor("b");
  ASSERT_TRUE(HomeVisitQualification(accused.participant_id()).qualified());
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse first, Plan("plan-1"));
  const size_t booked = Assignments(accused.visitor_id()).size();
  ASSERT_GT(booked, 0u);

  ASSERT_OK_AND_ASSIGN(v1::RaiseSafeguardingConcernResponse receipt,
                       Raise(wuding_caseworker_, Concern("concern-1", accused.visitor_id())));
  EXPECT_EQ(receipt.state(), v1::CONCERN_STATE_OPEN);
  EXPECT_TRUE(receipt.suspension_confirmed());
  EXPECT_EQ(receipt.assignments_released(), static_cast<int>(booked));

  // Training says so at once, with the reason.
  const tv1::QualificationResult suspended = HomeVisitQualification(accused.participant_id());
  EXPECT_FALSE(suspended.qualified());
  EXPECT_TRUE(Suspended(suspended));
  // Off every future visit, and so is the partner of those visits (one adult is not the visit planned): the
  // households are due and unassigned again.
  EXPECT_TRUE(Assignments(accused.visitor_id()).empty());
  EXPECT_TRUE(Assignments(partner.visitor_id()).empty());
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 0);
  EXPECT_EQ(visits_database_->Count("released_assignments"), first.assignments_size());

  // The next plan places the households with someone else, never the person concerned.
  const v1::Visitor replacement = QualifiedVisitor("c");
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse second, Plan("plan-2"));
  EXPECT_GT(second.assignments_size(), 0);
  for (const v1::Assignment& a : second.assignments()) EXPECT_NE(a.visitor_id(), accused.visitor_id());
  EXPECT_FALSE(Assignments(replacement.visitor_id()).empty());

  // Training's ParticipantSuspended then reaches the follower: nothing is left to take, nothing changes.
  const std::vector<std::string> planned = AssignmentRows();
  AwaitTrainingEvents();
  EXPECT_EQ(AssignmentRows(), planned);

  // A lead finds it unfounded: reinstated in training.
  ASSERT_OK_AND_ASSIGN(
      v1::SafeguardingConcern closed,
      ReviewConcern(wuding_lead_, "review-1", receipt.concern_id(), v1::CONCERN_DECISION_CLOSE_UNFOUNDED));
  EXPECT_EQ(closed.state(), v1::CONCERN_STATE_CLOSED_UNFOUNDED);
  EXPECT_TRUE(HomeVisitQualification(accused.participant_id()).qualified());
}

// Two concerns about one person: each places its own hold in training, so closing the first as unfounded
// leaves the person suspended under the second. When training kept one suspension a person, the second
// concern's suspension changed nothing there and the first's close reinstated the person while the second
// still stood (visits then relied on its own count of concerns, which an officer's suspension outside visits
// did not enter).
TEST_F(SafeguardingTest, TwoConcerns_FirstClosedUnfounded_StillSuspendedInTrainingUntilTheSecond) {
  const v1::Visitor accused = QualifiedVisitor("a");
  ASSERT_OK_AND_ASSIGN(auto first, Raise(wuding_caseworker_, Concern("concern-1", accused.visitor_id())));
  ASSERT_OK_AND_ASSIGN(auto second, Raise(wuding_director_, Concern("concern-2", accused.visitor_id())));
  EXPECT_TRUE(second.suspension_confirmed());
  ASSERT_OK(ReviewConcern(wuding_lead_, "review-1", first.concern_id(), v1::CONCERN_DECISION_CLOSE_UNFOUNDED)
                .status());
  const tv1::QualificationResult after_first = HomeVisitQualification(accused.participant_id());
  EXPECT_FALSE(after_first.qualified());
  EXPECT_TRUE(Suspended(after_first));
  ASSERT_OK(ReviewConcern(wuding_lead_, "review-2", second.concern_id(), v1::CONCERN_DECISION_CLOSE_UNFOUNDED)
                .status());
  EXPECT_TRUE(HomeVisitQualification(accused.participant_id()).qualified());
}

TEST_F(SafeguardingTest, UpheldConcern_PersonStaysSuspendedAndIsNeverPlanned) {
  RegisterChild("1", "李娜");
  AwaitRegistryEvents();
  const v1::Visitor accused = QualifiedVisitor("a");
  QualifiedVisitor("b");
  QualifiedVisitor("c");
  ASSERT_OK_AND_ASSIGN(v1::RaiseSafeguardingConcernResponse receipt,
                       Raise(wuding_director_, Concern("concern-1", accused.visitor_id())));
  ASSERT_OK_AND_ASSIGN(
      v1::SafeguardingConcern upheld,
      ReviewConcern(wuding_lead_, "review-1", receipt.concern_id(), v1::CONCERN_DECISION_UPHOLD));
  EXPECT_EQ(upheld.state(), v1::CONCERN_STATE_UPHELD);
  EXPECT_TRUE(Suspended(HomeVisitQualification(accused.participant_id())));
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse plan, Plan("plan-1"));
  EXPECT_GT(plan.assignments_size(), 0);
  for (const v1::Assignment& a : plan.assignments()) EXPECT_NE(a.visitor_id(), accused.visitor_id());
  // Decided: a second review is refused and changes nothing.
  EXPECT_THAT(
      ReviewConcern(wuding_lead_, "review-2", receipt.concern_id(), v1::CONCERN_DECISION_CLOSE_UNFOUNDED),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(Suspended(HomeVisitQualification(accused.participant_id())));
}

TEST_F(SafeguardingTest, TrainingEvents_QualificationLost_FutureVisitsReleased_ReplayFromZeroChangesNothing) {
  RegisterChild("1", "李娜");
  RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  AwaitRegistryEvents();
  const v1::Visitor a = QualifiedVisitor("a");
  const v1::Visitor b = QualifiedVisitor("b");
  ASSERT_OK(Plan("plan-1").status());
  ASSERT_FALSE(Assignments(a.visitor_id()).empty());
  AwaitTrainingEvents();
  ASSERT_FALSE(Assignments(a.visitor_id()).empty());  // qualifying events take nothing away

  // The NGO suspends the volunteer in the pipeline: VolunteerSuspended takes them off their future visits.
  MoveTo(a.participant_id(), tv1::VOLUNTEER_STAGE_SUSPENDED);
  AwaitTrainingEvents();
  EXPECT_TRUE(Assignments(a.visitor_id()).empty());
  EXPECT_TRUE(Assignments(b.visitor_id()).empty());

  // Back in service and planned again.
  MoveTo(a.participant_id(), tv1::VOLUNTEER_STAGE_ACTIVE);
  ASSERT_OK(Plan("plan-2").status());
  ASSERT_FALSE(Assignments(a.visitor_id()).empty());
  const std::vector<std::string> before = AssignmentRows();
  const int64_t released = visits_database_->Count("released_assignments");

  // Forget the checkpoint and follow training again from its first event, as a new replica would.
  StopVisits();
  ASSERT_OK(visits_database_->pool().Autocommit([](db::Session& session) {
    return session
        .Execute("UPDATE event_checkpoints SET last_sequence = 0 WHERE consumer = ?",
                 {std::string(kTrainingConsumerName)})
        .status();
  }));
  StartVisits();
  AwaitTrainingEvents();
  EXPECT_EQ(AssignmentRows(), before);
  EXPECT_EQ(visits_database_->Count("released_assignments"), released);
}

// A background check recorded again, cleared only until the Sunday of a weekend already planned: nothing else
// will say when it lapses, so its event takes the person off their visits from that Sunday on; the Saturday's
// visit, within the check, stays. (Judged only "as of today", the check was still cleared and the Sunday
// visit stood.)
TEST_F(SafeguardingTest, BackgroundCheckClearedUntilTheSunday_SundayVisitReleasedSaturdayKept) {
  RegisterChild("1", "李娜");
  RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  AwaitRegistryEvents();
  // One household a day each, both days: the pair takes one household on the Saturday, one on the Sunday.
  const v1::Visitor a = QualifiedVisitor("a", 1, true);
  const v1::Visitor b = QualifiedVisitor("b", 1, true);
  AwaitTrainingEvents();  // their onboarding (a check cleared until 2030) takes nothing
  ASSERT_OK(Plan("plan-1").status());
  const absl::CivilDay saturday = DueWeekend(), sunday = saturday + 1;
  const auto visits_on = [&](const v1::Visitor& visitor, absl::CivilDay day) {
    int n = 0;
    for (const v1::Assignment& assignment : Assignments(visitor.visitor_id())) {
      n += assignment.visit_date() == absl::FormatCivilTime(day);
    }
    return n;
  };
  ASSERT_EQ(visits_on(a, saturday), 1);
  ASSERT_EQ(visits_on(a, sunday), 1);

  tv1::RecordBackgroundCheckRequest check;
  check.set_request_id(NextId());
  check.set_participant_id(a.participant_id());
  check.mutable_background_check()->set_status(tv1::BACKGROUND_CHECK_STATUS_CLEARED);
  check.mutable_background_check()->set_checked_on("2025-01-01");
  check.mutable_background_check()->set_expires_on(absl::FormatCivilTime(sunday));
  ASSERT_OK(Training(&tv1::TrainingService::Stub::RecordBackgroundCheck, wuding_officer_, check).status());
  AwaitTrainingEvents();
  EXPECT_EQ(visits_on(a, saturday), 1);
  EXPECT_EQ(visits_on(a, sunday), 0);
  EXPECT_EQ(visits_on(b, sunday), 0);  // the partner's row of that visit goes with it
  EXPECT_EQ(visits_on(b, saturday), 1);
}

// ---------------------------------------------------------------------------------- against a fake training

class SafeguardingFakeTrainingTest : public VisitsCallsTest {
 protected:
  v1::Visitor Visitor(const std::string& tag) {
    auto registered = Register(wuding_ngo_admin_, Registration("reg-" + tag));
    EXPECT_TRUE(registered.ok()) << registered.status();
    if (!registered.ok()) return {};
    training_->SetQualified(registered->participant_id(), true);
    return *registered;
  }

  int64_t PendingTrainingCalls() {
    int64_t pending = -1;
    EXPECT_OK(visits_database_->pool().Autocommit([&](db::Session& session) -> absl::Status {
      ASSIGN_OR_RETURN(
          std::optional<db::Row> row,
          session.QueryOne("SELECT COUNT(*) FROM safeguarding_concerns WHERE training_pending > 0"));
      pending = row ? row->Int(0) : -1;
      return absl::OkStatus();
    }));
    return pending;
  }
};

TEST_F(SafeguardingFakeTrainingTest, RaiseConcern_TrainingUnreachable_RecordedAndSuspensionCarriedBySync) {
  const v1::Visitor accused = Visitor("a");
  training_->FailWith(absl::UnavailableError("training down"));
  ASSERT_OK_AND_ASSIGN(v1::RaiseSafeguardingConcernResponse receipt,
                       Raise(wuding_caseworker_, Concern("concern-1", accused.visitor_id())));
  EXPECT_FALSE(receipt.suspension_confirmed());
  EXPECT_EQ(PendingTrainingCalls(), 1);
  // Never planned meanwhile, though training would still say qualified.
  ASSERT_OK_AND_ASSIGN(v1::SafeguardingConcern recorded, GetConcern(wuding_lead_, receipt.concern_id()));
  EXPECT_FALSE(recorded.suspension_confirmed());

  // Still down: the sync job's pass fails and keeps it.
  EXPECT_THAT(visits_->safeguarding_desk().SyncPending().status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(PendingTrainingCalls(), 1);

  training_->FailWith(absl::OkStatus());
  ASSERT_OK(visits_->safeguarding_desk().SyncPending().status());
  EXPECT_EQ(PendingTrainingCalls(), 0);
  ASSERT_OK_AND_ASSIGN(v1::SafeguardingConcern synced, GetConcern(wuding_lead_, receipt.concern_id()));
  EXPECT_TRUE(synced.suspension_confirmed());
  const std::vector<std::string> calls = training_->calls();
  EXPECT_EQ(
      std::count(calls.begin(), calls.end(),
                 absl::StrCat("SuspendParticipant ", accused.participant_id(), " ", receipt.concern_id())),
      3);  // at once, the failed pass, the pass that landed
}

TEST_F(SafeguardingFakeTrainingTest, RaiseConcern_RetriedWithSameRequestId_OneConcernSameAnswer) {
  const v1::Visitor accused = Visitor("a");
  ASSERT_OK_AND_ASSIGN(v1::RaiseSafeguardingConcernResponse first,
                       Raise(wuding_caseworker_, Concern("concern-1", accused.visitor_id())));
  ASSERT_OK_AND_ASSIGN(v1::RaiseSafeguardingConcernResponse again,
                       Raise(wuding_caseworker_, Concern("concern-1", accused.visitor_id())));
  EXPECT_EQ(again.concern_id(), first.concern_id());
  EXPECT_EQ(visits_database_->Count("safeguarding_concerns"), 1);
  // The same id with other content is refused.
  v1::RaiseSafeguardingConcernRequest changed = Concern("concern-1", accused.visitor_id());
  changed.set_category(v1::CONCERN_CATEGORY_PHYSICAL_HARM);
  EXPECT_THAT(Raise(wuding_caseworker_, changed), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(visits_database_->Count("safeguarding_concerns"), 1);
}

TEST_F(SafeguardingFakeTrainingTest, ReadConcern_OnlyLeadsAndAuditorsInScope) {
  const v1::Visitor accused = Visitor("a");
  ASSERT_OK_AND_ASSIGN(v1::RaiseSafeguardingConcernResponse receipt,
                       Raise(wuding_caseworker_, Concern("concern-1", accused.visitor_id())));
  // The roles that take concerns down cannot read them back.
  EXPECT_THAT(GetConcern(wuding_caseworker_, receipt.concern_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(GetConcern(wuding_officer_, receipt.concern_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(GetConcern(wuding_director_, receipt.concern_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::ListSafeguardingConcernsRequest list;
  EXPECT_THAT(Visits(&v1::VisitsService::Stub::ListSafeguardingConcerns, wuding_caseworker_, list),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A lead elsewhere: it does not exist.
  EXPECT_THAT(GetConcern(xixia_lead_, receipt.concern_id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ReviewConcern(xixia_lead_, "review-x", receipt.concern_id(), v1::CONCERN_DECISION_UPHOLD),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(v1::ListSafeguardingConcernsResponse elsewhere,
                       Visits(&v1::VisitsService::Stub::ListSafeguardingConcerns, xixia_lead_, list));
  EXPECT_EQ(elsewhere.concerns_size(), 0);
  // The lead and the auditor in scope read the whole record, account included.
  ASSERT_OK_AND_ASSIGN(v1::SafeguardingConcern read, GetConcern(wuding_lead_, receipt.concern_id()));
  EXPECT_EQ(read.account(), Concern("x", "y").account());
  EXPECT_EQ(read.participant_id(), accused.participant_id());
  EXPECT_EQ(read.raised_by(), wuding_caseworker_.subject());
  // At rest the account is sealed: the table does not read.
  ASSERT_OK(visits_database_->pool().Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     session.QueryOne("SELECT account_sealed FROM safeguarding_concerns WHERE id = ?",
                                      {receipt.concern_id()}));
    EXPECT_TRUE(row.has_value());
    if (row) {
      EXPECT_EQ(row->String(0).find("他给了我钱"), std::string::npos);
    }
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(v1::SafeguardingConcern audited, GetConcern(auditor_, receipt.concern_id()));
  EXPECT_EQ(audited.concern_id(), receipt.concern_id());
  ASSERT_OK_AND_ASSIGN(v1::ListSafeguardingConcernsResponse listed,
                       Visits(&v1::VisitsService::Stub::ListSafeguardingConcerns, wuding_lead_, list));
  ASSERT_EQ(listed.concerns_size(), 1);
  EXPECT_EQ(listed.concerns(0).concern_id(), receipt.concern_id());
}

TEST_F(SafeguardingFakeTrainingTest, ReviewConcern_ByThePersonConcerned_FailedPrecondition) {
  const v1::Visitor accused = Visitor("a");
  ASSERT_OK_AND_ASSIGN(v1::RaiseSafeguardingConcernResponse receipt,
                       Raise(wuding_caseworker_, Concern("concern-1", accused.visitor_id())));
  const Principal self = shouhu::testing::MakePrincipal(accused.participant_id(), "ngo-wuding",
                                                        common::v1::ROLE_SAFEGUARDING_LEAD, {"532329"});
  EXPECT_THAT(ReviewConcern(self, "review-self", receipt.concern_id(), v1::CONCERN_DECISION_CLOSE_UNFOUNDED),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::SafeguardingConcern still, GetConcern(wuding_lead_, receipt.concern_id()));
  EXPECT_EQ(still.state(), v1::CONCERN_STATE_OPEN);
  // Closed by a lead; a retry of that review answers the same; a new review of a closed concern is refused.
  ASSERT_OK_AND_ASSIGN(
      v1::SafeguardingConcern closed,
      ReviewConcern(wuding_lead_, "review-1", receipt.concern_id(), v1::CONCERN_DECISION_CLOSE_UNFOUNDED));
  ASSERT_OK_AND_ASSIGN(
      v1::SafeguardingConcern retried,
      ReviewConcern(wuding_lead_, "review-1", receipt.concern_id(), v1::CONCERN_DECISION_CLOSE_UNFOUNDED));
  EXPECT_EQ(retried.SerializeAsString(), closed.SerializeAsString());
  EXPECT_EQ(closed.review_note(), "访谈了孩子和监护人。");  // sealed at rest, opened for the lead
  EXPECT_EQ(closed.account(), "") << "the review's answer is kept for retries: no account in it";
  // What is kept to answer a retry holds neither the account nor the note.
  ASSERT_OK(visits_database_->pool().Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     session.Query("SELECT response FROM idempotency_records WHERE response IS "
                                   "NOT NULL"));
    EXPECT_FALSE(rows.empty());
    for (const db::Row& row : rows) {
      EXPECT_EQ(row.String(0).find("他给了我钱"), std::string::npos);
      EXPECT_EQ(row.String(0).find("访谈了孩子和监护人"), std::string::npos);
    }
    return absl::OkStatus();
  }));
  EXPECT_THAT(ReviewConcern(wuding_lead_, "review-2", receipt.concern_id(), v1::CONCERN_DECISION_UPHOLD),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// Each concern places its own hold in training and lifts only that one when closed as unfounded: the
// training service keeps the person suspended while another stands (SafeguardingTest's real training shows
// it).
TEST_F(SafeguardingFakeTrainingTest, TwoConcerns_EachUnfoundedCloseLiftsItsOwnHold) {
  const v1::Visitor accused = Visitor("a");
  ASSERT_OK_AND_ASSIGN(auto first, Raise(wuding_caseworker_, Concern("concern-1", accused.visitor_id())));
  ASSERT_OK_AND_ASSIGN(auto second, Raise(wuding_director_, Concern("concern-2", accused.visitor_id())));
  const auto reinstatements = [&](const std::string& concern_id) {
    const std::vector<std::string> calls = training_->calls();
    return std::count(calls.begin(), calls.end(),
                      absl::StrCat("ReinstateParticipant ", accused.participant_id(), " ", concern_id));
  };
  ASSERT_OK(ReviewConcern(wuding_lead_, "review-1", first.concern_id(), v1::CONCERN_DECISION_CLOSE_UNFOUNDED)
                .status());
  EXPECT_EQ(reinstatements(first.concern_id()), 1);
  EXPECT_EQ(reinstatements(second.concern_id()), 0);
  ASSERT_OK(ReviewConcern(wuding_lead_, "review-2", second.concern_id(), v1::CONCERN_DECISION_CLOSE_UNFOUNDED)
                .status());
  EXPECT_EQ(reinstatements(second.concern_id()), 1);
}

TEST_F(SafeguardingFakeTrainingTest, RaiseConcern_BadInput_NamesTheFieldWritesNothing) {
  const v1::Visitor accused = Visitor("a");
  struct Case {
    std::string field;
    std::function<void(v1::RaiseSafeguardingConcernRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"request_id", [](auto& r) { r.set_request_id(""); }},
      {"visitor_id", [](auto& r) { r.set_visitor_id(""); }},
      {"category", [](auto& r) { r.set_category(v1::CONCERN_CATEGORY_UNSPECIFIED); }},
      {"reporter", [](auto& r) { r.set_reporter(static_cast<v1::ConcernReporter>(99)); }},
      {"account", [](auto& r) { r.set_account("   "); }},
      {"account", [](auto& r) { r.set_account(std::string(4001, 'x')); }},
      {"account", [](auto& r) { r.set_account("说了\x01"); }},
      {"child_id", [](auto& r) { r.set_child_id("has space"); }},
  };
  int n = 0;
  for (const Case& c : cases) {
    v1::RaiseSafeguardingConcernRequest request = Concern(absl::StrCat("bad-", ++n), accused.visitor_id());
    c.spoil(request);
    absl::Status status = Raise(wuding_caseworker_, request).status();
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_NE(status.message().find(c.field), std::string::npos) << status.message();
    EXPECT_EQ(status.message().find("说了"), std::string::npos) << "the account is never echoed";
  }
  EXPECT_EQ(visits_database_->Count("safeguarding_concerns"), 0);
  // A visitor elsewhere does not exist for the caller.
  EXPECT_THAT(Raise(xixia_officer_, Concern("elsewhere", accused.visitor_id())),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(visits_database_->Count("safeguarding_concerns"), 0);
  EXPECT_TRUE(training_->calls().empty());
}

}  // namespace
}  // namespace shouhu::visits::testing
