#include "services/allowance/monthly_roster_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/allowance/living_allowance_stops.h"
#include "services/allowance/monthly_amounts.h"
#include "shouhu/allowance/v1/events.pb.h"

namespace shouhu::allowance {
namespace {

// ------------------------------------------------------------------------------------------------ enrolments

// The core's approved monthly applications (type 5; approved, in payment or paid) not yet taken up.
#define SHOUHU_PENDING_ENROLMENTS                                           \
  "SELECT a.id, a.child_id, (c.birth_date IS NOT NULL) FROM applications a" \
  " LEFT JOIN living_allowance_enrolments e ON e.application_id = a.id"     \
  " LEFT JOIN living_allowance_children c ON c.child_id = a.child_id"       \
  " WHERE a.type = 5 AND a.state IN " SHOUHU_OPEN_ENROLMENT_STATES " AND e.application_id IS NULL"
constexpr char kPendingEnrolments[] = SHOUHU_PENDING_ENROLMENTS " ORDER BY a.id LIMIT ?";
constexpr char kPendingEnrolmentOf[] = SHOUHU_PENDING_ENROLMENTS " AND a.id = ?";
#undef SHOUHU_PENDING_ENROLMENTS

// ------------------------------------------------------------------------------------------------ generation

// Every enrolment whose program is funded, with its child's facts and the enrolment whose payment holds the
// child's month already (migration 0100; a primary-key lookup per row), ordered by child so one child's
// enrolments come together. `decided_at` is the final approval. Each with its amount for the month
// (monthly_amounts.h).
constexpr char kEnrolmentsForMonth[] =
    "SELECT a.id, a.program_id, a.child_id, a.division_code,"
    " " SHOUHU_MONTHLY_AMOUNT("a.id", "a.amount_fen", "?") ", a.decided_at, e.kind,"
    " c.birth_date, c.is_orphan, c.is_de_facto_unsupported,"
    " " SHOUHU_STOP_OF_ENROLMENT("a.child_id", "a.decided_at") ", m.enrolment_id"
    " FROM living_allowance_enrolments e JOIN applications a ON a.id = e.application_id"
    " JOIN living_allowance_children c ON c.child_id = e.child_id"
    " JOIN programs p ON p.id = a.program_id"
    " LEFT JOIN living_allowance_months_paid m ON m.child_id = a.child_id AND m.month = ?"
    " WHERE p.state = 4 AND a.state IN " SHOUHU_OPEN_ENROLMENT_STATES
    " AND a.decided_at < ? ORDER BY a.child_id, a.id";
// The month's lines that pay nothing, of enrolments approved in the month before (whose first month it is:
// FirstMonth) and not released before, with the application's state and the line's outcome and keeper.
// Payable and paid-by-application lines are left out here (the month's bulk), the rest judged by the rules.
constexpr char kFirstMonthLinesPayingNothing[] =
    "SELECT l.enrolment_id, a.decided_at, a.state, l.outcome, l.replaced_by FROM monthly_roster_lines l"
    " JOIN applications a ON a.id = l.enrolment_id"
    " JOIN living_allowance_enrolments e ON e.application_id = l.enrolment_id"
    " WHERE l.month = ? AND l.outcome NOT IN (?, ?) AND a.decided_at >= ? AND a.decided_at < ?"
    " AND a.state IN " SHOUHU_OPEN_ENROLMENT_STATES
    " AND e.first_month_released_at IS NULL ORDER BY l.enrolment_id";
// The month's first-month lines owed under their enrolment (paid by its application), approved and not
// released, whose month another enrolment's payment holds already (migration 0100): the application will
// never pay it (MariaDbAllowanceStore::ClaimPaidMonth), so its reservation goes back.
constexpr char kFirstMonthsPaidElsewhere[] =
    "SELECT l.enrolment_id FROM monthly_roster_lines l"
    " JOIN living_allowance_months_paid m ON m.child_id = l.child_id AND m.month = l.month"
    " JOIN applications a ON a.id = l.enrolment_id"
    " JOIN living_allowance_enrolments e ON e.application_id = l.enrolment_id"
    " WHERE l.month = ? AND l.outcome = ? AND m.enrolment_id <> l.enrolment_id AND a.state = 3"
    " AND e.first_month_released_at IS NULL ORDER BY l.enrolment_id";
// Who the ledger records as releasing the reservation of a first month not owed.
constexpr char kFirstMonthReleaser[] = "system:allowance-monthly-roster";
constexpr char kSchoolProofsFrom[] =
    "SELECT child_id, school, evidence_ref, covers_through FROM school_enrolments WHERE covers_through >= ?";
constexpr char kInsertCycle[] =
    "INSERT INTO monthly_cycles (id, program_id, month, state, generated_at) VALUES (?, ?, ?, 1, ?)"
    " ON DUPLICATE KEY UPDATE id = id";
constexpr char kCycleOfProgramMonth[] =
    "SELECT id FROM monthly_cycles WHERE program_id = ? AND month = ? AND supplement = 0";
// The month's latest cycle of the program, locked: SubmitCycle locks the same row, so a chunk of lines lands
// either before the submission (and is submitted with it) or after, seeing the cycle submitted.
constexpr char kLockLatestCycle[] =
    "SELECT id, state, supplement FROM monthly_cycles WHERE program_id = ? AND month = ?"
    " ORDER BY supplement DESC LIMIT 1 FOR UPDATE";
constexpr char kInsertSupplement[] =
    "INSERT INTO monthly_cycles (id, program_id, month, state, generated_at, supplement)"
    " VALUES (?, ?, ?, 1, ?, ?)";
// Which of a chunk's enrolments already have their line this month, in whichever of its cycles.
constexpr char kLinesPresentHead[] =
    "SELECT enrolment_id FROM monthly_roster_lines WHERE month = ? AND enrolment_id IN (";
// INSERT IGNORE: a line already written (by an earlier or a racing run) stays as it was — lines are computed
// once — and the statement's count is then the lines this run wrote (ON DUPLICATE KEY UPDATE would count a
// kept row as found under CLIENT_FOUND_ROWS). Every value is produced here from stored rows within its
// column's size, so the duplicate keys are all IGNORE can meet.
constexpr char kLineColumns[] =
    "INSERT IGNORE INTO monthly_roster_lines (cycle_id, enrolment_id, program_id, month, child_id, "
    "division_code,"
    " kind, outcome, amount_fen, replaced_by, school_evidence_ref, payable_child_id) VALUES ";
constexpr char kLineValues[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

// ------------------------------------------------------------------------------------------------ cycles

constexpr char kCycleColumns[] =
    "SELECT c.id, c.program_id, c.month, c.state, c.approved_total_fen, c.generated_at, c.submitted_by,"
    " c.decided_by, c.decided_at, c.rejection_reason,"
    " (SELECT COALESCE(SUM(l.amount_fen), 0) FROM monthly_roster_lines l WHERE l.cycle_id = c.id),"
    " (SELECT COUNT(*) FROM monthly_roster_lines l WHERE l.cycle_id = c.id AND l.outcome = 0),"
    " (SELECT COUNT(*) FROM monthly_roster_lines l WHERE l.cycle_id = c.id),"
    " (SELECT COUNT(*) FROM monthly_roster_lines l WHERE l.cycle_id = c.id AND l.payment_id IS NOT NULL),"
    " c.supplement FROM monthly_cycles c";
constexpr char kSelectCycle[] = " WHERE c.id = ?";
constexpr char kOldestSentBack[] = "SELECT MIN(decided_at) FROM monthly_cycles WHERE state = 4";
constexpr char kListCycles[] = " WHERE c.program_id = ? ORDER BY c.month DESC, c.supplement";
constexpr char kLockCycle[] =
    "SELECT state, program_id, submitted_by, budget_slot, approved_total_fen, month FROM monthly_cycles"
    " WHERE id = ? FOR UPDATE";
constexpr char kSubmitCycle[] =
    "UPDATE monthly_cycles SET state = 2, submitted_by = ?, submitted_at = ? WHERE id = ?";
// A change of an enrolment's amount can land beside its month's line at the old amount: a raise reaching
// back over written lines (monthly_amounts.h), or any change made while the line was being written
// (generation reads the amounts before it writes them), through another Galera node perhaps. The submission
// sets each payable line's amount to its month's, so the checker approves and the payment pays the amount
// the changes say; a month submitted before the raise is paid short and owed the rest (monthly_arrears.h).
// Row locks would not do it: Galera certifies only the rows a transaction writes.
constexpr char kLinesAtTheirMonthsAmount[] =
    "UPDATE monthly_roster_lines l SET l.amount_fen = " SHOUHU_MONTHLY_AMOUNT("l.enrolment_id", "l.amount_fen",
                                                                              "l.month")
    " WHERE l.cycle_id = ? AND l.outcome = 0 AND EXISTS (SELECT 1 FROM monthly_amount_changes ch"
    " WHERE ch.enrolment_id = l.enrolment_id AND ch.from_month <= l.month)";
constexpr char kApproveCycle[] =
    "UPDATE monthly_cycles SET state = 3, decided_by = ?, decided_at = ?, approved_total_fen = ?,"
    " budget_slot = ? WHERE id = ?";
constexpr char kRejectCycle[] =
    "UPDATE monthly_cycles SET state = 4, decided_by = ?, decided_at = ?, rejection_reason = ? WHERE id = ?";
constexpr char kPaidCycle[] = "UPDATE monthly_cycles SET state = 5, paid_at = ? WHERE id = ? AND state = 3";
constexpr char kCycleTotal[] =
    "SELECT COALESCE(SUM(amount_fen), 0) FROM monthly_roster_lines WHERE cycle_id = ? AND outcome = 0";
// The per-child yearly cap, at approval: a month counts against it as a one-time payment does (the cap's
// row in child_year_totals, taken by one-time approvals too). First every payable line's total row exists
// and is locked (one payable line per child and month, so per row), then lines the month would take past
// the cap become OVER_YEAR_CAP with nothing to pay, then the rest are added to the totals. A one-time
// approval for one of these children waits on the row lock, so the two never both pass the cap.
constexpr char kLockLineTotals[] =
    "INSERT INTO child_year_totals (program_id, child_id, year, committed_fen)"
    " SELECT program_id, child_id, YEAR(month), 0 FROM monthly_roster_lines WHERE cycle_id = ? AND outcome = "
    "0"
    " ON DUPLICATE KEY UPDATE committed_fen = committed_fen";
constexpr char kLinesOverCap[] =
    "UPDATE monthly_roster_lines l"
    " JOIN child_year_totals t ON t.program_id = l.program_id AND t.child_id = l.child_id"
    " AND t.year = YEAR(l.month)"
    " JOIN programs p ON p.id = l.program_id"
    " SET l.outcome = 7, l.amount_fen = 0, l.payable_child_id = NULL"
    " WHERE l.cycle_id = ? AND l.outcome = 0 AND t.committed_fen + l.amount_fen > p.per_child_year_cap_fen";
// Before the approval reserves anything: a payable line whose month another enrolment's payment took since
// the roster was generated (generation lists the months paid by then so: WithMonthPaidUnder) is listed as
// replaced by that enrolment with nothing to pay, so the approval neither reserves nor counts in the child's
// yearly total what the payment would refuse. A month taken after the approval is still refused at payment
// and its amount released then (LineNotPaid).
constexpr char kLinesPaidElsewhere[] =
    "UPDATE monthly_roster_lines l"
    " JOIN living_allowance_months_paid m ON m.child_id = l.child_id AND m.month = l.month"
    " SET l.outcome = 5, l.amount_fen = 0, l.replaced_by = m.enrolment_id, l.payable_child_id = NULL,"
    " l.school_evidence_ref = ''"
    " WHERE l.cycle_id = ? AND l.outcome = 0 AND m.enrolment_id <> l.enrolment_id";
// Before the approval reserves anything, too: a payable line of an enrolment withdrawn or cancelled with its
// case since the roster was generated (MonthlyEnrolmentOpen's states: SHOUHU_OPEN_ENROLMENT_STATES), or whose
// allowance a stop recorded since ended before the line's month (the first stop on or after its approval,
// before the month's first day: StopMonth), is listed as stopped with nothing to pay, as its payment would
// list it. One closed or stopped after the approval is listed so at payment, its amount released then
// (LineNotPaid).
// A line `l` of application `a` whose enrolment a stop ended before the line's month: its first stop on or
// after the approval falls before the month's first day (StopMonth, in SQL). The approval and the payment
// judge it alike.
#define SHOUHU_LINE_ENDED_BY_STOP SHOUHU_STOP_OF_ENROLMENT("a.child_id", "a.decided_at") " < l.month"
#define SHOUHU_LINE_OF_CLOSED_ENROLMENT \
  "(a.state NOT IN " SHOUHU_OPEN_ENROLMENT_STATES " OR " SHOUHU_LINE_ENDED_BY_STOP ")"
constexpr char kLinesOfClosedEnrolments[] =
    "UPDATE monthly_roster_lines l JOIN applications a ON a.id = l.enrolment_id"
    " SET l.outcome = ?, l.amount_fen = 0, l.payable_child_id = NULL, l.school_evidence_ref = ''"
    " WHERE l.cycle_id = ? AND l.outcome = 0 AND " SHOUHU_LINE_OF_CLOSED_ENROLMENT;
// Those lines, locked, read before they are listed so: each is its enrolment's month kept by the rules,
// which the approval then gives up (MariaDbAllowanceStore::GiveUpKeptMonth).
constexpr char kPayableLinesOfClosedEnrolments[] =
    "SELECT l.enrolment_id FROM monthly_roster_lines l JOIN applications a ON a.id = l.enrolment_id"
    " WHERE l.cycle_id = ? AND l.outcome = 0 AND " SHOUHU_LINE_OF_CLOSED_ENROLMENT
    " ORDER BY l.enrolment_id FOR UPDATE";
#undef SHOUHU_LINE_OF_CLOSED_ENROLMENT
constexpr char kTakeLineTotals[] =
    "UPDATE child_year_totals t JOIN monthly_roster_lines l ON t.program_id = l.program_id"
    " AND t.child_id = l.child_id AND t.year = YEAR(l.month)"
    " SET t.committed_fen = t.committed_fen + l.amount_fen WHERE l.cycle_id = ? AND l.outcome = 0";
constexpr char kListLines[] =
    "SELECT enrolment_id, child_id, division_code, kind, outcome, amount_fen, replaced_by, "
    "school_evidence_ref,"
    " payment_id FROM monthly_roster_lines WHERE cycle_id = ? AND enrolment_id > ? ORDER BY enrolment_id "
    "LIMIT ?";
constexpr char kCyclePaidTotal[] =
    "SELECT COALESCE(SUM(amount_fen), 0) FROM monthly_roster_lines WHERE cycle_id = ? AND payment_id IS NOT "
    "NULL";
// The next unpaid payable lines, locked: a concurrent PayCycle waits and then finds them paid. With each its
// enrolment's application state, its row locked too, as a withdrawal and a case close's cancellation lock it:
// one that committed first is seen here (the line is then not paid: MonthlyEnrolmentOpen), and one that comes
// later waits for the chunk and finds the line's payment out with the bank (HoldingsOf's in_flight; the
// money comes back to the budget if the bank returns it). The applications are locked in this one statement,
// before any money moves: a withdrawal holds its application and then takes the budget slot's row, which a
// chunk holds from its first payment on, so locking each line's application in turn would deadlock with it.
constexpr char kUnpaidLines[] =
    "SELECT l.enrolment_id, l.child_id, l.division_code, l.amount_fen, a.state"
    " FROM monthly_roster_lines l JOIN applications a ON a.id = l.enrolment_id"
    " WHERE l.cycle_id = ? AND l.payment_id IS NULL AND l.outcome = 0 ORDER BY l.enrolment_id LIMIT ?"
    " FOR UPDATE";
// Those of a chunk's lines (kUnpaidLines' enrolment ids from the first to the last) whose enrolment a stop
// ended (the case closed or transferred away, the child placed in an institution; living_allowance_follower),
// read after the lines are locked: a stop recorded since the approval ends the month as the roster would
// have ended it, and the line is not paid. Read plainly, without the stops' rows locked: the follower locks a
// child's row and then the applications a close cancels, the reverse of the chunk's order; a stop recorded
// after this read is one recorded after the payment, which was made on what was known then.
constexpr char kLinesEndedByStops[] =
    "SELECT l.enrolment_id FROM monthly_roster_lines l JOIN applications a ON a.id = l.enrolment_id"
    " WHERE l.cycle_id = ? AND l.payment_id IS NULL AND l.outcome = 0 AND l.enrolment_id BETWEEN ? AND ?"
    " AND " SHOUHU_LINE_ENDED_BY_STOP;
#undef SHOUHU_LINE_ENDED_BY_STOP
constexpr char kLinePaid[] =
    "UPDATE monthly_roster_lines SET payment_id = ? WHERE cycle_id = ? AND enrolment_id = ?";
// A payable line the payment does not pay (LineNotPaid): its month held by another enrolment's payment
// (MariaDbAllowanceStore::ClaimPaidMonth; the child's one allowance of the month is that enrolment's, which
// replaces this one), or its enrolment closed since the approval. Listed so, with nothing to pay, and no
// longer payable: no PayMonthlyCycle tries it again.
constexpr char kLineNotPaid[] =
    "UPDATE monthly_roster_lines SET outcome = ?, amount_fen = 0, replaced_by = ?, payable_child_id = NULL"
    " WHERE cycle_id = ? AND enrolment_id = ? AND outcome = 0";
constexpr char kReleaseLineTotal[] =
    "UPDATE child_year_totals SET committed_fen = committed_fen - ?"
    " WHERE program_id = ? AND child_id = ? AND year = ? AND committed_fen >= ?";
// The core's payments row, as PayApplication writes it: the application's next issue number, so the core's
// unique (application_id, issue_number) key guards a monthly payment as it guards every other.
constexpr char kNextIssue[] = "UPDATE applications SET payments_issued = payments_issued + 1 WHERE id = ?";
constexpr char kReadIssue[] = "SELECT payments_issued FROM applications WHERE id = ?";
constexpr char kInsertPayment[] =
    "INSERT INTO payments (id, application_id, program_id, child_id, division_code, amount_fen, method,"
    " payee_reference, state, issue_number, attempts, issued_by, issued_at, budget_slot)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, 1, ?, ?, ?)";

// ------------------------------------------------------------------------------------------------ school

constexpr char kInsertSchool[] =
    "INSERT INTO school_enrolments (id, child_id, school, evidence_ref, covers_through, recorded_by,"
    " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)";

// ------------------------------------------------------------------------------------------------ registry

constexpr char kLockChildStop[] =
    "SELECT stopped_on, last_event_sequence FROM living_allowance_children WHERE child_id = ? FOR UPDATE";
constexpr char kInsertChildStop[] =
    "INSERT INTO living_allowance_children (child_id, stopped_on, stop_reason, last_event_sequence, "
    "updated_at)"
    " VALUES (?, ?, ?, ?, ?)";
constexpr char kUpdateChildStop[] =
    "UPDATE living_allowance_children SET stopped_on = ?, stop_reason = ?, last_event_sequence = ?,"
    " updated_at = ? WHERE child_id = ?";
constexpr char kInsertStop[] =
    "INSERT INTO living_allowance_stops (child_id, stopped_on, reason, event_sequence, recorded_at)"
    " VALUES (?, ?, ?, ?, ?)";

// --------------------------------------------------------------------------- verification after payment

constexpr char kPaymentOfCheck[] = "SELECT program_id, child_id FROM payments WHERE id = ?";
// IGNORE: a payment checked before keeps its first result (a replayed event changes nothing).
constexpr char kInsertPaymentCheck[] =
    "INSERT IGNORE INTO payment_checks (payment_id, program_id, child_id, result, note, assignment_id,"
    " checked_at, event_sequence, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kListPaymentChecks[] =
    "SELECT payment_id, program_id, child_id, result, note, assignment_id, checked_at FROM payment_checks"
    " WHERE program_id = ? AND (? = 0 OR result <> 1) AND payment_id > ? ORDER BY payment_id LIMIT ?";
// ------------------------------------------------------------------------------------------------ urgent
// needs

constexpr char kUrgentNeedSeen[] = "SELECT report_id FROM urgent_need_drafts WHERE report_id = ?";
constexpr char kReliefCandidates[] =
    "SELECT p.id, p.jurisdiction, p.period_start, p.period_end, p.allowed_types, p.per_payment_cap_fen,"
    " b.unallocated_fen + COALESCE((SELECT SUM(s.available_fen) FROM program_budget_slots s"
    " WHERE s.program_id = p.id), 0) FROM programs p JOIN program_balances b ON b.program_id = p.id"
    " WHERE p.state = 4 AND p.jurisdiction IN (?, ?, ?, ?, ?)";
constexpr char kInsertDraftApplication[] =
    "INSERT INTO applications (id, program_id, child_id, division_code, organisation_id, type, amount_fen,"
    " reason, evidence_report_id, state, applicant, year, submitted_at)"
    " VALUES (?, ?, ?, ?, ?, 2, ?, ?, ?, 1, ?, ?, ?)";
constexpr char kInsertUrgentNeed[] =
    "INSERT INTO urgent_need_drafts (report_id, event_sequence, child_id, division_code, application_id, "
    "why_none,"
    " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
// Who the drafts are made by: the service itself, so any person of the program may approve them.
constexpr char kUrgentNeedApplicant[] = "system:allowance-urgent-need";

// ------------------------------------------------------------------------------------------------ forecast

// In one read: paid (in payment and disbursed), reserved, the pipeline (submitted or awaiting the second
// approval), the one-time spending approved in the pace window, the arrears owed, and each child's monthly
// amount.
constexpr char kPipeline[] =
    "SELECT COALESCE(SUM(amount_fen), 0) FROM applications WHERE program_id = ? AND state IN (1, 2)";
// Arrears (type 6) are left out of the pace with the monthly enrolments: a burst a raised standard leaves
// behind, not spending that goes on.
constexpr char kPace[] =
    "SELECT COALESCE(SUM(amount_fen), 0) FROM applications WHERE program_id = ? AND type NOT IN (5, 6)"
    " AND state IN (3, 6, 7) AND decided_at >= ?";
// The arrears owed and not claimed (monthly_arrears.h's UnclaimedShortfalls, summed): each paid line of an
// enrolment from its first change on, its month's amount less what it paid and its live claims, when above
// zero. Joined in the order written (STRAIGHT_JOIN): the program's applications, their changes, then only
// those enrolments' lines from the change on (0120's index). Left to itself MariaDB read every line of every
// program first once the changes were many (97,000 lines for 100,000 changes in the roster bench; a
// province's table holds every program's months).
constexpr char kArrearsOwedOfProgram[] =
    "SELECT STRAIGHT_JOIN COALESCE(SUM(GREATEST(0, " SHOUHU_MONTHLY_AMOUNT("l.enrolment_id", "a.amount_fen",
                                                                            "l.month")
    " - l.amount_fen - COALESCE((SELECT SUM(r.owed_fen) FROM monthly_arrears r"
    " JOIN applications ra ON ra.id = r.application_id WHERE r.enrolment_id = l.enrolment_id"
    " AND r.month = l.month AND ra.state NOT IN " SHOUHU_ENDED_UNPAID_STATES "), 0))), 0)"
    " FROM (SELECT STRAIGHT_JOIN ch.enrolment_id, MIN(ch.from_month) AS from_month FROM applications ca"
    " FORCE INDEX (applications_program) JOIN monthly_amount_changes ch FORCE INDEX (PRIMARY)"
    " ON ch.enrolment_id = ca.id WHERE ca.program_id = ? GROUP BY ch.enrolment_id) c"
    " JOIN applications a ON a.id = c.enrolment_id"
    " JOIN monthly_roster_lines l FORCE INDEX (monthly_roster_lines_enrolment)"
    " ON l.enrolment_id = a.id AND l.month >= c.from_month"
    " JOIN living_allowance_months_paid m"
    " ON m.child_id = l.child_id AND m.month = l.month AND m.enrolment_id = l.enrolment_id"
    " WHERE l.outcome = 0 AND l.payment_id IS NOT NULL";
// The program's open monthly enrolments with their children's facts: taken up by a roster run, or approved
// since the last one (no enrolment row, e.kind NULL: the kind the take-up will give, KindTakenUp), so that
// an enrolment's months to come are spoken for from its approval, not from the next month's run. One whose
// child's facts are not recorded yet (unreadable at submission) waits for its take-up, which reads them.
constexpr char kMonthlyEnrolmentsOfProgram[] =
    "SELECT a.amount_fen, a.decided_at, e.kind, c.birth_date, c.is_orphan, c.is_de_facto_unsupported,"
    " " SHOUHU_STOP_OF_ENROLMENT("a.child_id", "a.decided_at") ", a.id"
    " FROM applications a JOIN living_allowance_children c ON c.child_id = a.child_id"
    " LEFT JOIN living_allowance_enrolments e ON e.application_id = a.id"
    " WHERE a.program_id = ? AND a.type = 5 AND a.state IN " SHOUHU_OPEN_ENROLMENT_STATES
    " AND c.birth_date IS NOT NULL";
// The changes of those enrolments' amounts (monthly_amounts.h), which the months to come are paid at. From
// the program's applications (forced, as kArrearsOwedOfProgram above: a province's changes are every
// program's).
constexpr char kAmountChangesOfProgram[] =
    "SELECT STRAIGHT_JOIN ch.enrolment_id, ch.seq, ch.from_month, ch.amount_fen"
    " FROM applications a FORCE INDEX (applications_program)"
    " JOIN monthly_amount_changes ch FORCE INDEX (PRIMARY) ON ch.enrolment_id = a.id"
    " WHERE a.program_id = ? AND a.state IN " SHOUHU_OPEN_ENROLMENT_STATES;
constexpr char kLatestCycleMonth[] = "SELECT MAX(month) FROM monthly_cycles WHERE program_id = ?";
constexpr char kLockAlert[] = "SELECT program_id FROM program_budget_alerts WHERE program_id = ? FOR UPDATE";
constexpr char kInsertAlert[] =
    "INSERT INTO program_budget_alerts (program_id, runs_out_on, raised_at) VALUES (?, ?, ?)";
constexpr char kRunningPrograms[] = "SELECT id FROM programs WHERE state = 4 AND period_end >= ? ORDER BY id";

// ------------------------------------------------------------------------------------------------ report

// Payments issued in the window that still stand (returned and abandoned ones reversed), by program, county,
// Shanghai month (UTC+8 without daylight saving), type and, for the monthly allowance (type 5) and its
// arrears (type 6, through the enrolment its first claimed month names: one claim is of one enrolment), the
// kind its enrolment was taken up as (0 before); 人次 is the payments, children the distinct ids.
constexpr char kReport[] =
    "SELECT p.program_id, LEFT(p.division_code, 6), DATE_FORMAT(DATE_ADD(p.issued_at, INTERVAL 8 HOUR), "
    "'%Y-%m'), a.type,"
    " COALESCE(CASE a.type"
    "   WHEN 5 THEN (SELECT e.kind FROM living_allowance_enrolments e WHERE e.application_id = a.id)"
    "   WHEN 6 THEN (SELECT e.kind FROM monthly_arrears ma"
    "     JOIN living_allowance_enrolments e ON e.application_id = ma.enrolment_id"
    "     WHERE ma.application_id = a.id LIMIT 1) END, 0) AS kind,"
    " SUM(p.amount_fen), COUNT(*), COUNT(DISTINCT p.child_id)"
    " FROM payments p JOIN applications a ON a.id = p.application_id JOIN programs g ON g.id = p.program_id"
    " WHERE p.division_code >= ? AND p.division_code < ? AND p.issued_at >= ? AND p.issued_at < ?"
    " AND p.state NOT IN (4, 5) AND (? = '' OR p.program_id = ?)"
    " AND (? = '' OR g.operator_organisation_id = ? OR g.funder_organisation_id = ?)"
    " GROUP BY p.program_id, LEFT(p.division_code, 6),"
    " DATE_FORMAT(DATE_ADD(p.issued_at, INTERVAL 8 HOUR), '%Y-%m'), a.type, kind ORDER BY 1, 2, 3, 4, 5";

std::string MonthSql(absl::CivilMonth month) { return absl::FormatCivilTime(absl::CivilDay(month)); }
std::string MonthText(absl::CivilMonth month) {
  return absl::StrFormat("%04d-%02d", month.year(), month.month());
}
std::string DaySql(absl::CivilDay day) { return absl::FormatCivilTime(day); }

absl::StatusOr<absl::CivilDay> DayOf(const db::Row& row, size_t i, absl::string_view field) {
  return ParseDay(row.String(i).substr(0, 10), field);
}

absl::StatusOr<v1::MonthlyCycle> CycleFromRow(const db::Row& row) {
  v1::MonthlyCycle c;
  c.set_cycle_id(row.String(0));
  c.set_program_id(row.String(1));
  ASSIGN_OR_RETURN(absl::CivilDay month, DayOf(row, 2, "month"));
  c.set_month(MonthText(absl::CivilMonth(month)));
  c.set_state(static_cast<v1::MonthlyCycleState>(row.Int(3)));
  RETURN_IF_ERROR(ReadTimestamp(row, 5, c.mutable_generated_at()));
  c.set_submitted_by(row.String(6));
  c.set_decided_by(row.String(7));
  if (!row.IsNull(8)) RETURN_IF_ERROR(ReadTimestamp(row, 8, c.mutable_decided_at()));
  c.set_rejection_reason(row.String(9));
  const bool fixed =
      c.state() == v1::MONTHLY_CYCLE_STATE_APPROVED || c.state() == v1::MONTHLY_CYCLE_STATE_PAID;
  c.set_total_fen(fixed ? row.Int(4) : row.Int(10));
  c.set_payable_lines(static_cast<int32_t>(row.Int(11)));
  c.set_lines(static_cast<int32_t>(row.Int(12)));
  c.set_paid_lines(static_cast<int32_t>(row.Int(13)));
  c.set_supplement(static_cast<int32_t>(row.Int(14)));
  return c;
}

absl::StatusOr<v1::MonthlyCycle> ReadCycle(db::Session& tx, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(absl::StrCat(kCycleColumns, kSelectCycle), {id}));
  if (!row) return absl::NotFoundError("cycle not found");
  return CycleFromRow(*row);
}

// Stored outcome numbers: the rules' MonthlyOutcome (0 payable); the API's RosterOutcome is one more.
v1::RosterOutcome ToProtoOutcome(int64_t stored) { return static_cast<v1::RosterOutcome>(stored + 1); }

// One child's enrolments and facts as the month's query returns them.
struct ChildRows {
  std::string child_id;
  LivingAllowanceChild child;
  std::vector<MonthlyEnrolment> enrolments;
  std::vector<std::string> divisions;  // per enrolment
  std::string month_paid_under;        // the enrolment whose payment holds the month already, if any
};

}  // namespace

// ------------------------------------------------------------------------------------------------ enrolments

absl::StatusOr<std::vector<PendingEnrolment>> MonthlyRosterStore::PendingEnrolments(int limit) {
  return db::ReadOne<std::vector<PendingEnrolment>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<PendingEnrolment>> {
        ASSIGN_OR_RETURN(db::Rows rows, s.Query(kPendingEnrolments, {int64_t{limit}}));
        std::vector<PendingEnrolment> out;
        for (const db::Row& r : rows) out.push_back({r.String(0), r.String(1), r.Int(2) != 0});
        return out;
      });
}

