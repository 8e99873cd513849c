// A monthly enrolment's arrears (补发), against real MariaDB and the real service over gRPC: a raise that
// reaches back over months paid already leaves each owed its difference, claimed once into an arrears
// application (ClaimMonthlyArrears) that a checker approves and PayApplication pays; a rejected claim leaves
// the months owed again, a second raise owes only the rest, two claims at once claim a month once, a closed
// case or a withdrawn enrolment is still owed its paid months, and the caller, the rules and bad input are
// refused with nothing written.
#include <thread>

#include "common/status_macros.h"
#include "tests/integration/allowance/monthly_fixture.h"
#include "tests/support/status_matchers.h"

namespace shouhu::allowance::testing {
namespace {

using ::shouhu::testing::StatusIs;
using ::testing::HasSubstr;

class MonthlyArrears : public MonthlyAllowanceTest {
 protected:
  // Three months cycles pay, of one year (a claim holds one year's months): from two months ahead, or from
  // the January after when those three would reach into it.
  absl::CivilMonth m2() const {
    const absl::CivilMonth two_ahead = ThisMonth() + 2;
    return two_ahead.month() <= 10 ? two_ahead : absl::CivilMonth(two_ahead.year() + 1, 1);
  }
  absl::CivilMonth m3() const { return m2() + 1; }
  absl::CivilMonth m4() const { return m2() + 2; }

