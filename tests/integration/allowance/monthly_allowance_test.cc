// The monthly basic living allowance end to end, against the real registry and MariaDB: the roster once per
// child per month however the job runs, the civil-affairs rules (age-out with the school exception, stop on
// close or institution placement), the roster frozen once computed and approved, the budget never
// over-reserved, each line paid once with a deterministic verification sample, the report's figures, the
// forecast's alert raised once, and bad input refused naming its field with nothing written.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/migrations.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/allowance/verification_sample.h"
#include "tests/integration/allowance/monthly_fixture.h"
#include "tests/support/status_matchers.h"

namespace shouhu::allowance::testing {
namespace {

using ::shouhu::testing::StatusIs;

// A birth date whose 18th birthday falls in `month`.
std::string EighteenIn(absl::CivilMonth month) {
  return absl::FormatCivilTime(absl::CivilDay(month.year() - 18, month.month(), 10));
}

std::map<std::string, v1::RosterLine> ByChild(const std::vector<v1::RosterLine>& lines) {
  std::map<std::string, v1::RosterLine> out;
  for (const v1::RosterLine& l : lines) out[l.child_id()] = l;
  return out;
}

class MonthlyAllowance : public MonthlyAllowanceTest {
 protected:
  // The store's approval of the application at `at` (Asia/Shanghai) taking `step`: the service's rules say
  // who may, which is not what the tests using it are about.
  absl::StatusOr<v1::Application> ApproveInStoreAt(const std::string& application_id, absl::CivilSecond at,
                                                   ApprovalStep step) {
    const Actor approver{ngo_admin_.subject(), "ngo-wuding", absl::FromCivil(at, ShanghaiTimeZone())};
    const IdempotencyKey key{"shouhu.allowance.v1.AllowanceService/ApproveApplication", ngo_admin_.subject(),
                             absl::StrCat("approve-", application_id, "-", absl::FormatCivilTime(at)),
                             "hash"};
    return allowance_->store().ApproveApplication(
        key, approver, application_id,
        [](const v1::Application&, const v1::Program&) { return absl::OkStatus(); },
        [step](const v1::Application&, const v1::Program&) -> absl::StatusOr<ApprovalStep> { return step; });
  }
  // The maker (the NGO admin) submits the cycle.
  absl::Status Submit(const std::string& cycle_id, const std::string& tag) {
    v1::SubmitMonthlyCycleRequest submit;
    submit.set_request_id("submit-cycle-" + tag);
    submit.set_cycle_id(cycle_id);
    return Ask(&v1::AllowanceService::Stub::SubmitMonthlyCycle, ngo_admin_, submit).status();
  }
  v1::ProgramBalances Balances(const std::string& program_id) { return Balances(program_id, ngo_admin_); }
  v1::ProgramBalances Balances(const std::string& program_id, const Principal& as) {
    v1::GetProgramRequest request;
    request.set_program_id(program_id);
    auto program = Ask(&v1::AllowanceService::Stub::GetProgram, as, request);
    EXPECT_OK(program);
    return program.ok() ? program->program().balances() : v1::ProgramBalances();
  }

  // Pays the enrolment's first month through its own application.
  absl::StatusOr<v1::PayApplicationResponse> PayApplication(const std::string& tag,
                                                            const std::string& enrolment) {
    return PayApplicationAs(ngo_admin_, tag, enrolment);
  }
  absl::StatusOr<v1::PayApplicationResponse> PayApplicationAs(const Principal& as, const std::string& tag,
                                                              const std::string& enrolment) {
    v1::PayApplicationRequest pay;
    pay.set_request_id("pay-first-" + tag);
    pay.set_application_id(enrolment);
    pay.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
    pay.set_payee_reference("guardian-account-" + tag);
    return Ask(&v1::AllowanceService::Stub::PayApplication, as, pay);
  }

  // Day `day` of this month (Asia/Shanghai), the first being 1: a fixed day, whatever today is.
  absl::CivilDay DayOfThisMonth(int day) const { return absl::CivilDay(ThisMonth()) + (day - 1); }

  // Moves the enrolment's approval to noon of `day` (Asia/Shanghai): the month it starts after.
  void SetApprovedOn(const std::string& enrolment, absl::CivilDay day) {
    const absl::Time noon =
        ShanghaiMonthStart(absl::CivilMonth(day)) + absl::Hours(24 * (day.day() - 1) + 12);
    ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
      return s
          .Execute("UPDATE applications SET decided_at = ? WHERE id = ?", {ToSqlTimestamp(noon), enrolment})
          .status();
    }));
  }

  // Moves the child's latest stop (a close, a transfer, a placement as the registry's event gave it) to
  // `day`, or records one on that day where none was: enrolments approved after it are not stopped by it.
  void SetStoppedOn(const std::string& child_id, absl::CivilDay day) {
    ASSERT_OK(allowance_database_->pool().Transaction([&](db::Session& s) -> absl::Status {
      const std::string on = absl::FormatCivilTime(day);
      ASSIGN_OR_RETURN(uint64_t changed,
                       s.Execute("UPDATE living_allowance_children SET stopped_on = ? WHERE child_id = ?",
                                 {on, child_id}));
      if (changed != 1) return absl::FailedPreconditionError("the child is not known to the allowance");
      ASSIGN_OR_RETURN(changed,
                       s.Execute("UPDATE living_allowance_stops SET stopped_on = ? WHERE child_id = ?"
                                 " ORDER BY event_sequence DESC LIMIT 1",
                                 {on, child_id}));
      if (changed == 1) return absl::OkStatus();
      return s
          .Execute(
              "INSERT INTO living_allowance_stops (child_id, stopped_on, reason, event_sequence,"
              " recorded_at) VALUES (?, ?, 'left_category', 0, NOW(6))",
              {child_id, on})
          .status();
    }));
  }

  // The case moves from Wuding to Xixia, accepted by Xixia's bureau, and the allowance has heard of it.
  void TransferToXixia(const std::string& tag, const rv1::Case& moving) {
    rv1::RequestCountyTransferRequest move;
    move.set_request_id("move-" + tag);
    move.set_case_id(moving.case_id());
    move.set_to_village_code(registry::testing::kXixiaVillage);
    move.set_reason("随务工父母迁居银川");
    ASSERT_OK_AND_ASSIGN(auto requested, Cooperate(&rv1::CaseCooperationService::Stub::RequestCountyTransfer,
                                                   wuding_officer_, move));
    rv1::AcceptCountyTransferRequest accept;
    accept.set_request_id("accept-" + tag);
    accept.set_transfer_id(requested.transfer().transfer_id());
    ASSERT_OK(Cooperate(&rv1::CaseCooperationService::Stub::AcceptCountyTransfer, xixia_officer_, accept));
    ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  }

  // The value of a counter series of the service's metrics (its name and labels as rendered), -1 if absent.
  double Counter(const std::string& series) {
    for (absl::string_view line : absl::StrSplit(metrics_.Render(), '\n')) {
      if (!absl::StartsWith(line, series + " ")) continue;
      double value = -1;
      return absl::SimpleAtod(line.substr(series.size() + 1), &value) ? value : -1;
    }
    return -1;
  }

  // The child's payments that stand (not returned or abandoned), in every program.
  int64_t StandingPaymentsOf(const std::string& child_id) {
    return QueryInt("SELECT COUNT(*) FROM payments WHERE child_id = ? AND state NOT IN (4, 5)", {child_id});
  }

  // The same, expected to be paid: from then on a closed case stops the allowance in the rosters, rather
  // than cancelling an enrolment nothing was paid of yet (case_closed_test).
  void PayFirstMonth(const std::string& tag, const std::string& enrolment) {
    ASSERT_OK(PayApplication(tag, enrolment));
  }

  // The bank returns payment `payment_id` (the payee's account was closed): reversed to RESERVED.
  absl::Status ReturnPayment(const std::string& request_id, const std::string& payment_id) {
    v1::RecordPaymentOutcomeRequest outcome;
    outcome.set_request_id(request_id);
    outcome.set_payment_id(payment_id);
    outcome.set_outcome(v1::PAYMENT_OUTCOME_RETURNED);
    outcome.set_reason("收款账户已销户");
    return Ask(&v1::AllowanceService::Stub::RecordPaymentOutcome, finance_, outcome).status();
  }

  // The bank confirms payment `payment_id`.
  absl::Status ConfirmPayment(const std::string& request_id, const std::string& payment_id) {
    v1::RecordPaymentOutcomeRequest outcome;
    outcome.set_request_id(request_id);
    outcome.set_payment_id(payment_id);
    outcome.set_outcome(v1::PAYMENT_OUTCOME_CONFIRMED);
    return Ask(&v1::AllowanceService::Stub::RecordPaymentOutcome, finance_, outcome).status();
  }

  // A child enrolled in `program` with its approval two months back: its first month (last month) is paid
  // through its application, and its cycles of next month and the one after are generated, approved and
  // paid. The cycles' payments, in month order.
  struct TwoCyclesPaid {
    rv1::Case child;
    std::string enrolment;
    std::vector<std::string> payments;
  };
  TwoCyclesPaid EnrolWithTwoCyclesPaid(const std::string& tag, const std::string& program) {
    TwoCyclesPaid c;
    c.child = ActiveChild(tag);
    c.enrolment = Enrol(tag, program, c.child.child_id());
    SetApprovedOn(c.enrolment, absl::CivilDay(ThisMonth() - 2) + 9);
    for (absl::CivilMonth m : {ThisMonth() + 1, ThisMonth() + 2}) {
      EXPECT_OK(allowance_->cycles().job().RunMonth(m));
      absl::StatusOr<v1::MonthlyCycle> cycle = CycleOf(program, m);
      EXPECT_OK(cycle);
      if (!cycle.ok()) return c;
      EXPECT_OK(SubmitAndApprove(cycle->cycle_id(), tag + MonthText(m)));
      EXPECT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                    PayCycle("pay-" + tag + MonthText(m), cycle->cycle_id())));
      c.payments.push_back(ByChild(Lines(cycle->cycle_id()))[c.child.child_id()].payment_id());
    }
    return c;
  }

  // Whether the enrolment's line of cycle `cycle_id` has been paid, as committed now.
  bool LinePaid(const std::string& cycle_id, const std::string& enrolment) {
    return QueryInt(
               "SELECT COUNT(*) FROM monthly_roster_lines WHERE cycle_id = ? AND enrolment_id = ?"
               " AND payment_id IS NOT NULL",
               {cycle_id, enrolment}) == 1;
  }

  // A child enrolled in program `a` before this month (the keeper of next month) and again in `b` this
  // month: the second enrolment, whose first month (next month) the first keeps.
  struct Replaced {
    rv1::Case child;
    std::string child_id;  // child's
    std::string keeper;    // in a
    std::string replaced;  // in b
  };
  Replaced EnrolTwice(const std::string& tag, const std::string& a, const std::string& b) {
    Replaced r;
    r.child = ActiveChild(tag);
    r.child_id = r.child.child_id();
    r.keeper = Enrol(tag + "-keeper", a, r.child_id);
    EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
      return s
          .Execute("UPDATE applications SET decided_at = decided_at - INTERVAL 40 DAY WHERE id = ?",
                   {r.keeper})
          .status();
    }));
    r.replaced = Enrol(tag + "-replaced", b, r.child_id);
    return r;
  }

  // The ledger's RELEASE entries of the application: reserved money it gave back.
  int64_t ReleasesOf(const std::string& application_id) {
    return QueryInt("SELECT COUNT(*) FROM ledger_entries WHERE application_id = ? AND kind = ?",
                    {application_id, int64_t{v1::LEDGER_ENTRY_KIND_RELEASE}});
  }

  // What the child holds this year of the program, against its cap per child and year.
  int64_t YearTotal(const std::string& program_id, const std::string& child_id) {
    return QueryInt(
        "SELECT COALESCE(SUM(committed_fen), 0) FROM child_year_totals WHERE program_id = ? AND child_id = ?",
        {program_id, child_id});
  }

  // The application's state as stored, whoever's jurisdiction it is in.
  v1::ApplicationState StateInDatabase(const std::string& application_id) {
    return static_cast<v1::ApplicationState>(
        QueryInt("SELECT state FROM applications WHERE id = ?", {application_id}));
  }

  v1::ApplicationState StateOf(const std::string& application_id) {
    v1::GetApplicationRequest get;
    get.set_application_id(application_id);
    auto got = Ask(&v1::AllowanceService::Stub::GetApplication, ngo_admin_, get);
    EXPECT_OK(got);
    return got.ok() ? got->application().state() : v1::APPLICATION_STATE_UNSPECIFIED;
  }

  // The child's stops, taken out as if the follower had not folded them yet, and written back as it writes
  // them.
  void TakeStopsOut(const std::string& child_id, db::Rows* stops) {
    ASSERT_OK(allowance_database_->pool().Transaction([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(*stops, s.Query(absl::StrCat("SELECT ", kStopColumns,
                                                    " FROM living_allowance_stops WHERE child_id = ?"),
                                       {child_id}));
      return s.Execute("DELETE FROM living_allowance_stops WHERE child_id = ?", {child_id}).status();
    }));
    ASSERT_EQ(stops->size(), 1u);
  }
  void PutStopsBack(const db::Rows& stops) {
    for (const db::Row& r : stops) {
      EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
        return s
            .Execute(absl::StrCat("INSERT INTO living_allowance_stops (", kStopColumns,
                                  ") VALUES (?, ?, ?, ?, ?)"),
                     {r.String(0), r.String(1), r.String(2), r.Int(3), r.String(4)})
            .status();
      }));
    }
  }
  static constexpr char kStopColumns[] = "child_id, stopped_on, reason, event_sequence, recorded_at";

  // Waits until `n` of this schema's statements (those that begin with `statement`, if given) wait for a
  // lock: each a call held where the test holds it.
  void AwaitLockWaits(int n, const std::string& statement = "") {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    // A statement of this schema's running for over 200 ms here is one waiting for a lock.
    while (QueryInt("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE()"
                    " AND ID <> CONNECTION_ID() AND COMMAND IN ('Query', 'Execute') AND TIME_MS > 200"
                    " AND INFO LIKE CONCAT(?, '%')",
                    {statement}) < n) {
      if (absl::Now() > deadline) {
        std::string seen;
        EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
          ASSIGN_OR_RETURN(
              db::Rows rows,
              s.Query("SELECT COALESCE(DB, '-'), COMMAND, COALESCE(STATE, '-'), COALESCE(INFO, '-')"
                      " FROM information_schema.PROCESSLIST",
                      {}));
          for (const db::Row& r : rows) {
            absl::StrAppend(&seen, r.String(0), " ", r.String(1), " ", r.String(2), " ", r.String(3), "\n");
          }
          return absl::OkStatus();
        }));
        FAIL() << "fewer than " << n << " statements reached their lock; sessions:\n" << seen;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  // Placed in a child welfare institution today: the registry's event stops the child's allowance from the
  // next month and leaves the case open (nothing cancels its applications).
  void PlaceInInstitution(const std::string& tag, const rv1::Case& placed) {
    rv1::ChangeCareArrangementRequest place;
    place.set_request_id("place-" + tag);
    place.set_case_id(placed.case_id());
    place.mutable_care_arrangement()->set_type(rv1::CARE_ARRANGEMENT_TYPE_CHILD_WELFARE_INSTITUTION);
    place.mutable_care_arrangement()->set_caregiver("楚雄州儿童福利院");
    place.mutable_care_arrangement()->set_effective_date(absl::FormatCivilTime(ShanghaiDay(absl::Now())));
    place.set_reason("转入儿童福利机构集中养育");
    ASSERT_OK(Call(&rv1::RegistryService::Stub::ChangeCareArrangement, wuding_officer_, place));
  }

  // Proof that the child is at a vocational school up to `through`.
  void RecordSchoolProof(const std::string& tag, const std::string& child_id, absl::CivilMonth through) {
    v1::RecordSchoolEnrolmentRequest proof;
    proof.set_request_id("school-" + tag);
    proof.mutable_enrolment()->set_child_id(child_id);
    proof.mutable_enrolment()->set_school(v1::SCHOOL_KIND_VOCATIONAL);
    proof.mutable_enrolment()->set_evidence_ref("武定职中-2026-0042");
    proof.mutable_enrolment()->set_covers_through(MonthText(through));
    ASSERT_OK(Ask(&v1::AllowanceService::Stub::RecordSchoolEnrolment, wuding_caseworker_, proof));
  }

  // A child turning 18 next month, enrolled in `program` with its approval dated in that month (the registry
  // takes no referral of an 18-year-old, so the approval is moved rather than the birthday): its first
  // month, the month after, is past its 18th birthday's, and not owed without school proof.
  struct AgedOut {
    std::string child_id;
    std::string case_id;
    std::string enrolment;
    absl::CivilMonth first;
  };
  AgedOut EnrolAgedOut(const std::string& tag, const std::string& program) {
    AgedOut c;
    const rv1::Case enrolled = ActiveChild(tag, EighteenIn(ThisMonth() + 1));
    c.child_id = enrolled.child_id();
    c.case_id = enrolled.case_id();
    c.enrolment = Enrol(tag, program, c.child_id);
    c.first = ThisMonth() + 2;
    EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
      return s
          .Execute("UPDATE applications SET decided_at = ? WHERE id = ?",
                   {ToSqlTimestamp(ShanghaiMonthStart(ThisMonth() + 1) + absl::Hours(36)), c.enrolment})
          .status();
    }));
    return c;
  }

  // Enrolled this month, a child's first month (next month) is paid through the enrolment's application; the
  // cycles pay from the month after.
  absl::CivilMonth m2() const { return ThisMonth() + 2; }
  absl::CivilMonth m3() const { return ThisMonth() + 3; }

  // Pays cycle `cycle_id` by bank transfer under `request_id`.
  static v1::PayMonthlyCycleRequest PayCycle(const std::string& request_id, const std::string& cycle_id) {
    v1::PayMonthlyCycleRequest pay;
    pay.set_request_id(request_id);
    pay.set_cycle_id(cycle_id);
    pay.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
    return pay;
  }

  // Two children enrolled in `program`, its cycles of m2 and m3 generated and approved: their ids.
  std::vector<std::string> TwoApprovedCycles(const std::string& program) {
    for (const std::string tag : {"a", "b"}) Enrol(tag, program, ActiveChild(tag).child_id());
    std::vector<std::string> cycles;
    for (absl::CivilMonth m : {m2(), m3()}) {
      EXPECT_OK(allowance_->cycles().job().RunMonth(m));
      absl::StatusOr<v1::MonthlyCycle> cycle = CycleOf(program, m);
      EXPECT_OK(cycle);
      if (!cycle.ok()) return cycles;
      EXPECT_OK(SubmitAndApprove(cycle->cycle_id(), MonthText(m)));
      cycles.push_back(cycle->cycle_id());
    }
    return cycles;
  }
  // One child enrolled in three programs for next month: K approved three months back, R1 and R2 two months
  // back (R2 first), each program's cycle of next month generated and approved, so K keeps the month and R1
  // and R2 are listed as replaced by it. Programs, enrolments and cycles by tag ("k", "r1", "r2").
  struct KeeperAndTwoReplaced {
    rv1::Case child;
    std::map<std::string, std::string> programs, enrolments, cycles;
  };
  // `rejected`: the tag whose cycle the checker rejects instead of approving.
  void KeepNextMonthOverTwo(KeeperAndTwoReplaced& out, const std::string& rejected = "") {
    out.child = ActiveChild("child");
    const absl::CivilDay two_months_back(ThisMonth() - 2);
    for (const auto& [tag, approved_on] :
         std::vector<std::pair<std::string, absl::CivilDay>>{{"k", absl::CivilDay(ThisMonth() - 3) + 9},
                                                             {"r1", two_months_back + 19},
                                                             {"r2", two_months_back + 4}}) {
      out.programs[tag] = FundedProgram(tag);
      out.enrolments[tag] = Enrol(tag, out.programs[tag], out.child.child_id());
      ASSERT_NO_FATAL_FAILURE(SetApprovedOn(out.enrolments[tag], approved_on));
    }
    ASSERT_LT(out.enrolments["r1"], out.enrolments["r2"]);
    ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth() + 1));
    for (const std::string tag : {"k", "r1", "r2"}) {
      ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(out.programs[tag], ThisMonth() + 1));
      out.cycles[tag] = cycle.cycle_id();
      if (tag == rejected) {
        ASSERT_NO_FATAL_FAILURE(SubmitAndReject(cycle.cycle_id(), tag));
      } else {
        ASSERT_OK(SubmitAndApprove(cycle.cycle_id(), tag));
      }
    }
  }
  // The child's month paid once, under enrolment `tag`'s line, and each program's books reconcile.
  void ExpectPaidOnceUnder(const KeeperAndTwoReplaced& month, absl::CivilMonth paid, const std::string& tag) {
    EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ? AND month = ?"
                       " AND enrolment_id = ?",
                       {month.child.child_id(), absl::FormatCivilTime(absl::CivilDay(paid)),
                        month.enrolments.at(tag)}),
              1);
    EXPECT_EQ(StandingPaymentsOf(month.child.child_id()), 1);
    for (const auto& [unused, program] : month.programs) ExpectReconciles(program);
  }
  void SubmitAndReject(const std::string& cycle_id, const std::string& tag) {
    ASSERT_OK(Submit(cycle_id, tag));
    v1::RejectMonthlyCycleRequest reject;
    reject.set_request_id("reject-cycle-" + tag);
    reject.set_cycle_id(cycle_id);
    reject.set_reason("amounts to be checked");
    ASSERT_OK_AND_ASSIGN(v1::RejectMonthlyCycleResponse rejected,
                         Ask(&v1::AllowanceService::Stub::RejectMonthlyCycle, wuding_officer_, reject));
    ASSERT_EQ(rejected.cycle().state(), v1::MONTHLY_CYCLE_STATE_REJECTED);
  }
};