absl::StatusOr<std::optional<PendingEnrolment>> MonthlyRosterStore::PendingEnrolmentOf(
    const std::string& application_id) {
  return db::ReadOne<std::optional<PendingEnrolment>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::optional<PendingEnrolment>> {
        ASSIGN_OR_RETURN(std::optional<db::Row> r, s.QueryOne(kPendingEnrolmentOf, {application_id}));
        if (!r) return std::optional<PendingEnrolment>();
        return std::optional<PendingEnrolment>(PendingEnrolment{r->String(0), r->String(1), r->Int(2) != 0});
      });
}

absl::Status MonthlyRosterStore::TakeUp(const PendingEnrolment& pending,
                                        const std::optional<LivingAllowanceChildFacts>& facts,
                                        absl::Time now) {
  return pool_.Transaction([&](db::Session& tx) -> absl::Status {
    if (facts) {
      RETURN_IF_ERROR(MariaDbAllowanceStore::RecordLivingAllowanceChild(tx, pending.child_id, *facts, now));
    }
    return MariaDbAllowanceStore::TakeUpEnrolment(tx, pending.application_id, pending.child_id, now);
  });
}

// ------------------------------------------------------------------------------------------------ generation

absl::StatusOr<GenerationResult> MonthlyRosterStore::GenerateMonth(absl::CivilMonth month, absl::Time now) {
  // Enrolments approved before the month began; one approved during it starts the month after.
  const std::string month_sql = MonthSql(month);
  std::vector<ChildRows> children;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows proofs, s.Query(kSchoolProofsFrom, {month_sql}));
    std::unordered_map<std::string, std::vector<SchoolEnrolment>> schooling;
    for (const db::Row& r : proofs) {
      ASSIGN_OR_RETURN(absl::CivilDay through, DayOf(r, 3, "covers_through"));
      schooling[r.String(0)].push_back(
          {static_cast<SchoolKind>(r.Int(1)), r.String(2), absl::CivilMonth(through)});
    }
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query(kEnrolmentsForMonth, {month_sql, month_sql, ToSqlTimestamp(ShanghaiMonthStart(month))}));
    for (const db::Row& r : rows) {
      const std::string& child_id = r.String(2);
      if (children.empty() || children.back().child_id != child_id) {
        ChildRows next;
        next.child_id = child_id;
        ASSIGN_OR_RETURN(next.child.birth_date, DayOf(r, 7, "birth_date"));
        next.child.orphan = r.Int(8) != 0;
        next.child.de_facto_unsupported = r.Int(9) != 0;
        if (auto it = schooling.find(child_id); it != schooling.end()) next.child.schooling = it->second;
        if (!r.IsNull(11)) next.month_paid_under = r.String(11);
        children.push_back(std::move(next));
      }
      MonthlyEnrolment e;
      e.enrolment_id = r.String(0);
      e.program_id = r.String(1);
      e.monthly_amount_fen = r.Int(4);
      ASSIGN_OR_RETURN(absl::Time decided, FromSqlTimestamp(r.String(5)));
      e.approved_on = ShanghaiDay(decided);
      e.kind = static_cast<LivingAllowanceKind>(r.Int(6));
      ASSIGN_OR_RETURN(e.stopped_on, StopOf(r, 10));
      children.back().enrolments.push_back(std::move(e));
      children.back().divisions.push_back(r.String(3));
    }
    return absl::OkStatus();
  }));

  // One cycle per program with enrolments, created once: a racing run's insert changes nothing.
  std::map<std::string, std::string> cycle_of;  // program → cycle
  for (const ChildRows& c : children) {
    for (const MonthlyEnrolment& e : c.enrolments) cycle_of.emplace(e.program_id, "");
  }
  for (auto& entry : cycle_of) {
    const std::string& program = entry.first;
    std::string& cycle_id = entry.second;
    RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
      RETURN_IF_ERROR(
          tx.Execute(kInsertCycle, {ids_.Next(), program, month_sql, ToSqlTimestamp(now)}).status());
      ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kCycleOfProgramMonth, {program, month_sql}));
      if (!row) return tx.WriteVanished("the month's cycle");
      cycle_id = row->String(0);
      return absl::OkStatus();
    }));
  }

  GenerationResult result;
  result.cycles = static_cast<int>(cycle_of.size());
  result.children = static_cast<int64_t>(children.size());
  // A line's values after its cycle id, which the chunk's transaction decides.
  struct Line {
    std::string program_id;
    std::string enrolment_id;
    std::vector<db::Value> values;
  };
  std::vector<Line> chunk;
  auto flush = [&]() -> absl::Status {
    if (chunk.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
      std::vector<db::Value> ids{month_sql};
      for (const Line& l : chunk) ids.push_back(l.enrolment_id);
      const std::string present_sql = absl::StrCat(
          kLinesPresentHead, absl::StrJoin(std::vector<std::string>(chunk.size(), "?"), ", "), ")");
      ASSIGN_OR_RETURN(db::Rows present_rows, tx.Query(present_sql, ids));
      std::set<std::string> present;
      for (const db::Row& r : present_rows) present.insert(r.String(0));
      std::map<std::string, std::string> cycle_now;  // program → the cycle its new lines join
      for (const Line& l : chunk) {
        if (!present.count(l.enrolment_id)) cycle_now.emplace(l.program_id, "");
      }
      // A cycle takes lines only while generated. A line computed after its month's cycle was submitted
      // (a replica that died mid-month and the one that took its lease over, a failed run re-run, an
      // enrolment taken up late) joins neither that cycle — its approval and reservation never saw the line,
      // and paying it there would pay past what was approved — nor a later month's (the child is owed this
      // month, and the report and the one-payment-a-month key count it in this month). It goes to a
      // supplementary cycle of the same month, which a finance officer submits and approves on its own, as
      // they would a supplementary payroll. Programs in key order: racing runs lock their cycles alike.
      for (auto& [program, cycle_id] : cycle_now) {
        ASSIGN_OR_RETURN(std::optional<db::Row> latest, tx.QueryOne(kLockLatestCycle, {program, month_sql}));
        if (!latest) return absl::InternalError("the month's cycle is missing");
        if (latest->Int(1) == v1::MONTHLY_CYCLE_STATE_GENERATED) {
          cycle_id = latest->String(0);
          continue;
        }
        cycle_id = ids_.Next();
        RETURN_IF_ERROR(tx.Execute(kInsertSupplement,
                                   {cycle_id, program, month_sql, ToSqlTimestamp(now), latest->Int(2) + 1})
                            .status());
      }
      std::vector<db::Value> params;
      int rows = 0;
      for (const Line& l : chunk) {
        if (present.count(l.enrolment_id)) continue;
        params.push_back(cycle_now[l.program_id]);
        params.insert(params.end(), l.values.begin(), l.values.end());
        ++rows;
      }
      if (rows == 0) return absl::OkStatus();
      const std::string sql =
          absl::StrCat(kLineColumns, absl::StrJoin(std::vector<std::string>(rows, kLineValues), ", "));
      ASSIGN_OR_RETURN(uint64_t inserted, tx.Execute(sql, params));
      result.lines_written += static_cast<int64_t>(inserted);
      return absl::OkStatus();
    }));
    chunk.clear();
    return absl::OkStatus();
  };
  for (const ChildRows& c : children) {
    const std::vector<MonthlyDecision> decisions =
        WithMonthPaidUnder(DecideMonth(c.child, c.enrolments, month), c.month_paid_under);
    for (size_t i = 0; i < decisions.size(); ++i) {
      const MonthlyDecision& d = decisions[i];
      const MonthlyEnrolment& e = c.enrolments[i];
      const bool payable = d.outcome == MonthlyOutcome::kPayable;
      chunk.push_back(
          {e.program_id, e.enrolment_id,
           std::vector<db::Value>{e.enrolment_id, e.program_id, month_sql, c.child_id, c.divisions[i],
                                  static_cast<int64_t>(e.kind), static_cast<int64_t>(d.outcome), d.amount_fen,
                                  d.replaced_by, d.school_evidence_ref,
                                  payable ? db::Value(c.child_id) : db::Value(db::Null{})}});
      if (static_cast<int>(chunk.size()) == kLineChunk) RETURN_IF_ERROR(flush());
    }
  }
  RETURN_IF_ERROR(flush());
  return result;
}

