// A monthly enrolment's amount changed from a month on (ChangeMonthlyAmount: the province's new yearly
// standard, or a correction), against real MariaDB: the lines of that month and later carry it and are paid
// at it once approved, lines written before keep theirs (a cut cannot reach back over them), the forecast
// counts it, a retry changes nothing, and a change that raced its month's generation still decides the month
// when the cycle is submitted.
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "tests/integration/allowance/monthly_fixture.h"
#include "tests/support/status_matchers.h"

namespace shouhu::allowance::testing {
namespace {

using ::shouhu::testing::StatusIs;
using ::testing::HasSubstr;

class MonthlyAmountChange : public MonthlyAllowanceTest {
 protected:
  absl::CivilMonth m2() const { return ThisMonth() + 2; }
  absl::CivilMonth m3() const { return ThisMonth() + 3; }

  int64_t MonthlyRostersToCome(const std::string& program) {
    v1::GetProgramForecastRequest request;
    request.set_program_id(program);
    absl::StatusOr<v1::GetProgramForecastResponse> answer =
        Ask(&v1::AllowanceService::Stub::GetProgramForecast, finance_, request);
    EXPECT_OK(answer);
    return answer.ok() ? answer->forecast().monthly_rosters_to_come_fen() : -1;
  }

  absl::Status Execute(const std::string& sql, const std::vector<db::Value>& params) {
    return allowance_database_->pool().Autocommit(
        [&](db::Session& s) { return s.Execute(sql, params).status(); });
  }
};

TEST_F(MonthlyAmountChange, FromAMonth_ItsLineAndLaterCarryIt_LinesWrittenBeforeKeepTheirs) {
  const std::string program = FundedProgram("p");
  const std::string enrolment = Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  MonthlyRosterJob& job = allowance_->cycles().job();
  ASSERT_OK(job.RunMonth(m2()));
  EXPECT_EQ(LineOf(program, m2(), enrolment).amount_fen(), 60'000);
  const int64_t to_come_before = MonthlyRostersToCome(program);
  ASSERT_GT(to_come_before, 0);

  // m2's line is written at 60,000: a cut can start from m3 only, and says so (a raise may reach back over
  // it: MonthlyArrears).
  auto too_early = ChangeAs(ngo_admin_, Change("cut-m2", enrolment, m2(), 55'000));
  EXPECT_THAT(too_early, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(too_early.status().message()), HasSubstr("start from " + MonthText(m3())));

  ASSERT_OK_AND_ASSIGN(v1::MonthlyAmountChange change,
                       ChangeAs(ngo_admin_, Change("raise", enrolment, m3(), 65'000)));
  EXPECT_EQ(change.enrolment_id(), enrolment);
  EXPECT_EQ(change.sequence(), 1);
  EXPECT_EQ(change.from_month(), MonthText(m3()));
  EXPECT_EQ(change.amount_fen(), 65'000);
  EXPECT_EQ(change.previous_amount_fen(), 60'000);
  EXPECT_EQ(change.changed_by(), ngo_admin_.subject());
  // A retry answers the same and changes nothing; the same id for another change is refused.
  ASSERT_OK_AND_ASSIGN(v1::MonthlyAmountChange again,
                       ChangeAs(ngo_admin_, Change("raise", enrolment, m3(), 65'000)));
  EXPECT_EQ(again.SerializeAsString(), change.SerializeAsString());
  EXPECT_THAT(ChangeAs(ngo_admin_, Change("raise", enrolment, m3(), 66'000)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(AllowanceCount("monthly_amount_changes"), 1);

  // The months to come are forecast at the new amount (every one of them is after m3's start).
  EXPECT_EQ(MonthlyRostersToCome(program), to_come_before / 60'000 * 65'000);

  ASSERT_OK(job.RunMonth(m3()));
  EXPECT_EQ(LineOf(program, m2(), enrolment).amount_fen(), 60'000);
  EXPECT_EQ(LineOf(program, m3(), enrolment).amount_fen(), 65'000);
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle m3_cycle, CycleOf(program, m3()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved, SubmitAndApprove(m3_cycle.cycle_id(), "m3"));
  EXPECT_EQ(approved.total_fen(), 65'000);
  v1::PayMonthlyCycleRequest pay;
  pay.set_request_id("pay-m3");
  pay.set_cycle_id(m3_cycle.cycle_id());
  pay.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay));
  EXPECT_EQ(LineOf(program, m3(), enrolment).amount_fen(), 65'000);
  ExpectReconciles(program);

  // The changes as an auditor reads them.
  v1::ListMonthlyAmountChangesRequest list;
  list.set_enrolment_id(enrolment);
  ASSERT_OK_AND_ASSIGN(v1::ListMonthlyAmountChangesResponse listed,
                       Ask(&v1::AllowanceService::Stub::ListMonthlyAmountChanges, finance_, list));
  ASSERT_EQ(listed.changes_size(), 1);
  EXPECT_EQ(listed.changes(0).SerializeAsString(), change.SerializeAsString());
}

TEST_F(MonthlyAmountChange, LaterChange_DecidesTheMonthsItCovers) {
  const std::string program = FundedProgram("p");
  const std::string enrolment = Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  ASSERT_OK(ChangeAs(ngo_admin_, Change("from-m3", enrolment, m3(), 70'000)));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyAmountChange second,
                       ChangeAs(ngo_admin_, Change("from-m2", enrolment, m2(), 65'000)));
  EXPECT_EQ(second.sequence(), 2);
  EXPECT_EQ(second.previous_amount_fen(), 60'000);
  MonthlyRosterJob& job = allowance_->cycles().job();
  ASSERT_OK(job.RunMonth(m2()));
  ASSERT_OK(job.RunMonth(m3()));
  EXPECT_EQ(LineOf(program, m2(), enrolment).amount_fen(), 65'000);
  EXPECT_EQ(LineOf(program, m3(), enrolment).amount_fen(), 65'000);
}

TEST_F(MonthlyAmountChange, RefusedWhereTheRulesOrTheCallerForbid_NothingWritten) {
  const std::string program = FundedProgram("p");
  const rv1::Case child = ActiveChild("a");
  const std::string enrolment = Enrol("a", program, child.child_id(), 60'000);

  // Its first month is paid through the application at the approved amount.
  auto first = ChangeAs(ngo_admin_, Change("first", enrolment, ThisMonth() + 1, 65'000));
  EXPECT_THAT(first, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(first.status().message()), HasSubstr("first month"));
  // Within the program's cap per payment.
  v1::GetProgramRequest get;
  get.set_program_id(program);
  ASSERT_OK_AND_ASSIGN(v1::GetProgramResponse read,
                       Ask(&v1::AllowanceService::Stub::GetProgram, ngo_admin_, get));
  auto over_cap =
      ChangeAs(ngo_admin_, Change("cap", enrolment, m2(), read.program().per_payment_cap_fen() + 1));
  EXPECT_THAT(over_cap, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(over_cap.status().message()), HasSubstr("amount_fen"));
  // The maker's roles only (the caseworker applies; the finance officer checks), and another county's
  // people do not see it at all.
  EXPECT_THAT(ChangeAs(wuding_caseworker_, Change("caseworker", enrolment, m2(), 65'000)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ChangeAs(finance_, Change("finance", enrolment, m2(), 65'000)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ChangeAs(xixia_officer_, Change("xixia", enrolment, m2(), 65'000)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ChangeAs(ngo_admin_, Change("unknown", "01JCYC00000000000000000000", m2(), 65'000)),
              StatusIs(absl::StatusCode::kNotFound));
  // Not a monthly application.
  v1::SubmitApplicationRequest relief;
  relief.set_request_id("relief");
  relief.set_program_id(program);
  relief.set_child_id(child.child_id());
  relief.set_type(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
  relief.set_amount_fen(30'000);
  relief.set_reason("房屋受损，临时救助");
  ASSERT_OK_AND_ASSIGN(v1::SubmitApplicationResponse submitted,
                       Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, relief));
  auto one_time =
      ChangeAs(ngo_admin_, Change("one-time", submitted.application().application_id(), m2(), 65'000));
  EXPECT_THAT(one_time, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(one_time.status().message()), HasSubstr("monthly"));
  // A withdrawn enrolment is paid nothing more.
  v1::WithdrawApplicationRequest withdraw;
  withdraw.set_request_id("withdraw");
  withdraw.set_application_id(enrolment);
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::WithdrawApplication, wuding_caseworker_, withdraw));
  EXPECT_THAT(ChangeAs(ngo_admin_, Change("withdrawn", enrolment, m2(), 65'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(AllowanceCount("monthly_amount_changes"), 0);
}

TEST_F(MonthlyAmountChange, BadInput_NamesTheFieldAndWritesNothing) {
  const std::string program = FundedProgram("p");
  const std::string enrolment = Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  const int64_t records_before = AllowanceCount("idempotency_records");
  struct Row {
    void (*spoil)(v1::ChangeMonthlyAmountRequest&);
    const char* field;
  };
  const Row rows[] = {
      {[](v1::ChangeMonthlyAmountRequest& r) { r.clear_request_id(); }, "request_id"},
      {[](v1::ChangeMonthlyAmountRequest& r) { r.set_enrolment_id("x"); }, "enrolment_id"},
      {[](v1::ChangeMonthlyAmountRequest& r) { r.set_from_month("2027-13"); }, "from_month"},
      {[](v1::ChangeMonthlyAmountRequest& r) { r.set_from_month("2027-1"); }, "from_month"},
      {[](v1::ChangeMonthlyAmountRequest& r) { r.set_amount_fen(0); }, "amount_fen"},
      {[](v1::ChangeMonthlyAmountRequest& r) { r.set_amount_fen(-65'000); }, "amount_fen"},
      {[](v1::ChangeMonthlyAmountRequest& r) { r.clear_reason(); }, "reason"},
      {[](v1::ChangeMonthlyAmountRequest& r) { r.set_reason(std::string(501, 'x')); }, "reason"},
      {[](v1::ChangeMonthlyAmountRequest& r) { r.set_kind(static_cast<v1::LivingAllowanceKind>(7)); },
       "kind"},
  };
  for (const Row& row : rows) {
    v1::ChangeMonthlyAmountRequest request = Change("bad", enrolment, m2(), 65'000);
    row.spoil(request);
    auto answer = ChangeAs(ngo_admin_, request);
    EXPECT_THAT(answer, StatusIs(absl::StatusCode::kInvalidArgument)) << row.field;
    EXPECT_THAT(std::string(answer.status().message()), HasSubstr(row.field));
  }
  v1::ListMonthlyAmountChangesRequest list;
  list.set_enrolment_id("x");
  auto bad_list = Ask(&v1::AllowanceService::Stub::ListMonthlyAmountChanges, finance_, list);
  EXPECT_THAT(bad_list, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(bad_list.status().message()), HasSubstr("enrolment_id"));
  EXPECT_EQ(AllowanceCount("monthly_amount_changes"), 0);
  EXPECT_EQ(AllowanceCount("idempotency_records"), records_before);
}

// A change made for one kind (a standard set per kind): an enrolment taken up as another is refused on `kind`
// with nothing written; one not taken up yet is taken up by the call, as the month's run would, and judged on
// the kind its child's categories give it; the kind shows on the application from its take-up.
TEST_F(MonthlyAmountChange, ForOneKind_OnlyEnrolmentsTakenUpAsItChange_OneNotTakenUpIsTakenUpFirst) {
  const std::string program = FundedProgram("p");
  const std::string orphan =
      Enrol("o", program, ActiveChild("o", "2014-03-02", rv1::CHILD_CATEGORY_ORPHAN).child_id(), 60'000);
  const std::string unsupported = Enrol("u", program, ActiveChild("u").child_id(), 60'000);
  EXPECT_EQ(ApplicationOf(orphan).living_allowance_kind(), v1::LIVING_ALLOWANCE_KIND_UNSPECIFIED);
  EXPECT_EQ(AllowanceCount("living_allowance_enrolments"), 0);

  // Not taken up yet: the call takes it up, then refuses it for the orphans' standard, writing no change.
  v1::ChangeMonthlyAmountRequest for_orphans =
      Change("orphans-u", unsupported, m2(), 70'000, v1::LIVING_ALLOWANCE_KIND_ORPHAN);
  auto refused = ChangeAs(ngo_admin_, for_orphans);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("kind: the enrolment pays the de_facto"));
  EXPECT_EQ(ApplicationOf(unsupported).living_allowance_kind(),
            v1::LIVING_ALLOWANCE_KIND_DE_FACTO_UNSUPPORTED);
  EXPECT_EQ(AllowanceCount("monthly_amount_changes"), 0);

  // The orphan, not taken up either, changes; the same id again answers the same.
  for_orphans = Change("orphans-o", orphan, m2(), 70'000, v1::LIVING_ALLOWANCE_KIND_ORPHAN);
  ASSERT_OK_AND_ASSIGN(v1::MonthlyAmountChange changed, ChangeAs(ngo_admin_, for_orphans));
  EXPECT_EQ(changed.amount_fen(), 70'000);
  ASSERT_OK_AND_ASSIGN(v1::MonthlyAmountChange again, ChangeAs(ngo_admin_, for_orphans));
  EXPECT_EQ(again.sequence(), changed.sequence());
  EXPECT_EQ(ApplicationOf(orphan).living_allowance_kind(), v1::LIVING_ALLOWANCE_KIND_ORPHAN);
  EXPECT_EQ(AllowanceCount("living_allowance_enrolments"), 2);
  EXPECT_EQ(AllowanceCount("monthly_amount_changes"), 1);

  // Taken up already (by the calls above, which the month's run keeps): judged on that kind.
  v1::ChangeMonthlyAmountRequest for_unsupported =
      Change("unsupported-o", orphan, m2(), 68'000, v1::LIVING_ALLOWANCE_KIND_DE_FACTO_UNSUPPORTED);
  auto other = ChangeAs(ngo_admin_, for_unsupported);
  EXPECT_THAT(other, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(other.status().message()), HasSubstr("kind: the enrolment pays the orphan"));
  for_unsupported =
      Change("unsupported-u", unsupported, m2(), 68'000, v1::LIVING_ALLOWANCE_KIND_DE_FACTO_UNSUPPORTED);
  ASSERT_OK(ChangeAs(ngo_admin_, for_unsupported));

  ASSERT_OK(allowance_->cycles().job().RunMonth(m2()));
  EXPECT_EQ(LineOf(program, m2(), orphan).amount_fen(), 70'000);
  EXPECT_EQ(LineOf(program, m2(), orphan).kind(), v1::LIVING_ALLOWANCE_KIND_ORPHAN);
  EXPECT_EQ(LineOf(program, m2(), unsupported).amount_fen(), 68'000);
  EXPECT_EQ(LineOf(program, m2(), unsupported).kind(), v1::LIVING_ALLOWANCE_KIND_DE_FACTO_UNSUPPORTED);
}

// The registry away when a change for one kind needs an enrolment's kind and the service holds no facts of
// its child (an application from before they were recorded at submission): UNAVAILABLE, to retry (the log
// says why), nothing taken up and nothing changed.
TEST_F(MonthlyAmountChange, ForOneKind_RegistryAwayAndTheChildUnknown_UnavailableAndNothingWritten) {
  const std::string program = FundedProgram("p");
  const rv1::Case child = ActiveChild("o", "2014-03-02", rv1::CHILD_CATEGORY_ORPHAN);
  const std::string orphan = Enrol("o", program, child.child_id(), 60'000);
  ASSERT_OK(Execute("DELETE FROM living_allowance_children WHERE child_id = ?", {child.child_id()}));
  const int64_t records_before = AllowanceCount("idempotency_records");
  server_.reset();
  const v1::ChangeMonthlyAmountRequest for_orphans =
      Change("orphans-o", orphan, m2(), 70'000, v1::LIVING_ALLOWANCE_KIND_ORPHAN);
  auto away = ChangeAs(ngo_admin_, for_orphans);
  EXPECT_THAT(away, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(away.status().message()), HasSubstr("retry later"));
  EXPECT_EQ(AllowanceCount("living_allowance_enrolments"), 0);
  EXPECT_EQ(AllowanceCount("living_allowance_children"), 0);
  EXPECT_EQ(AllowanceCount("monthly_amount_changes"), 0);
  EXPECT_EQ(AllowanceCount("idempotency_records"), records_before);
}

// A change is refused once its month's line exists, but one made while generation was writing that line (on
// another Galera node, say, where no row lock is shared) lands beside a line at the old amount. The test
// leaves the state such a race leaves: the month's line at the old amount, the change's row covering it. The
// submission sets the line to its month's amount, so the checker approves it and the payment pays it.
TEST_F(MonthlyAmountChange, ChangeLandedBesideItsMonthsLine_TheSubmissionSetsTheLineToIt) {
  const std::string program = FundedProgram("p");
  const std::string enrolment = Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  ASSERT_OK(allowance_->cycles().job().RunMonth(m2()));
  ASSERT_EQ(LineOf(program, m2(), enrolment).amount_fen(), 60'000);
  ASSERT_OK(
      Execute("INSERT INTO monthly_amount_changes (enrolment_id, seq, from_month, amount_fen,"
              " previous_amount_fen, reason, changed_by, changed_at)"
              " VALUES (?, 1, ?, 70000, 60000, 'raise', 'admin-1', UTC_TIMESTAMP(6))",
              {enrolment, absl::FormatCivilTime(absl::CivilDay(m2()))}));

  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, m2()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved, SubmitAndApprove(cycle.cycle_id(), "m2"));
  EXPECT_EQ(approved.total_fen(), 70'000);
  EXPECT_EQ(LineOf(program, m2(), enrolment).amount_fen(), 70'000);
  v1::PayMonthlyCycleRequest pay;
  pay.set_request_id("pay-m2");
  pay.set_cycle_id(cycle.cycle_id());
  pay.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay));
  EXPECT_EQ(
      QueryInt("SELECT COALESCE(SUM(amount_fen), 0) FROM payments WHERE application_id = ?", {enrolment}),
      70'000);
  ExpectReconciles(program);
}

// A new standard above the program's cap per payment needs the cap moved first: the funder's civil-affairs
// officer does that (ChangeProgramCaps), recorded once, and the change then fits.
TEST_F(MonthlyAmountChange, ProgramCapsChangedByTheFunder_ThenANewStandardAboveTheOldCapFits) {
  const std::string program = FundedProgram("p");  // 200,000 a payment
  const std::string enrolment = Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  EXPECT_THAT(ChangeAs(ngo_admin_, Change("over", enrolment, m2(), 250'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  v1::ChangeProgramCapsRequest caps;
  caps.set_request_id("caps");
  caps.set_program_id(program);
  caps.set_per_payment_cap_fen(300'000);
  caps.set_per_child_year_cap_fen(3'600'000);
  caps.set_reason("省民政厅提高保障标准，调整项目上限");
  // Bad input names its field and changes nothing.
  struct Row {
    void (*spoil)(v1::ChangeProgramCapsRequest&);
    const char* field;
  };
  const Row rows[] = {
      {[](v1::ChangeProgramCapsRequest& r) { r.clear_request_id(); }, "request_id"},
      {[](v1::ChangeProgramCapsRequest& r) { r.set_program_id("x"); }, "program_id"},
      {[](v1::ChangeProgramCapsRequest& r) { r.set_per_payment_cap_fen(0); }, "per_payment_cap_fen"},
      {[](v1::ChangeProgramCapsRequest& r) { r.set_per_payment_cap_fen(200'000'000); },
       "per_payment_cap_fen"},
      {[](v1::ChangeProgramCapsRequest& r) { r.set_per_child_year_cap_fen(-1); }, "per_child_year_cap_fen"},
      {[](v1::ChangeProgramCapsRequest& r) { r.clear_reason(); }, "reason"},
  };
  for (const Row& row : rows) {
    v1::ChangeProgramCapsRequest bad = caps;
    bad.set_request_id(std::string("caps-bad-") + row.field);
    row.spoil(bad);
    auto answer = Ask(&v1::AllowanceService::Stub::ChangeProgramCaps, wuding_officer_, bad);
    EXPECT_THAT(answer, StatusIs(absl::StatusCode::kInvalidArgument)) << row.field;
    EXPECT_THAT(std::string(answer.status().message()), HasSubstr(row.field));
  }
  // Only the program's funder's officer: not the operator's admin, not another county's officer.
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::ChangeProgramCaps, ngo_admin_, caps),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::ChangeProgramCaps, xixia_officer_, caps),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(AllowanceEvents("shouhu.allowance.v1.ProgramCapsChanged"), 0);

  ASSERT_OK_AND_ASSIGN(v1::ChangeProgramCapsResponse changed,
                       Ask(&v1::AllowanceService::Stub::ChangeProgramCaps, wuding_officer_, caps));
  EXPECT_EQ(changed.program().per_payment_cap_fen(), 300'000);
  EXPECT_EQ(changed.program().per_child_year_cap_fen(), 3'600'000);
  ASSERT_OK_AND_ASSIGN(v1::ChangeProgramCapsResponse again,
                       Ask(&v1::AllowanceService::Stub::ChangeProgramCaps, wuding_officer_, caps));
  EXPECT_EQ(again.SerializeAsString(), changed.SerializeAsString());
  EXPECT_EQ(AllowanceEvents("shouhu.allowance.v1.ProgramCapsChanged"), 1);

  ASSERT_OK(ChangeAs(ngo_admin_, Change("raise", enrolment, m2(), 250'000)));
  ASSERT_OK(allowance_->cycles().job().RunMonth(m2()));
  EXPECT_EQ(LineOf(program, m2(), enrolment).amount_fen(), 250'000);
}

// A month handed on to a line written as replaced is paid at that enrolment's amount for the month, changed
// before the line was written.
TEST_F(MonthlyAmountChange, KeeperWithdrawn_TheMonthGoesToTheReplacedLineAtItsChangedAmount) {
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgram("b");
  const rv1::Case child = ActiveChild("c");
  // The keeper was approved earlier: it keeps the child's months over the other (the rules' precedence).
  const std::string keeper = Enrol("keeper", a, child.child_id(), 60'000);
  ASSERT_OK(
      Execute("UPDATE applications SET decided_at = decided_at - INTERVAL 40 DAY WHERE id = ?", {keeper}));
  const std::string replaced = Enrol("replaced", b, child.child_id(), 60'000);
  ASSERT_OK(ChangeAs(ngo_admin_, Change("raise", replaced, m2(), 68'000)));
  MonthlyRosterJob& job = allowance_->cycles().job();
  ASSERT_OK(job.RunMonth(m2()));
  ASSERT_EQ(LineOf(b, m2(), replaced).outcome(), v1::ROSTER_OUTCOME_REPLACED);
  EXPECT_EQ(LineOf(a, m2(), keeper).amount_fen(), 60'000);

  // The keeper withdrawn before its cycle is approved: the approval lists its line as stopped and gives the
  // month to the line it replaced.
  v1::WithdrawApplicationRequest withdraw;
  withdraw.set_request_id("withdraw-keeper");
  withdraw.set_application_id(keeper);
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::WithdrawApplication, wuding_caseworker_, withdraw));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle keepers, CycleOf(a, m2()));
  ASSERT_OK(SubmitAndApprove(keepers.cycle_id(), "keeper"));
  const v1::RosterLine handed = LineOf(b, m2(), replaced);
  EXPECT_EQ(handed.outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  EXPECT_EQ(handed.amount_fen(), 68'000);
}

}  // namespace
}  // namespace shouhu::allowance::testing