TEST_F(MonthlyAllowance, Roster_RunTwiceAndConcurrently_OneLinePerChildPerMonth) {
  const std::string program = FundedProgram("p");
  std::vector<std::string> children;
  for (const std::string tag : {"a", "b", "c"}) {
    children.push_back(ActiveChild(tag).child_id());
    Enrol(tag, program, children.back());
  }
  MonthlyRosterJob& job = allowance_->cycles().job();
  ASSERT_OK_AND_ASSIGN(GenerationResult first, job.RunMonth(m2()));
  EXPECT_EQ(first.lines_written, 3);
  ASSERT_OK_AND_ASSIGN(GenerationResult again, job.RunMonth(m2()));
  EXPECT_EQ(again.lines_written, 0);

  // Four runs of the next month at once: each line and the cycle are written once between them.
  std::vector<std::thread> runs;
  std::vector<absl::StatusOr<GenerationResult>> results(4, absl::UnknownError("not run"));
  for (int i = 0; i < 4; ++i) runs.emplace_back([&, i] { results[i] = job.RunMonth(m3()); });
  for (std::thread& t : runs) t.join();
  int64_t written = 0;
  for (const auto& r : results) {
    ASSERT_OK(r);
    written += r->lines_written;
  }
  EXPECT_EQ(written, 3);
  EXPECT_EQ(AllowanceCount("monthly_cycles"), 2);
  EXPECT_EQ(AllowanceCount("monthly_roster_lines"), 6);
  for (absl::CivilMonth month : {m2(), m3()}) {
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, month));
    EXPECT_EQ(cycle.state(), v1::MONTHLY_CYCLE_STATE_GENERATED);
    EXPECT_EQ(cycle.payable_lines(), 3);
    EXPECT_EQ(cycle.total_fen(), 3 * 60'000);
    std::set<std::string> paid_children;
    for (const v1::RosterLine& l : Lines(cycle.cycle_id())) {
      EXPECT_EQ(l.outcome(), v1::ROSTER_OUTCOME_PAYABLE);
      EXPECT_TRUE(paid_children.insert(l.child_id()).second) << "twice: " << l.child_id();
    }
    EXPECT_EQ(paid_children, std::set<std::string>(children.begin(), children.end()));
  }

  // The periodic job claims this month once: the second call finds it run.
  ASSERT_OK_AND_ASSIGN(std::optional<PeriodicRun> run, job.RunIfDue());
  EXPECT_TRUE(run.has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<PeriodicRun> rerun, job.RunIfDue());
  EXPECT_FALSE(rerun.has_value());
  // This month's run: everyone was approved this month, so no program has a roster for it.
  EXPECT_THAT(CycleOf(program, ThisMonth()), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(MonthlyAllowance, AgeOut_At18_PaidThroughTheBirthdayMonthThenOnlyWithSchoolProof) {
  const std::string program = FundedProgram("p");
  const std::string leaver = ActiveChild("leaver", EighteenIn(m2())).child_id();
  const std::string pupil = ActiveChild("pupil", EighteenIn(m2())).child_id();
  Enrol("leaver", program, leaver);
  Enrol("pupil", program, pupil);
  ASSERT_NO_FATAL_FAILURE(RecordSchoolProof("pupil", pupil, m3()));

  MonthlyRosterJob& job = allowance_->cycles().job();
  for (absl::CivilMonth m : {m2(), m3(), m3() + 1}) ASSERT_OK(job.RunMonth(m));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle birthday, CycleOf(program, m2()));
  auto lines = ByChild(Lines(birthday.cycle_id()));
  EXPECT_EQ(lines[leaver].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  EXPECT_EQ(lines[pupil].outcome(), v1::ROSTER_OUTCOME_PAYABLE);

  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle after, CycleOf(program, m3()));
  lines = ByChild(Lines(after.cycle_id()));
  EXPECT_EQ(lines[leaver].outcome(), v1::ROSTER_OUTCOME_AGED_OUT);
  EXPECT_EQ(lines[leaver].amount_fen(), 0);
  EXPECT_EQ(lines[pupil].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  EXPECT_EQ(lines[pupil].amount_fen(), 60'000);
  EXPECT_EQ(lines[pupil].school_evidence_ref(), "武定职中-2026-0042");
  EXPECT_EQ(after.total_fen(), 60'000);

  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle proof_over, CycleOf(program, m3() + 1));
  lines = ByChild(Lines(proof_over.cycle_id()));
  EXPECT_EQ(lines[pupil].outcome(), v1::ROSTER_OUTCOME_AGED_OUT);
}

// A child enrolled in one program (O, approved before this month) and enrolled again in another this month
// (N): next month O keeps the child's one basic living allowance and N is replaced. O's cycle pays that
// month, so N's own application, which would pay N's first month, must not: it was paid as well, and the
// child had two allowances in one month.
TEST_F(MonthlyAllowance, PayApplication_EnrolmentReplacedInItsFirstMonth_RefusedAndTheMonthPaidOnce) {
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgram("b");
  const std::string n = EnrolTwice("c", a, b).replaced;
  const absl::CivilMonth next = ThisMonth() + 1;
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle a_cycle, CycleOf(a, next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle b_cycle, CycleOf(b, next));
  ASSERT_EQ(Lines(a_cycle.cycle_id()).size(), 1u);
  EXPECT_EQ(Lines(a_cycle.cycle_id())[0].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  ASSERT_EQ(Lines(b_cycle.cycle_id()).size(), 1u);
  EXPECT_EQ(Lines(b_cycle.cycle_id())[0].outcome(), v1::ROSTER_OUTCOME_REPLACED);

  EXPECT_THAT(PayApplication("n", n), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(AllowanceCount("payments"), 0);
  // O's month is paid by its cycle, once.
  ASSERT_OK(SubmitAndApprove(a_cycle.cycle_id(), "a"));
  v1::PayMonthlyCycleRequest pay_cycle = PayCycle("pay-cycle-a", a_cycle.cycle_id());
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay_cycle));
  EXPECT_EQ(AllowanceCount("payments"), 1);
}

// N (above) was approved with one monthly amount reserved for its first month, which its own application
// pays; once the month's roster says O keeps it, that money is reserved for nothing. It goes back to N's
// program through the ledger, once however often the roster runs, and nothing later (a withdrawal, a
// payment) moves it again. N stays an enrolment: its cycles pay it in the months it keeps.
TEST_F(
    MonthlyAllowance,
    EnrolmentReplacedInItsFirstMonth_ReservationBackInTheBudgetOnce_RetriedRunsAndAWithdrawalReleaseNoMore) {
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgram("b");
  const Replaced c = EnrolTwice("c", a, b);
  ASSERT_EQ(Balances(b).reserved_fen(), 60'000);
  ASSERT_EQ(YearTotal(b, c.child_id), 60'000);

  const absl::CivilMonth next = ThisMonth() + 1;
  ASSERT_OK_AND_ASSIGN(GenerationResult first, allowance_->cycles().job().RunMonth(next));
  EXPECT_EQ(first.first_months_released, 1);
  v1::ProgramBalances balances = Balances(b);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.available_fen(), balances.budget_fen());
  EXPECT_EQ(YearTotal(b, c.child_id), 0);
  EXPECT_EQ(ReleasesOf(c.replaced), 1);
  EXPECT_EQ(Balances(a).reserved_fen(), 60'000);  // the keeper's own, untouched

  // The roster run again (a retry, another replica) finds nothing more to release.
  ASSERT_OK_AND_ASSIGN(GenerationResult again, allowance_->cycles().job().RunMonth(next));
  EXPECT_EQ(again.first_months_released, 0);
  ASSERT_OK_AND_ASSIGN(FirstMonthsNotOwed direct,
                       allowance_->cycles().store().ReleaseFirstMonthsNotOwed(next, absl::Now()));
  EXPECT_EQ(direct.released, 0);
  EXPECT_TRUE(direct.paid_before.empty());
  EXPECT_EQ(ReleasesOf(c.replaced), 1);

  EXPECT_EQ(StateOf(c.replaced), v1::APPLICATION_STATE_APPROVED);  // still an enrolment
  EXPECT_THAT(PayApplication("replaced", c.replaced), StatusIs(absl::StatusCode::kFailedPrecondition));
  // Withdrawn now, it has nothing left to release.
  ASSERT_OK_AND_ASSIGN(v1::WithdrawApplicationResponse withdrawn, Withdraw("replaced", c.replaced));
  EXPECT_EQ(withdrawn.application().state(), v1::APPLICATION_STATE_WITHDRAWN);
  EXPECT_EQ(ReleasesOf(c.replaced), 1);
  balances = Balances(b);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.available_fen(), balances.budget_fen());
  EXPECT_EQ(YearTotal(b, c.child_id), 0);
  EXPECT_EQ(AllowanceCount("payments"), 0);
  ExpectReconciles(a);
  ExpectReconciles(b);
}

// N's first month went back to the budget (O keeps it by the rules), then O was withdrawn: the month is N's
// again once O's line is stopped by its cycle's approval (GiveUpKeptMonth), its reservation taken again, and
// N's application pays it once; a case closed
// afterwards leaves N, in payment and holding nothing, to the rosters' stop, with nothing more to release.
// Before, nothing paid the child that month.
TEST_F(MonthlyAllowance,
       EnrolmentReplacedInItsFirstMonth_KeeperWithdrawnAfterTheRelease_PaidOnceThenNothingReleasedAgain) {
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgram("b");
  const Replaced c = EnrolTwice("c", a, b);
  const absl::CivilMonth next = ThisMonth() + 1;
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_EQ(ReleasesOf(c.replaced), 1);
  ASSERT_OK(Withdraw("keeper", c.keeper));
  // O's line of the month is listed as stopped by its cycle's approval, which gives the month up.
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle a_cycle, CycleOf(a, next));
  ASSERT_OK(SubmitAndApprove(a_cycle.cycle_id(), "a"));
  EXPECT_EQ(Lines(a_cycle.cycle_id())[0].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  EXPECT_EQ(Balances(b).reserved_fen(), 60'000);  // N's first month, reserved again
  // Another child's enrolment in b.
  const std::string other = Enrol("other", b, ActiveChild("other").child_id());

  ASSERT_OK(PayApplication("replaced", c.replaced));
  EXPECT_EQ(AllowanceCount("payments"), 1);
  EXPECT_EQ(Balances(b).reserved_fen(), 60'000);  // the other child's

  rv1::CloseCaseRequest close;
  close.set_request_id("close-c");
  close.set_case_id(c.child.case_id());
  close.set_reason("父亲刑满释放，恢复监护");
  ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  EXPECT_EQ(StateOf(c.replaced), v1::APPLICATION_STATE_PAYMENT_ISSUED);
  EXPECT_EQ(ReleasesOf(c.replaced), 1);
  const v1::ProgramBalances balances = Balances(b);
  EXPECT_EQ(balances.reserved_fen(), 60'000);  // the other child's, still
  EXPECT_EQ(balances.in_payment_fen(), 60'000);
  EXPECT_EQ(balances.available_fen(), balances.budget_fen() - 120'000);
  EXPECT_EQ(YearTotal(b, c.child_id), 60'000);
  EXPECT_EQ(StateOf(other), v1::APPLICATION_STATE_APPROVED);
  ExpectReconciles(a);
  ExpectReconciles(b);
}

// The release, a withdrawal and a payment of N queue on N's row and are let go together (the release queued
// before the withdrawal in one round, after it in the other, as far as delays can order them): the
// reservation goes back once, by whichever comes first, and nothing is paid.
TEST_F(MonthlyAllowance, EnrolmentReplacedInItsFirstMonth_ReleaseRacingAWithdrawalAndAPayment_ReleasedOnce) {
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgram("b");
  const absl::CivilMonth next = ThisMonth() + 1;
  for (int round = 0; round < 2; ++round) {
    const std::string tag = absl::StrCat("race", round);
    const Replaced c = EnrolTwice(tag, a, b);
    absl::Notification locked;
    absl::Notification release;
    std::thread holder([&] {
      EXPECT_OK(allowance_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
        RETURN_IF_ERROR(
            tx.Query("SELECT id FROM applications WHERE id = ? FOR UPDATE", {c.replaced}).status());
        locked.Notify();
        release.WaitForNotification();
        return absl::OkStatus();
      }));
    });
    locked.WaitForNotification();
    absl::StatusOr<GenerationResult> run = absl::UnknownError("not run");
    absl::StatusOr<v1::WithdrawApplicationResponse> withdrawn = absl::UnknownError("not run");
    absl::StatusOr<v1::PayApplicationResponse> paid = absl::UnknownError("not run");
    std::thread roster([&] {
      if (round == 1) absl::SleepFor(absl::Milliseconds(400));
      run = allowance_->cycles().job().RunMonth(next);
    });
    std::thread withdrawal([&] {
      if (round == 0) absl::SleepFor(absl::Milliseconds(400));
      withdrawn = Withdraw(tag, c.replaced);
    });
    std::thread payment([&] {
      absl::SleepFor(absl::Milliseconds(150));
      paid = PayApplication(tag, c.replaced);
    });
    // Time for all three to reach the row's lock; not an assertion: whichever order they are let go in,
    // the invariants below must hold.
    absl::SleepFor(absl::Milliseconds(1200));
    release.Notify();
    holder.join();
    roster.join();
    withdrawal.join();
    payment.join();

    EXPECT_OK(run) << tag;
    EXPECT_OK(withdrawn) << tag;
    EXPECT_THAT(paid, StatusIs(absl::StatusCode::kFailedPrecondition)) << tag;
    EXPECT_EQ(StateOf(c.replaced), v1::APPLICATION_STATE_WITHDRAWN) << tag;
    EXPECT_EQ(ReleasesOf(c.replaced), 1) << tag;
    EXPECT_EQ(YearTotal(b, c.child_id), 0) << tag;
  }
  const v1::ProgramBalances balances = Balances(b);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.available_fen(), balances.budget_fen());
  EXPECT_EQ(AllowanceCount("payments"), 0);
  ExpectReconciles(b);
}

// Enrolled this month, each of these children is not owed next month, its first month, under its enrolment:
// one is placed in a child welfare institution after the approval (the case stays open, so nothing cancels
// the application), one is in distress but in neither category the allowance pays for (its program takes
// children in distress as well). Their applications, which would pay that month, pay nothing: not before the
// month's roster (on the facts known then, recorded when the application was submitted) nor after it (on its
// line). What each approval reserved goes back to the program through the ledger once, when the line is
// written, however often the roster runs; a withdrawal afterwards releases nothing again. A child owed the
// month is paid as before.
TEST_F(MonthlyAllowance,
       FirstMonthNotOwed_PlacedInAnInstitutionOrNotInCategory_NotPaidAndReservationBackOnce) {
  const std::string program = FundedProgram("p", 100'000'000, 0, {rv1::CHILD_CATEGORY_IN_DISTRESS});
  const rv1::Case placed = ActiveChild("placed");
  const std::string distress =
      ActiveChild("distress", "2014-03-02", rv1::CHILD_CATEGORY_IN_DISTRESS).child_id();
  const std::string owed = ActiveChild("owed").child_id();
  const std::map<std::string, std::string> enrolment = {
      {"placed", Enrol("placed", program, placed.child_id())},
      {"distress", Enrol("distress", program, distress)},
      {"owed", Enrol("owed", program, owed)}};
  ASSERT_NO_FATAL_FAILURE(PlaceInInstitution("placed", placed));
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  ASSERT_EQ(Balances(program).reserved_fen(), 3 * 60'000);

  for (const std::string tag : {"placed", "distress"}) {
    EXPECT_THAT(PayApplication("early-" + tag, enrolment.at(tag)),
                StatusIs(absl::StatusCode::kFailedPrecondition))
        << tag;
  }
  PayFirstMonth("owed", enrolment.at("owed"));
  EXPECT_EQ(AllowanceCount("payments"), 1);

  const absl::CivilMonth next = ThisMonth() + 1;
  ASSERT_OK_AND_ASSIGN(GenerationResult first, allowance_->cycles().job().RunMonth(next));
  EXPECT_EQ(first.first_months_released, 2);
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, next));
  auto lines = ByChild(Lines(cycle.cycle_id()));
  EXPECT_EQ(lines[placed.child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  EXPECT_EQ(lines[distress].outcome(), v1::ROSTER_OUTCOME_NOT_IN_CATEGORY);
  EXPECT_EQ(lines[owed].outcome(), v1::ROSTER_OUTCOME_PAID_BY_APPLICATION);
  ASSERT_OK_AND_ASSIGN(GenerationResult again, allowance_->cycles().job().RunMonth(next));
  EXPECT_EQ(again.first_months_released, 0);

  for (const std::string tag : {"placed", "distress"}) {
    EXPECT_THAT(PayApplication("late-" + tag, enrolment.at(tag)),
                StatusIs(absl::StatusCode::kFailedPrecondition))
        << tag;
    EXPECT_EQ(StateOf(enrolment.at(tag)), v1::APPLICATION_STATE_APPROVED) << tag;  // still an enrolment
    EXPECT_EQ(ReleasesOf(enrolment.at(tag)), 1) << tag;
  }
  EXPECT_EQ(YearTotal(program, placed.child_id()), 0);
  EXPECT_EQ(YearTotal(program, distress), 0);
  ASSERT_OK(Withdraw("distress", enrolment.at("distress")));
  EXPECT_EQ(ReleasesOf(enrolment.at("distress")), 1);
  const v1::ProgramBalances balances = Balances(program);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.in_payment_fen(), 60'000);  // the owed child's first month
  EXPECT_EQ(balances.available_fen(), balances.budget_fen() - 60'000);
  EXPECT_EQ(AllowanceCount("payments"), 1);
  ExpectReconciles(program);
}

// Its first month past its 18th birthday's, the aged-out child's application is refused before the roster
// (on the facts) and the roster's line says AGED_OUT. The run that wrote the line dies before releasing the
// reservation, and a school proof covering the month is recorded since: the facts would now pay the month,
// but lines are computed once, and the line, not the facts as they are since, decides. The next run releases
// the reservation once.
TEST_F(MonthlyAllowance, FirstMonthAgedOut_SchoolProofRecordedAfterItsLine_NotPaidAndReleasedOnce) {
  const std::string program = FundedProgram("p");
  const AgedOut c = EnrolAgedOut("aged", program);
  EXPECT_THAT(PayApplication("early", c.enrolment), StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth()));  // takes the enrolment up
  ASSERT_OK(allowance_->cycles().store().GenerateMonth(c.first, absl::Now()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, c.first));
  EXPECT_EQ(ByChild(Lines(cycle.cycle_id()))[c.child_id].outcome(), v1::ROSTER_OUTCOME_AGED_OUT);
  ASSERT_NO_FATAL_FAILURE(RecordSchoolProof("aged", c.child_id, c.first));

  EXPECT_THAT(PayApplication("late", c.enrolment), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(AllowanceCount("payments"), 0);
  ASSERT_OK_AND_ASSIGN(GenerationResult run, allowance_->cycles().job().RunMonth(c.first));
  EXPECT_EQ(run.first_months_released, 1);
  ASSERT_OK_AND_ASSIGN(GenerationResult again, allowance_->cycles().job().RunMonth(c.first));
  EXPECT_EQ(again.first_months_released, 0);
  EXPECT_EQ(ReleasesOf(c.enrolment), 1);
  EXPECT_EQ(YearTotal(program, c.child_id), 0);
  EXPECT_THAT(PayApplication("after", c.enrolment), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(AllowanceCount("payments"), 0);
  const v1::ProgramBalances balances = Balances(program);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.available_fen(), balances.budget_fen());
  ExpectReconciles(program);
}

// N is replaced in its first month by O (its line says so), and O is withdrawn after the month's lines were
// written: before the run's release of N's first month (the run that wrote them died before it), or after
// it. O's line is not paid (stopped by its cycle's approval), and the month is N's again: its line says its
// application pays it, with the reservation its approval made (before the release) or with it reserved again
// (after), and N's application pays it once; the next run releases nothing. Before, nothing paid the child
// that month.
TEST_F(MonthlyAllowance,
       EnrolmentReplacedInItsFirstMonth_KeeperWithdrawnAfterTheLines_TheReplacedPaysItOnce) {
  const absl::CivilMonth next = ThisMonth() + 1;
  for (const std::string mode : {"before-the-release", "after-the-release"}) {
    const std::string a = FundedProgram("a-" + mode);
    const std::string b = FundedProgram("b-" + mode);
    const Replaced c = EnrolTwice("c-" + mode, a, b);
    ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth()));  // takes the enrolments up
    const bool released_first = mode == "after-the-release";
    if (released_first) {
      ASSERT_OK_AND_ASSIGN(GenerationResult run, allowance_->cycles().job().RunMonth(next));
      ASSERT_EQ(run.first_months_released, 1);
      ASSERT_EQ(Balances(b).reserved_fen(), 0);
    } else {
      ASSERT_OK(allowance_->cycles().store().GenerateMonth(next, absl::Now()));
    }
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle b_cycle, CycleOf(b, next));
    ASSERT_EQ(Lines(b_cycle.cycle_id())[0].outcome(), v1::ROSTER_OUTCOME_REPLACED);
    ASSERT_OK(Withdraw("keeper-" + mode, c.keeper));
    // O's line of the month is listed as stopped by its cycle's approval, which gives the month up.
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle a_cycle, CycleOf(a, next));
    ASSERT_OK(SubmitAndApprove(a_cycle.cycle_id(), "a-" + mode));
    EXPECT_EQ(Lines(a_cycle.cycle_id())[0].outcome(), v1::ROSTER_OUTCOME_STOPPED) << mode;
    const v1::RosterLine line = Lines(b_cycle.cycle_id())[0];
    EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_PAID_BY_APPLICATION) << mode;
    EXPECT_TRUE(line.replaced_by().empty()) << mode;
    EXPECT_EQ(StateOf(c.replaced), v1::APPLICATION_STATE_APPROVED) << mode;
    EXPECT_EQ(Balances(b).reserved_fen(), 60'000) << mode;
    EXPECT_EQ(YearTotal(b, c.child_id), 60'000) << mode;
    ASSERT_OK(PayApplication("replaced-" + mode, c.replaced));
    EXPECT_EQ(StandingPaymentsOf(c.child_id), 1) << mode;
    EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ? AND month = ?"
                       " AND enrolment_id = ?",
                       {c.child_id, absl::FormatCivilTime(absl::CivilDay(next)), c.replaced}),
              1)
        << mode;
    ASSERT_OK_AND_ASSIGN(GenerationResult run, allowance_->cycles().job().RunMonth(next));
    EXPECT_EQ(run.first_months_released, 0) << mode;
    EXPECT_EQ(ReleasesOf(c.replaced), released_first ? 1 : 0) << mode;
    EXPECT_EQ(YearTotal(b, c.child_id), 60'000) << mode;
    EXPECT_EQ(Balances(b).reserved_fen(), 0) << mode;
    EXPECT_EQ(Balances(b).in_payment_fen(), 60'000) << mode;
    ExpectReconciles(a);
    ExpectReconciles(b);
  }
}

// The release (the roster's next run, and the same run on another replica just after), a payment and a
// withdrawal of an aged-out child's enrolment queue on its row and are let go together, the release, the
// payment and the withdrawal each first in one of three rounds; its line is written and a school proof
// recorded since (the facts alone would pay the month). Whichever comes first, the reservation goes back once
// and nothing is paid.
TEST_F(MonthlyAllowance, FirstMonthNotOwed_ReleaseRacingAPaymentAndAWithdrawal_ReleasedOnceNeverPaid) {
  const std::string program = FundedProgram("p");
  for (int round = 0; round < 3; ++round) {
    const std::string tag = absl::StrCat("race", round);
    const AgedOut c = EnrolAgedOut(tag, program);
    ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth()));  // takes the enrolment up
    ASSERT_OK(allowance_->cycles().store().GenerateMonth(c.first, absl::Now()));
    ASSERT_NO_FATAL_FAILURE(RecordSchoolProof(tag, c.child_id, c.first));
    absl::Notification locked;
    absl::Notification release;
    std::thread holder([&] {
      EXPECT_OK(allowance_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
        RETURN_IF_ERROR(
            tx.Query("SELECT id FROM applications WHERE id = ? FOR UPDATE", {c.enrolment}).status());
        locked.Notify();
        release.WaitForNotification();
        return absl::OkStatus();
      }));
    });
    locked.WaitForNotification();
    // Queued in turn, 150 ms apart: round 0 the release first, round 1 the payment, round 2 the withdrawal.
    auto delay = [&](int position) {
      absl::SleepFor(absl::Milliseconds(150) * ((position - round + 3) % 3));
    };
    absl::StatusOr<GenerationResult> run = absl::UnknownError("not run");
    absl::StatusOr<GenerationResult> rerun = absl::UnknownError("not run");
    absl::StatusOr<v1::PayApplicationResponse> paid = absl::UnknownError("not run");
    absl::StatusOr<v1::WithdrawApplicationResponse> withdrawn = absl::UnknownError("not run");
    std::thread roster([&] {
      delay(0);
      run = allowance_->cycles().job().RunMonth(c.first);
    });
    std::thread replica([&] {
      delay(0);
      absl::SleepFor(absl::Milliseconds(50));
      rerun = allowance_->cycles().job().RunMonth(c.first);
    });
    std::thread payment([&] {
      delay(1);
      paid = PayApplication(tag, c.enrolment);
    });
    std::thread withdrawal([&] {
      delay(2);
      withdrawn = Withdraw(tag, c.enrolment);
    });
    // Time for all three to reach the row's lock; not an assertion: whichever order they are let go in,
    // the invariants below must hold.
    absl::SleepFor(absl::Milliseconds(1200));
    release.Notify();
    holder.join();
    roster.join();
    replica.join();
    payment.join();
    withdrawal.join();

    ASSERT_OK(run) << tag;
    ASSERT_OK(rerun) << tag;
    EXPECT_EQ(run->first_months_released + rerun->first_months_released, round == 0 ? 1 : 0) << tag;
    EXPECT_THAT(paid, StatusIs(absl::StatusCode::kFailedPrecondition)) << tag;
    EXPECT_OK(withdrawn) << tag;
    EXPECT_EQ(StateOf(c.enrolment), v1::APPLICATION_STATE_WITHDRAWN) << tag;
    EXPECT_EQ(ReleasesOf(c.enrolment), 1) << tag;
    EXPECT_EQ(YearTotal(program, c.child_id), 0) << tag;
  }
  const v1::ProgramBalances balances = Balances(program);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.available_fen(), balances.budget_fen());
  EXPECT_EQ(AllowanceCount("payments"), 0);
  ExpectReconciles(program);
}

