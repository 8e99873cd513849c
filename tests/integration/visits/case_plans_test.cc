// Visit plans follow the registry's cases: the real registry publishes, the visits service's event consumer
// follows it over gRPC and folds each event into case_plans, and GetChildVisitPlan reads the plan back.
#include "absl/time/civil_time.h"
#include "common/timestamps.h"
#include "services/visits/case_plan_follower.h"
#include "shouhu/registry/v1/events.pb.h"
#include "tests/integration/visits/visits_fixture.h"
#include "tests/support/case_requests.h"

namespace shouhu::visits::testing {
namespace {

using ::shouhu::testing::StatusIs;
using ::shouhu::testing::WithCase;

class CasePlansTest : public VisitsTest {
 protected:
  // The Shanghai day the registry accepted `case_id`, from its CaseAccepted event.
  absl::CivilDay AcceptedOn(const std::string& case_id) {
    for (const common::v1::Event& event : Events()) {
      rv1::CaseAccepted accepted;
      if (event.payload().UnpackTo(&accepted) && accepted.case_id() == case_id) {
        return ShanghaiDay(FromProtoTimestamp(accepted.at()));
      }
    }
    ADD_FAILURE() << "no CaseAccepted for the case";
    return {};
  }

  void SetRisk(const std::string& tag, const std::string& case_id, rv1::RiskLevel risk) {
    auto request = WithCase<rv1::SetRiskLevelRequest>("risk-" + tag, case_id);
    request.set_risk_level(risk);
    request.set_reason("祖母住院，孩子独自在家");
    ASSERT_OK(Call(&rv1::RegistryService::Stub::SetRiskLevel, wuding_caseworker_, request));
  }

  void Close(const std::string& tag, const std::string& case_id) {
    auto request = WithCase<rv1::CloseCaseRequest>("close-" + tag, case_id);
    request.set_reason("父母返乡，监护恢复");
    ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, request));
  }
};

TEST_F(CasePlansTest, CaseEvents_AcceptThenRaiseRiskThenClose_PlanFollowsTheCase) {
  rv1::Case c = RegisterChild("1", "李娜");  // accepted at high risk
  ASSERT_FALSE(c.case_id().empty());
  const absl::CivilDay accepted_on = AcceptedOn(c.case_id());
  const CadencePolicy policy;

  AwaitRegistryEvents();
  ASSERT_OK_AND_ASSIGN(v1::VisitPlan plan, ChildPlan(wuding_officer_, c.child_id()));
  EXPECT_EQ(plan.case_id(), c.case_id());
  EXPECT_EQ(plan.village_code(), registry::testing::kWudingVillage);
  EXPECT_EQ(plan.organisation_id(), "ngo-wuding");
  EXPECT_EQ(plan.risk_level(), v1::RISK_LEVEL_HIGH);
  EXPECT_TRUE(plan.open());
  ASSERT_TRUE(plan.has_next_visit());
  EXPECT_EQ(plan.next_visit().kind(), v1::VISIT_KIND_VERIFICATION);
  EXPECT_EQ(
      plan.next_visit().due_date(),
      absl::FormatCivilTime(accepted_on + policy.verification_days[static_cast<int>(RiskLevel::kHigh)]));

  SetRisk("1", c.case_id(), rv1::RISK_LEVEL_EXTREME);
  AwaitRegistryEvents();
  ASSERT_OK_AND_ASSIGN(plan, ChildPlan(wuding_officer_, c.child_id()));
  EXPECT_EQ(plan.risk_level(), v1::RISK_LEVEL_EXTREME);
  ASSERT_TRUE(plan.has_next_visit());
  EXPECT_EQ(plan.next_visit().kind(), v1::VISIT_KIND_VERIFICATION);
  EXPECT_EQ(
      plan.next_visit().due_date(),
      absl::FormatCivilTime(accepted_on + policy.verification_days[static_cast<int>(RiskLevel::kExtreme)]));

  Close("1", c.case_id());
  AwaitRegistryEvents();
  ASSERT_OK_AND_ASSIGN(plan, ChildPlan(wuding_officer_, c.child_id()));
  EXPECT_FALSE(plan.open());
  EXPECT_FALSE(plan.has_next_visit());
}

