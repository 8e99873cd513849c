// MonthlyRosterStore's arrears of a monthly enrolment (ClaimMonthlyArrears, ListMonthlyArrears;
// monthly_arrears.h holds the rules, migration 0130 the table).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "services/allowance/allowance_rules.h"
#include "services/allowance/monthly_arrears.h"
#include "services/allowance/monthly_roster_store.h"

namespace shouhu::allowance {
namespace {

// The enrolment's months paid by its own lines: a payable line with a payment whose month the child's paid
// months still give to this enrolment (migration 0100; a month whose money went back to the budget is not).
constexpr char kMonthsPaidByLines[] =
    "SELECT l.month, l.amount_fen FROM monthly_roster_lines l"
    " JOIN living_allowance_months_paid m"
    " ON m.child_id = l.child_id AND m.month = l.month AND m.enrolment_id = l.enrolment_id"
    " WHERE l.enrolment_id = ? AND l.outcome = 0 AND l.payment_id IS NOT NULL";
constexpr char kArrearsClaimsOf[] =
    "SELECT r.month, r.attempt, r.application_id, a.state, r.paid_fen, r.due_fen, r.owed_fen"
    " FROM monthly_arrears r JOIN applications a ON a.id = r.application_id"
    " WHERE r.enrolment_id = ? ORDER BY r.month, r.attempt";
constexpr char kInsertArrearsClaim[] =
    "INSERT INTO monthly_arrears (enrolment_id, month, attempt, application_id, paid_fen, due_fen, owed_fen)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";

std::string ArrearsMonthText(absl::CivilMonth month) { return absl::FormatCivilTime(month); }
std::string ArrearsMonthSql(absl::CivilMonth month) { return absl::FormatCivilTime(absl::CivilDay(month)); }

absl::StatusOr<absl::CivilMonth> MonthColumn(const db::Row& r, int column) {
  ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(r.String(column).substr(0, 10), "month"));
  return absl::CivilMonth(day);
}

v1::MonthOwed OwedOf(absl::CivilMonth month, int64_t paid_fen, int64_t due_fen, int64_t owed_fen,
                     const std::string& application_id) {
  v1::MonthOwed m;
  m.set_month(ArrearsMonthText(month));
  m.set_paid_fen(paid_fen);
  m.set_due_fen(due_fen);
  m.set_owed_fen(owed_fen);
  m.set_application_id(application_id);
  return m;
}

// What the enrolment's months were paid, claimed and are owed now, read in `tx`.
struct EnrolmentArrears {
  std::vector<ArrearsClaim> claims;
  std::vector<MonthShortfall> unclaimed;
};

absl::StatusOr<EnrolmentArrears> ReadArrears(db::Session& tx, const v1::Application& enrolment,
                                             const std::vector<MonthlyAmountStep>& steps) {
  EnrolmentArrears out;
  ASSIGN_OR_RETURN(db::Rows paid_rows, tx.Query(kMonthsPaidByLines, {enrolment.application_id()}));
  std::vector<MonthPaidAt> paid;
  for (const db::Row& r : paid_rows) {
    ASSIGN_OR_RETURN(absl::CivilMonth month, MonthColumn(r, 0));
    paid.push_back({month, r.Int(1)});
  }
  ASSIGN_OR_RETURN(db::Rows claim_rows, tx.Query(kArrearsClaimsOf, {enrolment.application_id()}));
  for (const db::Row& r : claim_rows) {
    ASSIGN_OR_RETURN(absl::CivilMonth month, MonthColumn(r, 0));
    out.claims.push_back({month, static_cast<int>(r.Int(1)), r.String(2),
                          !ApplicationEndedUnpaid(static_cast<v1::ApplicationState>(r.Int(3))), r.Int(4),
                          r.Int(5), r.Int(6)});
  }
  out.unclaimed = UnclaimedShortfalls(enrolment.amount_fen(), steps, paid, out.claims);
  return out;
}

}  // namespace