absl::StatusOr<FirstMonthsNotOwed> MonthlyRosterStore::ReleaseFirstMonthsNotOwed(absl::CivilMonth month,
                                                                                 absl::Time now) {
  FirstMonthsNotOwed found;
  std::vector<std::string> holding;  // approved: what the approval reserved is still held
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    holding.clear();
    found.paid_before.clear();
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(kFirstMonthLinesPayingNothing,
                                            {MonthSql(month), static_cast<int64_t>(MonthlyOutcome::kPayable),
                                             static_cast<int64_t>(MonthlyOutcome::kPaidByApplication),
                                             ToSqlTimestamp(ShanghaiMonthStart(month - 1)),
                                             ToSqlTimestamp(ShanghaiMonthStart(month))}));
    for (const db::Row& r : rows) {
      ASSIGN_OR_RETURN(absl::Time decided, FromSqlTimestamp(r.String(1)));
      if (FirstMonth(ShanghaiDay(decided)) != month) continue;
      MonthlyDecision decision;
      decision.enrolment_id = r.String(0);
      decision.outcome = static_cast<MonthlyOutcome>(r.Int(3));
      decision.replaced_by = r.String(4);
      if (CheckFirstMonthDecision(decision, month).ok()) continue;
      if (r.Int(2) == v1::APPLICATION_STATE_APPROVED) {
        holding.push_back(decision.enrolment_id);
      } else {
        found.paid_before.push_back(std::move(decision));
      }
    }
    return absl::OkStatus();
  }));
  std::vector<std::string> paid_elsewhere;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    paid_elsewhere.clear();
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query(kFirstMonthsPaidElsewhere,
                             {MonthSql(month), static_cast<int64_t>(MonthlyOutcome::kPaidByApplication)}));
    for (const db::Row& r : rows) paid_elsewhere.push_back(r.String(0));
    return absl::OkStatus();
  }));
  const Actor releaser{kFirstMonthReleaser, "", now};
  for (const std::string& enrolment : holding) {
    bool done = false;
    RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
      ASSIGN_OR_RETURN(done, core_.ReleaseFirstMonthNotOwed(tx, enrolment, releaser));
      return absl::OkStatus();
    }));
    if (done) ++found.released;
  }
  for (const std::string& enrolment : paid_elsewhere) {
    bool done = false;
    RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
      ASSIGN_OR_RETURN(done, core_.ReleaseFirstMonthPaidElsewhere(tx, enrolment, releaser));
      return absl::OkStatus();
    }));
    if (done) ++found.released;
  }
  return found;
}