// Paid right after its approval, when the month was owed on everything known, the first month stays paid
// when the child is placed in an institution later that month (the month is then not owed, and its line says
// so): nothing is held to release, nothing is taken back, and the roster job reports the payment for the
// finance officers to follow up.
TEST_F(MonthlyAllowance, FirstMonthPaidBeforeAPlacement_PaymentStandsNothingReleasedAndItIsReported) {
  const std::string program = FundedProgram("p");
  const rv1::Case placed = ActiveChild("placed");
  const std::string enrolment = Enrol("placed", program, placed.child_id());
  PayFirstMonth("placed", enrolment);
  ASSERT_NO_FATAL_FAILURE(PlaceInInstitution("placed", placed));
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());

  const absl::CivilMonth next = ThisMonth() + 1;
  ASSERT_OK_AND_ASSIGN(GenerationResult run, allowance_->cycles().job().RunMonth(next));
  EXPECT_EQ(run.first_months_released, 0);
  EXPECT_EQ(run.first_months_paid_before, 1);
  // Counted where the alert reads it (ShouhuAllowanceFirstMonthPaidNotOwed), not only logged.
  std::string counted;
  for (absl::string_view line : absl::StrSplit(metrics_.Render(), '\n')) {
    if (absl::StartsWith(line, "shouhu_allowance_first_months_paid_before_total{"))
      counted = std::string(line);
  }
  EXPECT_TRUE(absl::EndsWith(counted, "} 1")) << counted;
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, next));
  EXPECT_EQ(ByChild(Lines(cycle.cycle_id()))[placed.child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  EXPECT_EQ(StateOf(enrolment), v1::APPLICATION_STATE_PAYMENT_ISSUED);
  EXPECT_EQ(ReleasesOf(enrolment), 0);
  EXPECT_EQ(AllowanceCount("payments"), 1);
  const v1::ProgramBalances balances = Balances(program);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.in_payment_fen(), 60'000);
  ExpectReconciles(program);
}

// An aged-out child's first month is not owed (its line says so and its reservation went back); a school
// proof recorded since makes the month after owed, and its cycle pays it. The bank returns that payment (the
// guardian's account was closed): the month's money is reserved again on the enrolment, and paying the
// application re-issues it (PayApplication: "paying an application whose payment was returned re-issues
// it") — the owed month's money, not the first month's. A retry answers the same, another request is
// ALREADY_EXISTS; returned again, it is re-issued again; the first month is never paid.
TEST_F(MonthlyAllowance, CyclePaymentReturned_FirstMonthNotOwed_ReissuedThroughTheApplicationOnce) {
  const std::string program = FundedProgram("p");
  const AgedOut c = EnrolAgedOut("aged", program);
  ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth()));  // takes the enrolment up
  ASSERT_OK_AND_ASSIGN(GenerationResult first, allowance_->cycles().job().RunMonth(c.first));
  ASSERT_EQ(first.first_months_released, 1);
  ASSERT_NO_FATAL_FAILURE(RecordSchoolProof("aged", c.child_id, c.first + 1));
  ASSERT_OK(allowance_->cycles().job().RunMonth(c.first + 1));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, c.first + 1));
  ASSERT_EQ(ByChild(Lines(cycle.cycle_id()))[c.child_id].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  ASSERT_OK(SubmitAndApprove(cycle.cycle_id(), "owed"));
  ASSERT_OK(
      Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-cycle", cycle.cycle_id())));
  const std::string cycle_payment = ByChild(Lines(cycle.cycle_id()))[c.child_id].payment_id();
  ASSERT_FALSE(cycle_payment.empty());

  ASSERT_OK(ReturnPayment("bank-1", cycle_payment));
  EXPECT_EQ(Balances(program).reserved_fen(), 60'000);

  absl::StatusOr<v1::PayApplicationResponse> reissued = PayApplication("reissue", c.enrolment);
  ASSERT_OK(reissued);
  EXPECT_EQ(reissued->payment().amount_fen(), 60'000);
  EXPECT_EQ(reissued->payment().issue_number(), 2);
  // The retry is answered as the first was; another request finds it paid.
  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse retried, PayApplication("reissue", c.enrolment));
  EXPECT_EQ(retried.payment().payment_id(), reissued->payment().payment_id());
  EXPECT_THAT(PayApplication("again", c.enrolment), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(AllowanceCount("payments"), 2);
  EXPECT_EQ(Balances(program).reserved_fen(), 0);

  // Returned again, the month's money is re-issued again, once, by two finance officers' requests at once.
  ASSERT_OK(ReturnPayment("bank-2", reissued->payment().payment_id()));
  absl::StatusOr<v1::PayApplicationResponse> racing[2];
  std::thread one([&] { racing[0] = PayApplication("reissue-2a", c.enrolment); });
  std::thread other([&] { racing[1] = PayApplication("reissue-2b", c.enrolment); });
  one.join();
  other.join();
  const int winner = racing[0].ok() ? 0 : 1;
  ASSERT_OK(racing[winner]);
  EXPECT_EQ(racing[winner]->payment().amount_fen(), 60'000);
  EXPECT_THAT(racing[1 - winner], StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(AllowanceCount("payments"), 3);
  EXPECT_EQ(ReleasesOf(c.enrolment), 1);
  const v1::ProgramBalances balances = Balances(program);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.in_payment_fen(), 60'000);
  EXPECT_EQ(balances.available_fen(), balances.budget_fen() - 60'000);
  ExpectReconciles(program);
}

// The first month owed, its own payment returned by the bank is re-issued through the application as before:
// the first-month rule judges the re-issue, and lets it pay the month, once.
TEST_F(MonthlyAllowance, FirstMonthPaymentReturned_FirstMonthOwed_ReissuedOnce) {
  const std::string program = FundedProgram("p");
  const std::string enrolment = Enrol("owed", program, ActiveChild("owed").child_id());
  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse first, PayApplication("first", enrolment));
  ASSERT_OK(ReturnPayment("bank-1", first.payment().payment_id()));
  ASSERT_OK_AND_ASSIGN(GenerationResult run, allowance_->cycles().job().RunMonth(ThisMonth() + 1));
  EXPECT_EQ(run.first_months_released, 0);

  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse reissued, PayApplication("reissue", enrolment));
  EXPECT_EQ(reissued.payment().amount_fen(), 60'000);
  EXPECT_EQ(reissued.payment().issue_number(), 2);
  EXPECT_THAT(PayApplication("again", enrolment), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(AllowanceCount("payments"), 2);
  const v1::ProgramBalances balances = Balances(program);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.in_payment_fen(), 60'000);
  ExpectReconciles(program);
}

TEST_F(MonthlyAllowance, CaseClosedOrPlacedInInstitution_StopsFromTheNextMonth) {
  const std::string program = FundedProgram("p");
  const rv1::Case closing = ActiveChild("closing");
  const rv1::Case placed = ActiveChild("placed");
  const rv1::Case staying = ActiveChild("staying");
  PayFirstMonth("closing", Enrol("closing", program, closing.child_id()));
  Enrol("placed", program, placed.child_id());
  Enrol("staying", program, staying.child_id());
  ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth()));  // takes the enrolments up

  rv1::CloseCaseRequest close;
  close.set_request_id("close-closing");
  close.set_case_id(closing.case_id());
  close.set_reason("父亲刑满释放，恢复监护");
  ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  ASSERT_NO_FATAL_FAILURE(PlaceInInstitution("placed", placed));
  AwaitRegistryEvents();

  ASSERT_OK(allowance_->cycles().job().RunMonth(m2()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, m2()));
  auto lines = ByChild(Lines(cycle.cycle_id()));
  EXPECT_EQ(lines[closing.child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  EXPECT_EQ(lines[placed.child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  EXPECT_EQ(lines[staying.child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  EXPECT_EQ(cycle.total_fen(), 60'000);
}

TEST_F(MonthlyAllowance, CaseMovedToAnotherCounty_StopsTheSendingCountysAllowanceFromTheNextMonth) {
  const std::string program = FundedProgram("p");
  const rv1::Case moving = ActiveChild("moving");
  const rv1::Case staying = ActiveChild("staying");
  Enrol("moving", program, moving.child_id());
  Enrol("staying", program, staying.child_id());
  ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth()));  // takes the enrolments up

  rv1::RequestCountyTransferRequest move;
  move.set_request_id("move-moving");
  move.set_case_id(moving.case_id());
  move.set_to_village_code(registry::testing::kXixiaVillage);
  move.set_reason("随务工父母迁居银川");
  ASSERT_OK_AND_ASSIGN(auto requested, Cooperate(&rv1::CaseCooperationService::Stub::RequestCountyTransfer,
                                                 wuding_officer_, move));
  rv1::AcceptCountyTransferRequest accept;
  accept.set_request_id("accept-moving");
  accept.set_transfer_id(requested.transfer().transfer_id());
  ASSERT_OK(Cooperate(&rv1::CaseCooperationService::Stub::AcceptCountyTransfer, xixia_officer_, accept));
  AwaitRegistryEvents();

  ASSERT_OK(allowance_->cycles().job().RunMonth(m2()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, m2()));
  auto lines = ByChild(Lines(cycle.cycle_id()));
  EXPECT_EQ(lines[moving.child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  EXPECT_EQ(lines[staying.child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
}

TEST_F(MonthlyAllowance, ApprovedRoster_LaterRegistryEditsChangeNothingComputed) {
  const std::string program = FundedProgram("p");
  const rv1::Case f = ActiveChild("f");
  const rv1::Case g = ActiveChild("g");
  Enrol("f", program, f.child_id());
  PayFirstMonth("g", Enrol("g", program, g.child_id()));
  MonthlyRosterJob& job = allowance_->cycles().job();
  ASSERT_OK(job.RunMonth(m2()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, m2()));

  // Maker-checker: not before submission, never by the submitter.
  v1::ApproveMonthlyCycleRequest early;
  early.set_request_id("approve-early");
  early.set_cycle_id(cycle.cycle_id());
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::ApproveMonthlyCycle, wuding_officer_, early),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::SubmitMonthlyCycleRequest submit;
  submit.set_request_id("submit-own");
  submit.set_cycle_id(cycle.cycle_id());
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::SubmitMonthlyCycle, ngo_admin_, submit));
  v1::ApproveMonthlyCycleRequest own;
  own.set_request_id("approve-own");
  own.set_cycle_id(cycle.cycle_id());
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::ApproveMonthlyCycle, ngo_admin_, own),
              StatusIs(absl::StatusCode::kPermissionDenied));

  const v1::ProgramBalances before = Balances(program);
  ASSERT_OK_AND_ASSIGN(v1::ApproveMonthlyCycleResponse approved,
                       Ask(&v1::AllowanceService::Stub::ApproveMonthlyCycle, wuding_officer_, early));
  EXPECT_EQ(approved.cycle().state(), v1::MONTHLY_CYCLE_STATE_APPROVED);
  EXPECT_EQ(approved.cycle().total_fen(), 120'000);
  const v1::ProgramBalances reserved = Balances(program);
  EXPECT_EQ(reserved.reserved_fen(), before.reserved_fen() + 120'000);
  EXPECT_EQ(reserved.available_fen(), before.available_fen() - 120'000);
  const std::vector<std::string> frozen = LineRows();

  rv1::CloseCaseRequest close;
  close.set_request_id("close-g");
  close.set_case_id(g.case_id());
  close.set_reason("迁出本县");
  ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  AwaitRegistryEvents();
  ASSERT_OK(job.RunMonth(m2()));

  EXPECT_EQ(LineRows(), frozen);
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle still, CycleOf(program, m2()));
  EXPECT_EQ(still.total_fen(), 120'000);
  EXPECT_EQ(Balances(program).reserved_fen(), reserved.reserved_fen());
  // The edit was seen: the next month stops the closed case.
  ASSERT_OK(job.RunMonth(m3()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle next, CycleOf(program, m3()));
  EXPECT_EQ(ByChild(Lines(next.cycle_id()))[g.child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
}

TEST_F(MonthlyAllowance, ApproveCycle_BeyondTheBudget_RefusedAndNothingReserved) {
  // Two enrolments reserve 120,000 of 150,000; the cycle's 120,000 is within each child's yearly cap
  // (150,000, whichever year the month falls in) but not within what is left of the budget.
  const std::string program = FundedProgram("small", 150'000);
  Enrol("a", program, ActiveChild("a").child_id());
  Enrol("b", program, ActiveChild("b").child_id());
  ASSERT_OK(allowance_->cycles().job().RunMonth(m2()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, m2()));
  const v1::ProgramBalances before = Balances(program);
  EXPECT_THAT(SubmitAndApprove(cycle.cycle_id(), "small"), StatusIs(absl::StatusCode::kFailedPrecondition));
  const v1::ProgramBalances after = Balances(program);
  EXPECT_EQ(after.available_fen(), before.available_fen());
  EXPECT_EQ(after.reserved_fen(), before.reserved_fen());
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle unchanged, CycleOf(program, m2()));
  EXPECT_EQ(unchanged.state(), v1::MONTHLY_CYCLE_STATE_SUBMITTED);
}

TEST_F(MonthlyAllowance, ApproveCycle_MonthPastTheYearCap_LineListedAsOverYearCapAndNotReserved) {
  // Months of the year after the enrolments' first month (paid by their applications, and counted against
  // its own year): one cap year that holds these three months only.
  const int next_year = static_cast<int>((ThisMonth() + 1).year()) + 1;
  const std::vector<absl::CivilMonth> months = {
      absl::CivilMonth(next_year, 2), absl::CivilMonth(next_year, 3), absl::CivilMonth(next_year, 4)};
  const std::string program = FundedProgram("p", 100'000'000, 150'000);
  const std::string a = ActiveChild("a").child_id();
  const std::string b = ActiveChild("b").child_id();
  Enrol("a", program, a);          // 60,000 a month: the third month would make 180,000
  Enrol("b", program, b, 40'000);  // 40,000 a month: 120,000 in three months fits
  for (absl::CivilMonth m : months) ASSERT_OK(allowance_->cycles().job().RunMonth(m));
  const v1::ProgramBalances before = Balances(program);

  std::vector<v1::MonthlyCycle> approved;
  for (size_t i = 0; i < months.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, months[i]));
    ASSERT_OK_AND_ASSIGN(approved.emplace_back(), SubmitAndApprove(cycle.cycle_id(), absl::StrCat("m", i)));
  }
  EXPECT_EQ(approved[0].total_fen(), 100'000);
  EXPECT_EQ(approved[1].total_fen(), 100'000);
  // The third month: a's line is kept and listed with why, and nothing of it is reserved or paid.
  EXPECT_EQ(approved[2].total_fen(), 40'000);
  EXPECT_EQ(approved[2].payable_lines(), 1);
  auto lines = ByChild(Lines(approved[2].cycle_id()));
  EXPECT_EQ(lines[a].outcome(), v1::ROSTER_OUTCOME_OVER_YEAR_CAP);
  EXPECT_EQ(lines[a].amount_fen(), 0);
  EXPECT_EQ(lines[b].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  EXPECT_EQ(lines[b].amount_fen(), 40'000);
  EXPECT_EQ(Balances(program).reserved_fen(), before.reserved_fen() + 240'000);

  v1::PayMonthlyCycleRequest pay = PayCycle("pay-third", approved[2].cycle_id());
  ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse paid,
                       Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay));
  EXPECT_EQ(paid.cycle().paid_lines(), 1);
  ASSERT_OK_AND_ASSIGN(ReconcileResult reconciled,
                       allowance_->store().ReconcileProgram(program, absl::Now()));
  EXPECT_TRUE(reconciled.reconciliation.balanced);

  // The month counted against the same yearly total one-time approvals take: a's year is full.
  EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::optional<db::Row> row,
        s.QueryOne("SELECT committed_fen FROM child_year_totals WHERE program_id = ? AND child_id = ?"
                   " AND year = ?",
                   {program, a, int64_t{next_year}}));
    EXPECT_TRUE(row.has_value());
    if (row) {
      EXPECT_EQ(row->Int(0), 120'000);
    }
    return absl::OkStatus();
  }));
}

// An enrolment approved in December is first paid for January, through its own application: that month counts
// against the next year's cap per child, as each later month counts against its own year (the roster line's),
// not against the year of the approval.
TEST_F(MonthlyAllowance, ApprovedInDecember_ItsFirstMonthCountsAgainstTheNextYear) {
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("a").child_id();
  v1::SubmitApplicationRequest submit;
  submit.set_request_id("apply-a");
  submit.set_program_id(program);
  submit.set_child_id(child);
  submit.set_type(v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
  submit.set_amount_fen(60'000);
  submit.set_reason("事实无人抚养，按月发放基本生活费");
  ASSERT_OK_AND_ASSIGN(v1::SubmitApplicationResponse submitted,
                       Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, submit));
  // As if submitted in an earlier month of this year (submitted in December, its year is the next already).
  const int64_t this_year = ThisMonth().year();
  ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    return s
        .Execute("UPDATE applications SET year = ? WHERE id = ?",
                 {this_year, submitted.application().application_id()})
        .status();
  }));
  // Approved on the 15th of this year's December.
  ASSERT_OK_AND_ASSIGN(v1::Application approved,
                       ApproveInStoreAt(submitted.application().application_id(),
                                        absl::CivilSecond(this_year, 12, 15, 10, 0, 0),
                                        ApprovalStep{v1::APPLICATION_STATE_APPROVED, true, true}));
  EXPECT_EQ(approved.state(), v1::APPLICATION_STATE_APPROVED);
  EXPECT_EQ(approved.year(), this_year + 1);
  EXPECT_EQ(ChildYearTotal(program, child, this_year + 1), 60'000);
  EXPECT_EQ(ChildYearTotal(program, child, this_year), 0);

  // Withdrawn before its first month: the amount goes back off the year it was counted in.
  ASSERT_OK(Withdraw("a", approved.application_id()));
  EXPECT_EQ(ChildYearTotal(program, child, this_year + 1), 0);
  ExpectReconciles(program);
}

// With two approvals, the first reserves and the second sets the first month (the month after it): approved
// first on 30 November and then on 1 December, an enrolment is first paid for January, which counts against
// the next year's cap per child. Where that year's cap has no room for it, the second approval is refused and
// nothing moves.
TEST_F(MonthlyAllowance, SecondApprovalInDecember_ItsFirstMonthCountsAgainstTheNextYear) {
  const std::string program = FundedProgram("p");
  const int64_t this_year = ThisMonth().year();
  const auto enrol_awaiting_second = [&](const std::string& tag) -> std::pair<std::string, std::string> {
    const std::string child = ActiveChild(tag).child_id();
    v1::SubmitApplicationRequest submit;
    submit.set_request_id("apply-" + tag);
    submit.set_program_id(program);
    submit.set_child_id(child);
    submit.set_type(v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
    submit.set_amount_fen(60'000);
    submit.set_reason("事实无人抚养，按月发放基本生活费");
    absl::StatusOr<v1::SubmitApplicationResponse> submitted =
        Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, submit);
    EXPECT_OK(submitted);
    if (!submitted.ok()) return {};
    const std::string id = submitted->application().application_id();
    // As if submitted before 30 November (submitted in December, its year is the next already).
    EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
      return s.Execute("UPDATE applications SET year = ? WHERE id = ?", {this_year, id}).status();
    }));
    return {id, child};
  };
  const auto approve = [&](const std::string& id, int month, int day, ApprovalStep step) {
    return ApproveInStoreAt(id, absl::CivilSecond(this_year, month, day, 10, 0, 0), step);
  };
  const ApprovalStep first{v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL, true, true};
  const ApprovalStep second{v1::APPLICATION_STATE_APPROVED, false, false};

  const auto [a, child_a] = enrol_awaiting_second("a");
  ASSERT_OK_AND_ASSIGN(v1::Application halfway, approve(a, 11, 30, first));
  EXPECT_EQ(halfway.year(), this_year);  // its first month would be December
  EXPECT_EQ(ChildYearTotal(program, child_a, this_year), 60'000);
  ASSERT_OK_AND_ASSIGN(v1::Application approved, approve(a, 12, 1, second));
  EXPECT_EQ(approved.state(), v1::APPLICATION_STATE_APPROVED);
  EXPECT_EQ(approved.year(), this_year + 1);
  EXPECT_EQ(ChildYearTotal(program, child_a, this_year + 1), 60'000);
  EXPECT_EQ(ChildYearTotal(program, child_a, this_year), 0);
  // Withdrawn before its first month: the amount goes back off the year it now counts in.
  ASSERT_OK(Withdraw("a", a));
  EXPECT_EQ(ChildYearTotal(program, child_a, this_year + 1), 0);
  ExpectReconciles(program);

  // The next year's total already this close to the program's cap (5,000,000 fen) for the other child.
  const auto [b, child_b] = enrol_awaiting_second("b");
  ASSERT_OK(approve(b, 11, 30, first));
  ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    return s
        .Execute(
            "INSERT INTO child_year_totals (program_id, child_id, year, committed_fen) VALUES (?, ?, ?, ?)"
            " ON DUPLICATE KEY UPDATE committed_fen = VALUES(committed_fen)",
            {program, child_b, this_year + 1, int64_t{4'950'000}})
        .status();
  }));
  absl::StatusOr<v1::Application> refused = approve(b, 12, 1, second);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), ::testing::HasSubstr("amount_fen"));
  const v1::Application unchanged = ApplicationOf(b);
  EXPECT_EQ(unchanged.state(), v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL);
  EXPECT_EQ(unchanged.year(), this_year);
  EXPECT_EQ(ChildYearTotal(program, child_b, this_year), 60'000);
  EXPECT_EQ(ChildYearTotal(program, child_b, this_year + 1), 4'950'000);
}

// A county system (or `shouhu-admin allowance standard`) lists a program's monthly enrolments without paging
// through its one-time applications: every one of the type across pages, none of another; a bad type named.
TEST_F(MonthlyAllowance, ListApplications_OfOneType_AllOfItAcrossPagesNoneOfAnother) {
  const std::string program = FundedProgram("p");
  std::set<std::string> monthly;
  for (const std::string tag : {"a", "b", "c"})
    monthly.insert(Enrol(tag, program, ActiveChild(tag).child_id()));
  const std::string child = ActiveChild("r").child_id();
  for (const std::string tag : {"relief-1", "relief-2"}) {
    v1::SubmitApplicationRequest relief;
    relief.set_request_id(tag);
    relief.set_program_id(program);
    relief.set_child_id(child);
    relief.set_type(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
    relief.set_amount_fen(50'000);
    relief.set_reason("房屋漏雨，冬衣不足");
    ASSERT_OK(Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, relief));
  }
  const auto list = [&](v1::AllowanceType type) {
    std::vector<v1::Application> out;
    v1::ListApplicationsRequest request;
    request.set_program_id(program);
    request.set_type(type);
    request.set_page_size(2);
    do {
      absl::StatusOr<v1::ListApplicationsResponse> page =
          Ask(&v1::AllowanceService::Stub::ListApplications, ngo_admin_, request);
      EXPECT_OK(page);
      if (!page.ok()) break;
      out.insert(out.end(), page->applications().begin(), page->applications().end());
      request.set_page_token(page->next_page_token());
    } while (!request.page_token().empty());
    return out;
  };
  std::set<std::string> listed;
  for (const v1::Application& a : list(v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING)) {
    EXPECT_EQ(a.type(), v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
    listed.insert(a.application_id());
  }
  EXPECT_EQ(listed, monthly);
  const std::vector<v1::Application> relief = list(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
  EXPECT_EQ(relief.size(), 2u);
  for (const v1::Application& a : relief) EXPECT_EQ(a.type(), v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
  EXPECT_EQ(list(v1::ALLOWANCE_TYPE_UNSPECIFIED).size(), 5u);
  v1::ListApplicationsRequest bad;
  bad.set_program_id(program);
  bad.set_type(static_cast<v1::AllowanceType>(99));
  auto refused = Ask(&v1::AllowanceService::Stub::ListApplications, ngo_admin_, bad);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(refused.status().message()), ::testing::HasSubstr("type"));
}

TEST_F(MonthlyAllowance, PayCycle_RetriedAndDuplicated_PaysEachLineOnceSamplesAndReports) {
  const std::string program = FundedProgram("p");
  std::vector<std::string> enrolments;
  for (const std::string tag : {"a", "b", "c"})
    enrolments.push_back(Enrol(tag, program, ActiveChild(tag).child_id()));
  ASSERT_OK(allowance_->cycles().job().RunMonth(m2()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, m2()));
  ASSERT_OK(SubmitAndApprove(cycle.cycle_id(), "p"));

  v1::PayMonthlyCycleRequest pay = PayCycle("pay-1", cycle.cycle_id());
  ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse paid,
                       Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay));
  EXPECT_EQ(paid.cycle().state(), v1::MONTHLY_CYCLE_STATE_PAID);
  EXPECT_EQ(paid.cycle().paid_lines(), 3);
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay));  // a retry
  pay.set_request_id("pay-2");                                                    // a duplicate
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, finance_, pay));
  EXPECT_EQ(AllowanceCount("payments"), 3);
  const v1::ProgramBalances balances = Balances(program);
  EXPECT_EQ(balances.in_payment_fen(), 180'000);
  ASSERT_OK_AND_ASSIGN(ReconcileResult reconciled,
                       allowance_->store().ReconcileProgram(program, absl::Now()));
  EXPECT_TRUE(reconciled.reconciliation.balanced);

  // The sample is the one the seed picks among these payments: nothing else.
  const VerificationSample sample(kTestSeed, kTestSharePpm);
  int64_t expected = 0;
  for (const v1::RosterLine& l : Lines(cycle.cycle_id())) {
    ASSERT_FALSE(l.payment_id().empty());
    if (sample.Selects(l.payment_id())) ++expected;
  }
  EXPECT_EQ(AllowanceEvents("shouhu.allowance.v1.HouseholdVerificationRequested"), expected);

  // One child's first month through the core's own payment of the enrolment: 4 person-times, 3 children.
  v1::PayApplicationRequest first;
  first.set_request_id("pay-first-month");
  first.set_application_id(enrolments[0]);
  first.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
  first.set_payee_reference("guardian-account-a");
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayApplication, ngo_admin_, first));
  v1::GetAllowanceReportRequest report;
  report.set_from_month(MonthText(ThisMonth()));
  report.set_to_month(MonthText(ThisMonth()));
  ASSERT_OK_AND_ASSIGN(v1::GetAllowanceReportResponse figures,
                       Ask(&v1::AllowanceService::Stub::GetAllowanceReport, wuding_officer_, report));
  ASSERT_EQ(figures.rows_size(), 1);
  EXPECT_EQ(figures.rows(0).program_id(), program);
  EXPECT_EQ(figures.rows(0).county_code(), "532329");
  EXPECT_EQ(figures.rows(0).month(), MonthText(ThisMonth()));
  EXPECT_EQ(figures.rows(0).type(), v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
  EXPECT_EQ(figures.rows(0).living_allowance_kind(), v1::LIVING_ALLOWANCE_KIND_DE_FACTO_UNSUPPORTED);
  EXPECT_EQ(figures.rows(0).amount_fen(), 4 * 60'000);
  EXPECT_EQ(figures.rows(0).person_times(), 4);
  EXPECT_EQ(figures.rows(0).distinct_children(), 3);
  // Outside the caller's jurisdiction the report does not exist.
  report.set_division_prefix("640105");
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::GetAllowanceReport, wuding_officer_, report),
              StatusIs(absl::StatusCode::kNotFound));
}

// A roster job replica dies mid-month, the officers approve the partial cycle, and a re-run (or the replica
// that takes the lease over) writes the rest: the approved cycle pays what was approved and no more; the late
// line waits in a supplementary cycle of the same month for its own approval.
TEST_F(MonthlyAllowance, PayCycle_LinesWrittenAfterApproval_NotPaidWithoutTheirOwnApproval) {
  const std::string program = FundedProgram("p");
  for (const std::string tag : {"a", "b"}) Enrol(tag, program, ActiveChild(tag).child_id());
  MonthlyRosterJob& job = allowance_->cycles().job();
  ASSERT_OK(job.RunMonth(m2()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, m2()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved, SubmitAndApprove(cycle.cycle_id(), "p"));
  EXPECT_EQ(approved.total_fen(), 2 * 60'000);
  const std::string late_child = ActiveChild("c").child_id();
  Enrol("c", program, late_child);
  ASSERT_OK_AND_ASSIGN(GenerationResult rerun, job.RunMonth(m2()));
  EXPECT_EQ(rerun.lines_written, 1);
  ASSERT_OK_AND_ASSIGN(GenerationResult again, job.RunMonth(m2()));
  EXPECT_EQ(again.lines_written, 0);

  v1::PayMonthlyCycleRequest pay = PayCycle("pay-1", cycle.cycle_id());
  ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse paid,
                       Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay));
  EXPECT_EQ(paid.cycle().paid_lines(), 2);
  EXPECT_EQ(paid.cycle().lines(), 2);
  EXPECT_EQ(AllowanceCount("payments"), 2);
  EXPECT_EQ(Balances(program).in_payment_fen(), approved.total_fen());

  // The late line is in the month's supplementary cycle, generated and awaiting its own approval.
  v1::ListMonthlyCyclesRequest list;
  list.set_program_id(program);
  ASSERT_OK_AND_ASSIGN(v1::ListMonthlyCyclesResponse cycles,
                       Ask(&v1::AllowanceService::Stub::ListMonthlyCycles, ngo_admin_, list));
  ASSERT_EQ(cycles.cycles_size(), 2);
  const v1::MonthlyCycle& supplement = cycles.cycles(1);
  EXPECT_EQ(supplement.month(), MonthText(m2()));
  EXPECT_EQ(supplement.supplement(), 1);
  EXPECT_EQ(supplement.state(), v1::MONTHLY_CYCLE_STATE_GENERATED);
  const std::vector<v1::RosterLine> late = Lines(supplement.cycle_id());
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].child_id(), late_child);
  ASSERT_OK(SubmitAndApprove(supplement.cycle_id(), "supplement"));
  pay.set_request_id("pay-supplement");
  pay.set_cycle_id(supplement.cycle_id());
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay));
  EXPECT_EQ(AllowanceCount("payments"), 3);
  EXPECT_EQ(Balances(program).in_payment_fen(), 3 * 60'000);
}

TEST_F(MonthlyAllowance, PayMonthlyCycle_RequestIdReusedForAnotherCycle_RefusedAndNothingPaid) {
  const std::string program = FundedProgram("p");
  const std::vector<std::string> cycles = TwoApprovedCycles(program);
  ASSERT_EQ(cycles.size(), 2u);
  v1::PayMonthlyCycleRequest pay = PayCycle("pay-1", cycles[0]);
  ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse first,
                       Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay));
  EXPECT_EQ(first.cycle().paid_lines(), 2);
  const int64_t in_payment = Balances(program).in_payment_fen();

  pay.set_cycle_id(cycles[1]);
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(AllowanceCount("payments"), 2);
  EXPECT_EQ(Balances(program).in_payment_fen(), in_payment);
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle untouched, CycleOf(program, m3()));
  EXPECT_EQ(untouched.state(), v1::MONTHLY_CYCLE_STATE_APPROVED);
  EXPECT_EQ(untouched.paid_lines(), 0);

  // The first request retried gets its first answer back; the second cycle is paid under its own id.
  pay.set_cycle_id(cycles[0]);
  ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse retried,
                       Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay));
  EXPECT_EQ(retried.cycle().cycle_id(), cycles[0]);
  EXPECT_EQ(retried.cycle().paid_lines(), 2);
  pay.set_request_id("pay-2");
  pay.set_cycle_id(cycles[1]);
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay));
  EXPECT_EQ(AllowanceCount("payments"), 4);
}

