// MonthlyRosterStore's changes of an enrolment's monthly amount (ChangeMonthlyAmount; monthly_amounts.h holds
// the rules, migration 0120 the table).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/allowance/allowance_rules.h"
#include "services/allowance/monthly_amounts.h"
#include "services/allowance/monthly_roster_store.h"

namespace shouhu::allowance {
namespace {

// The month of the enrolment's latest roster line, in whichever cycle (0120's index).
constexpr char kLastLineMonth[] = "SELECT MAX(month) FROM monthly_roster_lines WHERE enrolment_id = ?";
// The enrolment's payable line of the highest amount from a month on: a cut may not reach back over it.
constexpr char kHighestLineFrom[] =
    "SELECT month, amount_fen FROM monthly_roster_lines WHERE enrolment_id = ? AND month >= ? AND outcome = 0"
    " ORDER BY amount_fen DESC, month LIMIT 1";
constexpr char kChangesOf[] =
    "SELECT enrolment_id, seq, from_month, amount_fen, previous_amount_fen, reason, changed_by, changed_at"
    " FROM monthly_amount_changes WHERE enrolment_id = ? ORDER BY seq";
// The kind the enrolment was taken up as; no row before its take-up.
constexpr char kEnrolmentKind[] = "SELECT kind FROM living_allowance_enrolments WHERE application_id = ?";
constexpr char kInsertChange[] =
    "INSERT INTO monthly_amount_changes (enrolment_id, seq, from_month, amount_fen, previous_amount_fen,"
    " reason, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

absl::StatusOr<v1::MonthlyAmountChange> ChangeFromRow(const db::Row& r) {
  v1::MonthlyAmountChange c;
  c.set_enrolment_id(r.String(0));
  c.set_sequence(static_cast<int32_t>(r.Int(1)));
  c.set_from_month(r.String(2).substr(0, 7));
  c.set_amount_fen(r.Int(3));
  c.set_previous_amount_fen(r.Int(4));
  c.set_reason(r.String(5));
  c.set_changed_by(r.String(6));
  ASSIGN_OR_RETURN(absl::Time at, FromSqlTimestamp(r.String(7)));
  *c.mutable_changed_at() = ToProtoTimestamp(at);
  return c;
}

}  // namespace

absl::StatusOr<v1::MonthlyAmountChange> MonthlyRosterStore::ChangeMonthlyAmount(
    const IdempotencyKey& key, const Actor& actor, const std::string& enrolment_id, absl::CivilMonth from,
    int64_t amount_fen, const std::string& reason, std::optional<LivingAllowanceKind> only_kind,
    const ProgramCheck& authorize) {
  return IdempotentTransaction<v1::MonthlyAmountChange>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::MonthlyAmountChange> {
        // Locked: changes of one enrolment take their seqs one after the other.
        ASSIGN_OR_RETURN(EnrolmentRead read, EnrolmentOf(tx, enrolment_id, true, authorize));
        const v1::Application& a = read.enrolment;
        if (a.type() != v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) {
          return absl::FailedPreconditionError(
              "enrolment_id: not a monthly basic living allowance application");
        }
        // Withdrawn, or cancelled with its case: only a raise reaching back over what it was paid.
        const bool closed = MonthlyEnrolmentClosed(a.state());
        if (!MonthlyEnrolmentOpen(a.state()) && !closed) {
          return absl::FailedPreconditionError(
              "enrolment_id: the application is not an approved enrolment (not approved yet, or rejected)");
        }
        ASSIGN_OR_RETURN(std::optional<db::Row> last, tx.QueryOne(kLastLineMonth, {enrolment_id}));
        std::optional<absl::CivilMonth> last_line;
        if (last && !last->IsNull(0)) {
          ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(last->String(0).substr(0, 10), "month"));
          last_line = absl::CivilMonth(day);
        }
        // Before the other rules, which a change meant for another kind need not hear of; but not for a
        // closed enrolment without a line, which has no month to change whatever its kind (its rule says so)
        // and may never have been taken up.
        if (only_kind && (!closed || last_line)) {
          ASSIGN_OR_RETURN(std::optional<db::Row> kind, tx.QueryOne(kEnrolmentKind, {enrolment_id}));
          std::optional<LivingAllowanceKind> taken_up;
          if (kind) taken_up = static_cast<LivingAllowanceKind>(kind->Int(0));
          RETURN_IF_ERROR(CheckChangeKind(taken_up, *only_kind));
        }
        if (amount_fen > read.program.per_payment_cap_fen()) {
          return absl::FailedPreconditionError("amount_fen: above the program's cap per payment");
        }
        const std::string from_sql = absl::FormatCivilTime(absl::CivilDay(from));
        ASSIGN_OR_RETURN(std::optional<db::Row> highest,
                         tx.QueryOne(kHighestLineFrom, {enrolment_id, from_sql}));
        std::optional<WrittenLine> highest_written;
        if (highest) {
          ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(highest->String(0).substr(0, 10), "month"));
          highest_written = WrittenLine{absl::CivilMonth(day), highest->Int(1)};
        }
        ASSIGN_OR_RETURN(std::vector<MonthlyAmountStep> steps, AmountStepsOf(tx, enrolment_id));
        if (closed) {
          RETURN_IF_ERROR(CheckClosedEnrolmentChange(
              last_line, from, amount_fen, MonthlyAmountIn(a.amount_fen(), steps, from), highest_written));
        } else {
          RETURN_IF_ERROR(CheckAmountChangeStart(ShanghaiDay(FromProtoTimestamp(a.decided_at())), last_line,
                                                 from, amount_fen, highest_written));
        }
        const int seq = steps.empty() ? 1 : steps.back().seq + 1;
        RETURN_IF_ERROR(tx.Execute(kInsertChange, {enrolment_id, int64_t{seq}, from_sql, amount_fen,
                                                   MonthlyAmountIn(a.amount_fen(), steps, from), reason,
                                                   actor.subject, ToSqlTimestamp(actor.at)})
                            .status());
        ASSIGN_OR_RETURN(db::Rows all, tx.Query(kChangesOf, {enrolment_id}));
        return ChangeFromRow(all.back());
      });
}