// ------------------------------------------------------------------------------------------------ cycles

absl::StatusOr<std::optional<v1::MonthlyCycle>> MonthlyRosterStore::GetCycle(const std::string& cycle_id) {
  return db::ReadOne<std::optional<v1::MonthlyCycle>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::optional<v1::MonthlyCycle>> {
        absl::StatusOr<v1::MonthlyCycle> c = ReadCycle(s, cycle_id);
        if (absl::IsNotFound(c.status())) return std::optional<v1::MonthlyCycle>();
        if (!c.ok()) return c.status();
        return std::optional<v1::MonthlyCycle>(*std::move(c));
      });
}

absl::StatusOr<std::optional<absl::Time>> MonthlyRosterStore::OldestSentBack() {
  return db::ReadOne<std::optional<absl::Time>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::optional<absl::Time>> {
        ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kOldestSentBack));
        if (!row || row->IsNull(0)) return std::optional<absl::Time>();
        ASSIGN_OR_RETURN(absl::Time at, FromSqlTimestamp(row->String(0)));
        return std::optional<absl::Time>(at);
      });
}

absl::StatusOr<std::vector<v1::MonthlyCycle>> MonthlyRosterStore::ListCycles(const std::string& program_id) {
  return db::ReadOne<std::vector<v1::MonthlyCycle>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<v1::MonthlyCycle>> {
        ASSIGN_OR_RETURN(db::Rows rows, s.Query(absl::StrCat(kCycleColumns, kListCycles), {program_id}));
        std::vector<v1::MonthlyCycle> out;
        for (const db::Row& r : rows) {
          ASSIGN_OR_RETURN(v1::MonthlyCycle c, CycleFromRow(r));
          out.push_back(std::move(c));
        }
        return out;
      });
}