TEST_F(MonthlyAllowance, PayMonthlyCycle_RequestIdReusedConcurrentlyForTwoCycles_OnlyOneCyclePaid) {
  const std::string program = FundedProgram("p");
  const std::vector<std::string> cycles = TwoApprovedCycles(program);
  ASSERT_EQ(cycles.size(), 2u);
  std::vector<absl::StatusOr<v1::PayMonthlyCycleResponse>> answers(2, absl::UnknownError("not run"));
  std::vector<std::thread> calls;
  for (int i = 0; i < 2; ++i) {
    calls.emplace_back([&, i] {
      v1::PayMonthlyCycleRequest pay = PayCycle("pay-same", cycles[i]);
      answers[i] = Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay);
    });
  }
  for (std::thread& t : calls) t.join();
  const int ok = (answers[0].ok() ? 1 : 0) + (answers[1].ok() ? 1 : 0);
  EXPECT_EQ(ok, 1);
  for (const auto& a : answers) {
    if (!a.ok()) {
      EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
  EXPECT_EQ(AllowanceCount("payments"), 2);
}

TEST_F(MonthlyAllowance, Forecast_RostersPastTheBudget_AtRiskRaisedOnce) {
  const std::string program = FundedProgram("p", 1'000'000);
  for (const std::string tag : {"a", "b", "c", "d", "e"}) Enrol(tag, program, ActiveChild(tag).child_id());
  ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth()));  // takes the enrolments up
  v1::GetProgramForecastRequest request;
  request.set_program_id(program);
  ASSERT_OK_AND_ASSIGN(v1::GetProgramForecastResponse first,
                       Ask(&v1::AllowanceService::Stub::GetProgramForecast, finance_, request));
  const v1::ProgramForecast& f = first.forecast();
  EXPECT_EQ(f.reserved_fen(), 300'000);
  EXPECT_EQ(f.uncommitted_fen(), 700'000);
  EXPECT_TRUE(f.at_risk());
  // Next month is paid by the enrolments' own reservations; then 300,000 a month: 600,000 after two cycles,
  // 900,000 passes 700,000 on the first day of the third.
  const absl::CivilDay third(ThisMonth() + 4);
  EXPECT_EQ(f.runs_out_on(), absl::FormatCivilTime(third));
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::GetProgramForecast, finance_, request));
  ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth()));
  EXPECT_EQ(AllowanceEvents("shouhu.allowance.v1.ProgramBudgetAtRisk"), 1);
}

// Approved mid-month, an enrolment is taken up by the next month's roster run; its months to come are spoken
// for from its approval, so a month's new enrolments move the run-out day at once, not on the 1st.
TEST_F(MonthlyAllowance, Forecast_CountsAnEnrolmentFromItsApproval_BeforeItsTakeUp) {
  const std::string program = FundedProgram("p", 1'000'000);
  for (const std::string tag : {"a", "b", "c", "d", "e"}) Enrol(tag, program, ActiveChild(tag).child_id());
  v1::GetProgramForecastRequest request;
  request.set_program_id(program);
  ASSERT_OK_AND_ASSIGN(v1::GetProgramForecastResponse before,
                       Ask(&v1::AllowanceService::Stub::GetProgramForecast, finance_, request));
  EXPECT_EQ(AllowanceCount("living_allowance_enrolments"), 0);  // none taken up yet
  EXPECT_GT(before.forecast().monthly_rosters_to_come_fen(), 0);
  EXPECT_TRUE(before.forecast().at_risk());
  EXPECT_EQ(before.forecast().runs_out_on(), absl::FormatCivilTime(absl::CivilDay(ThisMonth() + 4)));

  ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth()));  // takes the enrolments up
  EXPECT_EQ(AllowanceCount("living_allowance_enrolments"), 5);
  ASSERT_OK_AND_ASSIGN(v1::GetProgramForecastResponse after,
                       Ask(&v1::AllowanceService::Stub::GetProgramForecast, finance_, request));
  EXPECT_EQ(after.forecast().monthly_rosters_to_come_fen(), before.forecast().monthly_rosters_to_come_fen());
  EXPECT_EQ(after.forecast().runs_out_on(), before.forecast().runs_out_on());
}

