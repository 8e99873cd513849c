// shouhu-admin's `allowance standard` and `allowance arrears` against the real allowance service and
// MariaDB: every open monthly enrolment of a program changed from a month on, those approved at the amount
// left alone, the refusals listed with why, and a second run making no second change; a closed enrolment
// raised over the months it was paid; then the months a standard reached back over claimed for each
// enrolment owed them (a closed case's too), once however often run.
#include <sstream>

#include "deploy/admin/allowance_commands.h"
#include "tests/integration/allowance/monthly_fixture.h"
#include "tests/support/status_matchers.h"

namespace shouhu::allowance::testing {
namespace {

using ::testing::HasSubstr;

class MonthlyStandardCommand : public MonthlyAllowanceTest {
 protected:
  absl::StatusOr<admin::MonthlyStandardResult> Apply(
      const std::string& program, absl::CivilMonth from, int64_t amount_fen,
      v1::LivingAllowanceKind kind = v1::LIVING_ALLOWANCE_KIND_UNSPECIFIED) {
    admin::MonthlyStandard standard;
    standard.program_id = program;
    standard.from = from;
    standard.amount_fen = amount_fen;
    standard.kind = kind;
    standard.reason = "云南省民政厅关于提高孤儿和事实无人抚养儿童基本生活保障标准的通知";
    std::ostringstream progress;
    auto result = admin::ApplyMonthlyStandard(
        *allowance_stub_, [&] { return principals_.Context(ngo_admin_); }, standard, progress);
    progress_ = progress.str();
    return result;
  }
  absl::StatusOr<admin::ProgramArrearsResult> ClaimArrears(const std::string& program,
                                                           const std::string& run) {
    admin::ProgramArrears arrears;
    arrears.program_id = program;
    arrears.reason = "云南省民政厅通知：标准自年初起执行，补发差额";
    arrears.run_id = run;
    std::ostringstream progress;
    auto result = admin::ClaimProgramArrears(
        *allowance_stub_, [&] { return principals_.Context(ngo_admin_); }, arrears, progress);
    progress_ = progress.str();
    return result;
  }
  std::string progress_;
};

TEST_F(MonthlyStandardCommand, EveryOpenEnrolmentChanged_OnceHowEverOftenRun_RefusalsListed) {
  const absl::CivilMonth m2 = ThisMonth() + 2, m3 = ThisMonth() + 3;
  const std::string program = FundedProgram("p");
  const std::string a = Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  const std::string b = Enrol("b", program, ActiveChild("b").child_id(), 60'000);
  const std::string at_it = Enrol("c", program, ActiveChild("c").child_id(), 65'000);
  const std::string withdrawn = Enrol("d", program, ActiveChild("d").child_id(), 60'000);
  v1::WithdrawApplicationRequest withdraw;
  withdraw.set_request_id("withdraw-d");
  withdraw.set_application_id(withdrawn);
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::WithdrawApplication, wuding_caseworker_, withdraw));

  ASSERT_OK_AND_ASSIGN(admin::MonthlyStandardResult first, Apply(program, m2, 65'000));
  EXPECT_EQ(first.enrolments, 3) << progress_;
  EXPECT_EQ(first.changed, 2) << progress_;
  EXPECT_EQ(first.approved_at_it, 1) << progress_;
  EXPECT_TRUE(first.refused.empty()) << progress_;
  // Withdrawn before any month of its roster: looked at, and left as it was (not a refusal).
  EXPECT_EQ(first.closed, 1) << progress_;
  EXPECT_EQ(first.closed_raised, 0) << progress_;
  EXPECT_EQ(first.closed_left, 1) << progress_;
  EXPECT_THAT(progress_, HasSubstr("[4/4]"));
  EXPECT_THAT(progress_, HasSubstr(withdrawn + ": closed; left as it was"));
  EXPECT_EQ(first.months_within_year_cap, 5'000'000 / 65'000);
  EXPECT_THAT(progress_, ::testing::Not(HasSubstr("warning")));
  // Run again (an interrupted run resumed): the calls are answered from the service's records.
  ASSERT_OK_AND_ASSIGN(admin::MonthlyStandardResult again, Apply(program, m2, 65'000));
  EXPECT_EQ(again.changed, 2);
  EXPECT_EQ(AllowanceCount("monthly_amount_changes"), 2);

  MonthlyRosterJob& job = allowance_->cycles().job();
  ASSERT_OK(job.RunMonth(m2));
  EXPECT_EQ(LineOf(program, m2, a).amount_fen(), 65'000);
  EXPECT_EQ(LineOf(program, m2, b).amount_fen(), 65'000);
  EXPECT_EQ(LineOf(program, m2, at_it).amount_fen(), 65'000);

  // m2's lines are written at 65,000: a lower standard from m2 is refused for each (nothing paid is taken
  // back), naming the month it could start from; from m3 every one changes, the one approved at the old
  // standard too.
  ASSERT_OK_AND_ASSIGN(admin::MonthlyStandardResult late, Apply(program, m2, 62'000));
  EXPECT_EQ(late.changed, 0);
  ASSERT_EQ(late.refused.size(), 3u) << progress_;
  for (const auto& [enrolment, why] : late.refused) {
    EXPECT_TRUE(absl::IsFailedPrecondition(why)) << enrolment << ": " << why;
    EXPECT_THAT(std::string(why.message()), HasSubstr("start from " + MonthText(m3)));
  }
  ASSERT_OK_AND_ASSIGN(admin::MonthlyStandardResult next, Apply(program, m3, 70'000));
  EXPECT_EQ(next.changed, 3) << progress_;
  ASSERT_OK(job.RunMonth(m3));
  for (const std::string& e : {a, b, at_it}) EXPECT_EQ(LineOf(program, m3, e).amount_fen(), 70'000) << e;
  EXPECT_EQ(LineOf(program, m2, a).amount_fen(), 65'000);
}

TEST_F(MonthlyStandardCommand, AStandardReachingBackOverPaidMonths_ArrearsClaimedForEachOwed_Once) {
  const absl::CivilMonth m2 = ThisMonth() + 2;
  const std::string program = FundedProgram("p");
  const std::string a = Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  const std::string b = Enrol("b", program, ActiveChild("b").child_id(), 60'000);
  const std::string at_it = Enrol("c", program, ActiveChild("c").child_id(), 65'000);
  const rv1::Case closing = ActiveChild("d");
  const std::string closed = Enrol("d", program, closing.child_id(), 60'000);
  PayMonth(program, m2, "m2");
  // d's case closed after m2 was paid; the notice came after that, and sets 65,000 from m2.
  ASSERT_NO_FATAL_FAILURE(CloseCase("d", closing.case_id()));
  ASSERT_OK_AND_ASSIGN(admin::MonthlyStandardResult standard, Apply(program, m2, 65'000));
  EXPECT_EQ(standard.changed, 2) << progress_;
  EXPECT_EQ(standard.closed, 1) << progress_;
  EXPECT_EQ(standard.closed_raised, 1) << progress_;
  EXPECT_THAT(progress_, HasSubstr(closed + ": closed; raised over the months it was paid"));

  ASSERT_OK_AND_ASSIGN(admin::ProgramArrearsResult first, ClaimArrears(program, "run-1"));
  EXPECT_EQ(first.enrolments, 4) << progress_;
  EXPECT_EQ(first.claimed, 3) << progress_;
  EXPECT_EQ(first.claimed_fen, 15'000) << progress_;
  EXPECT_EQ(first.nothing_owed, 1) << progress_;
  EXPECT_TRUE(first.refused.empty()) << progress_;
  EXPECT_THAT(progress_, HasSubstr("claimed 5000 fen for 1 months"));
  // Another run (the same or a new id) claims nothing again.
  for (const char* run : {"run-1", "run-2"}) {
    ASSERT_OK_AND_ASSIGN(admin::ProgramArrearsResult again, ClaimArrears(program, run));
    EXPECT_EQ(again.claimed, 0) << progress_;
    EXPECT_EQ(again.nothing_owed, 4) << progress_;
  }
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM applications WHERE type = ? AND amount_fen = 5000",
                     {int64_t{v1::ALLOWANCE_TYPE_MONTHLY_ARREARS}}),
            3);
  for (const std::string& e : {a, b, closed}) {
    EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM monthly_arrears WHERE enrolment_id = ?", {e}), 1) << e;
  }
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM monthly_arrears WHERE enrolment_id = ?", {at_it}), 0);
}

// A standard reaching back over December and January: the command claims each year's months apart (a claim
// holds one year's), in one run; run again, it claims nothing more.
TEST_F(MonthlyStandardCommand, ArrearsOfTwoYears_AClaimForEachYearInOneRun) {
  const absl::CivilMonth december = NextPaidDecember(), january = december + 1;
  const std::string program = FundedProgram("p");
  const std::string a = Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  PayMonth(program, december, "december");
  PayMonth(program, january, "january");
  ASSERT_OK_AND_ASSIGN(admin::MonthlyStandardResult standard, Apply(program, december, 65'000));
  ASSERT_EQ(standard.changed, 1) << progress_;

  ASSERT_OK_AND_ASSIGN(admin::ProgramArrearsResult claimed, ClaimArrears(program, "run-1"));
  EXPECT_EQ(claimed.claimed, 2) << progress_;
  EXPECT_EQ(claimed.claimed_fen, 10'000) << progress_;
  EXPECT_EQ(claimed.left_owed, 0) << progress_;
  EXPECT_TRUE(claimed.refused.empty()) << progress_;
  EXPECT_THAT(progress_, HasSubstr("claimed 5000 fen for 1 months of " + std::to_string(december.year())));
  EXPECT_THAT(progress_, HasSubstr("claimed 5000 fen for 1 months of " + std::to_string(january.year())));
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM applications WHERE type = ?",
                     {int64_t{v1::ALLOWANCE_TYPE_MONTHLY_ARREARS}}),
            2);
  for (const absl::CivilMonth m : {december, january}) {
    EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM applications a JOIN monthly_arrears r ON r.application_id = a.id"
                       " WHERE r.enrolment_id = ? AND YEAR(r.month) = ? AND a.year = ?",
                       {a, int64_t{m.year()}, int64_t{m.year()}}),
              1)
        << MonthText(m);
  }
  for (const char* run : {"run-1", "run-2"}) {
    ASSERT_OK_AND_ASSIGN(admin::ProgramArrearsResult again, ClaimArrears(program, run));
    EXPECT_EQ(again.claimed, 0) << progress_;
    EXPECT_EQ(again.nothing_owed, 1) << progress_;
  }
}

// December's back pay refused (its year's cap per child has no room for it): the run lists the refusal,
// naming the year, and still claims January's; run again, it claims nothing more and lists December again.
TEST_F(MonthlyStandardCommand, ArrearsOfTwoYears_TheFirstRefused_TheSecondStillClaimed) {
  const absl::CivilMonth december = NextPaidDecember(), january = december + 1;
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("a").child_id();
  const std::string a = Enrol("a", program, child, 60'000);
  PayMonth(program, december, "december");
  PayMonth(program, january, "january");
  ASSERT_OK_AND_ASSIGN(admin::MonthlyStandardResult standard, Apply(program, december, 65'000));
  ASSERT_EQ(standard.changed, 1) << progress_;
  ASSERT_NO_FATAL_FAILURE(LeaveYearRoomShortOf(program, child, december.year(), 5'000, january.year()));

  ASSERT_OK_AND_ASSIGN(admin::ProgramArrearsResult claimed, ClaimArrears(program, "run-1"));
  EXPECT_EQ(claimed.claimed, 1) << progress_;
  EXPECT_EQ(claimed.claimed_fen, 5'000) << progress_;
  ASSERT_EQ(claimed.refused.size(), 1u) << progress_;
  EXPECT_EQ(claimed.refused[0].first, a);
  EXPECT_THAT(std::string(claimed.refused[0].second.message()),
              HasSubstr("the months of " + std::to_string(december.year())));
  EXPECT_THAT(progress_, HasSubstr("claimed 5000 fen for 1 months of " + std::to_string(january.year())));
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM monthly_arrears WHERE enrolment_id = ? AND month = ?",
                     {a, absl::FormatCivilTime(absl::CivilDay(january))}),
            1);

  ASSERT_OK_AND_ASSIGN(admin::ProgramArrearsResult again, ClaimArrears(program, "run-2"));
  EXPECT_EQ(again.claimed, 0) << progress_;
  EXPECT_EQ(again.refused.size(), 1u) << progress_;
  EXPECT_EQ(AllowanceCount("monthly_arrears"), 1);
}

// A province sets the orphans' standard and the de facto unsupported children's apart: each run changes the
// enrolments of its kind only, those the month's run took up and those it has not yet (the service takes
// them up to judge them), and leaves the others, counted, as they were.
TEST_F(MonthlyStandardCommand, AStandardForOneKind_ChangesThatKindOnly_TakenUpOrNot) {
  const absl::CivilMonth m2 = ThisMonth() + 2;
  const std::string program = FundedProgram("p");
  const auto orphan_child = [&](const std::string& tag) {
    return ActiveChild(tag, "2014-03-02", rv1::CHILD_CATEGORY_ORPHAN).child_id();
  };
  const std::string orphan = Enrol("o1", program, orphan_child("o1"), 60'000);
  const std::string unsupported = Enrol("u1", program, ActiveChild("u1").child_id(), 60'000);
  MonthlyRosterJob& job = allowance_->cycles().job();
  ASSERT_OK(job.RunMonth(ThisMonth() + 1));  // takes those two up
  const std::string new_orphan = Enrol("o2", program, orphan_child("o2"), 60'000);
  const std::string new_unsupported = Enrol("u2", program, ActiveChild("u2").child_id(), 60'000);
  ASSERT_EQ(AllowanceCount("living_allowance_enrolments"), 2);

  ASSERT_OK_AND_ASSIGN(admin::MonthlyStandardResult orphans,
                       Apply(program, m2, 70'000, v1::LIVING_ALLOWANCE_KIND_ORPHAN));
  EXPECT_EQ(orphans.changed, 2) << progress_;
  EXPECT_EQ(orphans.enrolments, 2) << progress_;
  // One known at listing, one found by the service's take-up.
  EXPECT_EQ(orphans.other_kind, 2) << progress_;
  EXPECT_TRUE(orphans.refused.empty()) << progress_;
  EXPECT_THAT(progress_, HasSubstr(new_unsupported + ": left as it was: taken up as another kind"));
  EXPECT_EQ(AllowanceCount("living_allowance_enrolments"), 4);
  ASSERT_OK_AND_ASSIGN(admin::MonthlyStandardResult again,
                       Apply(program, m2, 70'000, v1::LIVING_ALLOWANCE_KIND_ORPHAN));
  EXPECT_EQ(again.changed, 2) << progress_;
  EXPECT_EQ(again.other_kind, 2) << progress_;
  EXPECT_EQ(AllowanceCount("monthly_amount_changes"), 2);

  ASSERT_OK_AND_ASSIGN(admin::MonthlyStandardResult unsupported_standard,
                       Apply(program, m2, 68'000, v1::LIVING_ALLOWANCE_KIND_DE_FACTO_UNSUPPORTED));
  EXPECT_EQ(unsupported_standard.changed, 2) << progress_;
  EXPECT_EQ(unsupported_standard.other_kind, 2) << progress_;
  EXPECT_EQ(AllowanceCount("monthly_amount_changes"), 4);

  ASSERT_OK(job.RunMonth(m2));
  for (const std::string& e : {orphan, new_orphan})
    EXPECT_EQ(LineOf(program, m2, e).amount_fen(), 70'000) << e;
  for (const std::string& e : {unsupported, new_unsupported})
    EXPECT_EQ(LineOf(program, m2, e).amount_fen(), 68'000) << e;
}

TEST_F(MonthlyStandardCommand, AYearCapBelowTwelveMonthsOfTheAmount_IsWarnedOf) {
  const std::string program = FundedProgram("p", 100'000'000, 700'000);
  Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  ASSERT_OK_AND_ASSIGN(admin::MonthlyStandardResult result, Apply(program, ThisMonth() + 2, 65'000));
  EXPECT_EQ(result.changed, 1) << progress_;
  EXPECT_EQ(result.months_within_year_cap, 10);
  EXPECT_THAT(progress_,
              HasSubstr("warning: the program's cap per child and year, 700000 fen, holds 10 months"));
}

TEST_F(MonthlyStandardCommand, CallerMayNotChange_StopsWithTheErrorAndChangesNothing) {
  const std::string program = FundedProgram("p");
  Enrol("a", program, ActiveChild("a").child_id(), 60'000);
  admin::MonthlyStandard standard;
  standard.program_id = program;
  standard.from = ThisMonth() + 2;
  standard.amount_fen = 65'000;
  standard.reason = "调整标准";
  std::ostringstream progress;
  auto result = admin::ApplyMonthlyStandard(
      *allowance_stub_, [&] { return principals_.Context(finance_); }, standard, progress);
  EXPECT_THAT(result, ::shouhu::testing::StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(AllowanceCount("monthly_amount_changes"), 0);
}

}  // namespace
}  // namespace shouhu::allowance::testing