absl::StatusOr<std::vector<v1::RosterLine>> MonthlyRosterStore::ListLines(const std::string& cycle_id,
                                                                          const std::string& after_enrolment,
                                                                          int limit) {
  return db::ReadOne<std::vector<v1::RosterLine>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<v1::RosterLine>> {
        ASSIGN_OR_RETURN(db::Rows rows, s.Query(kListLines, {cycle_id, after_enrolment, int64_t{limit}}));
        std::vector<v1::RosterLine> out;
        for (const db::Row& r : rows) {
          v1::RosterLine l;
          l.set_enrolment_id(r.String(0));
          l.set_child_id(r.String(1));
          l.set_division_code(r.String(2));
          l.set_kind(static_cast<v1::LivingAllowanceKind>(r.Int(3)));
          l.set_outcome(ToProtoOutcome(r.Int(4)));
          l.set_amount_fen(r.Int(5));
          l.set_replaced_by(r.String(6));
          l.set_school_evidence_ref(r.String(7));
          l.set_payment_id(r.String(8));
          out.push_back(std::move(l));
        }
        return out;
      });
}

namespace {

// The cycle's row locked, and its program, after the caller's check: the prologue of every cycle step.
struct LockedCycle {
  v1::MonthlyCycle cycle;
  v1::Program program;
};

// A locked payable line of an approved cycle that its payment does not pay (`outcome`; `replaced_by` the
// enrolment that holds the month when replaced): listed so (kLineNotPaid), and what the approval took for it
// goes back off the child's yearly total of the month's year, as ApproveCycle took it, and from the cycle's
// reservation to the budget through the ledger, in the payment's transaction: once, as the line is payable
// no more.
struct UnpaidLine {
  std::string cycle_id;
  std::string program_id;
  int budget_slot = 0;
  absl::CivilMonth month;
  std::string enrolment_id;
  std::string child_id;
  int64_t amount_fen = 0;
};
absl::Status LineNotPaid(MariaDbAllowanceStore& core, db::Session& tx, const UnpaidLine& line,
                         MonthlyOutcome outcome, const std::string& replaced_by, const Actor& actor) {
  ASSIGN_OR_RETURN(uint64_t listed, tx.Execute(kLineNotPaid, {static_cast<int64_t>(outcome), replaced_by,
                                                              line.cycle_id, line.enrolment_id}));
  if (listed != 1) return absl::InternalError("the line is not payable under its lock");
  ASSIGN_OR_RETURN(uint64_t back,
                   tx.Execute(kReleaseLineTotal, {line.amount_fen, line.program_id, line.child_id,
                                                  int64_t{line.month.year()}, line.amount_fen}));
  if (back != 1) return absl::InternalError("the child's yearly total does not hold the month");
  return core.PostEntry(tx, line.program_id, line.budget_slot, v1::LEDGER_ENTRY_KIND_RELEASE,
                        v1::LEDGER_ACCOUNT_RESERVED, v1::LEDGER_ACCOUNT_AVAILABLE, line.amount_fen,
                        line.enrolment_id, "", actor);
}

absl::StatusOr<LockedCycle> LockCycle(db::Session& tx, const std::string& cycle_id,
                                      const MonthlyRosterStore::CycleCheck& authorize) {
  ASSIGN_OR_RETURN(std::optional<db::Row> locked, tx.QueryOne(kLockCycle, {cycle_id}));
  if (!locked) return absl::NotFoundError("cycle not found");
  LockedCycle out;
  ASSIGN_OR_RETURN(out.cycle, ReadCycle(tx, cycle_id));
  ASSIGN_OR_RETURN(std::optional<v1::Program> program,
                   MariaDbAllowanceStore::ReadProgram(tx, out.cycle.program_id(), false));
  if (!program) return absl::InternalError("cycle's program is missing");
  out.program = *std::move(program);
  RETURN_IF_ERROR(authorize(out.cycle, out.program));
  return out;
}

}  // namespace