TEST_F(MonthlyAllowance, BadInput_NamesTheFieldAndWritesNothing) {
  const std::string child = ActiveChild("a").child_id();
  struct Row {
    void (*spoil)(v1::RecordSchoolEnrolmentRequest&);
    const char* field;
  };
  const Row rows[] = {
      {[](v1::RecordSchoolEnrolmentRequest& r) { r.clear_request_id(); }, "request_id"},
      {[](v1::RecordSchoolEnrolmentRequest& r) { r.mutable_enrolment()->set_child_id("x"); },
       "enrolment.child_id"},
      {[](v1::RecordSchoolEnrolmentRequest& r) { r.mutable_enrolment()->clear_school(); },
       "enrolment.school"},
      {[](v1::RecordSchoolEnrolmentRequest& r) { r.mutable_enrolment()->clear_evidence_ref(); },
       "enrolment.evidence_ref"},
      {[](v1::RecordSchoolEnrolmentRequest& r) { r.mutable_enrolment()->set_covers_through("2026-13"); },
       "enrolment.covers_through"},
      {[](v1::RecordSchoolEnrolmentRequest& r) { r.mutable_enrolment()->set_covers_through("2020-01"); },
       "enrolment.covers_through"},
  };
  for (const Row& row : rows) {
    v1::RecordSchoolEnrolmentRequest request;
    request.set_request_id("school-bad");
    request.mutable_enrolment()->set_child_id(child);
    request.mutable_enrolment()->set_school(v1::SCHOOL_KIND_SECONDARY);
    request.mutable_enrolment()->set_evidence_ref("ENROL-1");
    request.mutable_enrolment()->set_covers_through(MonthText(m3()));
    row.spoil(request);
    auto answer = Ask(&v1::AllowanceService::Stub::RecordSchoolEnrolment, wuding_caseworker_, request);
    EXPECT_THAT(answer, StatusIs(absl::StatusCode::kInvalidArgument)) << row.field;
    EXPECT_NE(answer.status().message().find(row.field), std::string::npos) << answer.status();
  }
  v1::GetAllowanceReportRequest report;
  report.set_from_month("2026-1");
  report.set_to_month("2026-02");
  auto bad_report = Ask(&v1::AllowanceService::Stub::GetAllowanceReport, wuding_officer_, report);
  EXPECT_THAT(bad_report, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(bad_report.status().message().find("from_month"), std::string::npos);
  v1::PayMonthlyCycleRequest pay;
  pay.set_request_id("pay-bad");
  pay.set_cycle_id("01JCYC00000000000000000000");
  auto bad_pay = Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay);
  EXPECT_THAT(bad_pay, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(bad_pay.status().message().find("method"), std::string::npos);
  EXPECT_EQ(AllowanceCount("school_enrolments"), 0);
  EXPECT_EQ(AllowanceCount("payments"), 0);
  EXPECT_EQ(AllowanceCount("idempotency_records"), 0);
}

// The path that paid a child's month twice. Enrolment E1 of a Wuding program, approved on the 2nd, pays the
// child's next month (its first) in advance through its application, as it may: the month was owed on
// everything known then, and the payment stands. On the 3rd the case moves to Xixia, which stops E1 from next
// month, and a Xixia program enrols the child on the 5th (E2): E2's first month is the same month, and
// nothing in the rules' view of the facts says it was paid. The child is paid one basic living allowance a
// month, so E2's application must not pay it again: it is refused naming E1's payment, E2's reservation for
// the month goes back to its budget once (a retry releases nothing more), and the month's roster, which finds
// E1 stopped and E2's first month paid by its application, releases nothing more either.
TEST_F(MonthlyAllowance,
       MonthPaidUnderAnEnrolmentTransferredAway_TheReceivingCountysEnrolmentPaysItNotAgain) {
  const County xixia = Xixia();
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgramIn(xixia, "b");
  const rv1::Case moving = ActiveChild("moving");
  const std::string e1 = Enrol("e1", a, moving.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(e1, DayOfThisMonth(2)));
  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse paid, PayApplication("e1", e1));
  ASSERT_NO_FATAL_FAILURE(TransferToXixia("moving", moving));
  ASSERT_NO_FATAL_FAILURE(SetStoppedOn(moving.child_id(), DayOfThisMonth(3)));
  const std::string e2 = EnrolIn(xixia, "e2", b, moving.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(e2, DayOfThisMonth(5)));
  ASSERT_EQ(Balances(b, xixia.admin).reserved_fen(), 60'000);
  ASSERT_EQ(YearTotal(b, moving.child_id()), 60'000);

  const absl::StatusOr<v1::PayApplicationResponse> twice = PayApplicationAs(xixia.admin, "e2", e2);
  EXPECT_THAT(twice, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StrContains(twice.status().message(), e1)) << twice.status();
  EXPECT_TRUE(absl::StrContains(twice.status().message(), paid.payment().payment_id())) << twice.status();
  EXPECT_EQ(StandingPaymentsOf(moving.child_id()), 1);
  EXPECT_EQ(ReleasesOf(e2), 1);
  v1::ProgramBalances balances = Balances(b, xixia.admin);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.available_fen(), balances.budget_fen());
  EXPECT_EQ(YearTotal(b, moving.child_id()), 0);
  // Retried, and asked again under another request id: the same answer, nothing more released.
  EXPECT_THAT(PayApplicationAs(xixia.admin, "e2", e2), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(PayApplicationAs(xixia.admin, "e2-again", e2), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReleasesOf(e2), 1);

  const absl::CivilMonth next = ThisMonth() + 1;
  ASSERT_OK_AND_ASSIGN(GenerationResult run, allowance_->cycles().job().RunMonth(next));
  EXPECT_EQ(run.first_months_released, 0);
  EXPECT_EQ(run.first_months_paid_before, 1);  // E1's, stopped
  ASSERT_OK_AND_ASSIGN(GenerationResult again, allowance_->cycles().job().RunMonth(next));
  EXPECT_EQ(again.first_months_released, 0);
  EXPECT_EQ(ReleasesOf(e2), 1);
  EXPECT_EQ(StandingPaymentsOf(moving.child_id()), 1);
  balances = Balances(b, xixia.admin);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.available_fen(), balances.budget_fen());
  EXPECT_EQ(Balances(a).in_payment_fen(), 60'000);
  ExpectReconciles(a);
  ExpectReconciles(b);
}

// The same child-month paid through two paths at once. E2, a Wuding enrolment approved two months ago, has
// next month payable on its program's cycle, computed and approved before the case moved. The case moves to
// Xixia on the 3rd and a Xixia program enrols the child on the 5th (E1): next month is E1's first, which its
// application pays. The cycle's payment reads the children's stops without waiting for the follower that
// records them, so a stop recorded while the payment is under way is one it does not see: here the move's
// is recorded after the payment read the stops and before it took the month (held up, for the test, by an
// uncommitted claim of the month), and E1's application pays at once. The month's claim decides: it is paid
// once, and the loser says why and gives its reservation back once: the application refused naming the
// cycle's enrolment and payment, or the cycle's line, paid by nothing, listed as replaced by E1, its amount
// released from the cycle's reservation and not paid by a later PayMonthlyCycle.
TEST_F(MonthlyAllowance, StopRecordedDuringTheCyclesPayment_ApplicationPayingTheSameMonth_MonthPaidOnce) {
  const County xixia = Xixia();
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgramIn(xixia, "b");
  const rv1::Case moving = ActiveChild("moving");
  const absl::CivilMonth next = ThisMonth() + 1;
  const std::string e2 = Enrol("e2", a, moving.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(e2, absl::CivilDay(ThisMonth() - 2) + 9));
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(a, next));
  ASSERT_EQ(ByChild(Lines(cycle.cycle_id()))[moving.child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  ASSERT_OK(SubmitAndApprove(cycle.cycle_id(), "next"));
  ASSERT_NO_FATAL_FAILURE(TransferToXixia("moving", moving));
  ASSERT_NO_FATAL_FAILURE(SetStoppedOn(moving.child_id(), DayOfThisMonth(3)));
  const std::string e1 = EnrolIn(xixia, "e1", b, moving.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(e1, DayOfThisMonth(5)));
  const int64_t a_reserved = Balances(a).reserved_fen();  // E2's own first month and the cycle's
  // The move's stop, taken out and written back below as the follower writes it, once the payment has read
  // the stops.
  db::Rows stops;
  ASSERT_NO_FATAL_FAILURE(TakeStopsOut(moving.child_id(), &stops));

  absl::Notification claimed;
  absl::Notification release;
  std::thread holder([&] {
    EXPECT_OK(allowance_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
      const std::vector<db::Value> month = {moving.child_id(), absl::FormatCivilTime(absl::CivilDay(next))};
      RETURN_IF_ERROR(tx.Execute("INSERT INTO living_allowance_months_paid (child_id, month, enrolment_id,"
                                 " payment_id, claimed_at) VALUES (?, ?, 'held', 'held', NOW(6))",
                                 month)
                          .status());
      claimed.Notify();
      release.WaitForNotification();
      return tx.Execute("DELETE FROM living_allowance_months_paid WHERE child_id = ? AND month = ?", month)
          .status();
    }));
  });
  claimed.WaitForNotification();
  absl::StatusOr<v1::PayApplicationResponse> by_application = absl::UnknownError("not run");
  absl::StatusOr<v1::PayMonthlyCycleResponse> by_cycle = absl::UnknownError("not run");
  std::thread cycle_payer([&] {
    by_cycle = Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                   PayCycle("pay-cycle-next", cycle.cycle_id()));
  });
  AwaitLockWaits(1, "INSERT IGNORE INTO living_allowance_months_paid");  // the payment, at the month's claim
  PutStopsBack(stops);
  std::thread application([&] { by_application = PayApplicationAs(xixia.admin, "e1", e1); });
  AwaitLockWaits(2);  // the application too, behind the payment or at the claim
  release.Notify();
  holder.join();
  application.join();
  cycle_payer.join();
  ASSERT_OK(by_cycle);  // the cycle's other lines (none here) are paid either way
  EXPECT_EQ(StandingPaymentsOf(moving.child_id()), 1);
  v1::RosterLine line = ByChild(Lines(cycle.cycle_id()))[moving.child_id()];
  if (by_application.ok()) {
    EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_REPLACED);
    EXPECT_EQ(line.replaced_by(), e1);
    EXPECT_EQ(line.amount_fen(), 0);
    EXPECT_TRUE(line.payment_id().empty());
    EXPECT_EQ(Balances(a).reserved_fen(), a_reserved - 60'000);
    EXPECT_EQ(Balances(a).in_payment_fen(), 0);
  } else {
    EXPECT_THAT(by_application, StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_TRUE(absl::StrContains(by_application.status().message(), e2)) << by_application.status();
    EXPECT_TRUE(absl::StrContains(by_application.status().message(), line.payment_id()))
        << by_application.status();
    EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_PAYABLE);
    EXPECT_EQ(ReleasesOf(e1), 1);
    EXPECT_EQ(Balances(b, xixia.admin).reserved_fen(), 0);
    EXPECT_EQ(Balances(a).in_payment_fen(), 60'000);
  }
  // Paying the cycle again, and the application again, pays nothing more.
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                PayCycle("pay-cycle-next-again", cycle.cycle_id())));
  EXPECT_FALSE(PayApplicationAs(xixia.admin, "e1-again", e1).ok());
  EXPECT_EQ(StandingPaymentsOf(moving.child_id()), 1);
  EXPECT_EQ(ReleasesOf(e1), by_application.ok() ? 0 : 1);
  ExpectReconciles(a);
  ExpectReconciles(b);
}

// An installation upgraded to migration 0100 has paid months before it: the migration records each once, held
// by the payment that stands for it. Here: a first month paid through its application; a cycle's month the
// bank returned and the application re-issued (held by the re-issue); and a first month returned and then
// withdrawn, its money back in the budget (not paid, not recorded). The migration's backfill, run on the
// payments alone, finds exactly what the payments recorded as they were made.
TEST_F(MonthlyAllowance,
       MonthsPaidBackfill_MonthsPaidBeforeTheUpgrade_RecordedOnceHeldByThePaymentThatStands) {
  const std::string program = FundedProgram("p");
  const std::string first = Enrol("first", program, ActiveChild("first").child_id());
  ASSERT_OK(PayApplication("first", first));
  const rv1::Case cycled = ActiveChild("cycled");
  const std::string by_cycle = Enrol("cycled", program, cycled.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(by_cycle, absl::CivilDay(ThisMonth() - 2) + 9));
  const absl::CivilMonth next = ThisMonth() + 1;
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, next));
  ASSERT_OK(SubmitAndApprove(cycle.cycle_id(), "next"));
  ASSERT_OK(
      Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-next", cycle.cycle_id())));
  ASSERT_OK(ReturnPayment("bank-cycled", ByChild(Lines(cycle.cycle_id()))[cycled.child_id()].payment_id()));
  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse reissued, PayApplication("cycled", by_cycle));
  const std::string withdrawn = Enrol("withdrawn", program, ActiveChild("withdrawn").child_id());
  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse returned, PayApplication("withdrawn", withdrawn));
  ASSERT_OK(ReturnPayment("bank-withdrawn", returned.payment().payment_id()));
  ASSERT_OK(Withdraw("withdrawn", withdrawn));

  auto months_paid = [&] {
    std::vector<std::string> rows;
    EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows result,
                       s.Query("SELECT child_id, month, enrolment_id, payment_id"
                               " FROM living_allowance_months_paid ORDER BY child_id, month"));
      for (const db::Row& r : result) {
        rows.push_back(absl::StrCat(r.String(0), "|", r.String(1), "|", r.String(2), "|", r.String(3)));
      }
      return absl::OkStatus();
    }));
    return rows;
  };
  const std::vector<std::string> recorded = months_paid();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE payment_id = ?",
                     {reissued.payment().payment_id()}),
            1);

  ASSERT_OK(allowance_database_->pool().Autocommit(
      [&](db::Session& s) { return s.Execute("DELETE FROM living_allowance_months_paid").status(); }));
  const std::vector<db::Migration> migrations = AllowanceMigrations();
  const auto backfill = std::find_if(migrations.begin(), migrations.end(),
                                     [](const db::Migration& m) { return m.version == 100; });
  ASSERT_NE(backfill, migrations.end());
  ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    for (const std::string& statement : db::SplitStatements(backfill->sql)) {
      RETURN_IF_ERROR(s.Execute(statement).status());
    }
    return absl::OkStatus();
  }));
  EXPECT_EQ(months_paid(), recorded);
}

// A monthly enrolment holds several sums at once: its own first month until its application pays it, and each
// cycle month the bank returned until it is re-issued. One application state gated them all: paying one set
// the application in payment, its confirmation set it paid, and the others could never be paid again, nor
// released (a withdrawal needs it approved). Here the first month is unpaid and both cycle months come back:
// each is paid through the application in turn, whatever the others' outcomes, and nothing stays reserved.
TEST_F(MonthlyAllowance,
       EnrolmentHoldingItsFirstMonthAndTwoReturnedMonths_EachPaidInTurnNothingLeftReserved) {
  const std::string program = FundedProgram("p");
  const TwoCyclesPaid c = EnrolWithTwoCyclesPaid("held", program);
  ASSERT_EQ(c.payments.size(), 2u);
  ASSERT_OK(ConfirmPayment("bank-confirm-1", c.payments[0]));
  ASSERT_OK(ReturnPayment("bank-return-1", c.payments[0]));
  ASSERT_OK(ReturnPayment("bank-return-2", c.payments[1]));
  ASSERT_EQ(Balances(program).reserved_fen(), 3 * 60'000);

  std::set<std::string> reissued;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<v1::PayApplicationResponse> paid = PayApplication(absl::StrCat("held-", i), c.enrolment);
    ASSERT_OK(paid) << i;
    EXPECT_EQ(paid->payment().amount_fen(), 60'000);
    reissued.insert(paid->payment().payment_id());
    // Confirmed before the next is paid: the application paid, yet still holding money, is paid again.
    ASSERT_OK(ConfirmPayment(absl::StrCat("bank-confirm-held-", i), paid->payment().payment_id()));
  }
  EXPECT_EQ(reissued.size(), 3u);
  EXPECT_THAT(PayApplication("held-more", c.enrolment), StatusIs(absl::StatusCode::kAlreadyExists));
  const v1::ProgramBalances balances = Balances(program);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.disbursed_fen(), 3 * 60'000);
  EXPECT_EQ(StateOf(c.enrolment), v1::APPLICATION_STATE_PAID);
  ExpectReconciles(program);
}

// An enrolment still holding its first month stays approved while its cycle months are out with the bank, so
// it can be withdrawn then. A cycle month returned after the withdrawal went back to RESERVED and the
// enrolment back to APPROVED: a withdrawn enrolment open again, its money held for a re-issue nobody should
// make. Now the returned money goes back to the budget at once, the month is freed, and the enrolment stays
// withdrawn; a month confirmed after it stays paid.
TEST_F(MonthlyAllowance, CycleMonthsOutWhenWithdrawn_OneReturnedAfter_ReleasedAtOnceAndStaysWithdrawn) {
  const std::string program = FundedProgram("p");
  const TwoCyclesPaid c = EnrolWithTwoCyclesPaid("out", program);
  ASSERT_EQ(c.payments.size(), 2u);
  ASSERT_EQ(StateOf(c.enrolment), v1::APPLICATION_STATE_APPROVED);
  ASSERT_OK(Withdraw("out", c.enrolment).status());
  ASSERT_EQ(StateOf(c.enrolment), v1::APPLICATION_STATE_WITHDRAWN);
  ASSERT_OK(ReturnPayment("bank-return-out", c.payments[0]));
  ASSERT_OK(ConfirmPayment("bank-confirm-out", c.payments[1]));
  EXPECT_EQ(StateOf(c.enrolment), v1::APPLICATION_STATE_WITHDRAWN);
  const v1::ProgramBalances balances = Balances(program);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.disbursed_fen(), 60'000);
  EXPECT_EQ(YearTotal(program, c.child.child_id()) % 60'000, 0);
  EXPECT_EQ(
      QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ?", {c.child.child_id()}),
      1);  // the confirmed month; the returned one is free
  EXPECT_THAT(PayApplication("out-again", c.enrolment), StatusIs(absl::StatusCode::kFailedPrecondition));
  ExpectReconciles(program);
}

// An enrolment whose first month was not owed (its reservation went back) holds only a returned cycle month.
// Withdrawn, or cancelled by its case's close, that month's money goes back to the budget once, and the month
// is free for another enrolment to pay.
TEST_F(MonthlyAllowance,
       FirstMonthReleasedAndACycleMonthReturned_WithdrawnOrClosed_TheMonthsMoneyReleasedOnce) {
  for (const bool close : {false, true}) {
    const std::string tag = close ? "closed" : "withdrawn";
    const std::string program = FundedProgram(tag);
    const AgedOut c = EnrolAgedOut(tag, program);
    ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth()));  // takes the enrolment up
    ASSERT_OK_AND_ASSIGN(GenerationResult first, allowance_->cycles().job().RunMonth(c.first));
    ASSERT_EQ(first.first_months_released, 1);
    ASSERT_NO_FATAL_FAILURE(RecordSchoolProof(tag, c.child_id, c.first + 1));
    ASSERT_OK(allowance_->cycles().job().RunMonth(c.first + 1));
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, c.first + 1));
    ASSERT_OK(SubmitAndApprove(cycle.cycle_id(), tag));
    ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                  PayCycle("pay-cycle-" + tag, cycle.cycle_id())));
    ASSERT_OK(ReturnPayment("bank-" + tag, ByChild(Lines(cycle.cycle_id()))[c.child_id].payment_id()));
    ASSERT_EQ(Balances(program).reserved_fen(), 60'000) << tag;

    if (close) {
      rv1::CloseCaseRequest close_case;
      close_case.set_request_id("close-" + tag);
      close_case.set_case_id(c.case_id);
      close_case.set_reason("父亲刑满释放，恢复监护");
      ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close_case));
      ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
      EXPECT_EQ(StateOf(c.enrolment), v1::APPLICATION_STATE_CANCELLED) << tag;
    } else {
      ASSERT_OK(Withdraw(tag, c.enrolment));
    }
    EXPECT_EQ(ReleasesOf(c.enrolment), 2) << tag;  // the first month's, then the returned month's
    const v1::ProgramBalances balances = Balances(program);
    EXPECT_EQ(balances.reserved_fen(), 0) << tag;
    EXPECT_EQ(balances.available_fen(), balances.budget_fen()) << tag;
    EXPECT_EQ(YearTotal(program, c.child_id), 0) << tag;
    EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ?", {c.child_id}),
              0)
        << tag;
    ExpectReconciles(program);
  }
}

// A month another enrolment has paid already is not put on a roster as payable. Enrolment N (program b) paid
// the child's next month through its application (its first month, owed on the facts then); enrolment O of
// program a, approved earlier, then keeps next month by the rules and the roster made O's line payable: the
// cycle's approval reserved it and the finance officer approved a total the payment run would never pay (the
// claim refuses the line and releases it only then). Generation now lists the line as replaced by N, with
// nothing to pay, as a line refused at payment is listed; the cycle's total and its reservation leave it out.
TEST_F(MonthlyAllowance, RosterOfAMonthAnotherEnrolmentPaid_LineReplacedByThePayerNothingReserved) {
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgram("b");
  const rv1::Case child = ActiveChild("child");
  const absl::CivilMonth next = ThisMonth() + 1;
  const std::string paid_first = Enrol("new", b, child.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(paid_first, DayOfThisMonth(2)));
  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse paid, PayApplication("new", paid_first));
  const std::string older = Enrol("old", a, child.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(older, absl::CivilDay(ThisMonth() - 2) + 9));
  const int64_t a_reserved = Balances(a).reserved_fen();  // the older enrolment's own first month

  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(a, next));
  const v1::RosterLine line = ByChild(Lines(cycle.cycle_id()))[child.child_id()];
  EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_REPLACED);
  EXPECT_EQ(line.replaced_by(), paid_first);
  EXPECT_EQ(line.amount_fen(), 0);
  EXPECT_EQ(cycle.total_fen(), 0);
  EXPECT_EQ(cycle.payable_lines(), 0);
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved, SubmitAndApprove(cycle.cycle_id(), "paid-elsewhere"));
  EXPECT_EQ(approved.total_fen(), 0);
  EXPECT_EQ(Balances(a).reserved_fen(), a_reserved);
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                PayCycle("pay-paid-elsewhere", cycle.cycle_id())));
  EXPECT_EQ(StandingPaymentsOf(child.child_id()), 1);
  EXPECT_EQ(Balances(a).reserved_fen(), a_reserved);
  EXPECT_EQ(Balances(a).in_payment_fen(), 0);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE payment_id = ?",
                     {paid.payment().payment_id()}),
            1);
  ExpectReconciles(a);
  ExpectReconciles(b);
}