absl::StatusOr<MonthlyRosterStore::EnrolmentRead> MonthlyRosterStore::EnrolmentOf(db::Session& s,
                                                                                  const std::string& id,
                                                                                  bool for_update,
                                                                                  const ProgramCheck& check) {
  ASSIGN_OR_RETURN(std::optional<v1::Application> enrolment,
                   MariaDbAllowanceStore::ApplicationOf(s, id, for_update));
  if (!enrolment) return absl::NotFoundError("enrolment not found");
  ASSIGN_OR_RETURN(std::optional<v1::Program> program,
                   MariaDbAllowanceStore::ReadProgram(s, enrolment->program_id(), false));
  if (!program) return absl::InternalError("application's program is missing");
  RETURN_IF_ERROR(check(*program));
  return EnrolmentRead{*std::move(enrolment), *std::move(program)};
}

absl::StatusOr<std::vector<MonthlyAmountStep>> MonthlyRosterStore::AmountStepsOf(
    db::Session& tx, const std::string& enrolment_id) {
  ASSIGN_OR_RETURN(db::Rows rows, tx.Query(kChangesOf, {enrolment_id}));
  std::vector<MonthlyAmountStep> steps;
  for (const db::Row& r : rows) {
    ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(r.String(2).substr(0, 10), "from_month"));
    steps.push_back({static_cast<int>(r.Int(1)), absl::CivilMonth(day), r.Int(3)});
  }
  return steps;
}

absl::StatusOr<std::vector<v1::MonthlyAmountChange>> MonthlyRosterStore::ListMonthlyAmountChanges(
    const std::string& enrolment_id, const ProgramCheck& visible) {
  return db::ReadOne<std::vector<v1::MonthlyAmountChange>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<v1::MonthlyAmountChange>> {
        ASSIGN_OR_RETURN(EnrolmentRead read, EnrolmentOf(s, enrolment_id, false, visible));
        if (read.enrolment.type() != v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) {
          return absl::NotFoundError("enrolment not found");
        }
        ASSIGN_OR_RETURN(db::Rows rows, s.Query(kChangesOf, {enrolment_id}));
        std::vector<v1::MonthlyAmountChange> out;
        for (const db::Row& r : rows) {
          ASSIGN_OR_RETURN(v1::MonthlyAmountChange c, ChangeFromRow(r));
          out.push_back(std::move(c));
        }
        return out;
      });
}

}  // namespace shouhu::allowance