absl::StatusOr<v1::ClaimMonthlyArrearsResponse> MonthlyRosterStore::ClaimMonthlyArrears(
    const IdempotencyKey& key, const Actor& actor, const std::string& enrolment_id, int year,
    const std::string& reason, const ProgramCheck& authorize) {
  return IdempotentTransaction<v1::ClaimMonthlyArrearsResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ClaimMonthlyArrearsResponse> {
        // Locked: claims of one enrolment read the claims before them. Two that ran on different Galera
        // nodes meet on 0130's key instead (the month's attempt), and the loser is retried.
        ASSIGN_OR_RETURN(EnrolmentRead read, EnrolmentOf(tx, enrolment_id, true, authorize));
        const v1::Application& enrolment = read.enrolment;
        if (enrolment.type() != v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) {
          return absl::FailedPreconditionError(
              "enrolment_id: not a monthly basic living allowance application");
        }
        ASSIGN_OR_RETURN(std::vector<MonthlyAmountStep> steps, AmountStepsOf(tx, enrolment_id));
        ASSIGN_OR_RETURN(EnrolmentArrears arrears, ReadArrears(tx, enrolment, steps));
        if (arrears.unclaimed.empty()) {
          return absl::FailedPreconditionError(
              "enrolment_id: nothing owed: no month it paid is short of its amount and unclaimed");
        }
        const ClaimMonths claim =
            MonthsOfOneClaim(arrears.unclaimed, year, read.program.per_payment_cap_fen());
        if (claim.claimed.empty()) {
          const auto first =
              std::find_if(arrears.unclaimed.begin(), arrears.unclaimed.end(),
                           [&](const MonthShortfall& s) { return year == 0 || s.month.year() == year; });
          if (first == arrears.unclaimed.end()) {
            std::set<int64_t> owed_years;
            for (const MonthShortfall& s : arrears.unclaimed) owed_years.insert(s.month.year());
            return absl::FailedPreconditionError(absl::StrCat("year: nothing owed for the months of ", year,
                                                              " (owed for ", absl::StrJoin(owed_years, ", "),
                                                              ")"));
          }
          return absl::FailedPreconditionError(absl::StrCat("enrolment_id: the ", first->owed_fen,
                                                            " fen owed for ", ArrearsMonthText(first->month),
                                                            " is above the program's cap per payment"));
        }
        int64_t total = 0;
        std::vector<std::string> months;
        for (const MonthShortfall& s : claim.claimed) {
          total += s.owed_fen;
          months.push_back(ArrearsMonthText(s.month));
        }
        v1::Application application;
        application.set_program_id(enrolment.program_id());
        application.set_child_id(enrolment.child_id());
        application.set_division_code(enrolment.division_code());
        application.set_type(v1::ALLOWANCE_TYPE_MONTHLY_ARREARS);
        application.set_amount_fen(total);
        application.set_reason(
            absl::StrCat(reason, " (arrears of ", enrolment_id, ": ", absl::StrJoin(months, ", "), ")"));
        ASSIGN_OR_RETURN(v1::Application submitted,
                         core_.InsertApplication(
                             tx, actor, application, claim.claimed.front().month.year(),
                             [&](const v1::Program& current, int64_t committed) {
                               return CheckProgramTakesArrears(current, total, committed);
                             },
                             std::nullopt));
        v1::ClaimMonthlyArrearsResponse response;
        for (const MonthShortfall& s : claim.left_owed) {
          *response.add_left_owed() = OwedOf(s.month, s.paid_fen, s.due_fen, s.owed_fen, "");
        }
        for (const MonthShortfall& s : claim.claimed) {
          absl::Status claimed =
              tx.Execute(kInsertArrearsClaim, {enrolment_id, ArrearsMonthSql(s.month), int64_t{s.attempt},
                                               submitted.application_id(), s.paid_fen, s.due_fen, s.owed_fen})
                  .status();
          // The month's attempt taken by a claim this transaction could not see: on Galera the enrolment's
          // row lock holds on one node only, and the other node's claim, committed and applied here since
          // the claims were read, meets this one on the key. Run again, the claim reads it and owes only the
          // rest (or nothing).
          if (absl::IsAlreadyExists(claimed)) {
            return MarkRetryable(absl::AbortedError(absl::StrCat("arrears of ", ArrearsMonthText(s.month),
                                                                 " claimed meanwhile by another claim")));
          }
          RETURN_IF_ERROR(claimed);
          *response.add_months() =
              OwedOf(s.month, s.paid_fen, s.due_fen, s.owed_fen, submitted.application_id());
        }
        *response.mutable_application() = std::move(submitted);
        return response;
      });
}

absl::StatusOr<std::vector<v1::MonthOwed>> MonthlyRosterStore::ListMonthlyArrears(
    const std::string& enrolment_id, const ProgramCheck& visible) {
  return db::ReadOne<std::vector<v1::MonthOwed>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<v1::MonthOwed>> {
        ASSIGN_OR_RETURN(EnrolmentRead read, EnrolmentOf(s, enrolment_id, false, visible));
        if (read.enrolment.type() != v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) {
          return absl::NotFoundError("enrolment not found");
        }
        const v1::Application& enrolment = read.enrolment;
        ASSIGN_OR_RETURN(std::vector<MonthlyAmountStep> steps, AmountStepsOf(s, enrolment_id));
        ASSIGN_OR_RETURN(EnrolmentArrears arrears, ReadArrears(s, enrolment, steps));
        std::vector<v1::MonthOwed> out;
        for (const ArrearsClaim& c : arrears.claims) {
          if (c.live) out.push_back(OwedOf(c.month, c.paid_fen, c.due_fen, c.owed_fen, c.application_id));
        }
        for (const MonthShortfall& u : arrears.unclaimed) {
          out.push_back(OwedOf(u.month, u.paid_fen, u.due_fen, u.owed_fen, ""));
        }
        std::stable_sort(out.begin(), out.end(), [](const v1::MonthOwed& a, const v1::MonthOwed& b) {
          return a.month() < b.month();
        });
        return out;
      });
}

}  // namespace shouhu::allowance