absl::StatusOr<v1::MonthlyCycle> MonthlyRosterStore::SubmitCycle(const IdempotencyKey& key,
                                                                 const Actor& actor,
                                                                 const std::string& cycle_id,
                                                                 const CycleCheck& authorize) {
  return IdempotentTransaction<
      v1::MonthlyCycle>(pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::MonthlyCycle> {
    ASSIGN_OR_RETURN(LockedCycle c, LockCycle(tx, cycle_id, authorize));
    // A rejected cycle is its maker's again: corrected (enrolments withdrawn or stopped, which the approval
    // lists as stopped), it is submitted again, and the checker judges it anew.
    if (c.cycle.state() != v1::MONTHLY_CYCLE_STATE_GENERATED &&
        c.cycle.state() != v1::MONTHLY_CYCLE_STATE_REJECTED) {
      return absl::FailedPreconditionError("only a generated cycle, or one sent back, can be submitted");
    }
    RETURN_IF_ERROR(tx.Execute(kLinesAtTheirMonthsAmount, {cycle_id}).status());
    RETURN_IF_ERROR(tx.Execute(kSubmitCycle, {actor.subject, ToSqlTimestamp(actor.at), cycle_id}).status());
    return ReadCycle(tx, cycle_id);
  });
}

absl::StatusOr<v1::MonthlyCycle> MonthlyRosterStore::ApproveCycle(const IdempotencyKey& key,
                                                                  const Actor& actor,
                                                                  const std::string& cycle_id,
                                                                  const CycleCheck& authorize) {
  return IdempotentTransaction<v1::MonthlyCycle>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::MonthlyCycle> {
        ASSIGN_OR_RETURN(LockedCycle c, LockCycle(tx, cycle_id, authorize));
        if (c.cycle.state() != v1::MONTHLY_CYCLE_STATE_SUBMITTED) {
          return absl::FailedPreconditionError("only a submitted cycle can be approved");
        }
        if (c.cycle.submitted_by() == actor.subject) {
          return absl::PermissionDeniedError("the approver of a cycle must not be its submitter");
        }
        RETURN_IF_ERROR(tx.Execute(kLinesPaidElsewhere, {cycle_id}).status());
        ASSIGN_OR_RETURN(db::Rows closed, tx.Query(kPayableLinesOfClosedEnrolments, {cycle_id}));
        RETURN_IF_ERROR(
            tx.Execute(kLinesOfClosedEnrolments, {static_cast<int64_t>(MonthlyOutcome::kStopped), cycle_id})
                .status());
        // The month each kept goes to the line it replaced, if any; before this cycle's total is reserved, as
        // that line may be this cycle's own.
        ASSIGN_OR_RETURN(const absl::CivilDay month_day,
                         ParseDay(absl::StrCat(c.cycle.month(), "-01"), "month"));
        for (const db::Row& line : closed) {
          RETURN_IF_ERROR(core_.GiveUpKeptMonth(tx, line.String(0), absl::CivilMonth(month_day), actor));
        }
        RETURN_IF_ERROR(tx.Execute(kLockLineTotals, {cycle_id}).status());
        RETURN_IF_ERROR(tx.Execute(kLinesOverCap, {cycle_id}).status());
        RETURN_IF_ERROR(tx.Execute(kTakeLineTotals, {cycle_id}).status());
        ASSIGN_OR_RETURN(std::optional<db::Row> total, tx.QueryOne(kCycleTotal, {cycle_id}));
        const int64_t total_fen = total ? total->Int(0) : 0;
        if (total_fen > 0) {
          // On this replica's budget slot, recorded with the cycle: its lines' payments move within it.
          RETURN_IF_ERROR(core_.PostEntry(tx, c.cycle.program_id(), core_.budget_slot(),
                                          v1::LEDGER_ENTRY_KIND_RESERVATION, v1::LEDGER_ACCOUNT_AVAILABLE,
                                          v1::LEDGER_ACCOUNT_RESERVED, total_fen, "", "", actor));
        }
        RETURN_IF_ERROR(tx.Execute(kApproveCycle, {actor.subject, ToSqlTimestamp(actor.at), total_fen,
                                                   int64_t{core_.budget_slot()}, cycle_id})
                            .status());
        ASSIGN_OR_RETURN(v1::MonthlyCycle approved, ReadCycle(tx, cycle_id));
        v1::MonthlyCycleApproved event;
        event.set_cycle_id(cycle_id);
        event.set_program_id(approved.program_id());
        event.set_month(approved.month());
        event.set_total_fen(total_fen);
        RETURN_IF_ERROR(core_.outbox().Append(tx, cycle_id, event, actor.at));
        return approved;
      });
}

absl::StatusOr<v1::MonthlyCycle> MonthlyRosterStore::RejectCycle(const IdempotencyKey& key,
                                                                 const Actor& actor,
                                                                 const std::string& cycle_id,
                                                                 const CycleCheck& authorize,
                                                                 const std::string& reason) {
  return IdempotentTransaction<v1::MonthlyCycle>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::MonthlyCycle> {
        ASSIGN_OR_RETURN(LockedCycle c, LockCycle(tx, cycle_id, authorize));
        if (c.cycle.state() != v1::MONTHLY_CYCLE_STATE_SUBMITTED) {
          return absl::FailedPreconditionError("only a submitted cycle can be rejected");
        }
        if (c.cycle.submitted_by() == actor.subject) {
          return absl::PermissionDeniedError("the checker of a cycle must not be its submitter");
        }
        RETURN_IF_ERROR(
            tx.Execute(kRejectCycle, {actor.subject, ToSqlTimestamp(actor.at), reason, cycle_id}).status());
        return ReadCycle(tx, cycle_id);
      });
}

absl::StatusOr<v1::MonthlyCycle> MonthlyRosterStore::PayCycle(const IdempotencyKey& key, const Actor& actor,
                                                              const std::string& cycle_id,
                                                              const CycleCheck& authorize,
                                                              v1::PaymentMethod method) {
  // Check first, so a caller out of scope, a cycle not approved or a request id used for another request
  // pays nothing. The request id is claimed here, in its own transaction, before the chunks: the lines are
  // paid in several transactions, so the usual record-with-the-change (IdempotentTransaction) would come
  // only after they were paid, and a reused id would pay its cycle before being refused. A second request
  // with the id waits on the claim's row and then meets it: another request's hash is refused; this
  // request's own, unanswered claim (a crash or a timeout mid-payment) is resumed, paying the lines the
  // approval covered that are still unpaid; an answered one is replayed.
  std::optional<v1::MonthlyCycle> replay;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    replay.reset();
    ASSIGN_OR_RETURN(LockedCycle c, LockCycle(tx, cycle_id, authorize));
    ASSIGN_OR_RETURN(std::optional<std::string> claimed, ClaimIdempotent(tx, key, actor.at, cycle_id));
    if (claimed) {
      ASSIGN_OR_RETURN(std::optional<std::string> answer, ClaimedAnswer(tx, key));
      if (answer) {
        v1::MonthlyCycle first;
        if (!first.ParseFromString(*answer)) {
          return absl::DataLossError("the recorded answer is unreadable");
        }
        replay = std::move(first);
        return absl::OkStatus();
      }
    }
    if (c.cycle.state() != v1::MONTHLY_CYCLE_STATE_APPROVED &&
        c.cycle.state() != v1::MONTHLY_CYCLE_STATE_PAID) {
      return absl::FailedPreconditionError("only an approved cycle can be paid");
    }
    // The approval reserved approved_total_fen for the lines it saw; lines beyond it (written by a replica
    // of a release that still let lines into an approved cycle) were never approved: pay none of them.
    ASSIGN_OR_RETURN(std::optional<db::Row> total, tx.QueryOne(kCycleTotal, {cycle_id}));
    if (total && total->Int(0) > c.cycle.total_fen()) {
      return absl::FailedPreconditionError("the cycle's lines exceed what its approval reserved");
    }
    return absl::OkStatus();
  }));
  if (replay) return *std::move(replay);
  // The lines, a chunk per transaction. A chunk re-run after a crash finds its paid lines paid.
  const std::string payee = absl::StrCat("monthly-cycle:", cycle_id);
  for (bool more = true; more;) {
    RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<db::Row> cycle, tx.QueryOne(kLockCycle, {cycle_id}));
      if (!cycle) return absl::NotFoundError("cycle not found");
      const std::string program_id = cycle->String(1);
      const int budget_slot = static_cast<int>(cycle->Int(3));
      const int64_t approved_fen = cycle->Int(4);
      ASSIGN_OR_RETURN(const absl::CivilDay month_day, DayOf(*cycle, 5, "month"));
      const absl::CivilMonth month(month_day);
      ASSIGN_OR_RETURN(std::optional<db::Row> paid_row, tx.QueryOne(kCyclePaidTotal, {cycle_id}));
      int64_t paid_fen = paid_row ? paid_row->Int(0) : 0;
      ASSIGN_OR_RETURN(db::Rows lines, tx.Query(kUnpaidLines, {cycle_id, int64_t{kLineChunk}}));
      more = static_cast<int>(lines.size()) == kLineChunk;
      std::set<std::string> ended_by_stop;  // enrolments
      if (!lines.empty()) {
        ASSIGN_OR_RETURN(db::Rows ended, tx.Query(kLinesEndedByStops, {cycle_id, lines.front().String(0),
                                                                       lines.back().String(0)}));
        for (const db::Row& r : ended) ended_by_stop.insert(r.String(0));
      }
      for (const db::Row& line : lines) {
        const std::string enrolment_id = line.String(0);
        const std::string child_id = line.String(1);
        const std::string division = line.String(2);
        const int64_t amount = line.Int(3);
        const UnpaidLine unpaid{cycle_id, program_id, budget_slot, month, enrolment_id, child_id, amount};
        // Withdrawn or cancelled with its case, or ended by a stop, since the approval: nothing is paid under
        // it, and the month it kept by the rules goes to the line it replaced, if any (paid by that line's
        // cycle's next payment: this one's when the line is this cycle's, in a later chunk or run; for a
        // stop, an enrolment approved after it, whose line was written before the stop was known here).
        if (!MonthlyEnrolmentOpen(static_cast<v1::ApplicationState>(line.Int(4))) ||
            ended_by_stop.count(enrolment_id) > 0) {
          RETURN_IF_ERROR(LineNotPaid(core_, tx, unpaid, MonthlyOutcome::kStopped, "", actor));
          RETURN_IF_ERROR(core_.GiveUpKeptMonth(tx, enrolment_id, month, actor));
          continue;
        }
        // Never past what was approved, whatever reached the lines since the check above.
        if (paid_fen + amount > approved_fen) {
          return absl::FailedPreconditionError("paying the cycle would exceed what its approval reserved");
        }
        const std::string payment_id = ids_.Next();
        const absl::Status claimed = MariaDbAllowanceStore::ClaimPaidMonth(
            tx, {child_id, month, enrolment_id, payment_id, ""}, actor.at);
        if (std::optional<std::string> keeper = MonthPaidUnder(claimed)) {
          RETURN_IF_ERROR(LineNotPaid(core_, tx, unpaid, MonthlyOutcome::kReplaced, *keeper, actor));
          continue;
        }
        RETURN_IF_ERROR(claimed);
        paid_fen += amount;
        RETURN_IF_ERROR(tx.Execute(kNextIssue, {enrolment_id}).status());
        ASSIGN_OR_RETURN(std::optional<db::Row> issue, tx.QueryOne(kReadIssue, {enrolment_id}));
        if (!issue) return absl::InternalError("enrolment's application is missing");
        RETURN_IF_ERROR(
            tx.Execute(kInsertPayment,
                       {payment_id, enrolment_id, program_id, child_id, division, amount, int64_t{method},
                        payee, issue->Int(0), actor.subject, ToSqlTimestamp(actor.at), int64_t{budget_slot}})
                .status());
        RETURN_IF_ERROR(core_.PostEntry(tx, program_id, budget_slot, v1::LEDGER_ENTRY_KIND_PAYMENT,
                                        v1::LEDGER_ACCOUNT_RESERVED, v1::LEDGER_ACCOUNT_IN_PAYMENT, amount,
                                        enrolment_id, payment_id, actor));
        RETURN_IF_ERROR(tx.Execute(kLinePaid, {payment_id, cycle_id, enrolment_id}).status());
        if (sample_.Selects(payment_id)) {
          v1::HouseholdVerificationRequested event;
          event.set_child_id(child_id);
          event.set_program_id(program_id);
          event.set_payment_id(payment_id);
          event.set_division_code(division);
          event.set_type(v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
          event.set_amount_fen(amount);
          event.set_paid_on(absl::FormatCivilTime(ShanghaiDay(actor.at)));
          RETURN_IF_ERROR(core_.outbox().Append(tx, payment_id, event, actor.at));
        }
      }
      return absl::OkStatus();
    }));
  }
  v1::MonthlyCycle paid;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> locked, tx.QueryOne(kLockCycle, {cycle_id}));
    if (!locked) return absl::NotFoundError("cycle not found");
    RETURN_IF_ERROR(tx.Execute(kPaidCycle, {ToSqlTimestamp(actor.at), cycle_id}).status());
    ASSIGN_OR_RETURN(paid, ReadCycle(tx, cycle_id));
    // The first to finish answers the claim; a concurrent duplicate of the same request finds it answered.
    ASSIGN_OR_RETURN(std::string answer, AnswerClaim(tx, key, paid.SerializeAsString()));
    if (!paid.ParseFromString(answer)) return absl::DataLossError("the recorded answer is unreadable");
    return absl::OkStatus();
  }));
  return paid;
}