// The same when the month is paid after the roster was generated and before its cycle is approved: W's line
// of next month was generated payable, W was withdrawn (its line stays, as lines do), and E1, the child's
// enrolment in another program, paid next month through its application. The approval lists W's line as
// replaced by E1 and reserves nothing for it.
TEST_F(MonthlyAllowance, MonthPaidAfterTheRosterBeforeItsApproval_LineReplacedByThePayerNothingReserved) {
  const std::string a = FundedProgram("a");
  const std::string w_program = FundedProgram("w");
  const rv1::Case child = ActiveChild("child");
  const absl::CivilMonth next = ThisMonth() + 1;
  const std::string w = Enrol("w", w_program, child.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(w, absl::CivilDay(ThisMonth() - 2) + 9));
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(w_program, next));
  ASSERT_EQ(ByChild(Lines(cycle.cycle_id()))[child.child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  ASSERT_OK(Withdraw("w", w));
  const std::string e1 = Enrol("e1", a, child.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(e1, DayOfThisMonth(2)));
  ASSERT_OK(PayApplication("e1", e1));

  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved, SubmitAndApprove(cycle.cycle_id(), "w"));
  EXPECT_EQ(approved.total_fen(), 0);
  const v1::RosterLine line = ByChild(Lines(cycle.cycle_id()))[child.child_id()];
  EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_REPLACED);
  EXPECT_EQ(line.replaced_by(), e1);
  EXPECT_EQ(line.amount_fen(), 0);
  EXPECT_EQ(Balances(w_program).reserved_fen(), 0);
  EXPECT_EQ(YearTotal(w_program, child.child_id()), 0);
  ASSERT_OK(
      Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-w", cycle.cycle_id())));
  EXPECT_EQ(StandingPaymentsOf(child.child_id()), 1);
  ExpectReconciles(w_program);
  ExpectReconciles(a);
}

// A child's month freed after another enrolment was refused it reaches the enrolment owed it. E1 (Wuding)
// paid next month in advance; the case moved to Xixia, whose program enrolled the child (E2, first month next
// month, owed under it): E2's application was refused, E1 holding the month, and E2's reservation went back.
// Then the bank returned E1's payment and E1 was withdrawn: its money went back and the month was freed, but
// nothing gave it to E2, and the child lost a month owed. Now the withdrawal that frees the month reserves
// E2's first month again (within its program's budget and cap) and leaves E2 approved, so its application
// pays it, once.
TEST_F(MonthlyAllowance, MonthFreedAfterAnotherEnrolmentWasRefusedIt_TheOwedEnrolmentPaysItOnce) {
  const County xixia = Xixia();
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgramIn(xixia, "b");
  const rv1::Case moving = ActiveChild("moving");
  const absl::CivilMonth next = ThisMonth() + 1;
  const std::string e1 = Enrol("e1", a, moving.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(e1, DayOfThisMonth(2)));
  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse paid, PayApplication("e1", e1));
  ASSERT_NO_FATAL_FAILURE(TransferToXixia("moving", moving));
  ASSERT_NO_FATAL_FAILURE(SetStoppedOn(moving.child_id(), DayOfThisMonth(3)));
  const std::string e2 = EnrolIn(xixia, "e2", b, moving.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(e2, DayOfThisMonth(5)));
  ASSERT_THAT(PayApplicationAs(xixia.admin, "e2", e2), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_EQ(ReleasesOf(e2), 1);
  ASSERT_EQ(Balances(b, xixia.admin).reserved_fen(), 0);

  ASSERT_OK(ReturnPayment("bank-e1", paid.payment().payment_id()));
  ASSERT_OK(Withdraw("e1", e1));
  EXPECT_EQ(Balances(a).reserved_fen(), 0);
  EXPECT_EQ(StateInDatabase(e2), v1::APPLICATION_STATE_APPROVED);
  EXPECT_EQ(Balances(b, xixia.admin).reserved_fen(), 60'000);
  EXPECT_EQ(YearTotal(b, moving.child_id()), 60'000);

  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse owed, PayApplicationAs(xixia.admin, "e2-freed", e2));
  EXPECT_EQ(owed.payment().amount_fen(), 60'000);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ? AND month = ?"
                     " AND enrolment_id = ?",
                     {moving.child_id(), absl::FormatCivilTime(absl::CivilDay(next)), e2}),
            1);
  EXPECT_THAT(PayApplicationAs(xixia.admin, "e2-freed-again", e2),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(GenerationResult run, allowance_->cycles().job().RunMonth(next));
  EXPECT_EQ(run.first_months_released, 0);
  EXPECT_EQ(ReleasesOf(e2), 1);
  EXPECT_EQ(StandingPaymentsOf(moving.child_id()), 1);
  const v1::ProgramBalances balances = Balances(b, xixia.admin);
  EXPECT_EQ(balances.reserved_fen(), 0);
  EXPECT_EQ(balances.in_payment_fen(), 60'000);
  ExpectReconciles(a);
  ExpectReconciles(b);
}

// The freed month, raced by the two writers that could pay it: E2's application (owed it again once E1 freed
// it, as above) and a cycle line of the month frozen payable before (enrolment W's, approved in its cycle).
// W's allowance stopped since, on the 1st, before E1 was approved: the cycle's payment finds the stop and
// pays W's line nothing, whichever runs first, and gives its reservation back once; the application pays the
// month. (Before the payment read the stops again, the frozen line was paid if it came first.)
TEST_F(MonthlyAllowance, FreedMonthPaidByTheOwedApplicationRacingAStoppedCycleLine_PaidByTheApplication) {
  const County xixia = Xixia();
  const std::string a = FundedProgram("a");
  const std::string w_program = FundedProgram("w");
  const std::string b = FundedProgramIn(xixia, "b");
  const rv1::Case moving = ActiveChild("moving");
  const absl::CivilMonth next = ThisMonth() + 1;
  const std::string w = Enrol("w", w_program, moving.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(w, absl::CivilDay(ThisMonth() - 2) + 9));
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(w_program, next));
  ASSERT_EQ(ByChild(Lines(cycle.cycle_id()))[moving.child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  ASSERT_OK(SubmitAndApprove(cycle.cycle_id(), "w"));
  ASSERT_NO_FATAL_FAILURE(SetStoppedOn(moving.child_id(), DayOfThisMonth(1)));
  const std::string e1 = Enrol("e1", a, moving.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(e1, DayOfThisMonth(2)));
  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse paid, PayApplication("e1", e1));
  ASSERT_NO_FATAL_FAILURE(TransferToXixia("moving", moving));
  ASSERT_NO_FATAL_FAILURE(SetStoppedOn(moving.child_id(), DayOfThisMonth(3)));
  const std::string e2 = EnrolIn(xixia, "e2", b, moving.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(e2, DayOfThisMonth(5)));
  ASSERT_THAT(PayApplicationAs(xixia.admin, "e2", e2), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(ReturnPayment("bank-e1", paid.payment().payment_id()));
  ASSERT_OK(Withdraw("e1", e1));
  ASSERT_EQ(StateInDatabase(e2), v1::APPLICATION_STATE_APPROVED);
  const int64_t w_reserved = Balances(w_program).reserved_fen();

  absl::Notification go;
  absl::StatusOr<v1::PayApplicationResponse> by_application;
  absl::StatusOr<v1::PayMonthlyCycleResponse> by_cycle;
  std::thread application([&] {
    go.WaitForNotification();
    by_application = PayApplicationAs(xixia.admin, "e2-freed", e2);
  });
  std::thread cycle_payer([&] {
    go.WaitForNotification();
    by_cycle = Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                   PayCycle("pay-cycle-w", cycle.cycle_id()));
  });
  go.Notify();
  application.join();
  cycle_payer.join();
  ASSERT_OK(by_cycle);
  ASSERT_OK(by_application);
  EXPECT_EQ(StandingPaymentsOf(moving.child_id()), 1);
  const v1::RosterLine line = ByChild(Lines(cycle.cycle_id()))[moving.child_id()];
  EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_STOPPED);
  EXPECT_EQ(line.amount_fen(), 0);
  EXPECT_TRUE(line.payment_id().empty());
  EXPECT_EQ(Balances(w_program).reserved_fen(), w_reserved - 60'000);
  EXPECT_EQ(Balances(w_program).in_payment_fen(), 0);
  EXPECT_EQ(Balances(b, xixia.admin).in_payment_fen(), 60'000);
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                PayCycle("pay-cycle-w-again", cycle.cycle_id())));
  EXPECT_FALSE(PayApplicationAs(xixia.admin, "e2-freed-again", e2).ok());
  EXPECT_EQ(StandingPaymentsOf(moving.child_id()), 1);
  EXPECT_EQ(Balances(w_program).reserved_fen(), w_reserved - 60'000);
  ExpectReconciles(a);
  ExpectReconciles(w_program);
  ExpectReconciles(b);
}

// An enrolment in payment can still hold money: here its first month (never paid) and a cycle month the
// bank returned, while the re-issue of another returned month is out with the bank. It could be paid but not
// withdrawn, nor cancelled by its case's close: the family left the program and the money stayed reserved for
// good. A withdrawal or a close now releases every sum held, each once; the one out with the bank goes back
// when it comes back, and the enrolment is never paid again.
TEST_F(MonthlyAllowance, EnrolmentInPaymentHoldingMoney_WithdrawnOrClosed_EverySumHeldReleased) {
  for (const bool close : {false, true}) {
    const std::string mode = close ? "closed" : "withdrawn";
    const std::string program = FundedProgram(mode);
    const TwoCyclesPaid c = EnrolWithTwoCyclesPaid(mode, program);
    ASSERT_EQ(c.payments.size(), 2u);
    ASSERT_OK(ReturnPayment("bank-return-1-" + mode, c.payments[0]));
    ASSERT_OK(ReturnPayment("bank-return-2-" + mode, c.payments[1]));
    ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse reissue, PayApplication("reissue-" + mode, c.enrolment));
    ASSERT_EQ(StateOf(c.enrolment), v1::APPLICATION_STATE_PAYMENT_ISSUED) << mode;
    ASSERT_EQ(Balances(program).reserved_fen(), 2 * 60'000) << mode;

    if (close) {
      rv1::CloseCaseRequest close_case;
      close_case.set_request_id("close-" + mode);
      close_case.set_case_id(c.child.case_id());
      close_case.set_reason("父亲刑满释放，恢复监护");
      ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close_case));
      ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
      EXPECT_EQ(StateOf(c.enrolment), v1::APPLICATION_STATE_CANCELLED) << mode;
    } else {
      ASSERT_OK(Withdraw(mode, c.enrolment)) << mode;
      EXPECT_EQ(StateOf(c.enrolment), v1::APPLICATION_STATE_WITHDRAWN) << mode;
    }
    EXPECT_EQ(ReleasesOf(c.enrolment), 2) << mode;  // the first month's and the returned month's
    EXPECT_EQ(Balances(program).reserved_fen(), 0) << mode;
    EXPECT_EQ(Balances(program).in_payment_fen(), 60'000) << mode;
    EXPECT_EQ(YearTotal(program, c.child.child_id()), 60'000) << mode;  // the re-issued month, out
    ASSERT_OK(ReturnPayment("bank-return-reissue-" + mode, reissue.payment().payment_id()));
    EXPECT_EQ(ReleasesOf(c.enrolment), 3) << mode;
    EXPECT_EQ(YearTotal(program, c.child.child_id()), 0) << mode;
    EXPECT_EQ(StateOf(c.enrolment), close ? v1::APPLICATION_STATE_CANCELLED : v1::APPLICATION_STATE_WITHDRAWN)
        << mode;
    const v1::ProgramBalances balances = Balances(program);
    EXPECT_EQ(balances.reserved_fen(), 0) << mode;
    EXPECT_EQ(balances.in_payment_fen(), 0) << mode;
    EXPECT_EQ(balances.available_fen(), balances.budget_fen()) << mode;
    EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ?",
                       {c.child.child_id()}),
              0)
        << mode;
    EXPECT_THAT(PayApplication("after-" + mode, c.enrolment), StatusIs(absl::StatusCode::kFailedPrecondition))
        << mode;
    ExpectReconciles(program);
  }
}

// A line of next month's cycle, computed and approved while its enrolment was open: the enrolment is then
// withdrawn by its applicant, or cancelled by its child's case closing (it still held its unpaid first
// month). Paying the cycle paid the line all the same: money to a child no longer enrolled. Now the payment
// lists it as stopped with nothing paid, and what the approval reserved for it goes back to the budget and
// off the child's yearly total, once however often the cycle is paid; the other child's line is paid.
// Withdrawn before the approval, the line is listed so by the approval, which reserves nothing for it.
TEST_F(MonthlyAllowance,
       EnrolmentWithdrawnOrClosedAfterTheRosterWasMade_LineNotPaidItsReservationReleasedOnce) {
  const absl::CivilMonth next = ThisMonth() + 1;
  for (const std::string mode : {"withdrawn", "closed", "withdrawn-before-approval"}) {
    const std::string program = FundedProgram(mode);
    const rv1::Case leaving = ActiveChild("leaving-" + mode);
    const std::string gone = Enrol("leaving-" + mode, program, leaving.child_id());
    ASSERT_NO_FATAL_FAILURE(SetApprovedOn(gone, absl::CivilDay(ThisMonth() - 2) + 9));
    const rv1::Case staying = ActiveChild("staying-" + mode);
    const std::string kept = Enrol("staying-" + mode, program, staying.child_id());
    ASSERT_NO_FATAL_FAILURE(SetApprovedOn(kept, absl::CivilDay(ThisMonth() - 2) + 9));
    ASSERT_OK(allowance_->cycles().job().RunMonth(next));
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, next));
    ASSERT_EQ(ByChild(Lines(cycle.cycle_id()))[leaving.child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
    const bool before_approval = mode == "withdrawn-before-approval";
    if (before_approval) {
      ASSERT_OK(Withdraw(mode, gone));
    }
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved, SubmitAndApprove(cycle.cycle_id(), mode));
    EXPECT_EQ(approved.total_fen(), before_approval ? 60'000 : 120'000) << mode;
    if (mode == "closed") {
      ASSERT_NO_FATAL_FAILURE(CloseCase(mode, leaving.case_id()));
      ASSERT_EQ(StateOf(gone), v1::APPLICATION_STATE_CANCELLED) << mode;
    } else if (!before_approval) {
      ASSERT_OK(Withdraw(mode, gone));
    }
    ASSERT_EQ(ReleasesOf(gone), 1) << mode;  // its own first month's

    ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse paid,
                         Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                             PayCycle("pay-" + mode, cycle.cycle_id())));
    EXPECT_EQ(paid.cycle().paid_lines(), 1) << mode;
    EXPECT_EQ(paid.cycle().payable_lines(), 1) << mode;
    std::map<std::string, v1::RosterLine> lines = ByChild(Lines(cycle.cycle_id()));
    const v1::RosterLine& line = lines[leaving.child_id()];
    EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_STOPPED) << mode;
    EXPECT_EQ(line.amount_fen(), 0) << mode;
    EXPECT_TRUE(line.payment_id().empty()) << mode;
    EXPECT_FALSE(lines[staying.child_id()].payment_id().empty()) << mode;
    EXPECT_EQ(StandingPaymentsOf(leaving.child_id()), 0) << mode;
    EXPECT_EQ(ReleasesOf(gone), before_approval ? 1 : 2) << mode;
    EXPECT_EQ(YearTotal(program, leaving.child_id()), 0) << mode;
    EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ?",
                       {leaving.child_id()}),
              0)
        << mode;
    const v1::ProgramBalances balances = Balances(program);
    EXPECT_EQ(balances.reserved_fen(), 60'000) << mode;  // the staying child's first month
    EXPECT_EQ(balances.in_payment_fen(), 60'000) << mode;

    ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                  PayCycle("pay-again-" + mode, cycle.cycle_id())));
    EXPECT_EQ(ReleasesOf(gone), before_approval ? 1 : 2) << mode;
    EXPECT_EQ(StandingPaymentsOf(leaving.child_id()), 0) << mode;
    EXPECT_EQ(Balances(program).reserved_fen(), 60'000) << mode;
    ExpectReconciles(program);
  }
}

// Withdrawals racing the payment of the cycle their enrolments' lines were approved in (each enrolment's
// first month paid already, so a withdrawal holds nothing else), in four programs' rounds: the withdrawals
// let go with the payment in the first three, just after it in the last. Each line ends either paid, its
// withdrawal answered after the payment and finding it out with the bank, or not paid, listed as stopped and
// its reservation released once: never paid after its withdrawal was answered, never both, never neither.
TEST_F(MonthlyAllowance, WithdrawalsRacingTheirCyclesPayment_EachLinePaidBeforeItsWithdrawalOrReleasedOnce) {
  constexpr int kChildren = 10;
  constexpr int kRounds = 4;
  const absl::CivilMonth next = ThisMonth() + 1;
  for (int round = 0; round < kRounds; ++round) {
    const std::string program = FundedProgram(absl::StrCat("p", round));
    std::vector<std::string> children;
    std::vector<std::string> enrolments;
    for (int i = 0; i < kChildren; ++i) {
      const std::string tag = absl::StrCat("r", round, "c", i);
      children.push_back(ActiveChild(tag).child_id());
      enrolments.push_back(Enrol(tag, program, children.back()));
      ASSERT_NO_FATAL_FAILURE(SetApprovedOn(enrolments.back(), absl::CivilDay(ThisMonth() - 2) + 9));
      ASSERT_OK(PayApplication(tag, enrolments.back()));
    }
    ASSERT_OK(allowance_->cycles().job().RunMonth(next));
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, next));
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved, SubmitAndApprove(cycle.cycle_id(), program));
    ASSERT_EQ(approved.total_fen(), kChildren * 60'000);

    absl::Notification go;
    absl::StatusOr<v1::PayMonthlyCycleResponse> by_cycle = absl::UnknownError("not run");
    std::vector<absl::Status> withdrawn(kChildren, absl::UnknownError("not run"));
    std::vector<char> paid_when_answered(kChildren, 0);
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
      go.WaitForNotification();
      by_cycle = Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                     PayCycle(absl::StrCat("pay-race-", round), cycle.cycle_id()));
    });
    for (int i = 0; i < kChildren; ++i) {
      threads.emplace_back([&, i] {
        go.WaitForNotification();
        // The last round lets the payment start first, so that both endings are met.
        if (round == kRounds - 1) absl::SleepFor(absl::Milliseconds(40));
        withdrawn[i] = Withdraw(absl::StrCat("r", round, "c", i), enrolments[i]).status();
        paid_when_answered[i] = LinePaid(cycle.cycle_id(), enrolments[i]) ? 1 : 0;
      });
    }
    go.Notify();
    for (std::thread& t : threads) t.join();
    ASSERT_OK(by_cycle);

    int paid = 0;
    std::map<std::string, v1::RosterLine> lines = ByChild(Lines(cycle.cycle_id()));
    for (int i = 0; i < kChildren; ++i) {
      ASSERT_OK(withdrawn[i]) << i;
      EXPECT_EQ(StateOf(enrolments[i]), v1::APPLICATION_STATE_WITHDRAWN) << i;
      const v1::RosterLine& line = lines[children[i]];
      if (!line.payment_id().empty()) {
        ++paid;
        EXPECT_TRUE(paid_when_answered[i]) << round << "/" << i << ": paid after its withdrawal was answered";
        EXPECT_EQ(ReleasesOf(enrolments[i]), 0) << i;
        EXPECT_EQ(YearTotal(program, children[i]), 2 * 60'000) << i;
      } else {
        EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_STOPPED) << i;
        EXPECT_EQ(line.amount_fen(), 0) << i;
        EXPECT_EQ(ReleasesOf(enrolments[i]), 1) << i;
        EXPECT_EQ(YearTotal(program, children[i]), 60'000) << i;  // its first month, out with the bank
      }
    }
    const v1::ProgramBalances balances = Balances(program);
    EXPECT_EQ(balances.reserved_fen(), 0);
    EXPECT_EQ(balances.in_payment_fen(), (kChildren + paid) * 60'000);
    ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                  PayCycle(absl::StrCat("pay-race-again-", round), cycle.cycle_id())));
    EXPECT_EQ(Balances(program).in_payment_fen(), (kChildren + paid) * 60'000);
    ExpectReconciles(program);
    std::cout << "round " << round << ": lines paid before their withdrawal " << paid << " of " << kChildren
              << "\n";
  }
}

