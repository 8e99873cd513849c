// Applications: eligibility from the real registry, caps, maker-checker with the second approval above the
// program's threshold, rejection and withdrawal returning reservations, bad input.
#include <thread>

#include "tests/integration/allowance/allowance_fixture.h"

namespace shouhu::allowance::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Stub = v1::AllowanceService::Stub;

TEST_F(AllowanceTest, Submit_ChildWhoseCaseIsNotActiveYet_IsFailedPreconditionAndWritesNothing) {
  const std::string program = FundedProgram("p");
  const rv1::Case verifying = RegisterChild("v", "王小明");  // accepted, still being verified
  EXPECT_THAT(Submit(wuding_caseworker_, Application("s-1", program, verifying.child_id(), 10'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(AllowanceCount("applications"), 0);
}

TEST_F(AllowanceTest, Submit_ChildOutsideTheProgramsJurisdictionOrCategories_IsFailedPrecondition) {
  ProgramTerms village_only;
  const std::string child = ActiveChild("c1", registry::testing::kWudingVillage2);
  // A program for one village only: the child lives in the next one.
  v1::ProposeProgramRequest proposal = Proposal("p-village", village_only);
  proposal.mutable_program()->set_jurisdiction(registry::testing::kWudingVillage);
  ASSERT_OK_AND_ASSIGN(auto proposed, Do(&Stub::ProposeProgram, ngo_admin_, proposal));
  v1::AssessProgramRequest assess;
  assess.set_request_id("a");
  assess.set_program_id(proposed.program().program_id());
  assess.add_scores()->set_criterion("plan");
  assess.set_reviewer("panel");
  assess.set_accept(true);
  ASSERT_OK(Do(&Stub::AssessProgram, wuding_officer_, assess).status());
  v1::FundProgramRequest fund;
  fund.set_request_id("f");
  fund.set_program_id(proposed.program().program_id());
  ASSERT_OK(Do(&Stub::FundProgram, wuding_officer_, fund).status());
  EXPECT_THAT(Submit(wuding_caseworker_, Application("s-1", proposed.program().program_id(), child, 10'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ProgramTerms orphans;
  orphans.categories = {rv1::CHILD_CATEGORY_ORPHAN};
  const std::string orphan_program = FundedProgram("orphans", orphans);
  EXPECT_THAT(Submit(wuding_caseworker_, Application("s-2", orphan_program, child, 10'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(AllowanceCount("applications"), 0);
}

TEST_F(AllowanceTest, Submit_UnknownChildOrAnotherCountysChild_IsNotFound) {
  const std::string program = FundedProgram("p");
  EXPECT_THAT(Submit(wuding_caseworker_, Application("s-1", program, "01HZZZZZZZZZZZZZZZZZZZZZZZ", 10'000)),
              StatusIs(absl::StatusCode::kNotFound));
  const std::string xixia_child = ActiveChild("x", registry::testing::kXixiaVillage);
  EXPECT_THAT(Submit(wuding_caseworker_, Application("s-2", program, xixia_child, 10'000)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(AllowanceCount("applications"), 0);
}

TEST_F(AllowanceTest, Submit_AboveThePerPaymentCapOrTheYearlyCap_IsFailedPrecondition) {
  ProgramTerms terms;
  terms.per_payment_cap_fen = 50'000;
  terms.per_child_year_cap_fen = 80'000;
  const std::string program = FundedProgram("p", terms);
  const std::string child = ActiveChild("c");
  EXPECT_THAT(Submit(wuding_caseworker_, Application("s-big", program, child, 50'001)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ApprovedApplication("a1", program, child, 50'000);
  // 50,000 held this year; 30,001 more would pass the yearly 80,000.
  EXPECT_THAT(Submit(wuding_caseworker_, Application("s-over", program, child, 30'001)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(Submit(wuding_caseworker_, Application("s-fits", program, child, 30'000)).status());
}

TEST_F(AllowanceTest, Approve_TwoApplicationsRacingForOneChildsYearlyCap_OnlyOneIsApproved) {
  ProgramTerms terms;
  terms.per_payment_cap_fen = 60'000;
  terms.per_child_year_cap_fen = 100'000;
  const std::string program = FundedProgram("p", terms);
  const std::string child = ActiveChild("c");
  // Both fit the cap when submitted; together they would not.
  ASSERT_OK_AND_ASSIGN(v1::Application a,
                       Submit(wuding_caseworker_, Application("s-a", program, child, 60'000)));
  ASSERT_OK_AND_ASSIGN(v1::Application b,
                       Submit(wuding_caseworker_, Application("s-b", program, child, 60'000)));
  absl::StatusOr<v1::Application> ra, rb;
  std::thread ta([&] { ra = Approve(wuding_officer_, "ap-a", a.application_id()); });
  std::thread tb([&] { rb = Approve(wuding_officer_, "ap-b", b.application_id()); });
  ta.join();
  tb.join();
  EXPECT_EQ(ra.ok() + rb.ok(), 1);
  const absl::Status refused = ra.ok() ? rb.status() : ra.status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().reserved_fen(), 60'000);
}

TEST_F(AllowanceTest, Approve_ByTheApplicant_IsPermissionDeniedAndReservesNothing) {
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("c");
  ASSERT_OK_AND_ASSIGN(v1::Application a, Submit(ngo_admin_, Application("s-1", program, child, 10'000)));
  EXPECT_THAT(Approve(ngo_admin_, "ap-1", a.application_id()), StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().reserved_fen(), 0);
  EXPECT_EQ(AllowanceCount("ledger_entries"), 1);  // the funding only
}

TEST_F(AllowanceTest, Approve_AboveTheThreshold_NeedsTheFundersFinanceOfficerSecond) {
  const std::string program = FundedProgram("p");  // threshold 200,000 fen
  const std::string child = ActiveChild("c");
  ASSERT_OK_AND_ASSIGN(v1::Application a,
                       Submit(wuding_caseworker_, Application("s-1", program, child, 200'001)));
  ASSERT_OK_AND_ASSIGN(v1::Application first, Approve(ngo_admin_, "ap-1", a.application_id()));
  EXPECT_EQ(first.state(), v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL);
  EXPECT_EQ(first.first_approver(), "ngo-admin-1");
  // Reserved at the first approval: the budget is held while the finance officer looks.
  ASSERT_OK_AND_ASSIGN(v1::Program held, Program(program));
  EXPECT_EQ(held.balances().reserved_fen(), 200'001);
  EXPECT_THAT(Approve(ngo_admin_, "ap-2", a.application_id()), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Approve(wuding_officer_, "ap-3", a.application_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::Application second, Approve(finance_, "ap-4", a.application_id()));
  EXPECT_EQ(second.state(), v1::APPLICATION_STATE_APPROVED);
  EXPECT_EQ(second.second_approver(), "finance-1");
  EXPECT_THAT(Approve(finance2_, "ap-5", a.application_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().reserved_fen(), 200'001);
}

TEST_F(AllowanceTest, Approve_AtTheThreshold_OneApprovalIsEnough) {
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("c");
  ASSERT_OK_AND_ASSIGN(v1::Application a,
                       Submit(wuding_caseworker_, Application("s-1", program, child, 200'000)));
  ASSERT_OK_AND_ASSIGN(v1::Application approved, Approve(ngo_admin_, "ap-1", a.application_id()));
  EXPECT_EQ(approved.state(), v1::APPLICATION_STATE_APPROVED);
}

TEST_F(AllowanceTest, RejectAndWithdraw_ReturnTheReservationToTheBudget) {
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("c");
  ASSERT_OK_AND_ASSIGN(v1::Application big,
                       Submit(wuding_caseworker_, Application("s-1", program, child, 300'000)));
  ASSERT_OK(Approve(ngo_admin_, "ap-1", big.application_id()).status());
  v1::RejectApplicationRequest reject;
  reject.set_request_id("rj-1");
  reject.set_application_id(big.application_id());
  reject.set_reason("the need is covered by the township's relief fund");
  ASSERT_OK_AND_ASSIGN(auto rejected, Do(&Stub::RejectApplication, finance_, reject));
  EXPECT_EQ(rejected.application().state(), v1::APPLICATION_STATE_REJECTED);
  EXPECT_EQ(rejected.application().rejection_reason(), reject.reason());
  ASSERT_OK_AND_ASSIGN(v1::Program after_reject, Program(program));
  EXPECT_EQ(after_reject.balances().available_fen(), 10'000'000);
  reject.set_request_id("rj-2");
  EXPECT_THAT(Do(&Stub::RejectApplication, finance_, reject),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  const std::string approved = ApprovedApplication("w", program, child, 50'000);
  v1::WithdrawApplicationRequest withdraw;
  withdraw.set_request_id("wd-1");
  withdraw.set_application_id(approved);
  EXPECT_THAT(Do(&Stub::WithdrawApplication, ngo_admin_, withdraw),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(auto withdrawn, Do(&Stub::WithdrawApplication, wuding_caseworker_, withdraw));
  EXPECT_EQ(withdrawn.application().state(), v1::APPLICATION_STATE_WITHDRAWN);
  ASSERT_OK_AND_ASSIGN(v1::Program after, Program(program));
  EXPECT_EQ(after.balances().available_fen(), 10'000'000);
  EXPECT_EQ(after.balances().reserved_fen(), 0);
  // The child's yearly total went back too: the full cap is available again.
  ASSERT_OK(Submit(wuding_caseworker_, Application("s-again", program, child, 500'000)).status());
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_TRUE(reconciled.balanced());
}

TEST_F(AllowanceTest, Submit_InKindItems_AmountIsQuantityTimesUnitValue) {
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("c");
  v1::SubmitApplicationRequest request =
      Application("s-1", program, child, 0, v1::ALLOWANCE_TYPE_IN_KIND_SURVIVAL_AID);
  v1::InKindItem* quilt = request.add_items();
  quilt->set_description("棉被");
  quilt->set_quantity(2);
  quilt->set_unit_value_fen(15'000);
  v1::InKindItem* coat = request.add_items();
  coat->set_description("冬衣");
  coat->set_quantity(3);
  coat->set_unit_value_fen(8'800);
  ASSERT_OK_AND_ASSIGN(v1::Application a, Submit(wuding_caseworker_, request));
  EXPECT_EQ(a.amount_fen(), 2 * 15'000 + 3 * 8'800);
  ASSERT_EQ(a.items_size(), 2);
  EXPECT_EQ(a.items(1).description(), "冬衣");
}

TEST_F(AllowanceTest, Submit_BadInput_NamesTheFieldAndWritesNothing) {
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("c");
  struct Case {
    std::string field;
    std::function<void(v1::SubmitApplicationRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"program_id", [](auto& r) { r.set_program_id("nope"); }},
      {"child_id", [](auto& r) { r.set_child_id(""); }},
      {"type", [](auto& r) { r.set_type(v1::ALLOWANCE_TYPE_UNSPECIFIED); }},
      {"amount_fen", [](auto& r) { r.set_amount_fen(0); }},
      {"amount_fen", [](auto& r) { r.set_amount_fen(-100); }},
      {"reason", [](auto& r) { r.set_reason("   "); }},
      {"items", [](auto& r) { r.add_items()->set_description("rice"); }},
      {"items",
       [](auto& r) {
         r.set_type(v1::ALLOWANCE_TYPE_IN_KIND_SURVIVAL_AID);
         r.set_amount_fen(0);
       }},
      {"items.quantity",
       [](auto& r) {
         r.set_type(v1::ALLOWANCE_TYPE_IN_KIND_SURVIVAL_AID);
         r.set_amount_fen(0);
         auto* item = r.add_items();
         item->set_description("rice");
         item->set_quantity(0);
         item->set_unit_value_fen(100);
       }},
      {"evidence_report_id", [](auto& r) { r.set_evidence_report_id("has space"); }},
  };
  int n = 0;
  for (const Case& c : cases) {
    v1::SubmitApplicationRequest request = Application(absl::StrCat("bad-", n++), program, child, 10'000);
    c.spoil(request);
    absl::StatusOr<v1::Application> answer = Submit(wuding_caseworker_, request);
    EXPECT_THAT(answer, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_EQ(FieldOf(answer.status()), c.field);
  }
  EXPECT_EQ(AllowanceCount("applications"), 0);
  EXPECT_EQ(AllowanceCount("application_items"), 0);
}

TEST_F(AllowanceTest, GetApplication_AnotherOrganisationOrCounty_IsNotFound) {
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("c");
  ASSERT_OK_AND_ASSIGN(v1::Application a,
                       Submit(wuding_caseworker_, Application("s-1", program, child, 10'000)));
  v1::GetApplicationRequest get;
  get.set_application_id(a.application_id());
  EXPECT_THAT(Do(&Stub::GetApplication, other_ngo_caseworker_, get), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Do(&Stub::GetApplication, xixia_officer_, get), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(Do(&Stub::GetApplication, finance_, get).status());
  ASSERT_OK(Do(&Stub::GetApplication, auditor_, get).status());
}

}  // namespace
}  // namespace shouhu::allowance::testing