// ------------------------------------------------------------------------------------------------ school

absl::StatusOr<v1::SchoolEnrolment> MonthlyRosterStore::RecordSchoolEnrolment(
    const IdempotencyKey& key, const Actor& actor, const v1::SchoolEnrolment& enrolment) {
  const std::string id = ids_.Next();
  return IdempotentTransaction<v1::SchoolEnrolment>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::SchoolEnrolment> {
        ASSIGN_OR_RETURN(absl::CivilDay through, ParseDay(absl::StrCat(enrolment.covers_through(), "-01"),
                                                          "enrolment.covers_through"));
        RETURN_IF_ERROR(tx.Execute(kInsertSchool, {id, enrolment.child_id(), int64_t{enrolment.school()},
                                                   enrolment.evidence_ref(), DaySql(through), actor.subject,
                                                   ToSqlTimestamp(actor.at)})
                            .status());
        v1::SchoolEnrolment written = enrolment;
        written.set_school_enrolment_id(id);
        return written;
      });
}

// ------------------------------------------------------------------------------------------------ registry

absl::Status MonthlyRosterStore::ApplyStop(db::Session& tx, const std::string& child_id, absl::CivilDay day,
                                           StopReason reason, int64_t sequence, absl::Time now) {
  const char* why = reason == StopReason::kCaseClosed        ? "case_closed"
                    : reason == StopReason::kCaseTransferred ? "case_transferred"
                                                             : "left_category";
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kLockChildStop, {child_id}));
  if (row && row->Int(1) >= sequence) return absl::OkStatus();  // a replay
  // Every stop is kept: each ends the enrolments approved on or before it that no earlier stop ended.
  RETURN_IF_ERROR(
      tx.Execute(kInsertStop, {child_id, DaySql(day), std::string(why), sequence, ToSqlTimestamp(now)})
          .status());
  if (!row) {
    // Not taken up yet (or never enrolled): keep the stop for when it is.
    return tx
        .Execute(kInsertChildStop, {child_id, DaySql(day), std::string(why), sequence, ToSqlTimestamp(now)})
        .status();
  }
  // The child's row keeps the latest day, as the previous release reads it.
  std::string stopped = DaySql(day);
  if (!row->IsNull(0)) stopped = std::max(stopped, row->String(0).substr(0, 10));
  RETURN_IF_ERROR(
      tx.Execute(kUpdateChildStop, {stopped, std::string(why), sequence, ToSqlTimestamp(now), child_id})
          .status());
  return absl::OkStatus();
}

// --------------------------------------------------------------------------- verification after payment

absl::StatusOr<bool> MonthlyRosterStore::RecordPaymentCheck(db::Session& tx, const v1::PaymentCheck& check,
                                                            int64_t sequence, absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<db::Row> payment, tx.QueryOne(kPaymentOfCheck, {check.payment_id()}));
  if (!payment) return false;
  // The payment's own program and child, not the event's word for them.
  const std::string program_id = payment->String(0);
  const std::string child_id = payment->String(1);
  const absl::Time checked_at = check.has_checked_at() ? FromProtoTimestamp(check.checked_at()) : now;
  ASSIGN_OR_RETURN(
      uint64_t inserted,
      tx.Execute(kInsertPaymentCheck,
                 {check.payment_id(), program_id, child_id, int64_t{check.result()}, check.note(),
                  check.assignment_id(), ToSqlTimestamp(checked_at), sequence, ToSqlTimestamp(now)}));
  if (inserted == 0) return false;
  if (check.result() != v1::PAYMENT_CHECK_RESULT_RECEIVED_IN_FULL) {
    v1::PaymentVerificationDiscrepancy alert;
    alert.set_payment_id(check.payment_id());
    alert.set_program_id(program_id);
    alert.set_child_id(child_id);
    alert.set_result(check.result());
    alert.set_note(check.note());
    RETURN_IF_ERROR(core_.outbox().Append(tx, check.payment_id(), alert, now));
  }
  return true;
}

absl::StatusOr<std::vector<v1::PaymentCheck>> MonthlyRosterStore::ListPaymentChecks(
    const std::string& program_id, bool discrepancies_only, const std::string& after_payment, int limit) {
  std::vector<v1::PaymentCheck> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query(kListPaymentChecks, {program_id, int64_t{discrepancies_only ? 1 : 0},
                                                  after_payment, int64_t{limit}}));
    for (const db::Row& r : rows) {
      v1::PaymentCheck c;
      c.set_payment_id(r.String(0));
      c.set_program_id(r.String(1));
      c.set_child_id(r.String(2));
      c.set_result(static_cast<v1::PaymentCheckResult>(r.Int(3)));
      c.set_note(r.String(4));
      c.set_assignment_id(r.String(5));
      ASSIGN_OR_RETURN(absl::Time at, FromSqlTimestamp(r.String(6)));
      *c.mutable_checked_at() = ToProtoTimestamp(at);
      out.push_back(std::move(c));
    }
    return absl::OkStatus();
  }));
  return out;
}

// ------------------------------------------------------------------------------------------------ urgent
// needs

absl::StatusOr<bool> MonthlyRosterStore::UrgentNeedSeen(db::Session& tx, const std::string& report_id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kUrgentNeedSeen, {report_id}));
  return row.has_value();
}

