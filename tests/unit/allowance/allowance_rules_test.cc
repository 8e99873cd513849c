// The allowance service's pure rules: the program's and application's state machines, maker-checker, caps.
#include "services/allowance/allowance_rules.h"

#include <gtest/gtest.h>

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/support/status_matchers.h"

namespace shouhu::allowance {
namespace {

using ::shouhu::testing::StatusIs;

using common::v1::Principal;

Principal Person(const std::string& subject, const std::string& organisation, common::v1::Role role) {
  Principal p;
  p.set_subject(subject);
  p.set_organisation_id(organisation);
  p.add_roles(role);
  p.add_jurisdictions("532329");
  return p;
}

v1::Program FundedProgram() {
  v1::Program p;
  p.set_program_id("P");
  p.set_jurisdiction("532329");
  p.set_operator_organisation_id("ngo");
  p.set_funder_organisation_id("bureau");
  p.set_state(v1::PROGRAM_STATE_FUNDED);
  p.set_period_start("2026-01-01");
  p.set_period_end("2026-12-31");
  p.add_allowed_types(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
  p.add_eligible_categories(registry::v1::CHILD_CATEGORY_ORPHAN);
  p.set_per_payment_cap_fen(50'000);
  p.set_per_child_year_cap_fen(80'000);
  p.set_second_approval_threshold_fen(20'000);
  return p;
}

v1::Application Submitted(int64_t amount) {
  v1::Application a;
  a.set_applicant("caseworker");
  a.set_amount_fen(amount);
  a.set_state(v1::APPLICATION_STATE_SUBMITTED);
  return a;
}

const Principal kAdmin = Person("admin", "ngo", common::v1::ROLE_NGO_ADMIN);
const Principal kFinance = Person("finance", "bureau", common::v1::ROLE_FINANCE_OFFICER);
const Principal kOfficer = Person("officer", "bureau", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);

TEST(ProgramLifecycle, EveryStepOutOfOrder_IsFailedPrecondition) {
  v1::Program p = FundedProgram();
  const absl::CivilDay during(2026, 6, 1), after(2027, 1, 1);
  p.set_state(v1::PROGRAM_STATE_PROPOSED);
  EXPECT_THAT(NextProgramState(p, ProgramStep::kFund, true, during),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(NextProgramState(p, ProgramStep::kEvaluate, true, after),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::ProgramState accepted, NextProgramState(p, ProgramStep::kAssess, true, during));
  EXPECT_EQ(accepted, v1::PROGRAM_STATE_APPROVED);
  ASSERT_OK_AND_ASSIGN(v1::ProgramState declined, NextProgramState(p, ProgramStep::kAssess, false, during));
  EXPECT_EQ(declined, v1::PROGRAM_STATE_DECLINED);
  p.set_state(v1::PROGRAM_STATE_DECLINED);
  EXPECT_THAT(NextProgramState(p, ProgramStep::kFund, true, during),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  p.set_state(v1::PROGRAM_STATE_APPROVED);
  ASSERT_OK_AND_ASSIGN(v1::ProgramState funded, NextProgramState(p, ProgramStep::kFund, true, during));
  EXPECT_EQ(funded, v1::PROGRAM_STATE_FUNDED);
  p.set_state(v1::PROGRAM_STATE_FUNDED);
  EXPECT_THAT(NextProgramState(p, ProgramStep::kAssess, true, during),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ProgramLifecycle, Evaluate_BeforeThePeriodEnds_IsFailedPrecondition) {
  const v1::Program p = FundedProgram();
  EXPECT_THAT(NextProgramState(p, ProgramStep::kEvaluate, true, absl::CivilDay(2026, 12, 31)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::ProgramState evaluated,
                       NextProgramState(p, ProgramStep::kEvaluate, true, absl::CivilDay(2027, 1, 1)));
  EXPECT_EQ(evaluated, v1::PROGRAM_STATE_EVALUATED);
}

TEST(Approval, TheApplicantNeverApprovesTheirOwn) {
  v1::Application a = Submitted(1000);
  a.set_applicant("admin");
  EXPECT_THAT(DecideApproval(a, FundedProgram(), kAdmin), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(Approval, AtOrBelowThreshold_OneApprovalReservesAndApproves) {
  ASSERT_OK_AND_ASSIGN(ApprovalStep step, DecideApproval(Submitted(20'000), FundedProgram(), kAdmin));
  EXPECT_EQ(step.next, v1::APPLICATION_STATE_APPROVED);
  EXPECT_TRUE(step.reserves);
  EXPECT_TRUE(step.first);
}

TEST(Approval, AboveThreshold_NeedsTheFundersFinanceOfficerSecond) {
  v1::Application a = Submitted(20'001);
  ASSERT_OK_AND_ASSIGN(ApprovalStep first, DecideApproval(a, FundedProgram(), kAdmin));
  EXPECT_EQ(first.next, v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL);
  EXPECT_TRUE(first.reserves);
  a.set_state(first.next);
  a.set_first_approver("admin");
  EXPECT_THAT(DecideApproval(a, FundedProgram(), kOfficer), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      DecideApproval(a, FundedProgram(), Person("f2", "other-bureau", common::v1::ROLE_FINANCE_OFFICER)),
      StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(ApprovalStep second, DecideApproval(a, FundedProgram(), kFinance));
  EXPECT_EQ(second.next, v1::APPLICATION_STATE_APPROVED);
  EXPECT_FALSE(second.reserves);
  EXPECT_FALSE(second.first);
}

TEST(Approval, TheSecondApproverDiffersFromTheFirst) {
  v1::Application a = Submitted(30'000);
  a.set_state(v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL);
  a.set_first_approver("finance");
  EXPECT_THAT(DecideApproval(a, FundedProgram(), kFinance), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(Approval, OutOfOrder_IsFailedPrecondition) {
  for (v1::ApplicationState s :
       {v1::APPLICATION_STATE_APPROVED, v1::APPLICATION_STATE_REJECTED, v1::APPLICATION_STATE_WITHDRAWN,
        v1::APPLICATION_STATE_PAYMENT_ISSUED, v1::APPLICATION_STATE_PAID}) {
    v1::Application a = Submitted(1000);
    a.set_state(s);
    EXPECT_THAT(DecideApproval(a, FundedProgram(), kAdmin), StatusIs(absl::StatusCode::kFailedPrecondition))
        << v1::ApplicationState_Name(s);
  }
  v1::Program unfunded = FundedProgram();
  unfunded.set_state(v1::PROGRAM_STATE_APPROVED);
  EXPECT_THAT(DecideApproval(Submitted(1000), unfunded, kAdmin),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(Approval, AnotherOrganisationsAdmin_IsPermissionDenied) {
  EXPECT_THAT(
      DecideApproval(Submitted(1000), FundedProgram(), Person("x", "ngo-x", common::v1::ROLE_NGO_ADMIN)),
      StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(Closing, RejectionAndWithdrawal_ReleaseOnlyWhatWasReserved) {
  v1::Application a = Submitted(1000);
  ASSERT_OK_AND_ASSIGN(ClosingStep reject, DecideRejection(a, kAdmin));
  EXPECT_EQ(reject.next, v1::APPLICATION_STATE_REJECTED);
  EXPECT_FALSE(reject.releases);
  a.set_state(v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL);
  ASSERT_OK_AND_ASSIGN(reject, DecideRejection(a, kFinance));
  EXPECT_TRUE(reject.releases);
  EXPECT_THAT(DecideRejection(a, Person("caseworker", "ngo", common::v1::ROLE_NGO_CASEWORKER)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  a.set_state(v1::APPLICATION_STATE_APPROVED);
  EXPECT_THAT(DecideRejection(a, kAdmin), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(ClosingStep withdraw,
                       DecideWithdrawal(a, Person("caseworker", "ngo", common::v1::ROLE_NGO_CASEWORKER)));
  EXPECT_EQ(withdraw.next, v1::APPLICATION_STATE_WITHDRAWN);
  EXPECT_TRUE(withdraw.releases);
  EXPECT_THAT(DecideWithdrawal(a, kAdmin), StatusIs(absl::StatusCode::kPermissionDenied));
  a.set_state(v1::APPLICATION_STATE_PAID);
  EXPECT_THAT(DecideWithdrawal(a, Person("caseworker", "ngo", common::v1::ROLE_NGO_CASEWORKER)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(Closing, CaseClosed_CancelsWhatIsNotYetPaid_ReleasingOnlyWhatWasReserved) {
  v1::Application a = Submitted(1000);
  std::optional<ClosingStep> step = DecideCaseClosedCancellation(a);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->next, v1::APPLICATION_STATE_CANCELLED);
  EXPECT_FALSE(step->releases);
  for (v1::ApplicationState reserved :
       {v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL, v1::APPLICATION_STATE_APPROVED}) {
    a.set_state(reserved);
    step = DecideCaseClosedCancellation(a);
    ASSERT_TRUE(step.has_value()) << reserved;
    EXPECT_EQ(step->next, v1::APPLICATION_STATE_CANCELLED);
    EXPECT_TRUE(step->releases) << reserved;
  }
  // Money already sent, or an application already closed, is left as it is.
  for (v1::ApplicationState left :
       {v1::APPLICATION_STATE_PAYMENT_ISSUED, v1::APPLICATION_STATE_PAID, v1::APPLICATION_STATE_REJECTED,
        v1::APPLICATION_STATE_WITHDRAWN, v1::APPLICATION_STATE_CANCELLED}) {
    a.set_state(left);
    EXPECT_FALSE(DecideCaseClosedCancellation(a).has_value()) << left;
  }
}

// An arrears claim pays months given while the case was open: a close leaves it to be approved and paid, and
// only it is still taken and approved for a closed case.
TEST(Closing, CaseClosed_LeavesAnArrearsClaimInEveryState) {
  v1::Application a = Submitted(10'000);
  a.set_type(v1::ALLOWANCE_TYPE_MONTHLY_ARREARS);
  for (v1::ApplicationState state :
       {v1::APPLICATION_STATE_SUBMITTED, v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL,
        v1::APPLICATION_STATE_APPROVED, v1::APPLICATION_STATE_PAYMENT_ISSUED}) {
    a.set_state(state);
    EXPECT_FALSE(DecideCaseClosedCancellation(a).has_value()) << state;
  }
  EXPECT_TRUE(OwedAfterCaseClosed(v1::ALLOWANCE_TYPE_MONTHLY_ARREARS));
  EXPECT_OK(CheckCaseOpenTo(true, v1::ALLOWANCE_TYPE_MONTHLY_ARREARS));
  EXPECT_OK(CheckCaseOpenTo(false, v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF));
  EXPECT_THAT(CheckCaseOpenTo(true, v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  for (v1::AllowanceType type : {v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING, v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF,
                                 v1::ALLOWANCE_TYPE_ONE_TIME_TRANSPORTATION, v1::ALLOWANCE_TYPE_TUITION,
                                 v1::ALLOWANCE_TYPE_IN_KIND_SURVIVAL_AID}) {
    EXPECT_FALSE(OwedAfterCaseClosed(type)) << type;
  }
}

// A monthly enrolment holds several sums whatever state its last payment left it in: withdrawn in payment or
// paid, it releases what it holds (the store reads which); cancelled by its case's close when it holds any.
TEST(Closing, MonthlyEnrolmentInPaymentOrPaid_WithdrawnAlwaysCancelledWhenItHoldsMoney) {
  const common::v1::Principal applicant = Person("caseworker", "ngo", common::v1::ROLE_NGO_CASEWORKER);
  v1::Application a = Submitted(60'000);
  a.set_type(v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
  for (v1::ApplicationState paid : {v1::APPLICATION_STATE_PAYMENT_ISSUED, v1::APPLICATION_STATE_PAID}) {
    a.set_state(paid);
    ASSERT_OK_AND_ASSIGN(ClosingStep withdraw, DecideWithdrawal(a, applicant));
    EXPECT_EQ(withdraw.next, v1::APPLICATION_STATE_WITHDRAWN) << paid;
    EXPECT_TRUE(withdraw.releases) << paid;
    EXPECT_THAT(DecideWithdrawal(a, kAdmin), StatusIs(absl::StatusCode::kPermissionDenied));
    std::optional<ClosingStep> closed = DecideCaseClosedCancellation(a, /*monthly_holds=*/true);
    ASSERT_TRUE(closed.has_value()) << paid;
    EXPECT_EQ(closed->next, v1::APPLICATION_STATE_CANCELLED);
    EXPECT_TRUE(closed->releases);
    EXPECT_FALSE(DecideCaseClosedCancellation(a, /*monthly_holds=*/false).has_value()) << paid;
  }
  // Closed for good, it is not withdrawn again; any other application paid is not withdrawn at all.
  for (v1::ApplicationState closed :
       {v1::APPLICATION_STATE_WITHDRAWN, v1::APPLICATION_STATE_CANCELLED, v1::APPLICATION_STATE_REJECTED}) {
    a.set_state(closed);
    EXPECT_THAT(DecideWithdrawal(a, applicant), StatusIs(absl::StatusCode::kFailedPrecondition)) << closed;
    EXPECT_FALSE(DecideCaseClosedCancellation(a, true).has_value()) << closed;
  }
  v1::Application one_time = Submitted(60'000);
  one_time.set_state(v1::APPLICATION_STATE_PAYMENT_ISSUED);
  EXPECT_THAT(DecideWithdrawal(one_time, applicant), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(DecideCaseClosedCancellation(one_time, true).has_value());
}

TEST(Closing, MonthlyEnrolment_OpenWhileApprovedInPaymentOrPaid_ClosedForGoodOtherwise) {
  for (v1::ApplicationState open :
       {v1::APPLICATION_STATE_APPROVED, v1::APPLICATION_STATE_PAYMENT_ISSUED, v1::APPLICATION_STATE_PAID}) {
    EXPECT_TRUE(MonthlyEnrolmentOpen(open)) << open;
  }
  for (v1::ApplicationState closed :
       {v1::APPLICATION_STATE_WITHDRAWN, v1::APPLICATION_STATE_CANCELLED, v1::APPLICATION_STATE_REJECTED,
        v1::APPLICATION_STATE_SUBMITTED, v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL}) {
    EXPECT_FALSE(MonthlyEnrolmentOpen(closed)) << closed;
  }
  // Closed (owed a raise over what it was paid): withdrawn or cancelled; never approved is neither.
  for (v1::ApplicationState closed : {v1::APPLICATION_STATE_WITHDRAWN, v1::APPLICATION_STATE_CANCELLED}) {
    EXPECT_TRUE(MonthlyEnrolmentClosed(closed)) << closed;
  }
  for (v1::ApplicationState not_closed :
       {v1::APPLICATION_STATE_APPROVED, v1::APPLICATION_STATE_PAYMENT_ISSUED, v1::APPLICATION_STATE_PAID,
        v1::APPLICATION_STATE_REJECTED, v1::APPLICATION_STATE_SUBMITTED,
        v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL}) {
    EXPECT_FALSE(MonthlyEnrolmentClosed(not_closed)) << not_closed;
  }
}

// The states a SQL list of them, "(3, 6, 7)", holds.
std::set<int> StatesOfSql(absl::string_view text) {
  const std::string sql(text);
  std::set<int> in_sql;
  EXPECT_TRUE(absl::ConsumePrefix(&text, "(")) << sql;
  EXPECT_TRUE(absl::ConsumeSuffix(&text, ")")) << sql;
  for (absl::string_view number : absl::StrSplit(text, ", ")) {
    int state = 0;
    EXPECT_TRUE(absl::SimpleAtoi(number, &state)) << sql;
    EXPECT_TRUE(v1::ApplicationState_IsValid(state)) << state;
    in_sql.insert(state);
  }
  return in_sql;
}

// The SQL statements that pick open (or closed) monthly enrolments write the states as
// SHOUHU_OPEN_ENROLMENT_STATES, and those that pick ended applications (a dead arrears claim) as
// SHOUHU_ENDED_UNPAID_STATES: each set is its rule's, state by state.
TEST(Closing, StatesOfTheSql_AreTheRulesStates) {
  const std::set<int> open = StatesOfSql(kOpenEnrolmentStatesSql);
  const std::set<int> ended = StatesOfSql(kEndedUnpaidStatesSql);
  const google::protobuf::EnumDescriptor* states = v1::ApplicationState_descriptor();
  for (int i = 0; i < states->value_count(); ++i) {
    const auto state = static_cast<v1::ApplicationState>(states->value(i)->number());
    EXPECT_EQ(open.count(state) == 1, MonthlyEnrolmentOpen(state)) << states->value(i)->name();
    EXPECT_EQ(ended.count(state) == 1, ApplicationEndedUnpaid(state)) << states->value(i)->name();
  }
}

TEST(Caps, PerPaymentAndPerChildYear_AreInclusiveLimits) {
  const v1::Program p = FundedProgram();
  const absl::CivilDay day(2026, 6, 1);
  EXPECT_OK(CheckProgramTakes(p, v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF, 50'000, 0, day));
  EXPECT_THAT(CheckProgramTakes(p, v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF, 50'001, 0, day),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(CheckProgramTakes(p, v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF, 30'000, 50'000, day));
  EXPECT_THAT(CheckProgramTakes(p, v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF, 30'001, 50'000, day),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(CheckProgramTakes(p, v1::ALLOWANCE_TYPE_TUITION, 100, 0, day),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(CheckProgramTakes(p, v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF, 100, 0, absl::CivilDay(2027, 1, 1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// Back pay of months the program paid is taken after its period too, under the same caps, until the program
// is evaluated (no longer FUNDED); it is of the monthly allowance's type, which the program must give.
TEST(Caps, Arrears_AfterThePeriodToo_UnderTheCapsUntilTheProgramIsEvaluated) {
  v1::Program p = FundedProgram();
  p.add_allowed_types(v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
  EXPECT_THAT(
      CheckProgramTakes(p, v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING, 5'000, 0, absl::CivilDay(2027, 1, 8)),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(CheckProgramTakesArrears(p, 5'000, 0));
  EXPECT_OK(CheckProgramTakesArrears(p, 30'000, 50'000));
  EXPECT_THAT(CheckProgramTakesArrears(p, 30'001, 50'000), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(CheckProgramTakesArrears(p, 50'001, 0), StatusIs(absl::StatusCode::kFailedPrecondition));
  p.set_state(v1::PROGRAM_STATE_EVALUATED);
  EXPECT_THAT(CheckProgramTakesArrears(p, 5'000, 0), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(CheckProgramTakesArrears(FundedProgram(), 5'000, 0),  // no monthly allowance in it
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(Amount, InKindItems_SumQuantityTimesUnitValue_AndRefuseOverflow) {
  v1::InKindItem quilt;
  quilt.set_description("quilt");
  quilt.set_quantity(2);
  quilt.set_unit_value_fen(12'000);
  v1::InKindItem coat;
  coat.set_description("winter coat");
  coat.set_quantity(1);
  coat.set_unit_value_fen(9'950);
  ASSERT_OK_AND_ASSIGN(int64_t total,
                       ApplicationAmount(v1::ALLOWANCE_TYPE_IN_KIND_SURVIVAL_AID, 0, {quilt, coat}));
  EXPECT_EQ(total, 33'950);
  v1::InKindItem huge = quilt;
  huge.set_quantity(int64_t{1} << 40);
  huge.set_unit_value_fen(int64_t{1} << 40);
  EXPECT_THAT(ApplicationAmount(v1::ALLOWANCE_TYPE_IN_KIND_SURVIVAL_AID, 0, {huge}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ApplicationAmount(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF, 0, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ApplicationAmount(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF, 100, {quilt}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Eligibility, ActiveInJurisdictionAndCategory_AllRequired) {
  const v1::Program p = FundedProgram();
  ChildStanding child{true, "532329101001", {registry::v1::CHILD_CATEGORY_ORPHAN}};
  EXPECT_OK(CheckChildEligible(p, child));
  ChildStanding inactive = child;
  inactive.active = false;
  EXPECT_THAT(CheckChildEligible(p, inactive), StatusIs(absl::StatusCode::kFailedPrecondition));
  ChildStanding elsewhere = child;
  elsewhere.village_code = "640105001002";
  EXPECT_THAT(CheckChildEligible(p, elsewhere), StatusIs(absl::StatusCode::kFailedPrecondition));
  ChildStanding other = child;
  other.categories = {registry::v1::CHILD_CATEGORY_LEFT_BEHIND};
  EXPECT_THAT(CheckChildEligible(p, other), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(Outcome, ConfirmFailReturn_FollowTheirGuards) {
  v1::Payment p;
  p.set_state(v1::PAYMENT_STATE_ISSUED);
  p.set_attempts(1);
  ASSERT_OK_AND_ASSIGN(OutcomeStep fail,
                       DecideOutcome(p, v1::APPLICATION_STATE_PAYMENT_ISSUED, v1::PAYMENT_OUTCOME_FAILED, 3));
  EXPECT_EQ(fail.next, v1::PAYMENT_STATE_FAILED);
  EXPECT_EQ(fail.kind, v1::LEDGER_ENTRY_KIND_UNSPECIFIED);
  p.set_attempts(3);
  ASSERT_OK_AND_ASSIGN(OutcomeStep abandon,
                       DecideOutcome(p, v1::APPLICATION_STATE_PAYMENT_ISSUED, v1::PAYMENT_OUTCOME_FAILED, 3));
  EXPECT_EQ(abandon.next, v1::PAYMENT_STATE_ABANDONED);
  EXPECT_EQ(abandon.from, v1::LEDGER_ACCOUNT_IN_PAYMENT);
  EXPECT_EQ(abandon.to, v1::LEDGER_ACCOUNT_RESERVED);
  p.set_state(v1::PAYMENT_STATE_CONFIRMED);
  EXPECT_THAT(DecideOutcome(p, v1::APPLICATION_STATE_PAYMENT_ISSUED, v1::PAYMENT_OUTCOME_CONFIRMED, 3),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(DecideOutcome(p, v1::APPLICATION_STATE_PAYMENT_ISSUED, v1::PAYMENT_OUTCOME_FAILED, 3),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(OutcomeStep returned, DecideOutcome(p, v1::APPLICATION_STATE_PAYMENT_ISSUED,
                                                           v1::PAYMENT_OUTCOME_RETURNED, 3));
  EXPECT_EQ(returned.from, v1::LEDGER_ACCOUNT_DISBURSED);
  EXPECT_EQ(returned.application_next, v1::APPLICATION_STATE_APPROVED);
  p.set_state(v1::PAYMENT_STATE_RETURNED);
  EXPECT_THAT(DecideOutcome(p, v1::APPLICATION_STATE_PAYMENT_ISSUED, v1::PAYMENT_OUTCOME_RETURNED, 3),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// A payment still out when its application closed (a monthly enrolment withdrawn while a cycle month was at
// the bank): its outcome moves money and never the application's state, and money it returns is released.
TEST(Outcome, ApplicationClosedMeanwhile_StateUnchangedReturnedMoneyReleased) {
  v1::Payment p;
  p.set_state(v1::PAYMENT_STATE_ISSUED);
  p.set_attempts(1);
  for (v1::ApplicationState closed :
       {v1::APPLICATION_STATE_WITHDRAWN, v1::APPLICATION_STATE_CANCELLED, v1::APPLICATION_STATE_REJECTED}) {
    ASSERT_OK_AND_ASSIGN(OutcomeStep returned, DecideOutcome(p, closed, v1::PAYMENT_OUTCOME_RETURNED, 3));
    EXPECT_EQ(returned.application_next, v1::APPLICATION_STATE_UNSPECIFIED);
    EXPECT_EQ(returned.to, v1::LEDGER_ACCOUNT_RESERVED);
    EXPECT_TRUE(returned.releases);
    ASSERT_OK_AND_ASSIGN(OutcomeStep confirmed, DecideOutcome(p, closed, v1::PAYMENT_OUTCOME_CONFIRMED, 3));
    EXPECT_EQ(confirmed.application_next, v1::APPLICATION_STATE_UNSPECIFIED);
    EXPECT_FALSE(confirmed.releases);
  }
  ASSERT_OK_AND_ASSIGN(OutcomeStep open,
                       DecideOutcome(p, v1::APPLICATION_STATE_APPROVED, v1::PAYMENT_OUTCOME_RETURNED, 3));
  EXPECT_EQ(open.application_next, v1::APPLICATION_STATE_APPROVED);
  EXPECT_FALSE(open.releases);
}

PaymentStanding Standing(const std::string& id, v1::PaymentState state, int64_t amount_fen,
                         const std::string& reissue_of = "", bool by_cycle = false) {
  return PaymentStanding{id, state, amount_fen, reissue_of, by_cycle};
}

v1::Application Enrolment() {
  v1::Application a;
  a.set_application_id("E");
  a.set_type(v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
  a.set_amount_fen(60'000);
  return a;
}

const absl::Status kFirstMonthNotOwed = absl::FailedPreconditionError("first month not owed");

TEST(NextIssue, NothingReversed_TheApplicationsOwnAmountOnlyWhileItMayBePaid) {
  ASSERT_OK_AND_ASSIGN(NextIssue first, DecideNextIssue(Enrolment(), {}, absl::OkStatus()));
  EXPECT_EQ(first.reissue_of, "");
  EXPECT_EQ(first.amount_fen, 60'000);
  EXPECT_THAT(DecideNextIssue(Enrolment(), {}, kFirstMonthNotOwed),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // A cycle's payment that stands leaves nothing to re-issue: with its own amount not payable, the
  // application has been paid all it will be.
  EXPECT_THAT(DecideNextIssue(Enrolment(), {Standing("C", v1::PAYMENT_STATE_CONFIRMED, 60'000, "", true)},
                              kFirstMonthNotOwed),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Its own payment, once issued, is not issued again (the application's state no longer says so for a
  // monthly enrolment, which holds several sums at once).
  EXPECT_THAT(
      DecideNextIssue(Enrolment(), {Standing("F", v1::PAYMENT_STATE_CONFIRMED, 60'000)}, absl::OkStatus()),
      StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST(NextIssue, ReturnedCyclePayment_ReissuedForItsAmountWhateverTheFirstMonthRuleSays) {
  const std::vector<PaymentStanding> returned = {Standing("C", v1::PAYMENT_STATE_RETURNED, 55'000, "", true)};
  for (const absl::Status& own : {absl::OkStatus(), kFirstMonthNotOwed}) {
    ASSERT_OK_AND_ASSIGN(NextIssue next, DecideNextIssue(Enrolment(), returned, own));
    EXPECT_EQ(next.reissue_of, "C");
    EXPECT_EQ(next.amount_fen, 55'000);
  }
  // Its re-issue returned in turn (or abandoned) is the cycle's month's money still.
  const std::vector<PaymentStanding> again = {Standing("C", v1::PAYMENT_STATE_RETURNED, 55'000, "", true),
                                              Standing("R", v1::PAYMENT_STATE_ABANDONED, 55'000, "C")};
  ASSERT_OK_AND_ASSIGN(NextIssue next, DecideNextIssue(Enrolment(), again, kFirstMonthNotOwed));
  EXPECT_EQ(next.reissue_of, "R");
  EXPECT_EQ(next.amount_fen, 55'000);
}

TEST(NextIssue, ReissuedOnce_AReissueThatStandsLeavesNothingToReissue) {
  const std::vector<PaymentStanding> payments = {Standing("C", v1::PAYMENT_STATE_RETURNED, 60'000, "", true),
                                                 Standing("R", v1::PAYMENT_STATE_ISSUED, 60'000, "C")};
  EXPECT_THAT(DecideNextIssue(Enrolment(), payments, kFirstMonthNotOwed),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // With the first month owed, what is left to pay is the application's own amount (the state decides
  // whether it may be paid now).
  ASSERT_OK_AND_ASSIGN(NextIssue next, DecideNextIssue(Enrolment(), payments, absl::OkStatus()));
  EXPECT_EQ(next.reissue_of, "");
}

TEST(NextIssue, ReturnedFirstMonthPayment_ReissuedOnlyWhileTheFirstMonthIsOwed) {
  const std::vector<PaymentStanding> returned = {Standing("F", v1::PAYMENT_STATE_RETURNED, 60'000)};
  ASSERT_OK_AND_ASSIGN(NextIssue next, DecideNextIssue(Enrolment(), returned, absl::OkStatus()));
  EXPECT_EQ(next.reissue_of, "F");
  // Not owed, it is not re-issued; its money goes back with the first month's release.
  EXPECT_THAT(DecideNextIssue(Enrolment(), returned, kFirstMonthNotOwed),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Passed over when not owed, so a returned cycle payment after it is still re-issued.
  const std::vector<PaymentStanding> both = {Standing("F", v1::PAYMENT_STATE_RETURNED, 60'000),
                                             Standing("C", v1::PAYMENT_STATE_RETURNED, 60'000, "", true)};
  ASSERT_OK_AND_ASSIGN(NextIssue cycle, DecideNextIssue(Enrolment(), both, kFirstMonthNotOwed));
  EXPECT_EQ(cycle.reissue_of, "C");
  ASSERT_OK_AND_ASSIGN(NextIssue earliest, DecideNextIssue(Enrolment(), both, absl::OkStatus()));
  EXPECT_EQ(earliest.reissue_of, "F");
}

}  // namespace
}  // namespace shouhu::allowance
