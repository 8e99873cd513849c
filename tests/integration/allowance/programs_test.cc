// Government purchase of services: a qualified organisation proposes, the funder assesses, funds and, at the
// end of the period, evaluates; every step out of order is refused, and a lapsed organisation can neither
// propose nor be funded.
#include "tests/integration/allowance/allowance_fixture.h"

namespace shouhu::allowance::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Stub = v1::AllowanceService::Stub;

v1::AssessProgramRequest Assessment(const std::string& request_id, const std::string& program_id,
                                    bool accept) {
  v1::AssessProgramRequest r;
  r.set_request_id(request_id);
  r.set_program_id(program_id);
  v1::AssessmentScore* s = r.add_scores();
  s->set_criterion("capacity");
  s->set_score(72);
  r.set_reviewer("县民政局评审组");
  r.set_accept(accept);
  return r;
}

v1::FundProgramRequest Funding(const std::string& request_id, const std::string& program_id) {
  v1::FundProgramRequest r;
  r.set_request_id(request_id);
  r.set_program_id(program_id);
  return r;
}

TEST_F(AllowanceTest, Program_ProposedAssessedFundedEvaluated_EachStepInOrderOnly) {
  ASSERT_OK_AND_ASSIGN(auto proposed, Do(&Stub::ProposeProgram, ngo_admin_, Proposal("p-1")));
  const std::string id = proposed.program().program_id();
  EXPECT_EQ(proposed.program().state(), v1::PROGRAM_STATE_PROPOSED);
  EXPECT_EQ(proposed.program().operator_organisation_id(), "ngo-wuding");
  EXPECT_THAT(Do(&Stub::FundProgram, wuding_officer_, Funding("f-early", id)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Only the funder's civil-affairs officers decide; another county's officer does not see it.
  EXPECT_THAT(Do(&Stub::AssessProgram, xixia_officer_, Assessment("a-x", id, true)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Do(&Stub::AssessProgram, ngo_admin_, Assessment("a-n", id, true)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(auto assessed, Do(&Stub::AssessProgram, wuding_officer_, Assessment("a-1", id, true)));
  EXPECT_EQ(assessed.program().state(), v1::PROGRAM_STATE_APPROVED);
  ASSERT_EQ(assessed.program().assessment().scores_size(), 1);
  EXPECT_EQ(assessed.program().assessment().scores(0).score(), 72);
  EXPECT_THAT(Do(&Stub::AssessProgram, wuding_officer_, Assessment("a-2", id, true)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto funded, Do(&Stub::FundProgram, wuding_officer_, Funding("f-1", id)));
  EXPECT_EQ(funded.program().state(), v1::PROGRAM_STATE_FUNDED);
  EXPECT_EQ(funded.program().balances().budget_fen(), 10'000'000);
  EXPECT_EQ(funded.program().balances().available_fen(), 10'000'000);
  EXPECT_THAT(Do(&Stub::FundProgram, wuding_officer_, Funding("f-2", id)),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  v1::EvaluateProgramRequest evaluate;
  evaluate.set_request_id("e-1");
  evaluate.set_program_id(id);
  evaluate.set_score(90);
  evaluate.set_summary("met its targets");
  EXPECT_THAT(Do(&Stub::EvaluateProgram, wuding_officer_, evaluate),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  allowance_clock_.Advance(absl::Hours(24 * 340));
  evaluate.set_request_id("e-2");
  ASSERT_OK_AND_ASSIGN(auto evaluated, Do(&Stub::EvaluateProgram, wuding_officer_, evaluate));
  EXPECT_EQ(evaluated.program().state(), v1::PROGRAM_STATE_EVALUATED);
  EXPECT_EQ(evaluated.program().evaluation().score(), 90);
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(id));
  EXPECT_TRUE(reconciled.balanced());
}

TEST_F(AllowanceTest, Program_Declined_CannotBeFunded) {
  ASSERT_OK_AND_ASSIGN(auto proposed, Do(&Stub::ProposeProgram, ngo_admin_, Proposal("p-1")));
  const std::string id = proposed.program().program_id();
  ASSERT_OK_AND_ASSIGN(auto declined,
                       Do(&Stub::AssessProgram, wuding_officer_, Assessment("a-1", id, false)));
  EXPECT_EQ(declined.program().state(), v1::PROGRAM_STATE_DECLINED);
  EXPECT_THAT(Do(&Stub::FundProgram, wuding_officer_, Funding("f-1", id)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(AllowanceCount("ledger_entries"), 0);
}

TEST_F(AllowanceTest, ProposeProgram_LapsedOrganisation_IsFailedPreconditionAndWritesNothing) {
  QualifyOrganisation("ngo-other", false);
  EXPECT_THAT(Do(&Stub::ProposeProgram, other_ngo_admin_, Proposal("p-lapsed")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Never assessed at all: the same.
  const Principal unknown =
      shouhu::testing::MakePrincipal("admin-u", "ngo-unknown", common::v1::ROLE_NGO_ADMIN, {"532329"});
  EXPECT_THAT(Do(&Stub::ProposeProgram, unknown, Proposal("p-unknown")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(AllowanceCount("programs"), 0);
}

TEST_F(AllowanceTest, FundProgram_OperatorsQualificationLapsedSinceProposal_IsRefused) {
  ASSERT_OK_AND_ASSIGN(auto proposed, Do(&Stub::ProposeProgram, ngo_admin_, Proposal("p-1")));
  const std::string id = proposed.program().program_id();
  ASSERT_OK(Do(&Stub::AssessProgram, wuding_officer_, Assessment("a-1", id, true)).status());
  // A year and more later (the program's own period aside), the organisation's record no longer covers the
  // day: its qualification ran to 2099 in the fixture, so move the service's clock past it.
  allowance_clock_.Set(absl::FromCivil(absl::CivilDay(2100, 1, 5), ShanghaiTimeZone()));
  EXPECT_THAT(Do(&Stub::FundProgram, wuding_officer_, Funding("f-1", id)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(AllowanceCount("ledger_entries"), 0);
}

TEST_F(AllowanceTest, ProposeProgram_BadInput_NamesTheFieldAndWritesNothing) {
  struct Case {
    std::string field;
    std::function<void(v1::Program&)> spoil;
  };
  const std::vector<Case> cases = {
      {"program.name", [](v1::Program& p) { p.set_name(""); }},
      {"program.jurisdiction", [](v1::Program& p) { p.set_jurisdiction("53a"); }},
      {"program.budget_fen", [](v1::Program& p) { p.set_budget_fen(0); }},
      {"program.budget_fen", [](v1::Program& p) { p.set_budget_fen(-5); }},
      {"program.period_end", [](v1::Program& p) { p.set_period_end("2001-01-01"); }},
      {"program.period_start", [](v1::Program& p) { p.set_period_start("2026-02-30"); }},
      {"program.allowed_types", [](v1::Program& p) { p.clear_allowed_types(); }},
      {"program.allowed_types",
       [](v1::Program& p) { p.add_allowed_types(static_cast<v1::AllowanceType>(99)); }},
      {"program.allowed_types",
       [](v1::Program& p) { p.add_allowed_types(v1::ALLOWANCE_TYPE_MONTHLY_ARREARS); }},
      {"program.eligible_categories", [](v1::Program& p) { p.clear_eligible_categories(); }},
      {"program.per_payment_cap_fen", [](v1::Program& p) { p.set_per_payment_cap_fen(0); }},
      {"program.per_child_year_cap_fen", [](v1::Program& p) { p.set_per_child_year_cap_fen(-1); }},
      {"program.second_approval_threshold_fen",
       [](v1::Program& p) { p.set_second_approval_threshold_fen(-1); }},
      {"program.funder_organisation_id", [](v1::Program& p) { p.set_funder_organisation_id(""); }},
  };
  int n = 0;
  for (const Case& c : cases) {
    v1::ProposeProgramRequest request = Proposal(absl::StrCat("bad-", n++));
    c.spoil(*request.mutable_program());
    absl::StatusOr<v1::ProposeProgramResponse> answer = Do(&Stub::ProposeProgram, ngo_admin_, request);
    EXPECT_THAT(answer, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_EQ(FieldOf(answer.status()), c.field);
  }
  v1::ProposeProgramRequest no_id = Proposal("");
  EXPECT_THAT(Do(&Stub::ProposeProgram, ngo_admin_, no_id), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(AllowanceCount("programs"), 0);
  EXPECT_EQ(AllowanceCount("outbox_events"), 0);
}

TEST_F(AllowanceTest, ProposeProgram_RetriedWithTheSameRequestId_CreatesOne) {
  ASSERT_OK_AND_ASSIGN(auto first, Do(&Stub::ProposeProgram, ngo_admin_, Proposal("p-1")));
  ASSERT_OK_AND_ASSIGN(auto again, Do(&Stub::ProposeProgram, ngo_admin_, Proposal("p-1")));
  EXPECT_EQ(first.program().program_id(), again.program().program_id());
  EXPECT_EQ(AllowanceCount("programs"), 1);
}

// The stream is the whole region's applications and payments with their children, unscoped: for the services
// that follow it, never for a person such as a county's auditor, whose reads are scoped.
TEST_F(AllowanceTest, StreamEvents_CountyAuditor_PermissionDeniedNoEvent) {
  ASSERT_OK(Do(&Stub::ProposeProgram, ngo_admin_, Proposal("p-1")).status());
  const Principal auditor =
      shouhu::testing::MakePrincipal("auditor-3", "wuding-audit", common::v1::ROLE_AUDITOR, {"532329"});
  auto context = principals_.Context(auditor);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(700));
  auto reader = allowance_stub_->StreamEvents(context.get(), v1::StreamEventsRequest());
  v1::StreamEventsResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace shouhu::allowance::testing