// A cycle line replaced by a month's holder is payable again once that month is freed. N (program b) paid the
// child's next month in advance through its application, so O's line of next month (program a, O keeping the
// month by the rules) was listed as replaced by N, nothing reserved, and O's cycle approved and paid without
// it. The bank returned N's payment and N was withdrawn: its money went back and the month was freed, but O's
// line stayed replaced and nothing paid the child that month. Now the withdrawal makes O's line payable
// again, reserves its amount in O's approved cycle (and the child's yearly total), and the cycle's next
// payment pays it, once.
TEST_F(MonthlyAllowance, MonthFreedByItsHolder_TheCycleLineItReplacedIsPaidOnce) {
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgram("b");
  const rv1::Case child = ActiveChild("child");
  const absl::CivilMonth next = ThisMonth() + 1;
  const std::string holder = Enrol("new", b, child.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(holder, DayOfThisMonth(2)));
  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse paid, PayApplication("new", holder));
  const std::string older = Enrol("old", a, child.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(older, absl::CivilDay(ThisMonth() - 2) + 9));
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(a, next));
  ASSERT_EQ(ByChild(Lines(cycle.cycle_id()))[child.child_id()].outcome(), v1::ROSTER_OUTCOME_REPLACED);
  ASSERT_OK(SubmitAndApprove(cycle.cycle_id(), "replaced"));
  ASSERT_OK(
      Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-1", cycle.cycle_id())));
  const int64_t a_reserved = Balances(a).reserved_fen();  // the older enrolment's own first month
  const int64_t a_year_total = YearTotal(a, child.child_id());

  ASSERT_OK(ReturnPayment("bank-new", paid.payment().payment_id()));
  ASSERT_OK(Withdraw("new", holder));
  v1::RosterLine line = ByChild(Lines(cycle.cycle_id()))[child.child_id()];
  EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  EXPECT_EQ(line.amount_fen(), 60'000);
  EXPECT_TRUE(line.replaced_by().empty());
  EXPECT_EQ(Balances(a).reserved_fen(), a_reserved + 60'000);
  EXPECT_EQ(YearTotal(a, child.child_id()), a_year_total + 60'000);
  EXPECT_EQ(Balances(b).reserved_fen(), 0);

  ASSERT_OK_AND_ASSIGN(
      v1::PayMonthlyCycleResponse repaid,
      Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-2", cycle.cycle_id())));
  EXPECT_EQ(repaid.cycle().paid_lines(), 1);
  line = ByChild(Lines(cycle.cycle_id()))[child.child_id()];
  EXPECT_FALSE(line.payment_id().empty());
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ? AND month = ?"
                     " AND enrolment_id = ?",
                     {child.child_id(), absl::FormatCivilTime(absl::CivilDay(next)), older}),
            1);
  ASSERT_OK(
      Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-3", cycle.cycle_id())));
  EXPECT_EQ(StandingPaymentsOf(child.child_id()), 1);
  EXPECT_EQ(Balances(a).reserved_fen(), a_reserved);
  EXPECT_EQ(Balances(a).in_payment_fen(), 60'000);
  ExpectReconciles(a);
  ExpectReconciles(b);
}

// The keeper by the rules withdrawn after its line was computed gives its month to the line it replaced. K
// (program a, approved three months back) keeps next month by the rules (the earlier approval) and R
// (program b, approved two months back) is listed as replaced by K. The family withdrew K after the roster
// was made: K's line is not paid (its enrolment closed), and nothing paid the child next month. Now a's
// payment (or its approval, after the withdrawal) lists K's line as stopped (what a's approval reserved for
// it released, once) and makes R's line payable, reserved in b's cycle (at once when approved, else at its
// approval), which b's payment pays, once; with both cycles approved before the withdrawal, and both
// approved after it.
TEST_F(MonthlyAllowance, KeeperByTheRulesWithdrawnAfterItsLine_TheLineItReplacedIsPaidOnce) {
  const absl::CivilMonth next = ThisMonth() + 1;
  for (const std::string mode : {"approved", "generated"}) {
    const std::string a = FundedProgram("keeper-" + mode);
    const std::string b = FundedProgram("replaced-" + mode);
    const rv1::Case child = ActiveChild("child-" + mode);
    const std::string keeper = Enrol("keeper-" + mode, a, child.child_id());
    ASSERT_NO_FATAL_FAILURE(SetApprovedOn(keeper, absl::CivilDay(ThisMonth() - 3) + 9));
    const std::string replaced = Enrol("replaced-" + mode, b, child.child_id());
    ASSERT_NO_FATAL_FAILURE(SetApprovedOn(replaced, absl::CivilDay(ThisMonth() - 2) + 9));
    ASSERT_OK(allowance_->cycles().job().RunMonth(next));
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle_a, CycleOf(a, next));
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle_b, CycleOf(b, next));
    ASSERT_EQ(ByChild(Lines(cycle_a.cycle_id()))[child.child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
    v1::RosterLine line_b = ByChild(Lines(cycle_b.cycle_id()))[child.child_id()];
    ASSERT_EQ(line_b.outcome(), v1::ROSTER_OUTCOME_REPLACED) << mode;
    ASSERT_EQ(line_b.replaced_by(), keeper) << mode;
    const bool approved_first = mode == "approved";
    if (approved_first) {
      ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved_a, SubmitAndApprove(cycle_a.cycle_id(), mode + "-a"));
      EXPECT_EQ(approved_a.total_fen(), 60'000);
      ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved_b, SubmitAndApprove(cycle_b.cycle_id(), mode + "-b"));
      EXPECT_EQ(approved_b.total_fen(), 0);
    }
    const int64_t b_reserved = Balances(b).reserved_fen();  // R's own first month
    const int64_t b_year_total = YearTotal(b, child.child_id());

    ASSERT_OK(Withdraw("keeper-" + mode, keeper));
    // K's line is listed as stopped by its cycle's payment (approved already) or approval, which gives the
    // month up.
    if (approved_first) {
      ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse paid_a,
                           Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                               PayCycle("pay-a-" + mode, cycle_a.cycle_id())));
      EXPECT_EQ(paid_a.cycle().paid_lines(), 0) << mode;
    } else {
      ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved_a, SubmitAndApprove(cycle_a.cycle_id(), mode + "-a"));
      EXPECT_EQ(approved_a.total_fen(), 0);
    }
    const v1::RosterLine line_a = ByChild(Lines(cycle_a.cycle_id()))[child.child_id()];
    EXPECT_EQ(line_a.outcome(), v1::ROSTER_OUTCOME_STOPPED) << mode;
    EXPECT_EQ(line_a.amount_fen(), 0) << mode;
    line_b = ByChild(Lines(cycle_b.cycle_id()))[child.child_id()];
    EXPECT_EQ(line_b.outcome(), v1::ROSTER_OUTCOME_PAYABLE) << mode;
    EXPECT_EQ(line_b.amount_fen(), 60'000) << mode;
    EXPECT_TRUE(line_b.replaced_by().empty()) << mode;
    EXPECT_TRUE(line_b.payment_id().empty()) << mode;
    // K's own first month, and its line when a's approval had reserved it.
    EXPECT_EQ(ReleasesOf(keeper), approved_first ? 2 : 1) << mode;
    EXPECT_EQ(Balances(a).reserved_fen(), 0) << mode;
    EXPECT_EQ(YearTotal(a, child.child_id()), 0) << mode;
    EXPECT_EQ(Balances(b).reserved_fen(), b_reserved + (approved_first ? 60'000 : 0)) << mode;
    EXPECT_EQ(YearTotal(b, child.child_id()), b_year_total + (approved_first ? 60'000 : 0)) << mode;
    if (!approved_first) {
      ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved_b, SubmitAndApprove(cycle_b.cycle_id(), mode + "-b"));
      EXPECT_EQ(approved_b.total_fen(), 60'000);
      ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse paid_a,
                           Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                               PayCycle("pay-a-" + mode, cycle_a.cycle_id())));
      EXPECT_EQ(paid_a.cycle().paid_lines(), 0) << mode;
    }

    ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse paid_b,
                         Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                             PayCycle("pay-b-" + mode, cycle_b.cycle_id())));
    EXPECT_EQ(paid_b.cycle().paid_lines(), 1) << mode;
    ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                  PayCycle("pay-b-again-" + mode, cycle_b.cycle_id())));
    EXPECT_FALSE(ByChild(Lines(cycle_b.cycle_id()))[child.child_id()].payment_id().empty()) << mode;
    EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ? AND month = ?"
                       " AND enrolment_id = ?",
                       {child.child_id(), absl::FormatCivilTime(absl::CivilDay(next)), replaced}),
              1)
        << mode;
    EXPECT_EQ(StandingPaymentsOf(child.child_id()), 1) << mode;
    EXPECT_EQ(Balances(b).reserved_fen(), b_reserved) << mode;
    EXPECT_EQ(Balances(b).in_payment_fen(), 60'000) << mode;
    EXPECT_EQ(Balances(a).in_payment_fen(), 0) << mode;
    ExpectReconciles(a);
    ExpectReconciles(b);
  }
}

// Keepers' withdrawals racing the payment of their lines' cycle, in three rounds of eight children (each a
// keeper K in program a and a replaced enrolment R in b, both cycles approved; the withdrawals let go with
// the payment in the first two rounds, just after it in the last), b's cycle paid after: each child's month
// is paid once, under K (its line paid before its withdrawal was answered, R's left replaced, the withdrawal
// finding K's payment out with the bank) or under R (K's line stopped by the payment, which saw the
// withdrawal, its reservation released once and the month given to R's line, which b's payment pays), never
// both and never neither, and both programs' ledgers agree.
TEST_F(MonthlyAllowance, KeepersWithdrawnRacingTheirCyclesPayment_EachMonthPaidOnceUnderOneOfThem) {
  constexpr int kChildren = 8;
  constexpr int kRounds = 3;
  const absl::CivilMonth next = ThisMonth() + 1;
  for (int round = 0; round < kRounds; ++round) {
    const std::string a = FundedProgram(absl::StrCat("race", round, "-a"));
    const std::string b = FundedProgram(absl::StrCat("race", round, "-b"));
    std::vector<std::string> children;
    std::vector<std::string> keepers;
    std::vector<std::string> replaced;
    for (int i = 0; i < kChildren; ++i) {
      const std::string tag = absl::StrCat("r", round, "c", i);
      children.push_back(ActiveChild(tag).child_id());
      keepers.push_back(Enrol(tag + "-keeper", a, children.back()));
      ASSERT_NO_FATAL_FAILURE(SetApprovedOn(keepers.back(), absl::CivilDay(ThisMonth() - 3) + 9));
      replaced.push_back(Enrol(tag + "-replaced", b, children.back()));
      ASSERT_NO_FATAL_FAILURE(SetApprovedOn(replaced.back(), absl::CivilDay(ThisMonth() - 2) + 9));
    }
    ASSERT_OK(allowance_->cycles().job().RunMonth(next));
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle_a, CycleOf(a, next));
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle_b, CycleOf(b, next));
    ASSERT_OK(SubmitAndApprove(cycle_a.cycle_id(), absl::StrCat("race", round, "-a")));
    ASSERT_OK(SubmitAndApprove(cycle_b.cycle_id(), absl::StrCat("race", round, "-b")));
    const int64_t b_reserved = Balances(b).reserved_fen();  // the replaced enrolments' own first months

    absl::Notification go;
    absl::StatusOr<v1::PayMonthlyCycleResponse> by_cycle = absl::UnknownError("not run");
    std::vector<absl::Status> withdrawn(kChildren, absl::UnknownError("not run"));
    std::vector<char> paid_when_answered(kChildren, 0);
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
      go.WaitForNotification();
      by_cycle = Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                     PayCycle(absl::StrCat("race", round, "-pay-a"), cycle_a.cycle_id()));
    });
    for (int i = 0; i < kChildren; ++i) {
      threads.emplace_back([&, i] {
        go.WaitForNotification();
        if (round == kRounds - 1) absl::SleepFor(absl::Milliseconds(30));
        withdrawn[i] = Withdraw(absl::StrCat("r", round, "c", i, "-keeper"), keepers[i]).status();
        paid_when_answered[i] = LinePaid(cycle_a.cycle_id(), keepers[i]) ? 1 : 0;
      });
    }
    go.Notify();
    for (std::thread& t : threads) t.join();
    ASSERT_OK(by_cycle);
    ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                  PayCycle(absl::StrCat("race", round, "-pay-b"), cycle_b.cycle_id())));

    int under_keeper = 0;
    std::map<std::string, v1::RosterLine> lines_a = ByChild(Lines(cycle_a.cycle_id()));
    std::map<std::string, v1::RosterLine> lines_b = ByChild(Lines(cycle_b.cycle_id()));
    for (int i = 0; i < kChildren; ++i) {
      ASSERT_OK(withdrawn[i]) << round << "/" << i;
      const v1::RosterLine& line_a = lines_a[children[i]];
      const v1::RosterLine& line_b = lines_b[children[i]];
      const bool keeper_paid = !line_a.payment_id().empty();
      EXPECT_NE(keeper_paid, !line_b.payment_id().empty())
          << round << "/" << i << ": paid under both or neither";
      EXPECT_EQ(StandingPaymentsOf(children[i]), 1) << round << "/" << i;
      EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ? AND month = ?"
                         " AND enrolment_id = ?",
                         {children[i], absl::FormatCivilTime(absl::CivilDay(next)),
                          keeper_paid ? keepers[i] : replaced[i]}),
                1)
          << round << "/" << i;
      if (keeper_paid) {
        ++under_keeper;
        EXPECT_TRUE(paid_when_answered[i]) << round << "/" << i << ": paid after its withdrawal was answered";
        EXPECT_EQ(line_b.outcome(), v1::ROSTER_OUTCOME_REPLACED) << round << "/" << i;
        EXPECT_EQ(ReleasesOf(keepers[i]), 1) << round << "/" << i;  // its own first month
      } else {
        EXPECT_EQ(line_a.outcome(), v1::ROSTER_OUTCOME_STOPPED) << round << "/" << i;
        EXPECT_EQ(line_b.outcome(), v1::ROSTER_OUTCOME_PAYABLE) << round << "/" << i;
        EXPECT_EQ(ReleasesOf(keepers[i]), 2) << round << "/" << i;
      }
    }
    EXPECT_EQ(Balances(a).reserved_fen(), 0) << round;
    EXPECT_EQ(Balances(a).in_payment_fen(), under_keeper * 60'000) << round;
    EXPECT_EQ(Balances(b).reserved_fen(), b_reserved) << round;
    EXPECT_EQ(Balances(b).in_payment_fen(), (kChildren - under_keeper) * 60'000) << round;
    ExpectReconciles(a);
    ExpectReconciles(b);
    std::cout << "round " << round << ": months paid under the keeper " << under_keeper << " of " << kChildren
              << "\n";
  }
}

// A month given up that the budget refuses to hand over (to a cycle line, or to a first month), and one
// handed to a line of a cycle paid already, are told to the finance officers: a warning line and a counter
// an alert watches, once each, and the paid cycle's roster lists the line as payable with no payment (its
// payable lines more than its paid ones) until PayMonthlyCycle runs again. Before, all three were silent.
TEST_F(MonthlyAllowance, MonthGivenUpRefusedOrGivenToAPaidCycle_FinanceOfficersAreTold) {
  const std::string not_handed_over =
      "shouhu_allowance_months_not_handed_over_total{service=\"registry-test\",";
  const std::string to_pay_again =
      "shouhu_allowance_cycle_lines_to_pay_again_total{service=\"registry-test\"}";
  EXPECT_EQ(Counter(not_handed_over + "to=\"cycle_line\"}"), 0);
  EXPECT_EQ(Counter(not_handed_over + "to=\"first_month\"}"), 0);
  EXPECT_EQ(Counter(to_pay_again), 0);
  const absl::CivilMonth next = ThisMonth() + 1;
  for (const std::string mode : {"refused", "paid"}) {
    const bool refused = mode == "refused";
    const std::string a = FundedProgram("keeper-" + mode);
    // Refused: b's budget is R's own first month, which its approval reserved.
    const std::string b =
        refused ? FundedProgram("replaced-" + mode, 60'000) : FundedProgram("replaced-" + mode);
    const rv1::Case child = ActiveChild("child-" + mode);
    const std::string keeper = Enrol("keeper-" + mode, a, child.child_id());
    ASSERT_NO_FATAL_FAILURE(SetApprovedOn(keeper, absl::CivilDay(ThisMonth() - 3) + 9));
    const std::string replaced = Enrol("replaced-" + mode, b, child.child_id());
    ASSERT_NO_FATAL_FAILURE(SetApprovedOn(replaced, absl::CivilDay(ThisMonth() - 2) + 9));
    ASSERT_OK(allowance_->cycles().job().RunMonth(next));
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle_a, CycleOf(a, next));
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle_b, CycleOf(b, next));
    ASSERT_OK(SubmitAndApprove(cycle_a.cycle_id(), mode + "-a"));
    ASSERT_OK(SubmitAndApprove(cycle_b.cycle_id(), mode + "-b"));
    if (!refused) {
      ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse paid_b,
                           Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                               PayCycle("pay-b-" + mode, cycle_b.cycle_id())));
      ASSERT_EQ(paid_b.cycle().state(), v1::MONTHLY_CYCLE_STATE_PAID);
      ASSERT_EQ(paid_b.cycle().paid_lines(), 0);
    }
    ASSERT_OK(Withdraw("keeper-" + mode, keeper));
    ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                  PayCycle("pay-a-" + mode, cycle_a.cycle_id())));
    EXPECT_EQ(ByChild(Lines(cycle_a.cycle_id()))[child.child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
    const v1::RosterLine line_b = ByChild(Lines(cycle_b.cycle_id()))[child.child_id()];
    if (refused) {
      EXPECT_EQ(line_b.outcome(), v1::ROSTER_OUTCOME_REPLACED);
      EXPECT_EQ(Balances(b).reserved_fen(), 60'000);  // R's own first month, nothing more
      EXPECT_EQ(Counter(not_handed_over + "to=\"cycle_line\"}"), 1);
      EXPECT_EQ(Counter(to_pay_again), 0);
      continue;
    }
    EXPECT_EQ(line_b.outcome(), v1::ROSTER_OUTCOME_PAYABLE);
    EXPECT_TRUE(line_b.payment_id().empty());
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle listed, CycleOf(b, next));
    EXPECT_EQ(listed.state(), v1::MONTHLY_CYCLE_STATE_PAID);
    EXPECT_EQ(listed.payable_lines(), 1);
    EXPECT_EQ(listed.paid_lines(), 0);
    EXPECT_EQ(Counter(to_pay_again), 1);
    ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse repaid,
                         Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                             PayCycle("pay-b-again-" + mode, cycle_b.cycle_id())));
    EXPECT_EQ(repaid.cycle().paid_lines(), 1);
    EXPECT_EQ(Counter(to_pay_again), 1);
    EXPECT_EQ(Counter(not_handed_over + "to=\"cycle_line\"}"), 1);  // the refused mode's
    ExpectReconciles(a);
    ExpectReconciles(b);
  }

  // A first month: N's went back to the budget (O keeps it by the rules), which another child's enrolment
  // took since; O withdrawn, its cycle's approval gives the month up and the budget refuses it.
  const std::string a = FundedProgram("a-first");
  const std::string b = FundedProgram("b-first", 120'000);
  const Replaced c = EnrolTwice("c-first", a, b);
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_EQ(ReleasesOf(c.replaced), 1);
  Enrol("other-first", b, ActiveChild("other-first").child_id());
  Enrol("another-first", b, ActiveChild("another-first").child_id());
  ASSERT_EQ(Balances(b).available_fen(), 0);
  ASSERT_OK(Withdraw("keeper-first", c.keeper));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle a_cycle, CycleOf(a, next));
  ASSERT_OK(SubmitAndApprove(a_cycle.cycle_id(), "a-first"));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle b_cycle, CycleOf(b, next));
  EXPECT_EQ(ByChild(Lines(b_cycle.cycle_id()))[c.child_id].outcome(), v1::ROSTER_OUTCOME_REPLACED);
  EXPECT_THAT(PayApplication("replaced-first", c.replaced), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Counter(not_handed_over + "to=\"first_month\"}"), 1);
  ExpectReconciles(a);
  ExpectReconciles(b);
}