  static v1::ClaimMonthlyArrearsRequest Claim(const std::string& request_id, const std::string& enrolment) {
    v1::ClaimMonthlyArrearsRequest request;
    request.set_request_id(request_id);
    request.set_enrolment_id(enrolment);
    request.set_reason("省民政厅调整基本生活保障标准，补发差额");
    return request;
  }
  absl::StatusOr<v1::ClaimMonthlyArrearsResponse> ClaimAs(const Principal& as,
                                                          const v1::ClaimMonthlyArrearsRequest& request) {
    return Ask(&v1::AllowanceService::Stub::ClaimMonthlyArrears, as, request);
  }
  std::vector<v1::MonthOwed> Owed(const std::string& enrolment) {
    v1::ListMonthlyArrearsRequest request;
    request.set_enrolment_id(enrolment);
    absl::StatusOr<v1::ListMonthlyArrearsResponse> answer =
        Ask(&v1::AllowanceService::Stub::ListMonthlyArrears, finance_, request);
    EXPECT_OK(answer);
    if (!answer.ok()) return {};
    return {answer->months().begin(), answer->months().end()};
  }
  v1::ProgramForecast ForecastOf(const std::string& program) {
    v1::GetProgramForecastRequest request;
    request.set_program_id(program);
    absl::StatusOr<v1::GetProgramForecastResponse> answer =
        Ask(&v1::AllowanceService::Stub::GetProgramForecast, finance_, request);
    EXPECT_OK(answer);
    return answer.ok() ? answer->forecast() : v1::ProgramForecast();
  }
  int64_t ArrearsApplications() {
    return QueryInt("SELECT COUNT(*) FROM applications WHERE type = ?",
                    {int64_t{v1::ALLOWANCE_TYPE_MONTHLY_ARREARS}});
  }
  // The checker approves the claim and the finance officer pays it.
  absl::StatusOr<v1::Payment> ApproveAndPay(const std::string& application_id, const std::string& tag) {
    v1::ApproveApplicationRequest approve;
    approve.set_request_id("approve-" + tag);
    approve.set_application_id(application_id);
    RETURN_IF_ERROR(Ask(&v1::AllowanceService::Stub::ApproveApplication, wuding_officer_, approve).status());
    v1::PayApplicationRequest pay;
    pay.set_request_id("pay-" + tag);
    pay.set_application_id(application_id);
    pay.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
    pay.set_payee_reference("6222-0000-0000-0002");
    ASSIGN_OR_RETURN(v1::PayApplicationResponse paid,
                     Ask(&v1::AllowanceService::Stub::PayApplication, finance_, pay));
    return paid.payment();
  }
  // An enrolment of 60,000 a month whose m2 and m3 are paid, then raised to `raised_fen` from m2.
  std::string PaidThenRaised(const std::string& program, int64_t raised_fen) {
    return PaidThenRaisedOver(program, ActiveChild("a").child_id(), m2(), m3(), raised_fen);
  }
  // The child's enrolment of 60,000 a month whose `first` and `second` months are paid, then raised to
  // `raised_fen` from `first`.
  std::string PaidThenRaisedOver(const std::string& program, const std::string& child, absl::CivilMonth first,
                                 absl::CivilMonth second, int64_t raised_fen = 65'000) {
    const std::string enrolment = Enrol("a", program, child, 60'000);
    PayMonth(program, first, MonthText(first));
    PayMonth(program, second, MonthText(second));
    EXPECT_OK(ChangeAs(ngo_admin_, Change("raise", enrolment, first, raised_fen)));
    return enrolment;
  }
};

TEST_F(MonthlyArrears, ARaiseOverPaidMonths_TheirDifferencesClaimedOnce_ApprovedAndPaid) {
  const std::string program = FundedProgram("p");
  const std::string enrolment = Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  PayMonth(program, m2(), "m2");
  PayMonth(program, m3(), "m3");
  EXPECT_TRUE(Owed(enrolment).empty());

  // A cut cannot reach back over the paid lines; a raise can.
  auto cut = ChangeAs(ngo_admin_, Change("cut", enrolment, m2(), 55'000));
  EXPECT_THAT(cut, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(cut.status().message()), HasSubstr("start from " + MonthText(m4())));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyAmountChange raise,
                       ChangeAs(ngo_admin_, Change("raise", enrolment, m2(), 65'000)));
  EXPECT_EQ(raise.previous_amount_fen(), 60'000);
  EXPECT_EQ(LineOf(program, m2(), enrolment).amount_fen(), 60'000);  // the paid line keeps what it paid

  std::vector<v1::MonthOwed> owed = Owed(enrolment);
  ASSERT_EQ(owed.size(), 2u);
  EXPECT_EQ(owed[0].month(), MonthText(m2()));
  EXPECT_EQ(owed[1].month(), MonthText(m3()));
  for (const v1::MonthOwed& m : owed) {
    EXPECT_EQ(m.paid_fen(), 60'000);
    EXPECT_EQ(m.due_fen(), 65'000);
    EXPECT_EQ(m.owed_fen(), 5'000);
    EXPECT_EQ(m.application_id(), "");
  }

  // The forecast counts what is owed as spoken for.
  const v1::ProgramForecast owing = ForecastOf(program);
  EXPECT_EQ(owing.arrears_owed_fen(), 10'000);
  EXPECT_EQ(owing.pipeline_fen(), 0);

  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse claimed,
                       ClaimAs(ngo_admin_, Claim("arrears", enrolment)));
  const v1::Application& arrears = claimed.application();
  EXPECT_EQ(arrears.type(), v1::ALLOWANCE_TYPE_MONTHLY_ARREARS);
  EXPECT_EQ(arrears.state(), v1::APPLICATION_STATE_SUBMITTED);
  EXPECT_EQ(arrears.amount_fen(), 10'000);
  EXPECT_EQ(arrears.applicant(), ngo_admin_.subject());
  EXPECT_THAT(arrears.reason(), HasSubstr(MonthText(m2()) + ", " + MonthText(m3())));
  ASSERT_EQ(claimed.months_size(), 2);
  EXPECT_EQ(claimed.months(0).application_id(), arrears.application_id());
  EXPECT_EQ(claimed.left_owed_size(), 0);
  EXPECT_EQ(AllowanceEvents("shouhu.allowance.v1.ApplicationSubmitted"), 2);  // the enrolment's and this

  // A retry answers the same; another claim finds nothing owed.
  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse again,
                       ClaimAs(ngo_admin_, Claim("arrears", enrolment)));
  EXPECT_EQ(again.SerializeAsString(), claimed.SerializeAsString());
  auto second = ClaimAs(ngo_admin_, Claim("arrears-2", enrolment));
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("nothing owed"));
  EXPECT_EQ(ArrearsApplications(), 1);
  EXPECT_EQ(AllowanceCount("monthly_arrears"), 2);
  owed = Owed(enrolment);
  ASSERT_EQ(owed.size(), 2u);
  EXPECT_EQ(owed[1].application_id(), arrears.application_id());

  // The checker approves it (the maker may not), and it is paid as any application.
  v1::ApproveApplicationRequest approve;
  approve.set_request_id("approve-arrears");
  approve.set_application_id(arrears.application_id());
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::ApproveApplication, ngo_admin_, approve),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::ApproveApplicationResponse approved,
                       Ask(&v1::AllowanceService::Stub::ApproveApplication, wuding_officer_, approve));
  EXPECT_EQ(approved.application().state(), v1::APPLICATION_STATE_APPROVED);
  v1::PayApplicationRequest pay;
  pay.set_request_id("pay-arrears");
  pay.set_application_id(arrears.application_id());
  pay.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
  pay.set_payee_reference("6222-0000-0000-0001");
  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse paid,
                       Ask(&v1::AllowanceService::Stub::PayApplication, finance_, pay));
  EXPECT_EQ(paid.payment().amount_fen(), 10'000);
  ExpectReconciles(program);
  // Claimed and paid: no longer owed, and not taken for a pace of one-time spending that goes on.
  const v1::ProgramForecast after = ForecastOf(program);
  EXPECT_EQ(after.arrears_owed_fen(), 0);
  EXPECT_EQ(after.pipeline_fen(), 0);
  EXPECT_EQ(after.one_time_to_come_fen(), 0);
  EXPECT_EQ(after.uncommitted_fen(), owing.uncommitted_fen());

  // The months after are generated at the new amount: nothing more is owed.
  PayMonth(program, m4(), "m4");
  EXPECT_EQ(LineOf(program, m4(), enrolment).amount_fen(), 65'000);
  EXPECT_EQ(Owed(enrolment).size(), 2u);
  EXPECT_THAT(ClaimAs(ngo_admin_, Claim("arrears-3", enrolment)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// The allowance report tells the orphans' allowance and the de facto unsupported children's apart (they are
// funded and reported apart), an arrears payment under the kind of the enrolment it pays.
TEST_F(MonthlyArrears, Report_EachKindApart_ArrearsUnderTheirEnrolmentsKind) {
  const std::string program = FundedProgram("p");
  const std::string orphan =
      Enrol("o", program, ActiveChild("o", "2014-03-02", rv1::CHILD_CATEGORY_ORPHAN).child_id(), 60'000);
  Enrol("u", program, ActiveChild("u").child_id(), 60'000);
  Enrol("v", program, ActiveChild("v").child_id(), 60'000);
  PayMonth(program, m2(), "m2");
  ASSERT_OK(ChangeAs(ngo_admin_, Change("raise", orphan, m2(), 65'000)));
  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse claim, ClaimAs(ngo_admin_, Claim("arrears", orphan)));
  ASSERT_OK(ApproveAndPay(claim.application().application_id(), "arrears"));

  v1::GetAllowanceReportRequest report;
  report.set_from_month(MonthText(ThisMonth()));
  report.set_to_month(MonthText(ThisMonth()));
  ASSERT_OK_AND_ASSIGN(v1::GetAllowanceReportResponse figures,
                       Ask(&v1::AllowanceService::Stub::GetAllowanceReport, wuding_officer_, report));
  struct Expected {
    v1::AllowanceType type;
    v1::LivingAllowanceKind kind;
    int64_t amount_fen, person_times, children;
  };
  const Expected expected[] = {
      {v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING, v1::LIVING_ALLOWANCE_KIND_ORPHAN, 60'000, 1, 1},
      {v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING, v1::LIVING_ALLOWANCE_KIND_DE_FACTO_UNSUPPORTED, 120'000, 2,
       2},
      {v1::ALLOWANCE_TYPE_MONTHLY_ARREARS, v1::LIVING_ALLOWANCE_KIND_ORPHAN, 5'000, 1, 1},
  };
  ASSERT_EQ(figures.rows_size(), 3) << figures.DebugString();
  for (int i = 0; i < 3; ++i) {
    const v1::AllowanceReportRow& row = figures.rows(i);
    EXPECT_EQ(row.program_id(), program);
    EXPECT_EQ(row.type(), expected[i].type) << i;
    EXPECT_EQ(row.living_allowance_kind(), expected[i].kind) << i;
    EXPECT_EQ(row.amount_fen(), expected[i].amount_fen) << i;
    EXPECT_EQ(row.person_times(), expected[i].person_times) << i;
    EXPECT_EQ(row.distinct_children(), expected[i].children) << i;
  }
}

// Back pay of December and January is two claims, each counted against the cap per child of its months'
// year as their roster lines were: December's arrears claimed in January take no room from the child's new
// year (where a cap of twelve months of the new standard would leave its last months unpaid).
TEST_F(MonthlyArrears, MonthsOfTwoYears_EachClaimCountsAgainstItsMonthsYear) {
  const absl::CivilMonth december = NextPaidDecember(), january = december + 1;
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("a").child_id();
  const std::string enrolment = PaidThenRaisedOver(program, child, december, january);
  ASSERT_EQ(Owed(enrolment).size(), 2u);
  const int64_t claimed_in = ThisMonth().year();
  const int64_t december_year = ChildYearTotal(program, child, december.year());
  const int64_t january_year = ChildYearTotal(program, child, january.year());
  const int64_t this_year = ChildYearTotal(program, child, claimed_in);

  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse first, ClaimAs(ngo_admin_, Claim("first", enrolment)));
  ASSERT_EQ(first.months_size(), 1);
  EXPECT_EQ(first.months(0).month(), MonthText(december));
  ASSERT_EQ(first.left_owed_size(), 1);
  EXPECT_EQ(first.left_owed(0).month(), MonthText(january));
  EXPECT_EQ(first.application().amount_fen(), 5'000);
  EXPECT_EQ(first.application().year(), december.year());
  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse second,
                       ClaimAs(ngo_admin_, Claim("second", enrolment)));
  ASSERT_EQ(second.months_size(), 1);
  EXPECT_EQ(second.months(0).month(), MonthText(january));
  EXPECT_EQ(second.left_owed_size(), 0);
  EXPECT_EQ(second.application().year(), january.year());

  ASSERT_OK(ApproveAndPay(first.application().application_id(), "first").status());
  ASSERT_OK(ApproveAndPay(second.application().application_id(), "second").status());
  EXPECT_EQ(ChildYearTotal(program, child, december.year()), december_year + 5'000);
  EXPECT_EQ(ChildYearTotal(program, child, january.year()), january_year + 5'000);
  if (claimed_in != december.year() && claimed_in != january.year()) {
    EXPECT_EQ(ChildYearTotal(program, child, claimed_in), this_year);
  }
  ExpectReconciles(program);
}

// A year whose claim is refused (its cap per child has no room for the back pay) does not hold back the next
// year's: the claim naming that year claims its months and leaves the refused year's owed; a year with
// nothing owed is named in the refusal.
TEST_F(MonthlyArrears, AYearRefusedForItsCap_TheNextYearClaimedByName) {
  const absl::CivilMonth december = NextPaidDecember(), january = december + 1;
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("a").child_id();
  const std::string enrolment = PaidThenRaisedOver(program, child, december, january);
  // December's year one fen short of room for its 5,000 owed; January's year with room.
  ASSERT_NO_FATAL_FAILURE(LeaveYearRoomShortOf(program, child, december.year(), 5'000, january.year()));

  auto refused = ClaimAs(ngo_admin_, Claim("earliest", enrolment));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("cap per child and year"));
  v1::ClaimMonthlyArrearsRequest next_year = Claim("next-year", enrolment);
  next_year.set_year(static_cast<int32_t>(january.year()));
  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse claimed, ClaimAs(ngo_admin_, next_year));
  ASSERT_EQ(claimed.months_size(), 1);
  EXPECT_EQ(claimed.months(0).month(), MonthText(january));
  ASSERT_EQ(claimed.left_owed_size(), 1);
  EXPECT_EQ(claimed.left_owed(0).month(), MonthText(december));
  EXPECT_EQ(claimed.application().year(), january.year());
  EXPECT_EQ(claimed.application().amount_fen(), 5'000);
  const std::vector<v1::MonthOwed> owed = Owed(enrolment);
  ASSERT_EQ(owed.size(), 2u);
  EXPECT_TRUE(owed[0].application_id().empty());  // December's, still owed
  EXPECT_EQ(owed[1].application_id(), claimed.application().application_id());

  v1::ClaimMonthlyArrearsRequest nothing = Claim("nothing", enrolment);
  nothing.set_year(static_cast<int32_t>(january.year()));
  auto none = ClaimAs(ngo_admin_, nothing);
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("year"));
  EXPECT_THAT(std::string(none.status().message()), HasSubstr(std::to_string(december.year())));
  EXPECT_EQ(ArrearsApplications(), 1);
  ASSERT_OK(ApproveAndPay(claimed.application().application_id(), "next-year").status());
  ExpectReconciles(program);
}

// A notice raising months the program paid often comes after its period has ended: the back pay is still the
// program's to pay, claimed, approved and paid from its budget, until the funder evaluates the program.
TEST_F(MonthlyArrears, AfterTheProgramsPeriod_ClaimedAndPaid_UntilTheProgramIsEvaluated) {
  const std::string program = FundedProgram("p");
  const std::string enrolment = Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  const std::string other = Enrol("b", program, ActiveChild("b").child_id(), 60'000);
  PayMonth(program, m2(), "m2");
  PayMonth(program, m3(), "m3");
  ASSERT_OK(ChangeAs(ngo_admin_, Change("raise-a", enrolment, m2(), 65'000)));
  ASSERT_OK(ChangeAs(ngo_admin_, Change("raise-b", other, m2(), 65'000)));
  // The period ended yesterday.
  const absl::CivilDay yesterday = ShanghaiDay(absl::Now()) - 1;
  ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    return s
        .Execute("UPDATE programs SET period_end = ? WHERE id = ?",
                 {absl::FormatCivilTime(yesterday), program})
        .status();
  }));
  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse claimed,
                       ClaimAs(ngo_admin_, Claim("late", enrolment)));
  EXPECT_EQ(claimed.application().amount_fen(), 10'000);
  ASSERT_OK_AND_ASSIGN(v1::Payment paid, ApproveAndPay(claimed.application().application_id(), "late"));
  EXPECT_EQ(paid.amount_fen(), 10'000);
  ExpectReconciles(program);

  v1::EvaluateProgramRequest evaluate;
  evaluate.set_request_id("evaluate");
  evaluate.set_program_id(program);
  evaluate.set_score(90);
  evaluate.set_summary("按期完成");
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::EvaluateProgram, wuding_officer_, evaluate));
  auto closed = ClaimAs(ngo_admin_, Claim("after-evaluation", other));
  EXPECT_THAT(closed, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(closed.status().message()), HasSubstr("not funded and running"));
  EXPECT_EQ(ArrearsApplications(), 1);
}

TEST_F(MonthlyArrears, ARejectedClaimLeavesTheMonthsOwed_ASecondRaiseOwesOnlyTheRest) {
  const std::string program = FundedProgram("p");
  const std::string enrolment = PaidThenRaised(program, 65'000);
  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse first, ClaimAs(ngo_admin_, Claim("first", enrolment)));
  v1::RejectApplicationRequest reject;
  reject.set_request_id("reject-first");
  reject.set_application_id(first.application().application_id());
  reject.set_reason("核对发放名册后重新申报");
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::RejectApplication, wuding_officer_, reject));
  std::vector<v1::MonthOwed> owed = Owed(enrolment);
  ASSERT_EQ(owed.size(), 2u);
  EXPECT_EQ(owed[0].application_id(), "");
  EXPECT_EQ(owed[0].owed_fen(), 5'000);
  EXPECT_EQ(ForecastOf(program).arrears_owed_fen(), 10'000);

  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse claimed,
                       ClaimAs(ngo_admin_, Claim("again", enrolment)));
  EXPECT_EQ(claimed.application().amount_fen(), 10'000);
  EXPECT_EQ(QueryInt("SELECT MAX(attempt) FROM monthly_arrears WHERE enrolment_id = ?", {enrolment}), 2);

  // Raised again over the same months: each is owed 5,000 more, beside the live claim of the first 5,000.
  EXPECT_EQ(ForecastOf(program).arrears_owed_fen(), 0);
  ASSERT_OK(ChangeAs(ngo_admin_, Change("raise-again", enrolment, m2(), 70'000)));
  EXPECT_EQ(ForecastOf(program).arrears_owed_fen(), 10'000);
  owed = Owed(enrolment);
  ASSERT_EQ(owed.size(), 4u);
  EXPECT_EQ(owed[0].application_id(), claimed.application().application_id());
  EXPECT_EQ(owed[1].application_id(), "");
  EXPECT_EQ(owed[1].due_fen(), 70'000);
  EXPECT_EQ(owed[1].owed_fen(), 5'000);
  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse rest, ClaimAs(ngo_admin_, Claim("rest", enrolment)));
  EXPECT_EQ(rest.application().amount_fen(), 10'000);
  EXPECT_EQ(ArrearsApplications(), 3);
}

TEST_F(MonthlyArrears, ClaimsAtOnce_EachMonthClaimedOnce) {
  const std::string program = FundedProgram("p");
  const std::string enrolment = PaidThenRaised(program, 65'000);
  constexpr int kClaims = 4;
  std::vector<absl::StatusOr<v1::ClaimMonthlyArrearsResponse>> answers(kClaims,
                                                                       absl::UnknownError("not run"));
  std::vector<std::thread> claims;
  for (int i = 0; i < kClaims; ++i) {
    claims.emplace_back(
        [&, i] { answers[i] = ClaimAs(ngo_admin_, Claim("race-" + std::to_string(i), enrolment)); });
  }
  for (std::thread& t : claims) t.join();
  int granted = 0;
  for (const auto& answer : answers) {
    if (answer.ok()) {
      ++granted;
      EXPECT_EQ(answer->application().amount_fen(), 10'000);
    } else {
      EXPECT_THAT(answer, StatusIs(absl::StatusCode::kFailedPrecondition));
    }
  }
  EXPECT_EQ(granted, 1);
  EXPECT_EQ(ArrearsApplications(), 1);
  EXPECT_EQ(AllowanceCount("monthly_arrears"), 2);
}

// The province's notice comes after the child's case closed: the months paid while it was open are owed the
// difference all the same, claimed, approved and paid with the case closed; a case closing while a claim
// awaits its checker leaves the claim.
TEST_F(MonthlyArrears, ACaseClosedBeforeTheRaise_ItsPaidMonthsAreOwedClaimedAndPaid) {
  const std::string program = FundedProgram("p");
  const rv1::Case closing = ActiveChild("closing");
  const rv1::Case pending = ActiveChild("pending");
  const std::string closed_enrolment = Enrol("closing", program, closing.child_id(), 60'000);
  const std::string pending_enrolment = Enrol("pending", program, pending.child_id(), 60'000);
  PayMonth(program, m2(), "m2");
  PayMonth(program, m3(), "m3");
  ASSERT_NO_FATAL_FAILURE(CloseCase("closing", closing.case_id()));
  // Nothing new is asked for a closed case.
  v1::SubmitApplicationRequest relief;
  relief.set_request_id("relief-closed");
  relief.set_program_id(program);
  relief.set_child_id(closing.child_id());
  relief.set_type(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
  relief.set_amount_fen(10'000);
  relief.set_reason("冬季取暖");
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, relief),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_OK(ChangeAs(ngo_admin_, Change("raise-closed", closed_enrolment, m2(), 65'000)));
  ASSERT_OK(ChangeAs(ngo_admin_, Change("raise-pending", pending_enrolment, m2(), 65'000)));
  EXPECT_EQ(Owed(closed_enrolment).size(), 2u);
  EXPECT_EQ(ForecastOf(program).arrears_owed_fen(), 20'000);
  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse closed_claim,
                       ClaimAs(ngo_admin_, Claim("arrears-closed", closed_enrolment)));
  EXPECT_EQ(closed_claim.application().amount_fen(), 10'000);
  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse pending_claim,
                       ClaimAs(ngo_admin_, Claim("arrears-pending", pending_enrolment)));

  // The second case closes while its claim awaits the checker: the claim stays as it was.
  ASSERT_NO_FATAL_FAILURE(CloseCase("pending", pending.case_id()));
  EXPECT_EQ(ApplicationOf(pending_claim.application().application_id()).state(),
            v1::APPLICATION_STATE_SUBMITTED);

  for (const auto& [claim, tag] : {std::pair{closed_claim, "closed"}, std::pair{pending_claim, "pending"}}) {
    ASSERT_OK_AND_ASSIGN(v1::Payment payment, ApproveAndPay(claim.application().application_id(), tag));
    EXPECT_EQ(payment.amount_fen(), 10'000) << tag;
  }
  ExpectReconciles(program);
  EXPECT_EQ(ForecastOf(program).arrears_owed_fen(), 0);
  EXPECT_THAT(ClaimAs(ngo_admin_, Claim("arrears-closed-2", closed_enrolment)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// Withdrawn after two paid months: a raise may still reach back over them (and be claimed), but not start
// after its last line, not cut, and not leave the amount where it is.
TEST_F(MonthlyArrears, AWithdrawnEnrolment_OnlyARaiseReachingBackOverItsPaidMonths) {
  const std::string program = FundedProgram("p");
  const std::string enrolment = Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  PayMonth(program, m2(), "m2");
  PayMonth(program, m3(), "m3");
  ASSERT_OK(Withdraw("a", enrolment));
  ASSERT_EQ(ApplicationOf(enrolment).state(), v1::APPLICATION_STATE_WITHDRAWN);

  struct Refusal {
    absl::CivilMonth from;
    int64_t amount_fen;
    const char* names;
  };
  for (const Refusal& r : {Refusal{m4(), 65'000, "from_month"}, Refusal{m2(), 55'000, "amount_fen"},
                           Refusal{m2(), 60'000, "amount_fen"}}) {
    auto refused = ChangeAs(
        ngo_admin_, Change("refused-" + std::to_string(r.amount_fen), enrolment, r.from, r.amount_fen));
    EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition)) << MonthText(r.from);
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr(r.names));
  }
  EXPECT_EQ(AllowanceCount("monthly_amount_changes"), 0);

  ASSERT_OK(ChangeAs(ngo_admin_, Change("raise", enrolment, m2(), 65'000)));
  ASSERT_OK_AND_ASSIGN(v1::ClaimMonthlyArrearsResponse claimed,
                       ClaimAs(ngo_admin_, Claim("arrears", enrolment)));
  EXPECT_EQ(claimed.application().amount_fen(), 10'000);
  ASSERT_EQ(claimed.months_size(), 2);
  EXPECT_EQ(claimed.months(1).month(), MonthText(m3()));
  ASSERT_OK(ApproveAndPay(claimed.application().application_id(), "withdrawn"));
  ExpectReconciles(program);
}

TEST_F(MonthlyArrears, RefusedWhereTheCallerOrTheInputForbids_NothingWritten) {
  const std::string program = FundedProgram("p");
  const std::string enrolment = PaidThenRaised(program, 65'000);
  const int64_t records_before = AllowanceCount("idempotency_records");
  struct Row {
    void (*spoil)(v1::ClaimMonthlyArrearsRequest&);
    const char* field;
  };
  const Row rows[] = {
      {[](v1::ClaimMonthlyArrearsRequest& r) { r.clear_request_id(); }, "request_id"},
      {[](v1::ClaimMonthlyArrearsRequest& r) { r.set_enrolment_id("x"); }, "enrolment_id"},
      {[](v1::ClaimMonthlyArrearsRequest& r) { r.clear_reason(); }, "reason"},
      {[](v1::ClaimMonthlyArrearsRequest& r) { r.set_reason(std::string(501, 'x')); }, "reason"},
      {[](v1::ClaimMonthlyArrearsRequest& r) { r.set_year(1999); }, "year"},
      {[](v1::ClaimMonthlyArrearsRequest& r) { r.set_year(2101); }, "year"},
  };
  for (const Row& row : rows) {
    v1::ClaimMonthlyArrearsRequest request = Claim("bad", enrolment);
    row.spoil(request);
    auto answer = ClaimAs(ngo_admin_, request);
    EXPECT_THAT(answer, StatusIs(absl::StatusCode::kInvalidArgument)) << row.field;
    EXPECT_THAT(std::string(answer.status().message()), HasSubstr(row.field));
  }
  // A caseworker is no maker; another county's officer does not see the enrolment; an unknown one is none.
  EXPECT_THAT(ClaimAs(wuding_caseworker_, Claim("caseworker", enrolment)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ClaimAs(xixia_officer_, Claim("xixia", enrolment)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ClaimAs(ngo_admin_, Claim("unknown", "01JAAAAAAAAAAAAAAAAAAAAAAA")),
              StatusIs(absl::StatusCode::kNotFound));
  // Arrears are never asked for by amount.
  v1::SubmitApplicationRequest by_hand;
  by_hand.set_request_id("by-hand");
  by_hand.set_program_id(program);
  by_hand.set_child_id(ActiveChild("b").child_id());
  by_hand.set_type(v1::ALLOWANCE_TYPE_MONTHLY_ARREARS);
  by_hand.set_amount_fen(10'000);
  by_hand.set_reason("补发");
  auto refused = Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, by_hand);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("type"));
  // Only a monthly enrolment owes arrears.
  v1::SubmitApplicationRequest relief = by_hand;
  relief.set_request_id("relief");
  relief.set_type(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
  ASSERT_OK_AND_ASSIGN(v1::SubmitApplicationResponse one_off,
                       Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, relief));
  auto not_monthly = ClaimAs(ngo_admin_, Claim("one-off", one_off.application().application_id()));
  EXPECT_THAT(not_monthly, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(not_monthly.status().message()), HasSubstr("monthly"));
  EXPECT_EQ(ArrearsApplications(), 0);
  EXPECT_EQ(AllowanceCount("monthly_arrears"), 0);
  EXPECT_EQ(AllowanceCount("idempotency_records"), records_before + 1);  // the relief application's
}

}  // namespace
}  // namespace shouhu::allowance::testing