absl::StatusOr<std::vector<ReliefCandidate>> MonthlyRosterStore::ReliefCandidates(
    db::Session& tx, const std::string& division_code, absl::CivilDay today) {
  // The village's own code and its township, county, prefecture and province prefixes.
  std::vector<db::Value> prefixes;
  for (size_t len : {2, 4, 6, 9, 12})
    prefixes.push_back(division_code.substr(0, std::min(len, division_code.size())));
  ASSIGN_OR_RETURN(db::Rows rows, tx.Query(kReliefCandidates, prefixes));
  std::vector<ReliefCandidate> out;
  for (const db::Row& r : rows) {
    ReliefCandidate c;
    c.program_id = r.String(0);
    c.division_prefix = r.String(1);
    ASSIGN_OR_RETURN(absl::CivilDay start, DayOf(r, 2, "period_start"));
    ASSIGN_OR_RETURN(absl::CivilDay end, DayOf(r, 3, "period_end"));
    c.running = start <= today && today <= end;
    for (absl::string_view type : absl::StrSplit(r.String(4), ',')) {
      if (type == "2") c.allows_emergency_relief = true;
    }
    c.per_payment_cap_fen = r.Int(5);
    c.available_fen = r.Int(6);
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::string> MonthlyRosterStore::RecordUrgentNeed(db::Session& tx,
                                                                 const UrgentNeedDraft& draft,
                                                                 absl::Time now) {
  std::string application_id;
  std::string why_none = draft.choice.why_none;
  bool closed = false;
  if (!draft.choice.program_id.empty()) {
    // A visit report consumed after the child's case closed drafts nothing: the close blocks new
    // applications, and the standing's lock orders this draft with the close's cancellation.
    ASSIGN_OR_RETURN(closed, MariaDbAllowanceStore::CaseClosedToApplications(tx, draft.child_id, now));
    if (closed) why_none = "the child's case is closed";
  }
  if (!draft.choice.program_id.empty() && !closed) {
    application_id = ids_.Next();
    RETURN_IF_ERROR(tx.Execute(kInsertDraftApplication,
                               {application_id, draft.choice.program_id, draft.child_id, draft.division_code,
                                draft.organisation_id, draft.choice.amount_fen, draft.reason, draft.report_id,
                                kUrgentNeedApplicant, int64_t{ShanghaiDay(now).year()}, ToSqlTimestamp(now)})
                        .status());
  }
  RETURN_IF_ERROR(
      tx.Execute(kInsertUrgentNeed, {draft.report_id, draft.event_sequence, draft.child_id,
                                     draft.division_code, application_id, why_none, ToSqlTimestamp(now)})
          .status());
  if (!application_id.empty()) {
    v1::ApplicationSubmitted event;
    event.set_application_id(application_id);
    event.set_program_id(draft.choice.program_id);
    event.set_child_id(draft.child_id);
    event.set_type(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
    event.set_amount_fen(draft.choice.amount_fen);
    RETURN_IF_ERROR(core_.outbox().Append(tx, application_id, event, now));
  }
  return application_id;
}

// ------------------------------------------------------------------------------------------------ forecast

absl::StatusOr<std::optional<ProgramFigures>> MonthlyRosterStore::ReadProgramFigures(
    const std::string& program_id, absl::CivilDay today, int pace_window_days) {
  std::optional<ProgramFigures> out;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    out.reset();
    ASSIGN_OR_RETURN(std::optional<v1::Program> program,
                     MariaDbAllowanceStore::ReadProgram(tx, program_id, false));
    if (!program) return absl::OkStatus();
    ProgramFigures f;
    f.program = *std::move(program);
    const v1::ProgramBalances& b = f.program.balances();
    ForecastInput& in = f.input;
    in.budget_fen = b.budget_fen();
    in.paid_fen = b.in_payment_fen() + b.disbursed_fen();
    in.reserved_fen = b.reserved_fen();
    in.today = today;
    ASSIGN_OR_RETURN(in.period_end, ParseDay(f.program.period_end(), "period_end"));
    ASSIGN_OR_RETURN(std::optional<db::Row> pipeline, tx.QueryOne(kPipeline, {program_id}));
    in.pipeline_fen = pipeline ? pipeline->Int(0) : 0;
    in.pace_window_days = pace_window_days;
    const absl::Time window_start =
        absl::FromCivil(absl::CivilSecond(today - pace_window_days), ShanghaiTimeZone());
    ASSIGN_OR_RETURN(std::optional<db::Row> pace,
                     tx.QueryOne(kPace, {program_id, ToSqlTimestamp(window_start)}));
    in.pace_fen = pace ? pace->Int(0) : 0;
    ASSIGN_OR_RETURN(std::optional<db::Row> arrears, tx.QueryOne(kArrearsOwedOfProgram, {program_id}));
    in.arrears_owed_fen = arrears ? arrears->Int(0) : 0;

    // The rosters to come: each month after the latest generated one (or after this month) to the period's
    // end, by the rules as the children stand now.
    absl::CivilMonth first = absl::CivilMonth(today) + 1;
    ASSIGN_OR_RETURN(std::optional<db::Row> latest, tx.QueryOne(kLatestCycleMonth, {program_id}));
    if (latest && !latest->IsNull(0)) {
      ASSIGN_OR_RETURN(absl::CivilDay m, DayOf(*latest, 0, "month"));
      first = std::max(first, absl::CivilMonth(m) + 1);
    }
    ASSIGN_OR_RETURN(db::Rows changes, tx.Query(kAmountChangesOfProgram, {program_id}));
    std::map<std::string, std::vector<MonthlyAmountStep>> steps;  // enrolment → its changes
    for (const db::Row& r : changes) {
      ASSIGN_OR_RETURN(absl::CivilDay from, DayOf(r, 2, "from_month"));
      steps[r.String(0)].push_back({static_cast<int>(r.Int(1)), absl::CivilMonth(from), r.Int(3)});
    }
    ASSIGN_OR_RETURN(db::Rows rows, tx.Query(kMonthlyEnrolmentsOfProgram, {program_id}));
    std::vector<std::pair<LivingAllowanceChild, MonthlyEnrolment>> enrolled;
    for (const db::Row& r : rows) {
      LivingAllowanceChild c;
      MonthlyEnrolment e;
      e.enrolment_id = r.String(7);
      e.monthly_amount_fen = r.Int(0);
      ASSIGN_OR_RETURN(absl::Time decided, FromSqlTimestamp(r.String(1)));
      e.approved_on = ShanghaiDay(decided);
      ASSIGN_OR_RETURN(c.birth_date, DayOf(r, 3, "birth_date"));
      c.orphan = r.Int(4) != 0;
      c.de_facto_unsupported = r.Int(5) != 0;
      e.kind = r.IsNull(2) ? KindTakenUp(c.orphan, c.de_facto_unsupported)
                           : static_cast<LivingAllowanceKind>(r.Int(2));
      ASSIGN_OR_RETURN(e.stopped_on, StopOf(r, 6));
      enrolled.emplace_back(std::move(c), std::move(e));
    }
    for (absl::CivilMonth m = first; m <= absl::CivilMonth(in.period_end); ++m) {
      RosterDue due{m, 0};
      // Within one program each child holds one enrolment; school proofs are not projected (conservative).
      for (const auto& [child, enrolment] : enrolled) {
        std::vector<MonthlyEnrolment> in_month{enrolment};
        if (auto it = steps.find(enrolment.enrolment_id); it != steps.end()) {
          in_month[0].monthly_amount_fen = MonthlyAmountIn(enrolment.monthly_amount_fen, it->second, m);
        }
        for (const MonthlyDecision& d : DecideMonth(child, in_month, m)) due.amount_fen += d.amount_fen;
      }
      in.rosters.push_back(due);
    }
    out = std::move(f);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<bool> MonthlyRosterStore::RaiseBudgetAlertOnce(const v1::Program& program,
                                                              const ForecastResult& result, absl::Time now) {
  if (!result.at_risk || !result.runs_out_on) return false;
  bool raised = false;
  absl::Status status = pool_.Transaction([&](db::Session& tx) -> absl::Status {
    raised = false;
    ASSIGN_OR_RETURN(std::optional<db::Row> before, tx.QueryOne(kLockAlert, {program.program_id()}));
    if (before) return absl::OkStatus();
    RETURN_IF_ERROR(
        tx.Execute(kInsertAlert, {program.program_id(), DaySql(*result.runs_out_on), ToSqlTimestamp(now)})
            .status());
    raised = true;
    v1::ProgramBudgetAtRisk event;
    event.set_program_id(program.program_id());
    event.set_runs_out_on(DaySql(*result.runs_out_on));
    event.set_period_end(program.period_end());
    event.set_uncommitted_fen(result.uncommitted_fen);
    return core_.outbox().Append(tx, program.program_id(), event, now);
  });
  // A racing forecast inserted it first: raised once, by the other.
  if (absl::IsAlreadyExists(status)) return false;
  RETURN_IF_ERROR(status);
  return raised;
}

absl::StatusOr<std::vector<std::string>> MonthlyRosterStore::RunningPrograms(absl::CivilDay today) {
  return db::ReadOne<std::vector<std::string>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<std::string>> {
        ASSIGN_OR_RETURN(db::Rows rows, s.Query(kRunningPrograms, {DaySql(today)}));
        std::vector<std::string> out;
        for (const db::Row& r : rows) out.push_back(r.String(0));
        return out;
      });
}

// ------------------------------------------------------------------------------------------------ report

absl::StatusOr<std::vector<v1::AllowanceReportRow>> MonthlyRosterStore::Report(
    const std::string& division_prefix, const std::string& program_id, const std::string& organisation,
    absl::CivilMonth from, absl::CivilMonth to) {
  return db::ReadOne<std::vector<v1::AllowanceReportRow>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<v1::AllowanceReportRow>> {
        ASSIGN_OR_RETURN(db::Rows rows,
                         s.Query(kReport, {division_prefix, DivisionPrefixEnd(division_prefix),
                                           ToSqlTimestamp(ShanghaiMonthStart(from)),
                                           ToSqlTimestamp(ShanghaiMonthStart(to + 1)), program_id, program_id,
                                           organisation, organisation, organisation}));
        std::vector<v1::AllowanceReportRow> out;
        for (const db::Row& r : rows) {
          v1::AllowanceReportRow row;
          row.set_program_id(r.String(0));
          row.set_county_code(r.String(1));
          row.set_month(r.String(2));
          row.set_type(static_cast<v1::AllowanceType>(r.Int(3)));
          row.set_living_allowance_kind(static_cast<v1::LivingAllowanceKind>(r.Int(4)));
          row.set_amount_fen(r.Int(5));
          row.set_person_times(r.Int(6));
          row.set_distinct_children(r.Int(7));
          out.push_back(std::move(row));
        }
        return out;
      });
}

}  // namespace shouhu::allowance