// K keeps this month, its first, by the rules (approved on the 9th of last month) and R, approved on the
// 20th, is listed as replaced by K in its own first month, its reservation released by the month's run. K's
// family withdrew before K's application paid the month: K's first month went back with the withdrawal, and
// nothing paid the child this month. Now the withdrawal gives the month to R: its line says its application
// pays it, its first month is reserved again, and R's application pays it once.
TEST_F(MonthlyAllowance, KeeperWithdrawnBeforeItsApplicationPaidItsFirstMonth_TheReplacedPaysItOnce) {
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgram("b");
  const rv1::Case child = ActiveChild("child");
  const std::string keeper = Enrol("keeper", a, child.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(keeper, absl::CivilDay(ThisMonth() - 1) + 8));
  const std::string replaced = Enrol("replaced", b, child.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(replaced, absl::CivilDay(ThisMonth() - 1) + 19));
  ASSERT_OK(allowance_->cycles().job().RunMonth(ThisMonth()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle_a, CycleOf(a, ThisMonth()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle_b, CycleOf(b, ThisMonth()));
  ASSERT_EQ(Lines(cycle_a.cycle_id())[0].outcome(), v1::ROSTER_OUTCOME_PAID_BY_APPLICATION);
  ASSERT_EQ(Lines(cycle_b.cycle_id())[0].outcome(), v1::ROSTER_OUTCOME_REPLACED);
  ASSERT_EQ(ReleasesOf(replaced), 1);
  ASSERT_EQ(Balances(b).reserved_fen(), 0);

  ASSERT_OK(Withdraw("keeper", keeper));
  EXPECT_EQ(ReleasesOf(keeper), 1);
  EXPECT_EQ(Balances(a).reserved_fen(), 0);
  const v1::RosterLine line = Lines(cycle_b.cycle_id())[0];
  EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_PAID_BY_APPLICATION);
  EXPECT_TRUE(line.replaced_by().empty());
  EXPECT_EQ(StateOf(replaced), v1::APPLICATION_STATE_APPROVED);
  EXPECT_EQ(Balances(b).reserved_fen(), 60'000);
  ASSERT_OK(PayApplication("replaced", replaced));
  EXPECT_EQ(StandingPaymentsOf(child.child_id()), 1);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ? AND month = ?"
                     " AND enrolment_id = ?",
                     {child.child_id(), absl::FormatCivilTime(absl::CivilDay(ThisMonth())), replaced}),
            1);
  EXPECT_EQ(Balances(b).reserved_fen(), 0);
  EXPECT_EQ(Balances(b).in_payment_fen(), 60'000);
  ExpectReconciles(a);
  ExpectReconciles(b);
}

// A stop recorded after the cycle's approval is judged at payment. Two children's lines of next month were
// computed and approved while their cases were open; then one case closed (its enrolment, in payment and
// holding nothing, is not cancelled: the close stops it) and the other child was placed in an institution,
// each stopping the allowance from next month. The payment paid them both all the same. Now it lists them as
// stopped with nothing paid and releases what the approval reserved for them, once; the staying child is
// paid.
TEST_F(MonthlyAllowance, StopRecordedAfterTheApproval_LineNotPaidItsReservationReleasedOnce) {
  const std::string program = FundedProgram("p");
  const absl::CivilMonth next = ThisMonth() + 1;
  std::map<std::string, std::string> enrolments;  // by child
  std::vector<rv1::Case> cases;
  for (const std::string tag : {"closing", "placed", "staying"}) {
    cases.push_back(ActiveChild(tag));
    const std::string enrolment = Enrol(tag, program, cases.back().child_id());
    ASSERT_NO_FATAL_FAILURE(SetApprovedOn(enrolment, absl::CivilDay(ThisMonth() - 2) + 9));
    ASSERT_NO_FATAL_FAILURE(PayFirstMonth(tag, enrolment));
    enrolments[cases.back().child_id()] = enrolment;
  }
  const rv1::Case& closing = cases[0];
  const rv1::Case& placed = cases[1];
  const rv1::Case& staying = cases[2];
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved, SubmitAndApprove(cycle.cycle_id(), "stops"));
  ASSERT_EQ(approved.total_fen(), 3 * 60'000);

  rv1::CloseCaseRequest close;
  close.set_request_id("close-closing");
  close.set_case_id(closing.case_id());
  close.set_reason("父亲刑满释放，恢复监护");
  ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  ASSERT_NO_FATAL_FAILURE(PlaceInInstitution("placed", placed));
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  ASSERT_EQ(StateOf(enrolments[closing.child_id()]), v1::APPLICATION_STATE_PAYMENT_ISSUED);

  ASSERT_OK_AND_ASSIGN(
      v1::PayMonthlyCycleResponse paid,
      Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-stops", cycle.cycle_id())));
  EXPECT_EQ(paid.cycle().paid_lines(), 1);
  std::map<std::string, v1::RosterLine> lines = ByChild(Lines(cycle.cycle_id()));
  for (const rv1::Case* stopped : {&closing, &placed}) {
    const v1::RosterLine& line = lines[stopped->child_id()];
    EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_STOPPED) << stopped->child_id();
    EXPECT_EQ(line.amount_fen(), 0) << stopped->child_id();
    EXPECT_TRUE(line.payment_id().empty()) << stopped->child_id();
    EXPECT_EQ(StandingPaymentsOf(stopped->child_id()), 1) << stopped->child_id();  // its first month
    EXPECT_EQ(ReleasesOf(enrolments[stopped->child_id()]), 1) << stopped->child_id();
    EXPECT_EQ(YearTotal(program, stopped->child_id()), 60'000) << stopped->child_id();
  }
  EXPECT_FALSE(lines[staying.child_id()].payment_id().empty());
  EXPECT_EQ(Balances(program).reserved_fen(), 0);
  EXPECT_EQ(Balances(program).in_payment_fen(), 4 * 60'000);
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                PayCycle("pay-stops-again", cycle.cycle_id())));
  EXPECT_EQ(ReleasesOf(enrolments[closing.child_id()]), 1);
  EXPECT_EQ(Balances(program).in_payment_fen(), 4 * 60'000);
  ExpectReconciles(program);
}

// Two stops, the earlier ending the enrolment: the child was placed in an institution on the 3rd, after its
// cycle of next month was approved, and its case was closed on the 2nd of next month, before that cycle was
// paid (the test's clock is today's: the two days are set by hand). When only the latest stop was kept, the
// close moved the enrolment's end to the month after it, and next month's line was paid; the placement ended
// it, and the payment finds that in the stops the follower kept (migration 0110).
TEST_F(MonthlyAllowance, LaterStop_DoesNotReviveAMonthAnEarlierStopEnded) {
  const std::string program = FundedProgram("p");
  const absl::CivilMonth next = ThisMonth() + 1;
  const rv1::Case placed = ActiveChild("placed");
  const std::string enrolment = Enrol("placed", program, placed.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(enrolment, absl::CivilDay(ThisMonth() - 2) + 9));
  ASSERT_NO_FATAL_FAILURE(PayFirstMonth("placed", enrolment));
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, next));
  ASSERT_OK(SubmitAndApprove(cycle.cycle_id(), "two-stops"));

  ASSERT_NO_FATAL_FAILURE(PlaceInInstitution("placed", placed));
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  ASSERT_NO_FATAL_FAILURE(SetStoppedOn(placed.child_id(), DayOfThisMonth(3)));
  rv1::CloseCaseRequest close;
  close.set_request_id("close-placed");
  close.set_case_id(placed.case_id());
  close.set_reason("已由福利院长期安置");
  ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  ASSERT_NO_FATAL_FAILURE(SetStoppedOn(placed.child_id(), absl::CivilDay(next) + 1));
  ASSERT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_stops WHERE child_id = ?", {placed.child_id()}),
            2);
  ASSERT_EQ(StateOf(enrolment), v1::APPLICATION_STATE_PAYMENT_ISSUED);

  ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse paid,
                       Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                           PayCycle("pay-two-stops", cycle.cycle_id())));
  EXPECT_EQ(paid.cycle().paid_lines(), 0);
  const v1::RosterLine line = ByChild(Lines(cycle.cycle_id()))[placed.child_id()];
  EXPECT_EQ(line.outcome(), v1::ROSTER_OUTCOME_STOPPED);
  EXPECT_TRUE(line.payment_id().empty());
  EXPECT_EQ(StandingPaymentsOf(placed.child_id()), 1);  // its first month
  EXPECT_EQ(Balances(program).reserved_fen(), 0);
  ExpectReconciles(program);
}

// Two lines replaced by one keeper: the month goes to the one the rules would have kept. K (approved three
// months back) keeps next month; R1 (enrolled first, so the smaller id, approved two months back on the 20th)
// and R2 (approved two months back on the 5th) are listed as replaced by it. K withdrawn, its cycle's payment
// gives the month up: R2, the earlier approval, is owed it (it was R1, the smaller id), and R1 stays
// replaced.
TEST_F(MonthlyAllowance, KeeperWithdrawn_TwoLinesItReplaced_TheMonthGoesToTheOneTheRulesKeep) {
  const absl::CivilMonth next = ThisMonth() + 1;
  KeeperAndTwoReplaced month;
  ASSERT_NO_FATAL_FAILURE(KeepNextMonthOverTwo(month));
  auto& [child, programs, enrolments, cycles] = month;
  for (const std::string tag : {"r1", "r2"}) {
    const v1::RosterLine line = ByChild(Lines(cycles[tag]))[child.child_id()];
    ASSERT_EQ(line.outcome(), v1::ROSTER_OUTCOME_REPLACED) << tag;
    ASSERT_EQ(line.replaced_by(), enrolments["k"]) << tag;
  }

  ASSERT_OK(Withdraw("k", enrolments["k"]));
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-k", cycles["k"])));
  EXPECT_EQ(ByChild(Lines(cycles["k"]))[child.child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  EXPECT_EQ(ByChild(Lines(cycles["r2"]))[child.child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  EXPECT_EQ(ByChild(Lines(cycles["r1"]))[child.child_id()].outcome(), v1::ROSTER_OUTCOME_REPLACED);
  for (const std::string tag : {"r1", "r2"}) {
    ASSERT_OK(
        Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-" + tag, cycles[tag])));
  }
  ExpectPaidOnceUnder(month, next, "r2");
}

// The month handed on twice: K keeps next month over R1 and R2 and is withdrawn, so the month goes to R2 (the
// earlier approval), and R1's line now names R2 as its replacement. R2 is withdrawn in turn before its cycle
// is paid: the month goes on to R1, which its cycle pays. (Before, R1's line still named K, R2's payment
// found no line it had replaced, and the month went to nobody.)
TEST_F(MonthlyAllowance, KeeperWithdrawn_ThenTheLineGivenItsMonthWithdrawn_TheMonthGoesToTheLastLine) {
  const absl::CivilMonth next = ThisMonth() + 1;
  KeeperAndTwoReplaced month;
  ASSERT_NO_FATAL_FAILURE(KeepNextMonthOverTwo(month));
  auto& [child, programs, enrolments, cycles] = month;
  ASSERT_OK(Withdraw("k", enrolments["k"]));
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-k", cycles["k"])));
  ASSERT_EQ(ByChild(Lines(cycles["r2"]))[child.child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  v1::RosterLine r1 = ByChild(Lines(cycles["r1"]))[child.child_id()];
  ASSERT_EQ(r1.outcome(), v1::ROSTER_OUTCOME_REPLACED);
  EXPECT_EQ(r1.replaced_by(), enrolments["r2"]) << "the line names the enrolment that holds the month now";

  ASSERT_OK(Withdraw("r2", enrolments["r2"]));
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-r2", cycles["r2"])));
  EXPECT_EQ(ByChild(Lines(cycles["r2"]))[child.child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  r1 = ByChild(Lines(cycles["r1"]))[child.child_id()];
  EXPECT_EQ(r1.outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  EXPECT_EQ(r1.replaced_by(), "");
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-r1", cycles["r1"])));
  ExpectPaidOnceUnder(month, next, "r1");
}

// Operators see how long a month sent back to its maker has waited (the alert ShouhuAllowanceCycleSentBack):
// the gauge is 0 while none waits, when the oldest was sent back while one does, and 0 again once it is
// submitted again.
TEST_F(MonthlyAllowance, CycleSentBack_TheGaugeSaysSinceWhenUntilItIsSubmittedAgain) {
  const std::string since = "shouhu_allowance_sent_back_since_seconds{service=\"registry-test\"}";
  SentBackCycles& sent_back = allowance_->cycles().sent_back();
  ASSERT_OK(sent_back.Refresh());
  EXPECT_EQ(Counter(since), 0);
  const std::string program = FundedProgram("sent-back");
  Enrol("child", program, ActiveChild("child").child_id());
  ASSERT_OK(allowance_->cycles().job().RunMonth(m2()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, m2()));
  const double before = static_cast<double>(absl::ToUnixSeconds(absl::Now()));
  ASSERT_NO_FATAL_FAILURE(SubmitAndReject(cycle.cycle_id(), "sent-back"));
  ASSERT_OK(sent_back.Refresh());
  EXPECT_GE(Counter(since), before - 1);
  EXPECT_LE(Counter(since), static_cast<double>(absl::ToUnixSeconds(absl::Now())) + 1);
  ASSERT_OK(Submit(cycle.cycle_id(), "sent-back-corrected"));
  ASSERT_OK(sent_back.Refresh());
  EXPECT_EQ(Counter(since), 0);
}

// A month handed on goes to the line the rules keep even when its cycle was sent back by its checker: K keeps
// next month over R2 (the earlier approval, first by the rules) and R1; R2's cycle is rejected; K is
// withdrawn, and the month is R2's, paid once its cycle is submitted again and approved. (Before, the
// hand-over found R2's cycle rejected and stopped there: the month went to nobody.)
TEST_F(MonthlyAllowance, KeeperWithdrawn_TheLineItReplacedIsOfARejectedCycle_PaidOnceThatIsApproved) {
  const absl::CivilMonth next = ThisMonth() + 1;
  KeeperAndTwoReplaced month;
  ASSERT_NO_FATAL_FAILURE(KeepNextMonthOverTwo(month, "r2"));
  auto& [child, programs, enrolments, cycles] = month;
  ASSERT_OK(Withdraw("k", enrolments["k"]));
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-k", cycles["k"])));
  EXPECT_EQ(ByChild(Lines(cycles["r2"]))[child.child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  EXPECT_EQ(ByChild(Lines(cycles["r1"]))[child.child_id()].replaced_by(), enrolments["r2"]);
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved, SubmitAndApprove(cycles["r2"], "r2-corrected"));
  EXPECT_EQ(approved.total_fen(), 60'000);
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-r2", cycles["r2"])));
  ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-r1", cycles["r1"])));
  ExpectPaidOnceUnder(month, next, "r2");
}

// The checker sends a month back to its maker: a rejected cycle cannot be approved or paid as it stands; the
// maker withdraws the enrolment the checker questioned and submits it again; the approval lists that line as
// stopped and reserves the rest, which is paid. (Before, a rejected cycle was a dead end: every child on it
// went unpaid that month, and the month's lines, one per enrolment, could not be generated again.)
TEST_F(MonthlyAllowance, RejectedCycle_CorrectedAndSubmittedAgain_ApprovedAndPaid) {
  const std::string program = FundedProgram("sent-back");
  const std::string kept = Enrol("kept", program, ActiveChild("kept").child_id());
  const std::string questioned = Enrol("questioned", program, ActiveChild("questioned").child_id());
  ASSERT_OK(allowance_->cycles().job().RunMonth(m2()));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, m2()));
  ASSERT_NO_FATAL_FAILURE(SubmitAndReject(cycle.cycle_id(), "sent-back"));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle rejected, CycleOf(program, m2()));
  EXPECT_EQ(rejected.rejection_reason(), "amounts to be checked");
  v1::ApproveMonthlyCycleRequest approve;
  approve.set_request_id("approve-as-it-stands");
  approve.set_cycle_id(cycle.cycle_id());
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::ApproveMonthlyCycle, wuding_officer_, approve),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                  PayCycle("pay-rejected", cycle.cycle_id())),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_OK(Withdraw("questioned", questioned));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved, SubmitAndApprove(cycle.cycle_id(), "sent-back-corrected"));
  EXPECT_EQ(approved.state(), v1::MONTHLY_CYCLE_STATE_APPROVED);
  EXPECT_EQ(approved.total_fen(), 60'000);
  std::map<std::string, v1::RosterLine> lines;
  for (const v1::RosterLine& l : Lines(cycle.cycle_id())) lines[l.enrolment_id()] = l;
  EXPECT_EQ(lines[kept].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  EXPECT_EQ(lines[questioned].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse paid,
                       Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_,
                           PayCycle("pay-corrected", cycle.cycle_id())));
  EXPECT_EQ(paid.cycle().paid_lines(), 1);
  ExpectReconciles(program);
}

// A keeper stopped after its line was approved gives the month to the line it replaced. E (Wuding, approved
// three months back) and R (Xixia, approved on the 5th, after the case moved there on the 3rd): next month,
// R's first, was written while the move's stop was not yet folded here (the follower behind: the stop is
// taken out by hand for the roster's run), so E's line was payable and kept the month, and R's first month
// was listed as replaced by E. E's cycle was approved; then the stop is folded. E's payment finds it and pays
// E's line nothing; the month is R's again, which its application pays. (Before, the month went to nobody.)
TEST_F(MonthlyAllowance, KeeperStoppedAfterItsLine_TheLineItReplacedIsOwedTheMonth) {
  const County xixia = Xixia();
  const std::string a = FundedProgram("a");
  const std::string b = FundedProgramIn(xixia, "b");
  const rv1::Case moving = ActiveChild("moving");
  const absl::CivilMonth next = ThisMonth() + 1;
  const std::string e = Enrol("e", a, moving.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(e, absl::CivilDay(ThisMonth() - 3) + 9));
  ASSERT_NO_FATAL_FAILURE(PayFirstMonth("e", e));
  ASSERT_NO_FATAL_FAILURE(TransferToXixia("moving", moving));
  ASSERT_NO_FATAL_FAILURE(SetStoppedOn(moving.child_id(), DayOfThisMonth(3)));
  const std::string r = EnrolIn(xixia, "r", b, moving.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(r, DayOfThisMonth(5)));
  db::Rows stops;  // not folded yet when the roster runs
  ASSERT_NO_FATAL_FAILURE(TakeStopsOut(moving.child_id(), &stops));
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle_a, CycleOf(a, next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle_b, CycleOf(b, next, xixia.admin));
  ASSERT_EQ(ByChild(Lines(cycle_a.cycle_id()))[moving.child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  v1::RosterLine line_r = ByChild(Lines(cycle_b.cycle_id(), xixia.admin))[moving.child_id()];
  ASSERT_EQ(line_r.outcome(), v1::ROSTER_OUTCOME_REPLACED);
  ASSERT_EQ(line_r.replaced_by(), e);
  ASSERT_OK(SubmitAndApprove(cycle_a.cycle_id(), "a"));
  ASSERT_NO_FATAL_FAILURE(PutStopsBack(stops));

  ASSERT_OK_AND_ASSIGN(
      v1::PayMonthlyCycleResponse paid_a,
      Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, PayCycle("pay-a", cycle_a.cycle_id())));
  EXPECT_EQ(paid_a.cycle().paid_lines(), 0);
  EXPECT_EQ(ByChild(Lines(cycle_a.cycle_id()))[moving.child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  line_r = ByChild(Lines(cycle_b.cycle_id(), xixia.admin))[moving.child_id()];
  EXPECT_EQ(line_r.outcome(), v1::ROSTER_OUTCOME_PAID_BY_APPLICATION);
  ASSERT_OK_AND_ASSIGN(v1::PayApplicationResponse paid_r, PayApplicationAs(xixia.admin, "r", r));
  EXPECT_EQ(paid_r.payment().amount_fen(), 60'000);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM living_allowance_months_paid WHERE child_id = ? AND month = ?"
                     " AND enrolment_id = ?",
                     {moving.child_id(), absl::FormatCivilTime(absl::CivilDay(next)), r}),
            1);
  EXPECT_EQ(Balances(a).reserved_fen(), 0);
  ExpectReconciles(a);
  ExpectReconciles(b);
}

// A stop recorded between the roster's run and its approval: the approval lists the line as stopped and
// reserves nothing for it, as it does a withdrawn enrolment's; the finance officer approves only what will be
// paid. (Before, the approval reserved it and only the payment gave it back.)
TEST_F(MonthlyAllowance, StopRecordedBeforeTheApproval_LineListedStoppedAndNotReserved) {
  const std::string program = FundedProgram("p");
  const absl::CivilMonth next = ThisMonth() + 1;
  std::map<std::string, rv1::Case> cases;
  for (const std::string tag : {"placed", "staying"}) {
    cases[tag] = ActiveChild(tag);
    const std::string enrolment = Enrol(tag, program, cases[tag].child_id());
    ASSERT_NO_FATAL_FAILURE(SetApprovedOn(enrolment, absl::CivilDay(ThisMonth() - 2) + 9));
    ASSERT_NO_FATAL_FAILURE(PayFirstMonth(tag, enrolment));
  }
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, next));
  ASSERT_EQ(ByChild(Lines(cycle.cycle_id()))[cases["placed"].child_id()].outcome(),
            v1::ROSTER_OUTCOME_PAYABLE);
  ASSERT_NO_FATAL_FAILURE(PlaceInInstitution("placed", cases["placed"]));
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  const int64_t reserved_before = Balances(program).reserved_fen();

  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle approved, SubmitAndApprove(cycle.cycle_id(), "stop-before"));
  EXPECT_EQ(approved.total_fen(), 60'000);
  EXPECT_EQ(Balances(program).reserved_fen(), reserved_before + 60'000);
  std::map<std::string, v1::RosterLine> lines = ByChild(Lines(cycle.cycle_id()));
  EXPECT_EQ(lines[cases["placed"].child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  EXPECT_EQ(lines[cases["placed"].child_id()].amount_fen(), 0);
  EXPECT_EQ(lines[cases["staying"].child_id()].outcome(), v1::ROSTER_OUTCOME_PAYABLE);
  ASSERT_OK_AND_ASSIGN(v1::PayMonthlyCycleResponse paid, Ask(&v1::AllowanceService::Stub::PayMonthlyCycle,
                                                             ngo_admin_, PayCycle("pay", cycle.cycle_id())));
  EXPECT_EQ(paid.cycle().paid_lines(), 1);
  EXPECT_EQ(StandingPaymentsOf(cases["placed"].child_id()), 1);  // its first month
  EXPECT_EQ(Balances(program).reserved_fen(), reserved_before);
  ExpectReconciles(program);
}

// A stop recorded after the first month's line said it was owed, before the application paid it: the child
// was enrolled on the 2nd, next month's roster gave its first month to the application, and the child was
// placed in an institution before the payment. The payment is refused (the month is not owed), the line lists
// the month as stopped, and what the approval reserved goes back to the budget once, however often the
// payment is tried. (Before, the line decided alone and the month was paid.)
TEST_F(MonthlyAllowance, StopRecordedAfterTheFirstMonthsLine_ApplicationRefusedAndReservationBackOnce) {
  const std::string program = FundedProgram("p");
  const absl::CivilMonth next = ThisMonth() + 1;
  const rv1::Case placed = ActiveChild("placed");
  const std::string enrolment = Enrol("placed", program, placed.child_id());
  ASSERT_NO_FATAL_FAILURE(SetApprovedOn(enrolment, DayOfThisMonth(2)));
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, next));
  ASSERT_EQ(ByChild(Lines(cycle.cycle_id()))[placed.child_id()].outcome(),
            v1::ROSTER_OUTCOME_PAID_BY_APPLICATION);
  ASSERT_NO_FATAL_FAILURE(PlaceInInstitution("placed", placed));
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  const v1::ProgramBalances before = Balances(program);

  for (const std::string attempt : {"pay", "pay-again"}) {
    EXPECT_THAT(PayApplication(attempt, enrolment), StatusIs(absl::StatusCode::kFailedPrecondition))
        << attempt;
  }
  EXPECT_EQ(ByChild(Lines(cycle.cycle_id()))[placed.child_id()].outcome(), v1::ROSTER_OUTCOME_STOPPED);
  EXPECT_EQ(StandingPaymentsOf(placed.child_id()), 0);
  EXPECT_EQ(ReleasesOf(enrolment), 1);
  EXPECT_EQ(Balances(program).reserved_fen(), before.reserved_fen() - 60'000);
  EXPECT_EQ(YearTotal(program, placed.child_id()), 0);
  ASSERT_OK(allowance_->cycles().job().RunMonth(next));
  EXPECT_EQ(ReleasesOf(enrolment), 1);
  ExpectReconciles(program);
}

}  // namespace
}  // namespace shouhu::allowance::testing