TEST_F(CasePlansTest, CaseEvents_TransferredOrReopened_CancelsThenPlansAgain) {
  rv1::Case moved = RegisterChild("1", "李娜");
  rv1::Case back = RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  auto transfer = WithCase<rv1::TransferCaseRequest>("transfer-1", moved.case_id());
  transfer.set_to_organisation_id("ngo-other");
  transfer.set_to_caseworker_id("caseworker-2");
  transfer.set_reason("转介至学校所在地社工站");
  ASSERT_OK(Call(&rv1::RegistryService::Stub::TransferCase, wuding_officer_, transfer));
  Close("2", back.case_id());
  auto reopen = WithCase<rv1::ReopenCaseRequest>("reopen-2", back.case_id());
  reopen.set_reason("父亲再次外出务工");
  ASSERT_OK(Call(&rv1::RegistryService::Stub::ReopenCase, wuding_officer_, reopen));

  AwaitRegistryEvents();
  ASSERT_OK_AND_ASSIGN(v1::VisitPlan plan, ChildPlan(wuding_officer_, moved.child_id()));
  EXPECT_FALSE(plan.open());
  EXPECT_FALSE(plan.has_next_visit());
  ASSERT_OK_AND_ASSIGN(plan, ChildPlan(wuding_officer_, back.child_id()));
  EXPECT_TRUE(plan.open());
  ASSERT_TRUE(plan.has_next_visit());
  EXPECT_EQ(plan.next_visit().kind(), v1::VISIT_KIND_VERIFICATION);
}

// A child a county's roster import registered (RosterService) comes with an active case and no grade: visits
// plans its verification visit as for a medium risk, and a later grade re-plans it.
TEST_F(CasePlansTest, CaseOpenedFromRoster_PlannedForVerificationAsMedium_ThenFollowsItsGrade) {
  const absl::Time opened_at = absl::Now();
  rv1::CaseOpenedFromRoster opened;
  opened.set_case_id(visits_ids_->Next());  // ids of the registry's form
  opened.set_child_id(visits_ids_->Next());
  opened.set_organisation_id("civil-affairs-wuding");
  opened.set_village_code(registry::testing::kWudingVillage);
  opened.set_import_id("import-1");
  *opened.mutable_at() = ToProtoTimestamp(opened_at);
  ASSERT_OK(database_->pool().Transaction([&](db::Session& tx) {
    return module_->store().outbox().Append(tx, opened.case_id(), opened, opened_at);
  }));
  AwaitRegistryEvents();
  const CadencePolicy policy;
  ASSERT_OK_AND_ASSIGN(v1::VisitPlan plan, ChildPlan(wuding_officer_, opened.child_id()));
  EXPECT_EQ(plan.case_id(), opened.case_id());
  EXPECT_EQ(plan.village_code(), registry::testing::kWudingVillage);
  EXPECT_EQ(plan.organisation_id(), "civil-affairs-wuding");
  EXPECT_TRUE(plan.open());
  EXPECT_EQ(plan.risk_level(), v1::RISK_LEVEL_MEDIUM);
  ASSERT_TRUE(plan.has_next_visit());
  EXPECT_EQ(plan.next_visit().kind(), v1::VISIT_KIND_VERIFICATION);
  EXPECT_EQ(plan.next_visit().due_date(),
            absl::FormatCivilTime(ShanghaiDay(opened_at) +
                                  policy.verification_days[static_cast<int>(RiskLevel::kMedium)]));

  rv1::RiskLevelChanged graded;
  graded.set_case_id(opened.case_id());
  graded.set_child_id(opened.child_id());
  graded.set_to_risk_level(rv1::RISK_LEVEL_EXTREME);
  *graded.mutable_at() = ToProtoTimestamp(opened_at);
  ASSERT_OK(database_->pool().Transaction([&](db::Session& tx) {
    return module_->store().outbox().Append(tx, graded.case_id(), graded, opened_at);
  }));
  AwaitRegistryEvents();
  ASSERT_OK_AND_ASSIGN(plan, ChildPlan(wuding_officer_, opened.child_id()));
  EXPECT_EQ(plan.risk_level(), v1::RISK_LEVEL_EXTREME);
  EXPECT_EQ(plan.next_visit().due_date(),
            absl::FormatCivilTime(ShanghaiDay(opened_at) +
                                  policy.verification_days[static_cast<int>(RiskLevel::kExtreme)]));
}

TEST_F(CasePlansTest, CaseEvents_ReplayedFromZero_ChangeNothing) {
  rv1::Case closed = RegisterChild("1", "李娜");
  rv1::Case raised = RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  SetRisk("2", raised.case_id(), rv1::RISK_LEVEL_EXTREME);
  Close("1", closed.case_id());
  AwaitRegistryEvents();
  const std::vector<std::string> before = PlanRows();
  ASSERT_EQ(before.size(), 2u);

  // Forget the checkpoint and follow the registry again from its first event, as a new replica would
  // after losing its checkpoint row.
  StopVisits();
  ASSERT_OK(visits_database_->pool().Autocommit([](db::Session& session) {
    return session
        .Execute("UPDATE event_checkpoints SET last_sequence = 0 WHERE consumer = ?",
                 {std::string(kRegistryConsumerName)})
        .status();
  }));
  StartVisits();
  AwaitRegistryEvents();

  EXPECT_EQ(PlanRows(), before);
}

// The consumer hands the follower a backlog as one run (ApplyAll): the plans must come out as they do with
// each event in a transaction of its own (Apply), a county move in the middle included, in a few statements
// rather than two an event, and the run applied again must change nothing.
TEST_F(CasePlansTest, CaseEvents_FoldedAsOneRun_SameAsOneAtATime_InFewStatements) {
  const rv1::Case closed = RegisterChild("1", "李娜");
  const rv1::Case raised = RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  const rv1::Case moved = RegisterChild("3", "王芳");
  SetRisk("2", raised.case_id(), rv1::RISK_LEVEL_EXTREME);
  Close("1", closed.case_id());
  rv1::CaseMovedCounty move;
  move.set_case_id(moved.case_id());
  move.set_child_id(moved.child_id());
  move.set_from_village_code(registry::testing::kWudingVillage);
  move.set_to_village_code(registry::testing::kXixiaVillage);
  move.set_to_organisation_id("xixia-civil-affairs");
  *move.mutable_at() = ToProtoTimestamp(absl::Now());
  ASSERT_OK(database_->pool().Transaction([&](db::Session& tx) {
    return module_->store().outbox().Append(tx, move.case_id(), move, absl::Now());
  }));
  SetRisk("3", moved.case_id(), rv1::RISK_LEVEL_LOW);  // after the move: applied to the moved plan
  AwaitRegistryEvents();
  StopVisits();  // the follower below is the only writer of case_plans
  const std::vector<common::v1::Event> events = Events();
  ASSERT_GE(events.size(), 7u);
  const CasePlanFollower follower(CadencePolicy{}, visits_clock_, logger_);
  auto forget_plans = [&] {
    ASSERT_OK(visits_database_->pool().Autocommit(
        [](db::Session& session) { return session.Execute("DELETE FROM case_plans").status(); }));
  };

  forget_plans();
  for (const common::v1::Event& event : events) {
    ASSERT_OK(
        visits_database_->pool().Transaction([&](db::Session& tx) { return follower.Apply(tx, event); }));
  }
  const std::vector<std::string> one_at_a_time = PlanRows();
  ASSERT_EQ(one_at_a_time.size(), 3u);

  forget_plans();
  int64_t statements = 0;
  auto apply_all = [&] {
    ASSERT_OK(visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
      auto executed = [&]() -> absl::StatusOr<int64_t> {
        ASSIGN_OR_RETURN(std::optional<db::Row> row,
                         tx.QueryOne("SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS"
                                     " WHERE VARIABLE_NAME = 'COM_STMT_EXECUTE'",
                                     {}));
        return row ? row->Int(0) : -1;
      };
      ASSIGN_OR_RETURN(int64_t before, executed());
      RETURN_IF_ERROR(follower.ApplyAll(tx, events));
      ASSIGN_OR_RETURN(int64_t after, executed());
      statements = after - before - 1;  // less the second read of the count itself
      return absl::OkStatus();
    }));
  };
  apply_all();
  EXPECT_EQ(PlanRows(), one_at_a_time);
  // Before the move: one read of the three plans and their write in two (power-of-two chunks), and the look
  // for the closed case's future visits to release; the move: a read, the village for its visits planned
  // without one, the same look and a write; after it: a read and a write. One event at a time: 17.
  EXPECT_GE(statements, 8);
  EXPECT_LE(statements, 10) << "events: " << events.size();

  apply_all();  // a replay of the whole run
  EXPECT_EQ(PlanRows(), one_at_a_time);

  StartVisits();

  ASSERT_OK_AND_ASSIGN(v1::VisitPlan plan, ChildPlan(xixia_officer_, moved.child_id()));
  EXPECT_EQ(plan.village_code(), registry::testing::kXixiaVillage);
  EXPECT_EQ(plan.risk_level(), v1::RISK_LEVEL_LOW);
  ASSERT_OK_AND_ASSIGN(plan, ChildPlan(wuding_officer_, raised.child_id()));
  EXPECT_EQ(plan.risk_level(), v1::RISK_LEVEL_EXTREME);
  ASSERT_OK_AND_ASSIGN(plan, ChildPlan(wuding_officer_, closed.child_id()));
  EXPECT_FALSE(plan.open());
}

TEST_F(CasePlansTest, GetChildVisitPlan_OutsideScopeOrUnknown_NotFound) {
  rv1::Case c = RegisterChild("1", "李娜");
  AwaitRegistryEvents();
  ASSERT_OK(ChildPlan(wuding_caseworker_, c.child_id()));
  EXPECT_THAT(ChildPlan(xixia_officer_, c.child_id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ChildPlan(other_ngo_caseworker_, c.child_id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ChildPlan(wuding_officer_, visits_ids_->Next()), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CasePlansTest, GetChildVisitPlan_NoChildId_InvalidArgumentNamingIt) {
  absl::StatusOr<v1::VisitPlan> plan = ChildPlan(wuding_officer_, "");
  EXPECT_THAT(plan, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(plan.status().message(), ::testing::HasSubstr("child_id"));
}

TEST_F(CasePlansTest, GetChildVisitPlan_AsVolunteer_PermissionDenied) {
  EXPECT_THAT(ChildPlan(volunteer_, visits_ids_->Next()), StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace shouhu::visits::testing
