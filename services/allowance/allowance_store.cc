#include "services/allowance/allowance_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/batch_statements.h"
#include "common/clock.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/allowance/budget_slot_store.h"
#include "services/allowance/living_allowance_rules.h"
#include "services/allowance/living_allowance_stops.h"
#include "services/allowance/monthly_amounts.h"
#include "shouhu/allowance/v1/events.pb.h"
#include "shouhu/allowance/v1/monthly_cycles.pb.h"

namespace shouhu::allowance {
namespace {

// ---------------------------------------------------------------------------------------------- programs

constexpr char kInsertProgram[] =
    "INSERT INTO programs (id, name, plan, target_group, jurisdiction, operator_organisation_id,"
    " funder_organisation_id, budget_fen, period_start, period_end, allowed_types, eligible_categories,"
    " per_payment_cap_fen, per_child_year_cap_fen, second_approval_threshold_fen, state, proposed_by,"
    " proposed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

constexpr char kSelectProgram[] =
    "SELECT id, name, plan, target_group, jurisdiction, operator_organisation_id, funder_organisation_id,"
    " budget_fen, period_start, period_end, allowed_types, eligible_categories, per_payment_cap_fen,"
    " per_child_year_cap_fen, second_approval_threshold_fen, state, assessment_reviewer, assessment_accepted,"
    " assessment_comment, assessed_by, assessed_at, evaluation_score, evaluation_summary, evaluated_by,"
    " evaluated_at, proposed_by, proposed_at, funded_at FROM programs WHERE id = ?";

constexpr char kLockProgram[] =
    "SELECT id, name, plan, target_group, jurisdiction, operator_organisation_id, funder_organisation_id,"
    " budget_fen, period_start, period_end, allowed_types, eligible_categories, per_payment_cap_fen,"
    " per_child_year_cap_fen, second_approval_threshold_fen, state, assessment_reviewer, assessment_accepted,"
    " assessment_comment, assessed_by, assessed_at, evaluation_score, evaluation_summary, evaluated_by,"
    " evaluated_at, proposed_by, proposed_at, funded_at FROM programs WHERE id = ? FOR UPDATE";

constexpr char kListPrograms[] =
    "SELECT id, name, plan, target_group, jurisdiction, operator_organisation_id, funder_organisation_id,"
    " budget_fen, period_start, period_end, allowed_types, eligible_categories, per_payment_cap_fen,"
    " per_child_year_cap_fen, second_approval_threshold_fen, state, assessment_reviewer, assessment_accepted,"
    " assessment_comment, assessed_by, assessed_at, evaluation_score, evaluation_summary, evaluated_by,"
    " evaluated_at, proposed_by, proposed_at, funded_at FROM programs"
    " WHERE jurisdiction >= ? AND jurisdiction < ? AND (? = 0 OR state = ?) AND id > ? ORDER BY id LIMIT ?";

constexpr char kSelectScores[] =
    "SELECT criterion, score FROM program_assessment_scores WHERE program_id = ? ORDER BY position";
constexpr char kInsertScore[] =
    "INSERT INTO program_assessment_scores (program_id, position, criterion, score) VALUES (?, ?, ?, ?)";
constexpr char kUpdateAssessment[] =
    "UPDATE programs SET state = ?, assessment_reviewer = ?, assessment_accepted = ?, assessment_comment = ?,"
    " assessed_by = ?, assessed_at = ? WHERE id = ?";
constexpr char kUpdateFunded[] = "UPDATE programs SET state = ?, funded_at = ? WHERE id = ?";
constexpr char kUpdateCaps[] =
    "UPDATE programs SET per_payment_cap_fen = ?, per_child_year_cap_fen = ? WHERE id = ?";
constexpr char kUpdateEvaluation[] =
    "UPDATE programs SET state = ?, evaluation_score = ?, evaluation_summary = ?, evaluated_by = ?,"
    " evaluated_at = ? WHERE id = ?";

// The program's money (program_balances and its budget slots) is moved by budget_slot_store, beside the
// ledger entry PostEntry writes.

constexpr char kInsertEntriesHead[] =
    "INSERT INTO ledger_entries (id, program_id, kind, from_account, to_account, amount_fen, application_id,"
    " payment_id, recorded_by, recorded_at, budget_slot) VALUES ";
constexpr char kEntryTuple[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr size_t kEntryWidth = 11;
// A page of the ledger (ledger_cursor.h): each slot's next entries after its own place, each slot read along
// the (program_id, budget_slot, id) index for at most a page, the union cut to one page in id order. The
// slots are the program's rows in program_budget_slots, slot 0 always among them, and the remainder: 0050
// left every earlier entry in slot 0, but 0030 made a slot-0 row only for programs with money reserved, in
// payment or disbursed, so a program funded and untouched at the upgrade had its funding entry in a slot
// without a row, and the listing never gave it. (Reading the slots from the entries instead, DISTINCT along
// the index, read every entry of the program for each page: 6,989 index rows for a program of the benchmark
// data set; an empty slot 0 costs one probe.) A slot whose row appears after they were read has only entries
// newer than this page's, which the next page reads from its start.
constexpr char kListSlots[] =
    "SELECT slot FROM program_budget_slots WHERE program_id = ? UNION SELECT 0 ORDER BY slot";
constexpr char kListSlotEntries[] =
    "(SELECT id, program_id, kind, from_account, to_account, amount_fen, application_id, payment_id,"
    " recorded_by, recorded_at, budget_slot FROM ledger_entries"
    " WHERE program_id = ? AND budget_slot = ? AND id > ? ORDER BY id LIMIT ?)";
constexpr char kListEntriesTail[] = " ORDER BY id LIMIT ?";
// Money out of and into each account, for the reconciliation.
constexpr char kSumOut[] =
    "SELECT from_account, SUM(amount_fen), COUNT(*) FROM ledger_entries WHERE program_id = ?"
    " GROUP BY from_account";
constexpr char kSumIn[] =
    "SELECT to_account, SUM(amount_fen) FROM ledger_entries WHERE program_id = ? GROUP BY to_account";

// ------------------------------------------------------------------------------------------ applications

constexpr char kInsertApplication[] =
    "INSERT INTO applications (id, program_id, child_id, division_code, organisation_id, type, amount_fen,"
    " reason, evidence_report_id, state, applicant, year, submitted_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
// The reads an answer is made of (not the locking ones) carry the enrolment's kind once taken up (column 19).
#define SHOUHU_ENROLMENT_KIND \
  "(SELECT e.kind FROM living_allowance_enrolments e WHERE e.application_id = applications.id)"
constexpr char kSelectApplication[] =
    "SELECT id, program_id, child_id, division_code, organisation_id, type, amount_fen, reason,"
    " evidence_report_id, state, applicant, first_approver, second_approver, rejection_reason, year,"
    " submitted_at, decided_at, payments_issued, budget_slot, " SHOUHU_ENROLMENT_KIND
    " FROM applications WHERE id = ?";
constexpr char kLockApplication[] =
    "SELECT id, program_id, child_id, division_code, organisation_id, type, amount_fen, reason,"
    " evidence_report_id, state, applicant, first_approver, second_approver, rejection_reason, year,"
    " submitted_at, decided_at, payments_issued, budget_slot FROM applications WHERE id = ? FOR UPDATE";
constexpr char kListApplications[] =
    "SELECT id, program_id, child_id, division_code, organisation_id, type, amount_fen, reason,"
    " evidence_report_id, state, applicant, first_approver, second_approver, rejection_reason, year,"
    " submitted_at, decided_at, payments_issued, budget_slot, " SHOUHU_ENROLMENT_KIND
    " FROM applications WHERE program_id = ? AND (? = 0 OR state = ?) AND (? = 0 OR type = ?) AND id > ?"
    " ORDER BY id LIMIT ?";
#undef SHOUHU_ENROLMENT_KIND
// The column the reads above hold the kind in.
constexpr int kEnrolmentKindColumn = 19;
// budget_slot: the slot an approval reserved on; the application's later movements of money happen within it.
constexpr char kSetApplicationSlot[] = "UPDATE applications SET budget_slot = ? WHERE id = ?";
constexpr char kUpdateApplication[] =
    "UPDATE applications SET state = ?, first_approver = ?, second_approver = ?, rejection_reason = ?,"
    " decided_at = ?, payments_issued = ?, budget_slot = ?, year = ? WHERE id = ?";
// The child's applications the closing of the case may cancel (submitted, awaiting the second approval,
// approved; a monthly enrolment in payment or paid too, which may still hold a sum), locked in id order so
// two cancellations of one child cannot deadlock each other.
constexpr char kOpenApplicationsOfChild[] =
    "SELECT id FROM applications WHERE child_id = ?"
    " AND (state IN (1, 2, 3) OR (type = 5 AND state IN (6, 7))) ORDER BY id FOR UPDATE";
// The child's case standing (migration 0070). The upsert writes the row even when it exists (a write, not
// only a lock, so Galera certification sees it); the locking read then gives the latest committed standing.
constexpr char kTouchCaseStanding[] =
    "INSERT INTO allowance_case_standing (child_id, closed, last_event_sequence, updated_at)"
    " VALUES (?, 0, 0, ?) ON DUPLICATE KEY UPDATE updated_at = VALUES(updated_at)";
constexpr char kLockCaseStanding[] =
    "SELECT closed, last_event_sequence FROM allowance_case_standing WHERE child_id = ? FOR UPDATE";
constexpr char kFoldCaseStanding[] =
    "UPDATE allowance_case_standing SET closed = ?, last_event_sequence = ?, updated_at = ?"
    " WHERE child_id = ?";
constexpr char kChildOfApplication[] = "SELECT child_id FROM applications WHERE id = ?";
// What judging a monthly enrolment's first month needs (CheckFirstMonthByApplication), as the roster's
// generation gathers it: the child's enrolments (approved, in payment or paid, in funded programs) with the
// kind each was taken up as (NULL: not yet), the child's facts as folded, and the child's school proofs.
constexpr char kMonthlyEnrolmentsOfChild[] =
    "SELECT a.id, a.program_id, a.amount_fen, a.decided_at, e.kind,"
    " " SHOUHU_STOP_OF_ENROLMENT("a.child_id", "a.decided_at") " FROM applications a"
    " JOIN programs p ON p.id = a.program_id"
    " LEFT JOIN living_allowance_enrolments e ON e.application_id = a.id"
    " WHERE a.child_id = ? AND a.type = 5 AND a.state IN " SHOUHU_OPEN_ENROLMENT_STATES
    " AND p.state = 4 ORDER BY a.id";
// The enrolment's roster line of a month (one at most: 0060's unique key), as generation wrote it.
// With the stop that ends the enrolment (living_allowance_stops.h).
constexpr char kRosterLineOfEnrolment[] =
    "SELECT l.outcome, l.replaced_by, " SHOUHU_STOP_OF_ENROLMENT("a.child_id", "a.decided_at")
    " FROM monthly_roster_lines l JOIN applications a ON a.id = l.enrolment_id"
    " WHERE l.month = ? AND l.enrolment_id = ?";
// The first month's line of an enrolment a stop ended: stopped, as the roster would have written it.
constexpr char kFirstMonthLineStopped[] =
    "UPDATE monthly_roster_lines SET outcome = ?, amount_fen = 0, payable_child_id = NULL"
    " WHERE month = ? AND enrolment_id = ? AND outcome = ?";
// Whether the monthly enrolment's first-month reservation went back to the budget (migration 0080).
constexpr char kFirstMonthReleased[] =
    "SELECT first_month_released_at IS NOT NULL FROM living_allowance_enrolments WHERE application_id = ?";
constexpr char kMarkFirstMonthReleased[] =
    "UPDATE living_allowance_enrolments SET first_month_released_at = ? WHERE application_id = ?";
// The child's months of basic living allowance paid (migration 0100). INSERT IGNORE: a month held already
// (committed, or by a racing transaction, which it waits for) inserts nothing, and the locking read then
// finds its holder as committed.
constexpr char kClaimPaidMonth[] =
    "INSERT IGNORE INTO living_allowance_months_paid (child_id, month, enrolment_id, payment_id, claimed_at)"
    " VALUES (?, ?, ?, ?, ?)";
constexpr char kPaidMonthHolder[] =
    "SELECT enrolment_id, payment_id FROM living_allowance_months_paid WHERE child_id = ? AND month = ?"
    " LOCK IN SHARE MODE";
// A re-issue takes its month over from the reversed payment it re-issues.
constexpr char kPassPaidMonth[] =
    "UPDATE living_allowance_months_paid SET payment_id = ? WHERE payment_id = ?";
// The months the application's reversed payments held for their re-issue, once that money went back to the
// budget: they were not paid.
constexpr char kFreeReversedMonths[] =
    "DELETE m FROM living_allowance_months_paid m JOIN payments p ON p.id = m.payment_id"
    " WHERE m.enrolment_id = ? AND p.state IN (4, 5)";
// The months the application's reversed payments hold, read as they are freed (kFreeReversedMonths).
constexpr char kReversedMonthsHeld[] =
    "SELECT m.child_id, m.month FROM living_allowance_months_paid m JOIN payments p ON p.id = m.payment_id"
    " WHERE m.enrolment_id = ? AND p.state IN (4, 5)";
// The child's other open monthly enrolments whose first month's reservation went back (migration 0080),
// locked in id order: one of them may be owed a month just freed (OwedFreedMonth).
constexpr char kReleasedEnrolmentsOfChild[] =
    "SELECT a.id FROM applications a JOIN living_allowance_enrolments e ON e.application_id = a.id"
    " WHERE a.child_id = ? AND a.type = 5 AND a.state IN " SHOUHU_OPEN_ENROLMENT_STATES
    " AND a.id <> ?"
    " AND e.first_month_released_at IS NOT NULL ORDER BY a.id FOR UPDATE";
constexpr char kUnmarkFirstMonthReleased[] =
    "UPDATE living_allowance_enrolments SET first_month_released_at = NULL WHERE application_id = ?";
constexpr char kSetApplicationApproved[] = "UPDATE applications SET state = 3 WHERE id = ?";
// Whether the child's case is closed, as folded (migration 0070): a closed case's enrolments are given
// nothing again.
constexpr char kCaseStandingClosed[] = "SELECT closed FROM allowance_case_standing WHERE child_id = ?";
// The counters of ReportMonthHandOver, which alerts watch: a month the budget or the cap refused to hand over
// (by `to`: first_month, paid through the application; cycle_line), and a line made payable in a cycle paid
// already, which needs its PayMonthlyCycle run again.
constexpr char kMonthsNotHandedOver[] = "shouhu_allowance_months_not_handed_over_total";
constexpr char kCycleLinesToPayAgain[] = "shouhu_allowance_cycle_lines_to_pay_again_total";
// A re-reservation the budget or the cap refuses is undone alone: the closing it follows still commits.
constexpr absl::string_view kSavepointOwedMonth = "SAVEPOINT owed_month";
constexpr absl::string_view kRollbackOwedMonth = "ROLLBACK TO SAVEPOINT owed_month";
// The child's cycle line of a month listed as replaced by `closing` because its payment held the month
// (generation's WithMonthPaidUnder, the approval's kLinesPaidElsewhere, the payment's refusal), of an
// enrolment still open, with its cycle's state and slot: locked, found through the child's enrolments and the
// lines' (month, enrolment) key. Of several, the one the rules would have kept (living_allowance_rules.cc
// Precedence: the orphan allowance, then the earliest approval, by its Shanghai day, then the smaller id),
// with its amount for the month (monthly_amounts.h).
constexpr char kLineReplacedByHolder[] =
    "SELECT l.cycle_id, l.enrolment_id, " SHOUHU_MONTHLY_AMOUNT("a.id", "a.amount_fen", "l.month")
    ", c.state, c.budget_slot FROM applications a"
    " JOIN living_allowance_enrolments e ON e.application_id = a.id"
    " JOIN monthly_roster_lines l ON l.month = ? AND l.enrolment_id = a.id"
    " JOIN monthly_cycles c ON c.id = l.cycle_id"
    " WHERE a.child_id = ? AND a.type = 5 AND a.state IN " SHOUHU_OPEN_ENROLMENT_STATES
    " AND l.outcome = ? AND l.replaced_by = ?"
    " ORDER BY e.kind <> 1, DATE(DATE_ADD(a.decided_at, INTERVAL 8 HOUR)), l.enrolment_id LIMIT 1 FOR UPDATE";
// The child's other lines of the month listed as replaced by an enrolment that has just handed the month on:
// they name the new holder, so that when it too gives the month up they are found as lines it replaced.
constexpr char kLinesStillReplacedBy[] =
    "SELECT l.cycle_id, l.enrolment_id FROM applications a"
    " JOIN monthly_roster_lines l ON l.month = ? AND l.enrolment_id = a.id"
    " WHERE a.child_id = ? AND a.type = 5 AND l.outcome = ? AND l.replaced_by = ? AND l.enrolment_id <> ?";
constexpr char kLineReplacedByNewHolder[] =
    "UPDATE monthly_roster_lines SET replaced_by = ?"
    " WHERE cycle_id = ? AND enrolment_id = ? AND outcome = ? AND replaced_by = ?";
constexpr char kLinePayableAgain[] =
    "UPDATE monthly_roster_lines SET outcome = ?, amount_fen = ?, replaced_by = '', payable_child_id = "
    "child_id"
    " WHERE cycle_id = ? AND enrolment_id = ?";
// A line of its enrolment's first month, replaced by a keeper that gave the month up: the application's to
// pay.
constexpr char kLinePaidByApplicationAgain[] =
    "UPDATE monthly_roster_lines SET outcome = ?, replaced_by = '' WHERE cycle_id = ? AND enrolment_id = ?";
// An approved (or paid) cycle takes the line back into what its approval reserved, so its payment pays it.
constexpr char kCycleReservedMore[] =
    "UPDATE monthly_cycles SET approved_total_fen = approved_total_fen + ? WHERE id = ? AND state IN (3, 5)";
// Whether the application issued its own first payment (not a cycle's line, not a re-issue).
constexpr char kOwnPaymentIssued[] =
    "SELECT COUNT(*) FROM payments p LEFT JOIN monthly_roster_lines l ON l.payment_id = p.id"
    " WHERE p.application_id = ? AND p.reissue_of IS NULL AND l.payment_id IS NULL";
// An enrolment's take-up (TakeUpEnrolment): the kind its child's recorded categories give it. A replay keeps
// the first row.
constexpr char kSelectChildFlags[] =
    "SELECT is_orphan, is_de_facto_unsupported FROM living_allowance_children"
    " WHERE child_id = ? AND birth_date IS NOT NULL";
constexpr char kInsertEnrolment[] =
    "INSERT INTO living_allowance_enrolments (application_id, child_id, kind, taken_up_at) VALUES (?, ?, ?, "
    "?)"
    " ON DUPLICATE KEY UPDATE application_id = application_id";
// The child's facts, recorded once: a row the registry follower made for a stop (birth_date NULL) is filled
// in, a row with facts keeps them (living_allowance_children).
constexpr char kInsertLivingAllowanceChild[] =
    "INSERT INTO living_allowance_children (child_id, birth_date, is_orphan, is_de_facto_unsupported,"
    " updated_at) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
    " is_orphan = IF(birth_date IS NULL, VALUES(is_orphan), is_orphan),"
    " is_de_facto_unsupported = IF(birth_date IS NULL, VALUES(is_de_facto_unsupported), "
    "is_de_facto_unsupported),"
    " birth_date = COALESCE(birth_date, VALUES(birth_date))";
constexpr char kLivingAllowanceChild[] =
    "SELECT birth_date, is_orphan, is_de_facto_unsupported FROM living_allowance_children"
    " WHERE child_id = ? AND birth_date IS NOT NULL";
constexpr char kSchoolProofsOfChild[] =
    "SELECT school, evidence_ref, covers_through FROM school_enrolments WHERE child_id = ?";
constexpr char kInsertItem[] =
    "INSERT INTO application_items (application_id, position, description, quantity, unit_value_fen)"
    " VALUES (?, ?, ?, ?, ?)";
constexpr char kSelectItems[] =
    "SELECT description, quantity, unit_value_fen FROM application_items WHERE application_id = ?"
    " ORDER BY position";

constexpr char kSelectCommitted[] =
    "SELECT committed_fen FROM child_year_totals WHERE program_id = ? AND child_id = ? AND year = ?";
constexpr char kEnsureCommitted[] =
    "INSERT INTO child_year_totals (program_id, child_id, year, committed_fen) VALUES (?, ?, ?, 0)"
    " ON DUPLICATE KEY UPDATE committed_fen = committed_fen";
// The cap taken under the row's lock, as the budget is.
constexpr char kTakeCommitted[] =
    "UPDATE child_year_totals SET committed_fen = committed_fen + ?"
    " WHERE program_id = ? AND child_id = ? AND year = ? AND committed_fen <= ? - ?";
constexpr char kReleaseCommitted[] =
    "UPDATE child_year_totals SET committed_fen = committed_fen - ?"
    " WHERE program_id = ? AND child_id = ? AND year = ? AND committed_fen >= ?";

// ---------------------------------------------------------------------------------------------- payments

constexpr char kInsertPaymentsHead[] =
    "INSERT INTO payments (id, application_id, program_id, child_id, division_code, amount_fen, method,"
    " payee_reference, state, issue_number, attempts, issued_by, issued_at, budget_slot, reissue_of) VALUES ";
constexpr char kPaymentTuple[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)";
constexpr size_t kPaymentWidth = 14;
// An application's payments in issue order, as DecideNextIssue judges them: what each re-issued (migration
// 0090) and whether a monthly cycle issued it (its roster line names it).
constexpr char kPaymentsOfApplication[] =
    "SELECT p.id, p.state, p.amount_fen, p.reissue_of, l.payment_id IS NOT NULL, l.month FROM payments p"
    " LEFT JOIN monthly_roster_lines l ON l.payment_id = p.id"
    " WHERE p.application_id = ? ORDER BY p.issue_number";
// The slot a payment's money sits in (its application's, or its monthly cycle's).
constexpr char kPaymentSlot[] = "SELECT budget_slot FROM payments WHERE id = ?";
constexpr char kSelectPayment[] =
    "SELECT id, application_id, program_id, child_id, division_code, amount_fen, method, payee_reference,"
    " state, issue_number, attempts, failure_reason, issued_by, issued_at, resolved_at FROM payments"
    " WHERE id = ?";
constexpr char kLockPayment[] =
    "SELECT id, application_id, program_id, child_id, division_code, amount_fen, method, payee_reference,"
    " state, issue_number, attempts, failure_reason, issued_by, issued_at, resolved_at FROM payments"
    " WHERE id = ? FOR UPDATE";
constexpr char kListPayments[] =
    "SELECT id, application_id, program_id, child_id, division_code, amount_fen, method, payee_reference,"
    " state, issue_number, attempts, failure_reason, issued_by, issued_at, resolved_at FROM payments"
    " WHERE application_id = ? ORDER BY issue_number";
constexpr char kUpdatePayment[] =
    "UPDATE payments SET state = ?, attempts = ?, failure_reason = ?, resolved_at = ?, next_attempt_at = ?"
    " WHERE id = ?";
constexpr char kDueFailedPayments[] =
    "SELECT id FROM payments WHERE state = ? AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 500";

// PayApplications' batch forms: one statement for all of a batch's rows. Their IN lists, CASE arms and
// VALUES rows are repeated per row, padded or chunked to powers of two (common/batch_statements.h) so a
// connection prepares a few texts per kind, not one per batch size.
constexpr char kApplicationColumns[] =
    "SELECT id, program_id, child_id, division_code, organisation_id, type, amount_fen, reason,"
    " evidence_report_id, state, applicant, first_approver, second_approver, rejection_reason, year,"
    " submitted_at, decided_at, payments_issued, budget_slot FROM applications";
constexpr char kProgramColumns[] =
    "SELECT id, name, plan, target_group, jurisdiction, operator_organisation_id, funder_organisation_id,"
    " budget_fen, period_start, period_end, allowed_types, eligible_categories, per_payment_cap_fen,"
    " per_child_year_cap_fen, second_approval_threshold_fen, state, assessment_reviewer, assessment_accepted,"
    " assessment_comment, assessed_by, assessed_at, evaluation_score, evaluation_summary, evaluated_by,"
    " evaluated_at, proposed_by, proposed_at, funded_at FROM programs";
// What paying depends on of a program (PaymentOrder::authorize, CheckPayable): who runs and who funds it,
// where, and its state. A program row's texts (plan, target group, assessment, evaluation) are most of its
// bytes and none of a payment's business; over 200 programs a batch of 50 payments read some 40 whole rows.
constexpr char kPayingProgramColumns[] =
    "SELECT id, jurisdiction, operator_organisation_id, funder_organisation_id, state FROM programs";
// Every paid application moves on by one issue; all of a batch go to PAYMENT_ISSUED.
constexpr char kMarkPaymentsIssuedHead[] =
    "UPDATE applications SET state = ?, payments_issued = payments_issued + 1 WHERE id IN (";
// The PAYMENT movement (RESERVED -> IN_PAYMENT) of each (program, budget slot)'s sum: one row of VALUES per
// slot, each matching its existing row by primary key, so MariaDB does one key lookup per slot. (An UPDATE
// naming the slots by ORs of their keys, with a CASE arm per slot for the amount, evaluated every arm for
// every row: some 0.4 ms of the server's CPU per batch of 30 slots, about three times this form.) The guard
// is the table's CHECK that no column goes negative (migration 0040): a slot whose reserved balance does not
// hold its sum fails the statement, and the batch. A slot row that does not exist would be inserted, which
// the row count shows (1 for an insert, 2 for an update), and the batch fails too.
constexpr char kMoveReservedToInPaymentHead[] =
    "INSERT INTO program_budget_slots (program_id, slot, available_fen, reserved_fen, in_payment_fen,"
    " disbursed_fen, last_entry_id) VALUES ";
constexpr char kMoveReservedToInPaymentTuple[] = "(?, ?, 0, ?, 0, 0, ?)";
constexpr size_t kMoveReservedToInPaymentWidth = 4;
constexpr char kMoveReservedToInPaymentUpdate[] =
    " ON DUPLICATE KEY UPDATE reserved_fen = reserved_fen - VALUES(reserved_fen),"
    " in_payment_fen = in_payment_fen + VALUES(reserved_fen), last_entry_id = VALUES(last_entry_id)";

// ----------------------------------------------------------------------------------------------- helpers

std::string JoinEnums(const google::protobuf::RepeatedField<int>& values) {
  std::vector<int> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return absl::StrJoin(sorted, ",");
}

std::vector<int> SplitEnums(const std::string& text) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int v = 0;
    if (absl::SimpleAtoi(part, &v)) out.push_back(v);
  }
  return out;
}

// A program as kPayingProgramColumns reads it: only what paying depends on.
v1::Program PayingProgramFromRow(const db::Row& row) {
  v1::Program p;
  p.set_program_id(row.String(0));
  p.set_jurisdiction(row.String(1));
  p.set_operator_organisation_id(row.String(2));
  p.set_funder_organisation_id(row.String(3));
  p.set_state(static_cast<v1::ProgramState>(row.Int(4)));
  return p;
}

absl::StatusOr<v1::Program> ProgramFromRow(const db::Row& row) {
  v1::Program p;
  p.set_program_id(row.String(0));
  p.set_name(row.String(1));
  p.set_plan(row.String(2));
  p.set_target_group(row.String(3));
  p.set_jurisdiction(row.String(4));
  p.set_operator_organisation_id(row.String(5));
  p.set_funder_organisation_id(row.String(6));
  p.set_budget_fen(row.Int(7));
  p.set_period_start(row.String(8));
  p.set_period_end(row.String(9));
  for (int t : SplitEnums(row.String(10))) p.add_allowed_types(static_cast<v1::AllowanceType>(t));
  for (int c : SplitEnums(row.String(11))) {
    p.add_eligible_categories(static_cast<registry::v1::ChildCategory>(c));
  }
  p.set_per_payment_cap_fen(row.Int(12));
  p.set_per_child_year_cap_fen(row.Int(13));
  p.set_second_approval_threshold_fen(row.Int(14));
  p.set_state(static_cast<v1::ProgramState>(row.Int(15)));
  if (!row.IsNull(20)) {
    v1::ProgramAssessment* a = p.mutable_assessment();
    a->set_reviewer(row.String(16));
    a->set_accepted(row.Int(17) != 0);
    a->set_comment(row.String(18));
    a->set_assessed_by(row.String(19));
    RETURN_IF_ERROR(ReadTimestamp(row, 20, a->mutable_assessed_at()));
  }
  if (!row.IsNull(24)) {
    v1::ProgramEvaluation* e = p.mutable_evaluation();
    e->set_score(static_cast<int32_t>(row.Int(21)));
    e->set_summary(row.String(22));
    e->set_evaluated_by(row.String(23));
    RETURN_IF_ERROR(ReadTimestamp(row, 24, e->mutable_evaluated_at()));
  }
  p.set_proposed_by(row.String(25));
  RETURN_IF_ERROR(ReadTimestamp(row, 26, p.mutable_proposed_at()));
  if (!row.IsNull(27)) RETURN_IF_ERROR(ReadTimestamp(row, 27, p.mutable_funded_at()));
  return p;
}

// The program's scores and balances, beside its row.
absl::Status CompleteProgram(db::Session& tx, v1::Program& p) {
  if (p.has_assessment()) {
    ASSIGN_OR_RETURN(db::Rows scores, tx.Query(kSelectScores, {p.program_id()}));
    for (const db::Row& s : scores) {
      v1::AssessmentScore* score = p.mutable_assessment()->add_scores();
      score->set_criterion(s.String(0));
      score->set_score(static_cast<int32_t>(s.Int(1)));
    }
  }
  ASSIGN_OR_RETURN(Balances b, budget_slot_store::ReadTotals(tx, p.program_id()));
  *p.mutable_balances() = ToProto(b);
  return absl::OkStatus();
}

absl::StatusOr<v1::Application> ApplicationFromRow(const db::Row& row) {
  v1::Application a;
  a.set_application_id(row.String(0));
  a.set_program_id(row.String(1));
  a.set_child_id(row.String(2));
  a.set_division_code(row.String(3));
  a.set_organisation_id(row.String(4));
  a.set_type(static_cast<v1::AllowanceType>(row.Int(5)));
  a.set_amount_fen(row.Int(6));
  a.set_reason(row.String(7));
  a.set_evidence_report_id(row.String(8));
  a.set_state(static_cast<v1::ApplicationState>(row.Int(9)));
  a.set_applicant(row.String(10));
  a.set_first_approver(row.String(11));
  a.set_second_approver(row.String(12));
  a.set_rejection_reason(row.String(13));
  a.set_year(static_cast<int32_t>(row.Int(14)));
  RETURN_IF_ERROR(ReadTimestamp(row, 15, a.mutable_submitted_at()));
  if (!row.IsNull(16)) RETURN_IF_ERROR(ReadTimestamp(row, 16, a.mutable_decided_at()));
  return a;
}

void SetEnrolmentKind(const db::Row& row, v1::Application& a) {
  if (!row.IsNull(kEnrolmentKindColumn)) {
    a.set_living_allowance_kind(static_cast<v1::LivingAllowanceKind>(row.Int(kEnrolmentKindColumn)));
  }
}

absl::Status AddItems(db::Session& tx, v1::Application& a) {
  if (a.type() != v1::ALLOWANCE_TYPE_IN_KIND_SURVIVAL_AID) return absl::OkStatus();
  ASSIGN_OR_RETURN(db::Rows items, tx.Query(kSelectItems, {a.application_id()}));
  for (const db::Row& r : items) {
    v1::InKindItem* item = a.add_items();
    item->set_description(r.String(0));
    item->set_quantity(r.Int(1));
    item->set_unit_value_fen(r.Int(2));
  }
  return absl::OkStatus();
}

// The application with its items; its row locked when `for_update`. Also returns payments_issued and the
// budget slot its reserved money sits in.
struct LockedApplication {
  v1::Application application;
  int64_t payments_issued = 0;
  int budget_slot = 0;
};

absl::StatusOr<std::optional<LockedApplication>> ReadApplication(db::Session& tx, const std::string& id,
                                                                 bool for_update) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   tx.QueryOne(for_update ? kLockApplication : kSelectApplication, {id}));
  if (!row) return std::optional<LockedApplication>();
  LockedApplication out;
  ASSIGN_OR_RETURN(out.application, ApplicationFromRow(*row));
  out.payments_issued = row->Int(17);
  out.budget_slot = static_cast<int>(row->Int(18));
  if (!for_update) SetEnrolmentKind(*row, out.application);
  RETURN_IF_ERROR(AddItems(tx, out.application));
  return std::optional<LockedApplication>(std::move(out));
}

// Whether the monthly enrolment's application no longer holds what its approval reserved: its first month
// was not owed under it, and the money went back to the budget (ReleaseFirstMonthNotOwed). Read under the
// application's row lock, which the release holds as well.
absl::StatusOr<bool> FirstMonthReleased(db::Session& tx, const v1::Application& a) {
  if (a.type() != v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) return false;
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kFirstMonthReleased, {a.application_id()}));
  return row.has_value() && row->Int(0) != 0;
}

// Whether a closing step (a withdrawal, a case close) still has the reservation it would release: not once
// the first month's went back already, which must not go back twice.
absl::StatusOr<bool> StillReleases(db::Session& tx, const v1::Application& a, const ClosingStep& step) {
  if (!step.releases) return false;
  ASSIGN_OR_RETURN(const bool released, FirstMonthReleased(tx, a));
  return !released;
}

absl::StatusOr<v1::Payment> PaymentFromRow(const db::Row& row) {
  v1::Payment p;
  p.set_payment_id(row.String(0));
  p.set_application_id(row.String(1));
  p.set_program_id(row.String(2));
  p.set_child_id(row.String(3));
  p.set_division_code(row.String(4));
  p.set_amount_fen(row.Int(5));
  p.set_method(static_cast<v1::PaymentMethod>(row.Int(6)));
  p.set_payee_reference(row.String(7));
  p.set_state(static_cast<v1::PaymentState>(row.Int(8)));
  p.set_issue_number(static_cast<int32_t>(row.Int(9)));
  p.set_attempts(static_cast<int32_t>(row.Int(10)));
  p.set_failure_reason(row.String(11));
  p.set_issued_by(row.String(12));
  RETURN_IF_ERROR(ReadTimestamp(row, 13, p.mutable_issued_at()));
  if (!row.IsNull(14)) RETURN_IF_ERROR(ReadTimestamp(row, 14, p.mutable_resolved_at()));
  return p;
}

absl::StatusOr<std::optional<v1::Payment>> ReadPayment(db::Session& tx, const std::string& id,
                                                       bool for_update) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(for_update ? kLockPayment : kSelectPayment, {id}));
  if (!row) return std::optional<v1::Payment>();
  ASSIGN_OR_RETURN(v1::Payment p, PaymentFromRow(*row));
  return std::optional<v1::Payment>(std::move(p));
}

// A payment as PayApplication issues it (`next`: DecideNextIssue's): what its row holds once inserted, so the
// answer needs no read-back.
v1::Payment IssuedPayment(std::string id, const v1::Application& a, const NextIssue& next,
                          int64_t issue_number, v1::PaymentMethod method, const std::string& payee_reference,
                          const Actor& actor) {
  v1::Payment p;
  p.set_payment_id(std::move(id));
  p.set_application_id(a.application_id());
  p.set_program_id(a.program_id());
  p.set_child_id(a.child_id());
  p.set_division_code(a.division_code());
  p.set_amount_fen(next.amount_fen);
  p.set_method(method);
  p.set_payee_reference(payee_reference);
  p.set_state(v1::PAYMENT_STATE_ISSUED);
  p.set_issue_number(static_cast<int32_t>(issue_number));
  p.set_attempts(1);
  p.set_issued_by(actor.subject);
  *p.mutable_issued_at() = ToProtoTimestamp(TruncateToMicros(actor.at));
  return p;
}

// A payment row's parameters (kPaymentTuple) for `p`, whose money sits in `budget_slot`, re-issuing the
// payment `reissue_of` (empty: none).
std::vector<db::Value> PaymentValues(const v1::Payment& p, int budget_slot, const std::string& reissue_of) {
  return {p.payment_id(),       p.application_id(),
          p.program_id(),       p.child_id(),
          p.division_code(),    p.amount_fen(),
          int64_t{p.method()},  p.payee_reference(),
          int64_t{p.state()},   int64_t{p.issue_number()},
          p.issued_by(),        ToSqlTimestamp(FromProtoTimestamp(p.issued_at())),
          int64_t{budget_slot}, reissue_of.empty() ? db::Value(db::Null{}) : db::Value(reissue_of)};
}

absl::Status WriteApplication(db::Session& tx, const v1::Application& a, int64_t payments_issued,
                              int budget_slot, const Actor& actor, bool decided) {
  return tx
      .Execute(kUpdateApplication,
               {int64_t{a.state()}, a.first_approver(), a.second_approver(), a.rejection_reason(),
                decided ? db::Value(ToSqlTimestamp(actor.at))
                        : SqlTimestampOrNull(a.decided_at(), a.has_decided_at()),
                payments_issued, int64_t{budget_slot}, int64_t{a.year()}, a.application_id()})
      .status();
}

// Counts application `a`'s amount in the child's total of `year`, under the cap taken by a guarded UPDATE
// under the row's lock; false above the cap.
absl::StatusOr<bool> TakeUnderCap(db::Session& tx, const v1::Application& a, const v1::Program& program,
                                  int64_t year) {
  RETURN_IF_ERROR(tx.Execute(kEnsureCommitted, {a.program_id(), a.child_id(), year}).status());
  ASSIGN_OR_RETURN(uint64_t taken,
                   tx.Execute(kTakeCommitted, {a.amount_fen(), a.program_id(), a.child_id(), year,
                                               program.per_child_year_cap_fen(), a.amount_fen()}));
  return taken == 1;
}

// Takes `amount` of application `a`'s off the child's total of `year`, which must hold it.
absl::Status GiveBackUnderCap(db::Session& tx, const v1::Application& a, int64_t year, int64_t amount) {
  ASSIGN_OR_RETURN(uint64_t back,
                   tx.Execute(kReleaseCommitted, {amount, a.program_id(), a.child_id(), year, amount}));
  if (back != 1) return absl::InternalError("the child's yearly total does not hold the amount");
  return absl::OkStatus();
}

// Reserves application `a`'s amount as its approval does: the child's cap for `year` (the application's own;
// a monthly line's, its month's), then the budget on `budget_slot`, each taken by a guarded UPDATE under its
// row's lock. FAILED_PRECONDITION above the cap or beyond the budget.
absl::Status ReserveApplicationAmount(MariaDbAllowanceStore& store, db::Session& tx, const v1::Application& a,
                                      int64_t year, const v1::Program& program, int budget_slot,
                                      const Actor& actor) {
  ASSIGN_OR_RETURN(const bool taken, TakeUnderCap(tx, a, program, year));
  if (!taken) return absl::FailedPreconditionError("amount_fen: above the program's cap per child and year");
  return store.PostEntry(tx, a.program_id(), budget_slot, v1::LEDGER_ENTRY_KIND_RESERVATION,
                         v1::LEDGER_ACCOUNT_AVAILABLE, v1::LEDGER_ACCOUNT_RESERVED, a.amount_fen(),
                         a.application_id(), "", actor);
}

// The year whose cap per child an application submitted or approved on `day` counts against: the day's; but
// a monthly enrolment's one amount pays its first month (the month after its approval), and counts against
// that month's year as each later month does against its own (its roster line's, at the cycle's approval).
int64_t CapYear(v1::AllowanceType type, absl::CivilDay day) {
  return type == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING ? FirstMonth(day).year() : day.year();
}

// Moves what enrolment `a` holds under the child's cap per year to `year`'s, the cap checked there as at a
// reservation; the budget keeps it. The second approval calls it: the enrolment's first month is the month
// after that approval, which may be in another year than the month after the first, which reserved.
// FAILED_PRECONDITION above that year's cap.
absl::Status MoveToCapYear(db::Session& tx, v1::Application& a, const v1::Program& program, int64_t year) {
  if (year == a.year()) return absl::OkStatus();
  RETURN_IF_ERROR(GiveBackUnderCap(tx, a, a.year(), a.amount_fen()));
  ASSIGN_OR_RETURN(const bool taken, TakeUnderCap(tx, a, program, year));
  if (!taken)
    return absl::FailedPreconditionError(
        absl::StrCat("amount_fen: above the program's cap per child and year for ", year,
                     ", the year of the enrolment's first month"));
  a.set_year(static_cast<int32_t>(year));
  return absl::OkStatus();
}

}  // namespace

// ----------------------------------------------------------------------------------------------- programs

absl::StatusOr<std::optional<v1::Application>> MariaDbAllowanceStore::ApplicationOf(db::Session& tx,
                                                                                    const std::string& id,
                                                                                    bool for_update) {
  ASSIGN_OR_RETURN(std::optional<LockedApplication> read, ReadApplication(tx, id, for_update));
  if (!read) return std::optional<v1::Application>();
  return std::optional<v1::Application>(std::move(read->application));
}

absl::StatusOr<std::optional<v1::Program>> MariaDbAllowanceStore::ReadProgram(db::Session& tx,
                                                                              const std::string& program_id,
                                                                              bool for_update) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   tx.QueryOne(for_update ? kLockProgram : kSelectProgram, {program_id}));
  if (!row) return std::optional<v1::Program>();
  ASSIGN_OR_RETURN(v1::Program p, ProgramFromRow(*row));
  RETURN_IF_ERROR(CompleteProgram(tx, p));
  return std::optional<v1::Program>(std::move(p));
}

absl::Status MariaDbAllowanceStore::PostEntry(db::Session& tx, const std::string& program_id, int slot,
                                              v1::LedgerEntryKind kind, v1::LedgerAccount from,
                                              v1::LedgerAccount to, int64_t amount,
                                              const std::string& application_id,
                                              const std::string& payment_id, const Actor& actor) {
  if (amount <= 0) return absl::InternalError("a ledger entry moves a positive amount");
  int posted_in = slot;
  if (from == v1::LEDGER_ACCOUNT_FUNDING && to == v1::LEDGER_ACCOUNT_AVAILABLE) {
    RETURN_IF_ERROR(budget_slot_store::Fund(tx, program_id, amount));
    posted_in = kRemainderSlot;
  } else if (from == v1::LEDGER_ACCOUNT_AVAILABLE && to == v1::LEDGER_ACCOUNT_RESERVED) {
    RETURN_IF_ERROR(budget_slot_store::Reserve(tx, program_id, slot, amount));
  } else {
    RETURN_IF_ERROR(budget_slot_store::Move(tx, program_id, slot, from, to, amount));
  }
  // The movement holds the row the entry is posted in: its id is taken now, in that row's order.
  ASSIGN_OR_RETURN(std::string id, budget_slot_store::TakeEntryId(tx, program_id, posted_in, ids_));
  return tx
      .Execute(absl::StrCat(kInsertEntriesHead, kEntryTuple),
               {id, program_id, int64_t{kind}, int64_t{from}, int64_t{to}, amount, application_id, payment_id,
                actor.subject, ToSqlTimestamp(actor.at), int64_t{posted_in}})
      .status();
}

void MariaDbAllowanceStore::ReportMonthHandOversTo(Logger& logger, Metrics& metrics) {
  hand_over_logger_ = &logger;
  hand_over_metrics_ = &metrics;
  // Exported from the start, so that an alert on their increase sees the first one.
  metrics.Add(kMonthsNotHandedOver, "to=\"first_month\"", 0);
  metrics.Add(kMonthsNotHandedOver, "to=\"cycle_line\"", 0);
  metrics.Add(kCycleLinesToPayAgain, "", 0);
}

void MariaDbAllowanceStore::ReportMonthHandOver(db::Session& tx, const MonthHandOver& hand_over) {
  if (hand_over_logger_ == nullptr || hand_over_metrics_ == nullptr) return;
  // After the commit: a transaction retried or rolled back decided nothing.
  tx.AfterCommit([logger = hand_over_logger_, metrics = hand_over_metrics_, hand_over] {
    nlohmann::json fields = {{"child_id", hand_over.child_id},
                             {"enrolment_id", hand_over.enrolment_id},
                             {"given_up_by", hand_over.given_up_by},
                             {"month", absl::FormatCivilTime(hand_over.month)}};
    if (!hand_over.cycle_id.empty()) fields["cycle_id"] = hand_over.cycle_id;
    if (!hand_over.refusal.empty()) {
      fields["reason"] = hand_over.refusal;
      logger->Warn(
          "a child's month given up by a closing enrolment was not handed over: the child is not paid it",
          fields);
      metrics->Add(kMonthsNotHandedOver,
                   hand_over.cycle_id.empty() ? "to=\"first_month\"" : "to=\"cycle_line\"");
      return;
    }
    logger->Warn(
        "a child's month went to a line of a cycle paid already: run PayMonthlyCycle again to pay it",
        fields);
    metrics->Add(kCycleLinesToPayAgain, "");
  });
}

absl::StatusOr<v1::Program> MariaDbAllowanceStore::ProposeProgram(const IdempotencyKey& key,
                                                                  const Actor& actor,
                                                                  const v1::Program& program) {
  return IdempotentTransaction<v1::Program>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Program> {
        const std::string id = ids_.Next();
        const v1::Program& p = program;
        RETURN_IF_ERROR(
            tx.Execute(
                  kInsertProgram,
                  {id, p.name(), p.plan(), p.target_group(), p.jurisdiction(), actor.organisation_id,
                   p.funder_organisation_id(), p.budget_fen(), p.period_start(), p.period_end(),
                   JoinEnums(p.allowed_types()), JoinEnums(p.eligible_categories()), p.per_payment_cap_fen(),
                   p.per_child_year_cap_fen(), p.second_approval_threshold_fen(),
                   int64_t{v1::PROGRAM_STATE_PROPOSED}, actor.subject, ToSqlTimestamp(actor.at)})
                .status());
        RETURN_IF_ERROR(budget_slot_store::CreateProgram(tx, id));
        v1::ProgramProposed event;
        event.set_program_id(id);
        event.set_operator_organisation_id(actor.organisation_id);
        event.set_funder_organisation_id(p.funder_organisation_id());
        event.set_jurisdiction(p.jurisdiction());
        event.set_budget_fen(p.budget_fen());
        ASSIGN_OR_RETURN(std::optional<v1::Program> written, ReadProgram(tx, id, false));
        if (!written) return tx.WriteVanished("the program");
        RETURN_IF_ERROR(outbox_.Append(tx, id, event, actor.at));
        return *std::move(written);
      });
}

absl::StatusOr<std::optional<v1::Program>> MariaDbAllowanceStore::GetProgram(const std::string& program_id) {
  return db::ReadOne<std::optional<v1::Program>>(
      pool_, [&](db::Session& session) { return ReadProgram(session, program_id, false); });
}

absl::StatusOr<std::vector<v1::Program>> MariaDbAllowanceStore::ListPrograms(const ProgramFilter& f) {
  std::vector<v1::Program> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     session.Query(kListPrograms,
                                   {f.division_prefix, DivisionPrefixEnd(f.division_prefix), int64_t{f.state},
                                    int64_t{f.state}, f.page.after_id, int64_t{f.page.limit}}));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(v1::Program p, ProgramFromRow(row));
      RETURN_IF_ERROR(CompleteProgram(session, p));
      out.push_back(std::move(p));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Program> MariaDbAllowanceStore::AssessProgram(const IdempotencyKey& key,
                                                                 const Actor& actor,
                                                                 const std::string& program_id,
                                                                 const Authorize<v1::Program>& authorize,
                                                                 const Assessment& assessment) {
  return IdempotentTransaction<v1::Program>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Program> {
        ASSIGN_OR_RETURN(std::optional<v1::Program> current, ReadProgram(tx, program_id, true));
        if (!current) return absl::NotFoundError("program not found");
        RETURN_IF_ERROR(authorize(*current));
        ASSIGN_OR_RETURN(v1::ProgramState next, NextProgramState(*current, ProgramStep::kAssess,
                                                                 assessment.accepted, ShanghaiDay(actor.at)));
        RETURN_IF_ERROR(tx.Execute(kUpdateAssessment,
                                   {int64_t{next}, assessment.reviewer, int64_t{assessment.accepted ? 1 : 0},
                                    assessment.comment, actor.subject, ToSqlTimestamp(actor.at), program_id})
                            .status());
        int64_t position = 0;
        for (const v1::AssessmentScore& s : assessment.scores) {
          RETURN_IF_ERROR(
              tx.Execute(kInsertScore, {program_id, position++, s.criterion(), int64_t{s.score()}}).status());
        }
        v1::ProgramAssessed event;
        event.set_program_id(program_id);
        event.set_accepted(assessment.accepted);
        ASSIGN_OR_RETURN(std::optional<v1::Program> written, ReadProgram(tx, program_id, false));
        RETURN_IF_ERROR(outbox_.Append(tx, program_id, event, actor.at));
        return *std::move(written);
      });
}

absl::StatusOr<v1::Program> MariaDbAllowanceStore::FundProgram(const IdempotencyKey& key, const Actor& actor,
                                                               const std::string& program_id,
                                                               const Authorize<v1::Program>& authorize) {
  return IdempotentTransaction<v1::Program>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Program> {
        ASSIGN_OR_RETURN(std::optional<v1::Program> current, ReadProgram(tx, program_id, true));
        if (!current) return absl::NotFoundError("program not found");
        RETURN_IF_ERROR(authorize(*current));
        ASSIGN_OR_RETURN(v1::ProgramState next,
                         NextProgramState(*current, ProgramStep::kFund, true, ShanghaiDay(actor.at)));
        RETURN_IF_ERROR(
            tx.Execute(kUpdateFunded, {int64_t{next}, ToSqlTimestamp(actor.at), program_id}).status());
        RETURN_IF_ERROR(PostEntry(tx, program_id, budget_slot_, v1::LEDGER_ENTRY_KIND_FUNDING,
                                  v1::LEDGER_ACCOUNT_FUNDING, v1::LEDGER_ACCOUNT_AVAILABLE,
                                  current->budget_fen(), "", "", actor));
        v1::ProgramFunded event;
        event.set_program_id(program_id);
        event.set_budget_fen(current->budget_fen());
        event.set_jurisdiction(current->jurisdiction());
        ASSIGN_OR_RETURN(std::optional<v1::Program> written, ReadProgram(tx, program_id, false));
        RETURN_IF_ERROR(outbox_.Append(tx, program_id, event, actor.at));
        return *std::move(written);
      });
}

absl::StatusOr<v1::Program> MariaDbAllowanceStore::ChangeProgramCaps(
    const IdempotencyKey& key, const Actor& actor, const std::string& program_id,
    const Authorize<v1::Program>& authorize, int64_t per_payment_cap_fen, int64_t per_child_year_cap_fen,
    const std::string& reason) {
  return IdempotentTransaction<v1::Program>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Program> {
        ASSIGN_OR_RETURN(std::optional<v1::Program> current, ReadProgram(tx, program_id, true));
        if (!current) return absl::NotFoundError("program not found");
        RETURN_IF_ERROR(authorize(*current));
        if (current->state() != v1::PROGRAM_STATE_FUNDED) {
          return absl::FailedPreconditionError("only a funded, running program's caps change");
        }
        if (per_payment_cap_fen > current->budget_fen()) {
          return InvalidField("per_payment_cap_fen", "exceeds the budget");
        }
        RETURN_IF_ERROR(
            tx.Execute(kUpdateCaps, {per_payment_cap_fen, per_child_year_cap_fen, program_id}).status());
        v1::ProgramCapsChanged event;
        event.set_program_id(program_id);
        event.set_per_payment_cap_fen(per_payment_cap_fen);
        event.set_per_child_year_cap_fen(per_child_year_cap_fen);
        event.set_previous_per_payment_cap_fen(current->per_payment_cap_fen());
        event.set_previous_per_child_year_cap_fen(current->per_child_year_cap_fen());
        event.set_reason(reason);
        event.set_changed_by(actor.subject);
        ASSIGN_OR_RETURN(std::optional<v1::Program> written, ReadProgram(tx, program_id, false));
        RETURN_IF_ERROR(outbox_.Append(tx, program_id, event, actor.at));
        return *std::move(written);
      });
}

absl::StatusOr<v1::Program> MariaDbAllowanceStore::EvaluateProgram(const IdempotencyKey& key,
                                                                   const Actor& actor,
                                                                   const std::string& program_id,
                                                                   const Authorize<v1::Program>& authorize,
                                                                   int score, const std::string& summary) {
  return IdempotentTransaction<v1::Program>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Program> {
        ASSIGN_OR_RETURN(std::optional<v1::Program> current, ReadProgram(tx, program_id, true));
        if (!current) return absl::NotFoundError("program not found");
        RETURN_IF_ERROR(authorize(*current));
        ASSIGN_OR_RETURN(v1::ProgramState next,
                         NextProgramState(*current, ProgramStep::kEvaluate, true, ShanghaiDay(actor.at)));
        RETURN_IF_ERROR(tx.Execute(kUpdateEvaluation, {int64_t{next}, int64_t{score}, summary, actor.subject,
                                                       ToSqlTimestamp(actor.at), program_id})
                            .status());
        v1::ProgramEvaluated event;
        event.set_program_id(program_id);
        event.set_score(score);
        ASSIGN_OR_RETURN(std::optional<v1::Program> written, ReadProgram(tx, program_id, false));
        RETURN_IF_ERROR(outbox_.Append(tx, program_id, event, actor.at));
        return *std::move(written);
      });
}

// ------------------------------------------------------------------------------------------- applications

absl::StatusOr<v1::Application> MariaDbAllowanceStore::SubmitApplication(
    const IdempotencyKey& key, const Actor& actor, const v1::Application& application,
    const std::function<absl::Status(const v1::Program&, int64_t committed_fen)>& check,
    const std::optional<LivingAllowanceChildFacts>& living_allowance_child) {
  return IdempotentTransaction<v1::Application>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Application> {
        return InsertApplication(tx, actor, application, CapYear(application.type(), ShanghaiDay(actor.at)),
                                 check, living_allowance_child);
      });
}

absl::StatusOr<v1::Application> MariaDbAllowanceStore::InsertApplication(
    db::Session& tx, const Actor& actor, const v1::Application& a, int64_t year,
    const std::function<absl::Status(const v1::Program&, int64_t committed_fen)>& check,
    const std::optional<LivingAllowanceChildFacts>& living_allowance_child) {
  // The registry's answer was read before this transaction: a close folded since blocks it here, and one
  // folded after this commits cancels it, both under the standing's lock.
  RETURN_IF_ERROR(RequireCaseOpenTo(tx, a, actor.at));
  ASSIGN_OR_RETURN(std::optional<v1::Program> program, ReadProgram(tx, a.program_id(), false));
  if (!program) return absl::NotFoundError("program not found");
  ASSIGN_OR_RETURN(std::optional<db::Row> committed,
                   tx.QueryOne(kSelectCommitted, {a.program_id(), a.child_id(), year}));
  RETURN_IF_ERROR(check(*program, committed ? committed->Int(0) : 0));
  // The child's yearly row exists from the first application on, so racing approvals only ever UPDATE it
  // (concurrent inserts of one new key could deadlock).
  RETURN_IF_ERROR(tx.Execute(kEnsureCommitted, {a.program_id(), a.child_id(), year}).status());
  if (living_allowance_child) {
    RETURN_IF_ERROR(RecordLivingAllowanceChild(tx, a.child_id(), *living_allowance_child, actor.at));
  }
  const std::string id = ids_.Next();
  RETURN_IF_ERROR(
      tx.Execute(kInsertApplication,
                 {id, a.program_id(), a.child_id(), a.division_code(), actor.organisation_id,
                  int64_t{a.type()}, a.amount_fen(), a.reason(), a.evidence_report_id(),
                  int64_t{v1::APPLICATION_STATE_SUBMITTED}, actor.subject, year, ToSqlTimestamp(actor.at)})
          .status());
  int64_t position = 0;
  for (const v1::InKindItem& item : a.items()) {
    RETURN_IF_ERROR(
        tx.Execute(kInsertItem, {id, position++, item.description(), item.quantity(), item.unit_value_fen()})
            .status());
  }
  v1::ApplicationSubmitted event;
  event.set_application_id(id);
  event.set_program_id(a.program_id());
  event.set_child_id(a.child_id());
  event.set_type(a.type());
  event.set_amount_fen(a.amount_fen());
  ASSIGN_OR_RETURN(std::optional<LockedApplication> written, ReadApplication(tx, id, false));
  if (!written) return tx.WriteVanished("the application");
  RETURN_IF_ERROR(outbox_.Append(tx, id, event, actor.at));
  return std::move(written->application);
}

absl::StatusOr<std::optional<v1::Application>> MariaDbAllowanceStore::GetApplication(
    const std::string& application_id) {
  return db::ReadOne<std::optional<v1::Application>>(
      pool_, [&](db::Session& session) -> absl::StatusOr<std::optional<v1::Application>> {
        ASSIGN_OR_RETURN(std::optional<LockedApplication> read,
                         ReadApplication(session, application_id, false));
        if (!read) return std::optional<v1::Application>();
        return std::optional<v1::Application>(std::move(read->application));
      });
}

absl::StatusOr<std::vector<v1::Application>> MariaDbAllowanceStore::ListApplications(
    const std::string& program_id, v1::ApplicationState state, v1::AllowanceType type,
    const PageRequest& page) {
  std::vector<v1::Application> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(kListApplications,
                                                  {program_id, int64_t{state}, int64_t{state}, int64_t{type},
                                                   int64_t{type}, page.after_id, int64_t{page.limit}}));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(v1::Application a, ApplicationFromRow(row));
      SetEnrolmentKind(row, a);
      RETURN_IF_ERROR(AddItems(session, a));
      out.push_back(std::move(a));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Application> MariaDbAllowanceStore::ApproveApplication(
    const IdempotencyKey& key, const Actor& actor, const std::string& application_id,
    const Authorize<v1::Application, v1::Program>& authorize,
    const std::function<absl::StatusOr<ApprovalStep>(const v1::Application&, const v1::Program&)>& decide) {
  return IdempotentTransaction<v1::Application>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Application> {
        // The child's standing before the application's row, in the order the follower's cancellation takes
        // them (a child's id never changes, so the unlocked read is enough to find it).
        ASSIGN_OR_RETURN(std::optional<db::Row> child, tx.QueryOne(kChildOfApplication, {application_id}));
        if (!child) return absl::NotFoundError("application not found");
        ASSIGN_OR_RETURN(const bool closed, CaseClosedToApplications(tx, child->String(0), actor.at));
        ASSIGN_OR_RETURN(std::optional<LockedApplication> locked, ReadApplication(tx, application_id, true));
        if (!locked) return absl::NotFoundError("application not found");
        v1::Application& a = locked->application;
        ASSIGN_OR_RETURN(std::optional<v1::Program> program, ReadProgram(tx, a.program_id(), false));
        if (!program) return absl::InternalError("application's program is missing");
        RETURN_IF_ERROR(authorize(a, *program));
        RETURN_IF_ERROR(CheckCaseOpenTo(closed, a.type()));
        ASSIGN_OR_RETURN(ApprovalStep step, decide(a, *program));
        if (step.reserves) {
          // Approved today, an enrolment's first month is next month: in the next year, when this is
          // December.
          if (a.type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING)
            a.set_year(static_cast<int32_t>(CapYear(a.type(), ShanghaiDay(actor.at))));
          // On this replica's own budget slot (refilled from the program's remainder or the other slots
          // when dry), recorded with the application so its later movements stay within that slot.
          RETURN_IF_ERROR(
              ReserveApplicationAmount(*this, tx, a, int64_t{a.year()}, *program, budget_slot_, actor));
          locked->budget_slot = budget_slot_;  // written with the application below
        } else if (step.next == v1::APPLICATION_STATE_APPROVED &&
                   a.type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) {
          RETURN_IF_ERROR(MoveToCapYear(tx, a, *program, CapYear(a.type(), ShanghaiDay(actor.at))));
        }
        if (step.first) {
          a.set_first_approver(actor.subject);
        } else {
          a.set_second_approver(actor.subject);
        }
        a.set_state(step.next);
        RETURN_IF_ERROR(WriteApplication(tx, a, locked->payments_issued, locked->budget_slot, actor,
                                         step.next == v1::APPLICATION_STATE_APPROVED));
        ASSIGN_OR_RETURN(std::optional<LockedApplication> written,
                         ReadApplication(tx, application_id, false));
        if (step.next == v1::APPLICATION_STATE_APPROVED) {
          v1::ApplicationApproved event;
          event.set_application_id(a.application_id());
          event.set_program_id(a.program_id());
          event.set_child_id(a.child_id());
          event.set_type(a.type());
          event.set_amount_fen(a.amount_fen());
          event.set_division_code(a.division_code());
          RETURN_IF_ERROR(outbox_.Append(tx, a.application_id(), event, actor.at));
        }
        return std::move(written->application);
      });
}

namespace {

// A reversed payment of a monthly enrolment not re-issued: its amount sits in RESERVED on the application,
// counted in the child's yearly total of `year` (a cycle month's year, else the application's).
struct ReversedMoney {
  std::string payment_id;
  int64_t amount_fen = 0;
  int year = 0;
};

// What a monthly enrolment's application holds in RESERVED, read under its row lock: its own first month
// until its own payment is issued (unless released: ReleaseFirstMonth), and every reversed payment not
// re-issued. One application state cannot say it: it holds several sums at once.
struct MonthlyHoldings {
  bool own = false;
  std::vector<ReversedMoney> reversed;
  bool in_flight = false;  // a payment issued or failed, awaiting its outcome
  bool any() const { return own || !reversed.empty(); }
};

// The application's payments with what DecideNextIssue needs and each chain's month's year.
constexpr char kMonthlyPaymentsOfApplication[] =
    "SELECT p.id, p.state, p.amount_fen, p.reissue_of, l.payment_id IS NOT NULL, YEAR(l.month) FROM payments "
    "p"
    " LEFT JOIN monthly_roster_lines l ON l.payment_id = p.id WHERE p.application_id = ? ORDER BY "
    "p.issue_number";

absl::StatusOr<MonthlyHoldings> HoldingsOf(db::Session& tx, const v1::Application& a) {
  MonthlyHoldings held;
  ASSIGN_OR_RETURN(const bool released, FirstMonthReleased(tx, a));
  ASSIGN_OR_RETURN(db::Rows rows, tx.Query(kMonthlyPaymentsOfApplication, {a.application_id()}));
  std::map<std::string, std::string> reissue_of;
  std::map<std::string, int> cycle_year;
  std::set<std::string> reissued;
  bool own_issued = false;
  for (const db::Row& r : rows) {
    const std::string id = r.String(0);
    reissue_of[id] = r.IsNull(3) ? "" : r.String(3);
    if (!r.IsNull(3)) reissued.insert(r.String(3));
    if (r.Int(4) != 0) cycle_year[id] = static_cast<int>(r.Int(5));
    if (r.IsNull(3) && r.Int(4) == 0) own_issued = true;
  }
  held.own = !released && !own_issued;
  for (const db::Row& r : rows) {
    const std::string id = r.String(0);
    const auto state = static_cast<v1::PaymentState>(r.Int(1));
    if (state == v1::PAYMENT_STATE_ISSUED || state == v1::PAYMENT_STATE_FAILED) held.in_flight = true;
    if (state != v1::PAYMENT_STATE_RETURNED && state != v1::PAYMENT_STATE_ABANDONED) continue;
    if (reissued.count(id) > 0) continue;
    ReversedMoney money{id, r.Int(2), a.year()};
    std::string at = id;
    for (size_t steps = 0; !at.empty() && steps <= rows.size(); ++steps) {
      if (auto year = cycle_year.find(at); year != cycle_year.end()) {
        money.year = year->second;
        break;
      }
      at = reissue_of[at];
    }
    held.reversed.push_back(std::move(money));
  }
  return held;
}

// Frees the months `a`'s reversed payments held for their re-issue, their money gone back to the budget
// with `a` closing (they were not paid), and gives each to the child's enrolment owed it, if any
// (GiveFreedMonth). Defined with the payments' rules below.
absl::Status FreeReversedMonths(MariaDbAllowanceStore& store, db::Session& tx, const v1::Application& a,
                                const Actor& actor);

// A withdrawn enrolment's own first month, kept by its line and not paid by its application, goes to the line
// the rules listed as replaced by it (GiveFreedMonth). Defined with the payments' rules below.
absl::Status GiveUpFirstMonth(MariaDbAllowanceStore& store, db::Session& tx, const v1::Application& closing,
                              const Actor& actor);

// Gives one sum an application holds (its amount; a monthly enrolment's, also a reversed payment's) back to
// the budget through the ledger (RESERVED to AVAILABLE, naming `payment_id` when it is a reversed payment's)
// and off the child's yearly total of `year`.
absl::Status ReleaseHeldSum(MariaDbAllowanceStore& store, db::Session& tx, const v1::Application& a,
                            int budget_slot, int64_t amount, int year, const std::string& payment_id,
                            const Actor& actor) {
  RETURN_IF_ERROR(GiveBackUnderCap(tx, a, year, amount));
  return store.PostEntry(tx, a.program_id(), budget_slot, v1::LEDGER_ENTRY_KIND_RELEASE,
                         v1::LEDGER_ACCOUNT_RESERVED, v1::LEDGER_ACCOUNT_AVAILABLE, amount,
                         a.application_id(), payment_id, actor);
}

// Gives back to the budget through the ledger, and off the child's yearly totals, what a closing monthly
// enrolment holds (HoldingsOf): its own first month and every reversed payment not re-issued, each once (the
// application is closed with it, and a closed application is never paid again). The months the reversed
// payments held for their re-issue were not paid: they are freed. Returns the amount released.
absl::StatusOr<int64_t> ReleaseMonthlyHoldings(MariaDbAllowanceStore& store, db::Session& tx,
                                               const v1::Application& a, int budget_slot,
                                               const MonthlyHoldings& held, const Actor& actor) {
  int64_t released = 0;
  if (held.own) {
    RETURN_IF_ERROR(ReleaseHeldSum(store, tx, a, budget_slot, a.amount_fen(), a.year(), "", actor));
    released += a.amount_fen();
  }
  for (const ReversedMoney& money : held.reversed) {
    RETURN_IF_ERROR(
        ReleaseHeldSum(store, tx, a, budget_slot, money.amount_fen, money.year, money.payment_id, actor));
    released += money.amount_fen;
  }
  RETURN_IF_ERROR(FreeReversedMonths(store, tx, a, actor));
  return released;
}

// A payment of a monthly enrolment returned (or abandoned) after the enrolment was withdrawn or cancelled
// with its case: nothing will pay that money again, so it goes back to the budget at once, off the child's
// yearly total of its month's year, and the month it held is freed. Without this it sat in RESERVED on a
// closed application for good (the withdrawal released only what was held then, not what was still out).
absl::Status ReleaseReturnedToClosedEnrolment(MariaDbAllowanceStore& store, db::Session& tx,
                                              const v1::Application& a, int budget_slot,
                                              const std::string& payment_id, const Actor& actor) {
  ASSIGN_OR_RETURN(const MonthlyHoldings held, HoldingsOf(tx, a));
  for (const ReversedMoney& money : held.reversed) {
    if (money.payment_id != payment_id) continue;  // the others went back with the withdrawal
    RETURN_IF_ERROR(
        ReleaseHeldSum(store, tx, a, budget_slot, money.amount_fen, money.year, payment_id, actor));
  }
  return FreeReversedMonths(store, tx, a, actor);
}

}  // namespace

absl::StatusOr<v1::Application> MariaDbAllowanceStore::CloseApplication(
    const IdempotencyKey& key, const Actor& actor, const std::string& application_id,
    const Authorize<v1::Application, v1::Program>& authorize,
    const std::function<absl::StatusOr<ClosingStep>(const v1::Application&)>& decide,
    const std::string& reason) {
  return IdempotentTransaction<v1::Application>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Application> {
        ASSIGN_OR_RETURN(std::optional<LockedApplication> locked, ReadApplication(tx, application_id, true));
        if (!locked) return absl::NotFoundError("application not found");
        v1::Application& a = locked->application;
        ASSIGN_OR_RETURN(std::optional<v1::Program> program, ReadProgram(tx, a.program_id(), false));
        if (!program) return absl::InternalError("application's program is missing");
        RETURN_IF_ERROR(authorize(a, *program));
        ASSIGN_OR_RETURN(ClosingStep step, decide(a));
        if (step.releases && a.type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) {
          ASSIGN_OR_RETURN(const MonthlyHoldings held, HoldingsOf(tx, a));
          RETURN_IF_ERROR(ReleaseMonthlyHoldings(*this, tx, a, locked->budget_slot, held, actor).status());
          step.releases = false;  // released above
        }
        if (a.type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING && MonthlyEnrolmentOpen(a.state()) &&
            !MonthlyEnrolmentOpen(step.next)) {
          RETURN_IF_ERROR(GiveUpFirstMonth(*this, tx, a, actor));
        }
        ASSIGN_OR_RETURN(step.releases, StillReleases(tx, a, step));
        if (step.releases) {
          RETURN_IF_ERROR(
              ReleaseHeldSum(*this, tx, a, locked->budget_slot, a.amount_fen(), a.year(), "", actor));
          RETURN_IF_ERROR(tx.Execute(kFreeReversedMonths, {a.application_id()}).status());
        }
        a.set_state(step.next);
        if (step.next == v1::APPLICATION_STATE_REJECTED) a.set_rejection_reason(reason);
        RETURN_IF_ERROR(WriteApplication(tx, a, locked->payments_issued, locked->budget_slot, actor, true));
        ASSIGN_OR_RETURN(std::optional<LockedApplication> written,
                         ReadApplication(tx, application_id, false));
        if (step.next == v1::APPLICATION_STATE_REJECTED) {
          v1::ApplicationRejected event;
          event.set_application_id(a.application_id());
          event.set_program_id(a.program_id());
          event.set_reason(reason);
          RETURN_IF_ERROR(outbox_.Append(tx, a.application_id(), event, actor.at));
        } else {
          v1::ApplicationWithdrawn event;
          event.set_application_id(a.application_id());
          event.set_program_id(a.program_id());
          RETURN_IF_ERROR(outbox_.Append(tx, a.application_id(), event, actor.at));
        }
        return std::move(written->application);
      });
}

namespace {

// The child's case standing, written (so that Galera certification orders it with a close) and locked: its
// `closed` and `last_event_sequence` columns.
absl::StatusOr<db::Row> TouchAndLockCaseStanding(db::Session& tx, const std::string& child_id,
                                                 absl::Time now) {
  RETURN_IF_ERROR(tx.Execute(kTouchCaseStanding, {child_id, ToSqlTimestamp(now)}).status());
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kLockCaseStanding, {child_id}));
  if (!row) return tx.WriteVanished("the case standing");
  return *std::move(row);
}

}  // namespace

absl::StatusOr<bool> MariaDbAllowanceStore::CaseClosedToApplications(db::Session& tx,
                                                                     const std::string& child_id,
                                                                     absl::Time now) {
  ASSIGN_OR_RETURN(db::Row standing, TouchAndLockCaseStanding(tx, child_id, now));
  return standing.Int(0) != 0;
}

absl::Status MariaDbAllowanceStore::RequireCaseOpenTo(db::Session& tx, const v1::Application& application,
                                                      absl::Time now) {
  ASSIGN_OR_RETURN(const bool closed, CaseClosedToApplications(tx, application.child_id(), now));
  return CheckCaseOpenTo(closed, application.type());
}

absl::StatusOr<bool> MariaDbAllowanceStore::FoldCaseStanding(db::Session& tx, const std::string& child_id,
                                                             bool closed, int64_t sequence, absl::Time now) {
  ASSIGN_OR_RETURN(db::Row standing, TouchAndLockCaseStanding(tx, child_id, now));
  if (standing.Int(1) >= sequence) return false;
  RETURN_IF_ERROR(
      tx.Execute(kFoldCaseStanding, {int64_t{closed ? 1 : 0}, sequence, ToSqlTimestamp(now), child_id})
          .status());
  return true;
}

absl::StatusOr<int> MariaDbAllowanceStore::CancelApplicationsOfClosedCase(db::Session& tx,
                                                                          const std::string& child_id,
                                                                          const Actor& actor) {
  ASSIGN_OR_RETURN(db::Rows open, tx.Query(kOpenApplicationsOfChild, {child_id}));
  int cancelled = 0;
  for (const db::Row& row : open) {
    ASSIGN_OR_RETURN(std::optional<LockedApplication> locked, ReadApplication(tx, row.String(0), true));
    if (!locked) return absl::InternalError("application not readable under its lock");
    v1::Application& a = locked->application;
    const bool monthly = a.type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING;
    MonthlyHoldings held;
    if (monthly) {
      ASSIGN_OR_RETURN(held, HoldingsOf(tx, a));
    }
    std::optional<ClosingStep> step = DecideCaseClosedCancellation(a, held.any());
    if (!step) continue;
    int64_t released = 0;
    if (step->releases && monthly) {
      ASSIGN_OR_RETURN(released, ReleaseMonthlyHoldings(*this, tx, a, locked->budget_slot, held, actor));
      step->releases = false;  // released above
    }
    ASSIGN_OR_RETURN(step->releases, StillReleases(tx, a, *step));
    if (step->releases) {
      RETURN_IF_ERROR(ReleaseHeldSum(*this, tx, a, locked->budget_slot, a.amount_fen(), a.year(), "", actor));
      RETURN_IF_ERROR(tx.Execute(kFreeReversedMonths, {a.application_id()}).status());
      released = a.amount_fen();
    }
    a.set_state(step->next);
    a.set_rejection_reason(kCaseClosedReason);
    RETURN_IF_ERROR(WriteApplication(tx, a, locked->payments_issued, locked->budget_slot, actor, true));
    v1::ApplicationCancelled event;
    event.set_application_id(a.application_id());
    event.set_program_id(a.program_id());
    event.set_child_id(a.child_id());
    event.set_reason(kCaseClosedReason);
    event.set_released_fen(released);
    RETURN_IF_ERROR(outbox_.Append(tx, a.application_id(), event, actor.at));
    ++cancelled;
  }
  return cancelled;
}

namespace {

// The one monthly amount the enrolment's approval reserved for its first month goes back to the budget
// through the ledger and off the child's yearly total, recorded on the enrolment (first_month_released_at),
// under the application's row lock the caller holds.
absl::Status ReleaseFirstMonth(MariaDbAllowanceStore& store, db::Session& tx, const LockedApplication& locked,
                               const Actor& actor) {
  const v1::Application& a = locked.application;
  RETURN_IF_ERROR(ReleaseHeldSum(store, tx, a, locked.budget_slot, a.amount_fen(), a.year(), "", actor));
  // An enrolment refused its first month before the roster job took it up is taken up here, so the release
  // has its record.
  RETURN_IF_ERROR(MariaDbAllowanceStore::TakeUpEnrolment(tx, a.application_id(), a.child_id(), actor.at));
  ASSIGN_OR_RETURN(uint64_t marked,
                   tx.Execute(kMarkFirstMonthReleased, {ToSqlTimestamp(actor.at), a.application_id()}));
  if (marked != 1) return tx.WriteVanished("the enrolment taken up");
  return absl::OkStatus();
}

// The month an enrolment's approval on `decided_at` starts with, paid through its application.
absl::StatusOr<absl::CivilMonth> FirstMonthOf(const v1::Application& a) {
  if (!a.has_decided_at()) return absl::InternalError("an approved application without its approval time");
  return FirstMonth(ShanghaiDay(FromProtoTimestamp(a.decided_at())));
}

// A monthly enrolment's application, locked, while it still holds its first month's reservation; nothing
// otherwise: in payment or paid (the month went out with it before the line said otherwise), withdrawn or
// cancelled (released then), or released before.
absl::StatusOr<std::optional<LockedApplication>> LockHeldFirstMonth(db::Session& tx,
                                                                    const std::string& application_id) {
  ASSIGN_OR_RETURN(std::optional<LockedApplication> locked, ReadApplication(tx, application_id, true));
  if (!locked) return absl::NotFoundError("application not found");
  const v1::Application& a = locked->application;
  if (a.type() != v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING || a.state() != v1::APPLICATION_STATE_APPROVED) {
    return std::optional<LockedApplication>();
  }
  ASSIGN_OR_RETURN(const bool released_before, FirstMonthReleased(tx, a));
  if (released_before) return std::optional<LockedApplication>();
  return locked;
}

}  // namespace

absl::StatusOr<bool> MariaDbAllowanceStore::ReleaseFirstMonthNotOwed(db::Session& tx,
                                                                     const std::string& application_id,
                                                                     const Actor& actor) {
  ASSIGN_OR_RETURN(std::optional<LockedApplication> locked, LockHeldFirstMonth(tx, application_id));
  if (!locked) return false;
  RETURN_IF_ERROR(ReleaseFirstMonth(*this, tx, *locked, actor));
  return true;
}

absl::StatusOr<bool> MariaDbAllowanceStore::ReleaseFirstMonthPaidElsewhere(db::Session& tx,
                                                                           const std::string& application_id,
                                                                           const Actor& actor) {
  ASSIGN_OR_RETURN(std::optional<LockedApplication> locked, LockHeldFirstMonth(tx, application_id));
  if (!locked) return false;
  const v1::Application& a = locked->application;
  // Its own first payment went out (the month is its own), or was returned and is held for its re-issue.
  ASSIGN_OR_RETURN(std::optional<db::Row> own, tx.QueryOne(kOwnPaymentIssued, {a.application_id()}));
  if (own && own->Int(0) > 0) return false;
  ASSIGN_OR_RETURN(const absl::CivilMonth first, FirstMonthOf(a));
  ASSIGN_OR_RETURN(
      std::optional<db::Row> holder,
      tx.QueryOne(kPaidMonthHolder, {a.child_id(), absl::FormatCivilTime(absl::CivilDay(first))}));
  if (!holder || holder->String(0) == a.application_id()) return false;
  RETURN_IF_ERROR(ReleaseFirstMonth(*this, tx, *locked, actor));
  return true;
}

absl::Status MariaDbAllowanceStore::ClaimPaidMonth(db::Session& tx, const PaidMonth& paid, absl::Time now) {
  if (!paid.reissue_of.empty()) {
    ASSIGN_OR_RETURN(uint64_t passed, tx.Execute(kPassPaidMonth, {paid.payment_id, paid.reissue_of}));
    if (passed == 1) return absl::OkStatus();
    // A payment re-issued that held no month (freed with its money, or paid before migration 0100 and left
    // out by its backfill) takes the month anew, as a first payment would.
  }
  const std::string month = absl::FormatCivilTime(absl::CivilDay(paid.month));
  ASSIGN_OR_RETURN(uint64_t claimed, tx.Execute(kClaimPaidMonth, {paid.child_id, month, paid.enrolment_id,
                                                                  paid.payment_id, ToSqlTimestamp(now)}));
  if (claimed == 1) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<db::Row> holder, tx.QueryOne(kPaidMonthHolder, {paid.child_id, month}));
  // Its holder gave it back between the two statements (its money released): the transaction is tried again.
  if (!holder) return absl::AbortedError("the month's payment row went while it was read");
  return MonthAlreadyPaid(paid.month, holder->String(0), holder->String(1));
}

void MariaDbAllowanceStore::ReleaseRefusedFirstMonth(const std::string& application_id, const Actor& actor) {
  // The refusal is the caller's answer whatever happens here: a release that cannot be made now (the
  // database unreachable, the child's facts not known for the take-up) is made by the roster job's run of the
  // month (MonthlyRosterStore::ReleaseFirstMonthsNotOwed), under the same lock and record, so still once.
  (void)pool_.Transaction([&](db::Session& tx) -> absl::Status {
    return ReleaseFirstMonthPaidElsewhere(tx, application_id, actor).status();
  });
}

absl::Status MariaDbAllowanceStore::TakeUpEnrolment(db::Session& tx, const std::string& application_id,
                                                    const std::string& child_id, absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<db::Row> flags, tx.QueryOne(kSelectChildFlags, {child_id}));
  if (!flags) return absl::FailedPreconditionError("the child's facts are not known yet");
  const LivingAllowanceKind taken = KindTakenUp(flags->Int(0) != 0, flags->Int(1) != 0);
  return tx
      .Execute(kInsertEnrolment, {application_id, child_id, static_cast<int64_t>(taken), ToSqlTimestamp(now)})
      .status();
}

absl::Status MariaDbAllowanceStore::RecordLivingAllowanceChild(db::Session& tx, const std::string& child_id,
                                                               const LivingAllowanceChildFacts& facts,
                                                               absl::Time now) {
  return tx
      .Execute(kInsertLivingAllowanceChild,
               {child_id, absl::FormatCivilTime(facts.birth_date), int64_t{facts.orphan},
                int64_t{facts.de_facto_unsupported}, ToSqlTimestamp(now)})
      .status();
}

// ----------------------------------------------------------------------------------------------- payments

namespace {

// A monthly enrolment's application pays the enrolment's first month; it may only while the enrolment is
// owed that month (living_allowance_rules.h CheckFirstMonthDecision), else the child is paid a month twice
// (another enrolment keeps it) or a month the rules do not give (aged out, stopped, not in the category).
// Read under the application's row lock, which the roster job's release takes too. What decides, in order:
// - the release: once what the approval reserved went back to the budget, nothing pays the month (its line
//   said the month is not owed, and would refuse it too; this answer says where the money went);
// - the first month's roster line, once written: lines are computed once and never recomputed, and the
//   child's other enrolments' lines of the month are as frozen, so the line, not the facts as they are
//   since, says whether the month is owed — also between the line and its release (a run that died between
//   them). A keeper withdrawn since gives the month back to the line it replaced, which then says so
//   (MariaDbAllowanceStore::GiveUpKeptMonth). One fact since does count: a stop that ended the enrolment
//   before the month (FirstMonthEndedByStop; the payer then lists the line as stopped and releases the
//   month: ReleaseStoppedFirstMonth), as a cycle's payment counts it for its lines;
// - before the line: the facts known now, judged as the roster would judge the month if it ran now. The
//   facts can still change before the month (a placement, a transfer, a school proof): a payment made on
//   them stands — the month was owed on everything known then — and the line, written later, can only say
//   what it finds (MonthlyRosterStore::ReleaseFirstMonthsNotOwed reports such payments; nothing is taken
//   back). A child whose facts are not recorded (an application submitted before they were recorded at
//   submission, or whose birth date the registry could not give) is judged only against replacement.
// The first month's decision without the release (CheckMonthlyFirstMonth): the line's, else the facts',
// judged without the enrolment `closing` (one closing in this transaction, its state not yet written).
absl::Status FirstMonthOwedUnder(db::Session& tx, const v1::Application& a, const std::string& closing = "");

absl::Status CheckMonthlyFirstMonth(db::Session& tx, const v1::Application& a) {
  if (a.type() != v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) return absl::OkStatus();
  ASSIGN_OR_RETURN(const bool released, FirstMonthReleased(tx, a));
  if (released) {
    return absl::FailedPreconditionError(
        "the enrolment's first month is not owed under it (its roster line says why): what its approval "
        "reserved went back to the budget");
  }
  return FirstMonthOwedUnder(tx, a);
}

absl::Status FirstMonthOwedUnder(db::Session& tx, const v1::Application& a, const std::string& closing) {
  if (!a.has_decided_at()) return absl::InternalError("an approved application without its approval time");
  const absl::CivilMonth first = FirstMonth(ShanghaiDay(FromProtoTimestamp(a.decided_at())));
  ASSIGN_OR_RETURN(std::optional<db::Row> line,
                   tx.QueryOne(kRosterLineOfEnrolment,
                               {absl::FormatCivilTime(absl::CivilDay(first)), a.application_id()}));
  if (line) {
    MonthlyDecision decision;
    decision.enrolment_id = a.application_id();
    decision.outcome = static_cast<MonthlyOutcome>(line->Int(0));
    decision.replaced_by = line->String(1);
    RETURN_IF_ERROR(CheckFirstMonthDecision(decision, first));
    // The line was written on the facts of its day; a stop recorded since ends the enrolment all the same (as
    // a cycle's payment finds for its lines).
    MonthlyEnrolment e;
    e.approved_on = ShanghaiDay(FromProtoTimestamp(a.decided_at()));
    ASSIGN_OR_RETURN(e.stopped_on, StopOf(*line, 2));
    if (std::optional<absl::CivilMonth> stop_month = StopMonth(e); stop_month && first >= *stop_month) {
      return FirstMonthEndedByStop(first, *e.stopped_on);
    }
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(db::Rows all_rows, tx.Query(kMonthlyEnrolmentsOfChild, {a.child_id()}));
  std::vector<const db::Row*> rows;
  for (const db::Row& r : all_rows) {
    if (r.String(0) != closing) rows.push_back(&r);
  }
  ASSIGN_OR_RETURN(std::optional<db::Row> facts, tx.QueryOne(kLivingAllowanceChild, {a.child_id()}));
  if (!facts) {
    if (rows.size() < 2) return absl::OkStatus();  // nothing else can replace it; nothing else is known
    // Without the child's facts the rules cannot say which enrolment keeps the month; paying now could pay
    // it twice, and the job's next run makes the answer known.
    return absl::FailedPreconditionError(
        "the child's monthly enrolments are not taken up yet: which one keeps the month is not known");
  }
  LivingAllowanceChild child;
  ASSIGN_OR_RETURN(child.birth_date, ParseDay(facts->String(0).substr(0, 10), "birth_date"));
  child.orphan = facts->Int(1) != 0;
  child.de_facto_unsupported = facts->Int(2) != 0;
  ASSIGN_OR_RETURN(db::Rows proofs, tx.Query(kSchoolProofsOfChild, {a.child_id()}));
  for (const db::Row& r : proofs) {
    ASSIGN_OR_RETURN(absl::CivilDay through, ParseDay(r.String(2).substr(0, 10), "covers_through"));
    child.schooling.push_back({static_cast<SchoolKind>(r.Int(0)), r.String(1), absl::CivilMonth(through)});
  }
  // An enrolment not taken up yet takes the kind the take-up will give it from these facts.
  const LivingAllowanceKind untaken = LivingAllowanceKindFor(child.orphan, child.de_facto_unsupported)
                                          .value_or(LivingAllowanceKind::kDeFactoUnsupported);
  std::vector<MonthlyEnrolment> enrolments;
  for (const db::Row* row : rows) {
    const db::Row& r = *row;
    MonthlyEnrolment e;
    e.enrolment_id = r.String(0);
    e.program_id = r.String(1);
    e.monthly_amount_fen = r.Int(2);
    ASSIGN_OR_RETURN(absl::Time decided, FromSqlTimestamp(r.String(3)));
    e.approved_on = ShanghaiDay(decided);
    e.kind = r.IsNull(4) ? untaken : static_cast<LivingAllowanceKind>(r.Int(4));
    ASSIGN_OR_RETURN(e.stopped_on, StopOf(r, 5));
    enrolments.push_back(std::move(e));
  }
  return CheckFirstMonthByApplication(child, enrolments, a.application_id());
}

// Enrolment `e`'s first month, whose reservation went back to the budget (ReleaseFirstMonth) only because
// another enrolment held the month, is owed it again: the one monthly amount its approval reserved is
// reserved again in its program (the budget and the cap per child and year judge it, as an approval), on the
// slot it was recorded with, its release record is cleared and it is APPROVED, holding that sum, so its
// application pays the month (the month's key taking it as for any payment). FAILED_PRECONDITION when the
// budget or the cap refuses; the caller undoes it under its savepoint.
absl::Status ReserveFirstMonthAgain(MariaDbAllowanceStore& store, db::Session& tx, const LockedApplication& e,
                                    const Actor& actor) {
  const v1::Application& a = e.application;
  ASSIGN_OR_RETURN(std::optional<v1::Program> program,
                   MariaDbAllowanceStore::ReadProgram(tx, a.program_id(), false));
  if (!program) return absl::InternalError("application's program is missing");
  RETURN_IF_ERROR(ReserveApplicationAmount(store, tx, a, int64_t{a.year()}, *program, e.budget_slot, actor));
  RETURN_IF_ERROR(tx.Execute(kUnmarkFirstMonthReleased, {a.application_id()}).status());
  return tx.Execute(kSetApplicationApproved, {a.application_id()}).status();
}

// The lines of the child's month that named `closing` as their replacement name `holder`, which holds the
// month now. Read first and written by key, so only those lines are locked, not the month's others.
absl::Status NameNewHolder(db::Session& tx, const std::string& child_id, const std::string& month,
                           const std::string& closing_id, const std::string& holder_id) {
  const int64_t replaced = static_cast<int64_t>(MonthlyOutcome::kReplaced);
  ASSIGN_OR_RETURN(db::Rows lines,
                   tx.Query(kLinesStillReplacedBy, {month, child_id, replaced, closing_id, holder_id}));
  for (const db::Row& line : lines) {
    RETURN_IF_ERROR(tx.Execute(kLineReplacedByNewHolder,
                               {holder_id, line.String(0), line.String(1), replaced, closing_id})
                        .status());
  }
  return absl::OkStatus();
}

// The child's month `freed`, just freed by `closing`, owed to no released first month: a cycle's line of it
// that was listed as replaced by `closing` (because `closing`'s payment held the month, or because the rules
// made `closing` the month's keeper) is the month's again, so that it is paid once. Refused (the cap, the
// budget, or another payable line of the child's month), it is undone under the savepoint and the closing
// still commits: the line stays replaced, the month unpaid.
// - A line of its enrolment's first month says so again (kPaidByApplication, the rules' decision without
//   `closing`): the first month is the application's to pay, with the reservation its approval made, or,
//   when that went back to the budget (ReleaseFirstMonthNotOwed), with it reserved again
//   (ReserveFirstMonthAgain).
// - Any other line is payable again, for its enrolment's monthly amount, so that its cycle's payment (a
//   PayMonthlyCycle after this commits) pays it under the month's key like any line. In a cycle approved
//   already (or paid), the amount is reserved as the approval reserves a line (the cap per child and year on
//   the month's year, then the budget on the cycle's slot) and added to what the approval covers; a cycle not
//   yet approved, or sent back by its checker, reserves it when approved.
// Done, the child's other lines that named `closing` name the line's enrolment (NameNewHolder).
absl::Status GiveFreedMonthToReplacedLine(MariaDbAllowanceStore& store, db::Session& tx,
                                          const v1::Application& closing, absl::CivilMonth freed,
                                          const Actor& actor) {
  const std::string month = absl::FormatCivilTime(absl::CivilDay(freed));
  ASSIGN_OR_RETURN(std::optional<db::Row> line,
                   tx.QueryOne(kLineReplacedByHolder,
                               {month, closing.child_id(), static_cast<int64_t>(MonthlyOutcome::kReplaced),
                                closing.application_id()}));
  if (!line) return absl::OkStatus();
  const std::string cycle_id = line->String(0);
  const std::string enrolment_id = line->String(1);
  const int64_t amount = line->Int(2);
  const auto cycle_state = static_cast<v1::MonthlyCycleState>(line->Int(3));
  ASSIGN_OR_RETURN(std::optional<LockedApplication> e, ReadApplication(tx, enrolment_id, false));
  if (!e) return absl::InternalError("the line's enrolment is missing");
  ASSIGN_OR_RETURN(const absl::CivilMonth first, FirstMonthOf(e->application));
  const bool first_month = first == freed;
  RETURN_IF_ERROR(tx.ExecuteConstant(kSavepointOwedMonth));
  absl::Status given = [&]() -> absl::Status {
    if (first_month) {
      RETURN_IF_ERROR(
          tx.Execute(kLinePaidByApplicationAgain,
                     {static_cast<int64_t>(MonthlyOutcome::kPaidByApplication), cycle_id, enrolment_id})
              .status());
      ASSIGN_OR_RETURN(const bool released, FirstMonthReleased(tx, e->application));
      if (!released) return absl::OkStatus();
      return ReserveFirstMonthAgain(store, tx, *e, actor);
    }
    RETURN_IF_ERROR(tx.Execute(kLinePayableAgain, {static_cast<int64_t>(MonthlyOutcome::kPayable), amount,
                                                   cycle_id, enrolment_id})
                        .status());
    if (cycle_state != v1::MONTHLY_CYCLE_STATE_APPROVED && cycle_state != v1::MONTHLY_CYCLE_STATE_PAID) {
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::optional<v1::Program> program,
                     MariaDbAllowanceStore::ReadProgram(tx, e->application.program_id(), false));
    if (!program) return absl::InternalError("application's program is missing");
    // The line is the enrolment's monthly amount, counted in its month's year.
    RETURN_IF_ERROR(ReserveApplicationAmount(store, tx, e->application, int64_t{freed.year()}, *program,
                                             static_cast<int>(line->Int(4)), actor));
    ASSIGN_OR_RETURN(uint64_t covered, tx.Execute(kCycleReservedMore, {amount, cycle_id}));
    if (covered != 1) return absl::InternalError("the line's cycle is not approved under its lock");
    return absl::OkStatus();
  }();
  MariaDbAllowanceStore::MonthHandOver hand_over{
      closing.child_id(), enrolment_id, closing.application_id(), freed, first_month ? "" : cycle_id, ""};
  if (given.ok()) {
    if (!first_month && cycle_state == v1::MONTHLY_CYCLE_STATE_PAID) store.ReportMonthHandOver(tx, hand_over);
    return NameNewHolder(tx, closing.child_id(), month, closing.application_id(), enrolment_id);
  }
  if (given.code() != absl::StatusCode::kFailedPrecondition &&
      given.code() != absl::StatusCode::kAlreadyExists) {
    return given;
  }
  RETURN_IF_ERROR(tx.ExecuteConstant(kRollbackOwedMonth));
  hand_over.refusal = std::string(given.message());
  store.ReportMonthHandOver(tx, hand_over);
  return absl::OkStatus();
}

// The child's month `freed`, just freed by `closing`, goes to the child's enrolment owed it (OwedFreedMonth):
// its first month's reservation, which went back when `closing`'s payment held the month, is reserved again
// (ReserveFirstMonthAgain). Under the enrolment's row lock, which payments, releases and withdrawals take: a
// release or a withdrawal of it that came first leaves nothing owed; one that comes after releases the sum
// again. The month's row deleted in this transaction keeps any other payment of it waiting until this
// commits. When the budget or the cap refuses, nothing is reserved and the closing still commits: the
// enrolment stays as it was, its month unpaid, for the finance officers to follow up. With no enrolment owed
// it, the month goes to a cycle line replaced by `closing` (GiveFreedMonthToReplacedLine). Nothing for a
// child whose case is closed (its enrolments are cancelled, or stopped by the close).
absl::Status GiveFreedMonth(MariaDbAllowanceStore& store, db::Session& tx, const v1::Application& closing,
                            absl::CivilMonth freed, const Actor& actor) {
  ASSIGN_OR_RETURN(std::optional<db::Row> standing, tx.QueryOne(kCaseStandingClosed, {closing.child_id()}));
  if (standing && standing->Int(0) != 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(db::Rows ids,
                   tx.Query(kReleasedEnrolmentsOfChild, {closing.child_id(), closing.application_id()}));
  std::vector<ReleasedFirstMonth> released;
  std::map<std::string, LockedApplication> locked;
  for (const db::Row& id : ids) {
    ASSIGN_OR_RETURN(std::optional<LockedApplication> e, ReadApplication(tx, id.String(0), false));
    if (!e) continue;
    ReleasedFirstMonth r;
    r.enrolment_id = e->application.application_id();
    ASSIGN_OR_RETURN(r.first, FirstMonthOf(e->application));
    ASSIGN_OR_RETURN(std::optional<db::Row> own, tx.QueryOne(kOwnPaymentIssued, {r.enrolment_id}));
    r.own_payment_issued = own && own->Int(0) > 0;
    if (r.first == freed && !r.own_payment_issued) {
      r.owed = FirstMonthOwedUnder(tx, e->application, closing.application_id());
      // A refusal is the rule's answer; anything else (the database's) is not an answer at all.
      if (!r.owed.ok() && r.owed.code() != absl::StatusCode::kFailedPrecondition) return r.owed;
    }
    released.push_back(std::move(r));
    locked.emplace(e->application.application_id(), *std::move(e));
  }
  const std::optional<std::string> owed = OwedFreedMonth(released, freed);
  if (!owed) return GiveFreedMonthToReplacedLine(store, tx, closing, freed, actor);
  RETURN_IF_ERROR(tx.ExecuteConstant(kSavepointOwedMonth));
  const absl::Status reserved = ReserveFirstMonthAgain(store, tx, locked.at(*owed), actor);
  if (!reserved.ok()) {
    if (reserved.code() != absl::StatusCode::kFailedPrecondition) return reserved;
    RETURN_IF_ERROR(tx.ExecuteConstant(kRollbackOwedMonth));
    store.ReportMonthHandOver(tx, {closing.child_id(), *owed, closing.application_id(), freed, "",
                                   std::string(reserved.message())});
    return absl::OkStatus();
  }
  return NameNewHolder(tx, closing.child_id(), absl::FormatCivilTime(absl::CivilDay(freed)),
                       closing.application_id(), *owed);
}

// The keeper by the rules of its own first month (its line kPaidByApplication, the child's other enrolments'
// lines of the month listed as replaced by it), withdrawn before its application paid it: its reservation
// went back with the withdrawal's holdings (ReleaseMonthlyHoldings), and the month goes to the line it
// replaced as a freed month goes (GiveFreedMonth), in the withdrawal's transaction. Its months kept by cycle
// lines are given up by the cycles' approval or payment, which list those lines as stopped
// (MariaDbAllowanceStore::GiveUpKeptMonth).
absl::Status GiveUpFirstMonth(MariaDbAllowanceStore& store, db::Session& tx, const v1::Application& closing,
                              const Actor& actor) {
  ASSIGN_OR_RETURN(const absl::CivilMonth first, FirstMonthOf(closing));
  ASSIGN_OR_RETURN(std::optional<db::Row> first_line,
                   tx.QueryOne(kRosterLineOfEnrolment,
                               {absl::FormatCivilTime(absl::CivilDay(first)), closing.application_id()}));
  if (!first_line || first_line->Int(0) != static_cast<int64_t>(MonthlyOutcome::kPaidByApplication)) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::optional<db::Row> own, tx.QueryOne(kOwnPaymentIssued, {closing.application_id()}));
  if (own && own->Int(0) > 0) return absl::OkStatus();
  return GiveFreedMonth(store, tx, closing, first, actor);
}

absl::Status FreeReversedMonths(MariaDbAllowanceStore& store, db::Session& tx, const v1::Application& a,
                                const Actor& actor) {
  ASSIGN_OR_RETURN(db::Rows freed, tx.Query(kReversedMonthsHeld, {a.application_id()}));
  RETURN_IF_ERROR(tx.Execute(kFreeReversedMonths, {a.application_id()}).status());
  for (const db::Row& row : freed) {
    ASSIGN_OR_RETURN(absl::CivilDay month, ParseDay(row.String(1).substr(0, 10), "month"));
    RETURN_IF_ERROR(GiveFreedMonth(store, tx, a, absl::CivilMonth(month), actor));
  }
  return absl::OkStatus();
}

// What paying `a` issues (allowance_rules.h DecideNextIssue), read under the application's row lock: a
// re-issue of a reversed payment, or its own first payment. The first-month rule judges only the
// application's own amount, so a month a cycle paid and the bank returned is re-issued even when the
// enrolment's first month was not owed, and never more than came back. For a monthly enrolment, `month` is
// set to the month the payment pays: a re-issue's, the month of the payment its chain of re-issues started
// with (a cycle's line, or the first month); the application's own, its first month.
// `issued_meanwhile`: payments of `a` this transaction issued and has not written yet (a batch's earlier
// orders), judged as if written, so that a second order in one batch is answered as it would be alone.
absl::StatusOr<NextIssue> NextIssueOf(db::Session& tx, const v1::Application& a, int64_t payments_issued,
                                      absl::CivilMonth* month,
                                      const std::vector<PaymentStanding>& issued_meanwhile = {}) {
  const absl::Status own = CheckMonthlyFirstMonth(tx, a);
  // A refusal is the rule's answer; anything else (the database's) is not an answer at all.
  if (!own.ok() && own.code() != absl::StatusCode::kFailedPrecondition) return own;
  std::vector<PaymentStanding> payments;
  std::map<std::string, absl::CivilMonth> line_months;  // a cycle's payment → its line's month
  // An application never paid has nothing to re-issue: its first payment (nearly every payment) reads no
  // payments.
  if (payments_issued > 0) {
    ASSIGN_OR_RETURN(db::Rows rows, tx.Query(kPaymentsOfApplication, {a.application_id()}));
    payments.reserve(rows.size());
    for (const db::Row& r : rows) {
      PaymentStanding p;
      p.payment_id = r.String(0);
      p.state = static_cast<v1::PaymentState>(r.Int(1));
      p.amount_fen = r.Int(2);
      if (!r.IsNull(3)) p.reissue_of = r.String(3);
      p.by_cycle = r.Int(4) != 0;
      if (p.by_cycle) {
        ASSIGN_OR_RETURN(absl::CivilDay line_month, ParseDay(r.String(5).substr(0, 10), "month"));
        line_months[p.payment_id] = absl::CivilMonth(line_month);
      }
      payments.push_back(std::move(p));
    }
  }
  payments.insert(payments.end(), issued_meanwhile.begin(), issued_meanwhile.end());
  ASSIGN_OR_RETURN(NextIssue next, DecideNextIssue(a, payments, own));
  if (a.type() != v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) return next;
  ASSIGN_OR_RETURN(*month, FirstMonthOf(a));
  std::map<std::string, std::string> reissued;  // payment → the payment it re-issued
  for (const PaymentStanding& p : payments) reissued[p.payment_id] = p.reissue_of;
  // Back along the chain to its first payment, bounded by the payments' count.
  std::string at = next.reissue_of;
  for (size_t steps = 0; !at.empty() && steps <= payments.size(); ++steps) {
    if (auto line = line_months.find(at); line != line_months.end()) {
      *month = line->second;
      break;
    }
    auto previous = reissued.find(at);
    at = previous == reissued.end() ? "" : previous->second;
  }
  return next;
}

}  // namespace

void MariaDbAllowanceStore::ReleaseStoppedFirstMonth(const std::string& application_id, const Actor& actor) {
  // As ReleaseRefusedFirstMonth: the refusal stands whatever happens here. Judged again under the lock: a
  // payment that came first (the month out with the bank) or a release that did leave nothing to do.
  (void)pool_.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<LockedApplication> locked, LockHeldFirstMonth(tx, application_id));
    if (!locked) return absl::OkStatus();
    if (!FirstMonthStopped(FirstMonthOwedUnder(tx, locked->application))) return absl::OkStatus();
    ASSIGN_OR_RETURN(const absl::CivilMonth first, FirstMonthOf(locked->application));
    RETURN_IF_ERROR(
        tx.Execute(kFirstMonthLineStopped, {static_cast<int64_t>(MonthlyOutcome::kStopped),
                                            absl::FormatCivilTime(absl::CivilDay(first)), application_id,
                                            static_cast<int64_t>(MonthlyOutcome::kPaidByApplication)})
            .status());
    return ReleaseFirstMonth(*this, tx, *locked, actor);
  });
}

absl::Status MariaDbAllowanceStore::GiveUpKeptMonth(db::Session& tx, const std::string& keeper_id,
                                                    absl::CivilMonth month, const Actor& actor) {
  ASSIGN_OR_RETURN(std::optional<LockedApplication> keeper, ReadApplication(tx, keeper_id, false));
  if (!keeper) return absl::InternalError("the line's enrolment is missing");
  return GiveFreedMonth(*this, tx, keeper->application, month, actor);
}

absl::StatusOr<v1::Payment> MariaDbAllowanceStore::PayApplication(
    const IdempotencyKey& key, const Actor& actor, const std::string& application_id,
    const Authorize<v1::Application, v1::Program>& authorize, v1::PaymentMethod method,
    const std::string& payee_reference) {
  absl::StatusOr<v1::Payment> paid =
      PayApplicationOnce(key, actor, application_id, authorize, method, payee_reference);
  if (MonthPaidUnder(paid.status())) ReleaseRefusedFirstMonth(application_id, actor);
  if (FirstMonthStopped(paid.status())) ReleaseStoppedFirstMonth(application_id, actor);
  return paid;
}

absl::StatusOr<v1::Payment> MariaDbAllowanceStore::PayApplicationOnce(
    const IdempotencyKey& key, const Actor& actor, const std::string& application_id,
    const Authorize<v1::Application, v1::Program>& authorize, v1::PaymentMethod method,
    const std::string& payee_reference) {
  return IdempotentTransaction<v1::Payment>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Payment> {
        // The application's row without its items and the program's without its scores and balances: a
        // payment needs neither, and the guarded UPDATE below judges the money.
        ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kLockApplication, {application_id}));
        if (!row) return absl::NotFoundError("application not found");
        ASSIGN_OR_RETURN(v1::Application a, ApplicationFromRow(*row));
        const int64_t issue_number = row->Int(17) + 1;
        const int budget_slot = static_cast<int>(row->Int(18));
        ASSIGN_OR_RETURN(std::optional<db::Row> program_row, tx.QueryOne(kSelectProgram, {a.program_id()}));
        if (!program_row) return absl::InternalError("application's program is missing");
        ASSIGN_OR_RETURN(v1::Program program, ProgramFromRow(*program_row));
        RETURN_IF_ERROR(authorize(a, program));
        RETURN_IF_ERROR(CheckPayable(a, program));
        absl::CivilMonth month;
        ASSIGN_OR_RETURN(const NextIssue next, NextIssueOf(tx, a, row->Int(17), &month));
        v1::Payment payment =
            IssuedPayment(ids_.Next(), a, next, issue_number, method, payee_reference, actor);
        if (a.type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) {
          RETURN_IF_ERROR(ClaimPaidMonth(
              tx, {a.child_id(), month, a.application_id(), payment.payment_id(), next.reissue_of},
              actor.at));
        }
        // The unique (application_id, issue_number) key makes a second payment of this issue impossible even
        // for a writer that skipped the row lock above: its INSERT fails and its transaction rolls back
        // whole.
        RETURN_IF_ERROR(tx.Execute(absl::StrCat(kInsertPaymentsHead, kPaymentTuple),
                                   PaymentValues(payment, budget_slot, next.reissue_of))
                            .status());
        RETURN_IF_ERROR(PostEntry(tx, a.program_id(), budget_slot, v1::LEDGER_ENTRY_KIND_PAYMENT,
                                  v1::LEDGER_ACCOUNT_RESERVED, v1::LEDGER_ACCOUNT_IN_PAYMENT,
                                  payment.amount_fen(), a.application_id(), payment.payment_id(), actor));
        a.set_state(v1::APPLICATION_STATE_PAYMENT_ISSUED);
        RETURN_IF_ERROR(WriteApplication(tx, a, issue_number, budget_slot, actor, false));
        // In the payment's own transaction, so a retried payment is sampled exactly as the first was.
        for (const auto& event : PaymentEvents(payment, a.type())) {
          RETURN_IF_ERROR(outbox_.Append(tx, payment.payment_id(), *event, actor.at));
        }
        return payment;
      });
}

std::vector<std::unique_ptr<google::protobuf::Message>> MariaDbAllowanceStore::PaymentEvents(
    const v1::Payment& payment, v1::AllowanceType type) const {
  std::vector<std::unique_ptr<google::protobuf::Message>> events;
  auto issued = std::make_unique<v1::PaymentIssued>();
  issued->set_payment_id(payment.payment_id());
  issued->set_application_id(payment.application_id());
  issued->set_program_id(payment.program_id());
  issued->set_amount_fen(payment.amount_fen());
  issued->set_method(payment.method());
  events.push_back(std::move(issued));
  if (sample_.Selects(payment.payment_id())) {
    auto verify = std::make_unique<v1::HouseholdVerificationRequested>();
    verify->set_child_id(payment.child_id());
    verify->set_program_id(payment.program_id());
    verify->set_payment_id(payment.payment_id());
    verify->set_division_code(payment.division_code());
    // What the visitor checks with the household: no bank details (HouseholdVerificationRequested).
    verify->set_type(type);
    verify->set_amount_fen(payment.amount_fen());
    verify->set_paid_on(absl::FormatCivilTime(ShanghaiDay(FromProtoTimestamp(payment.issued_at()))));
    events.push_back(std::move(verify));
  }
  return events;
}

std::vector<absl::StatusOr<v1::Payment>> MariaDbAllowanceStore::PayApplications(
    const std::vector<PaymentOrder>& orders, const std::function<void()>& committing) {
  std::vector<absl::StatusOr<v1::Payment>> answers = CommitTogetherElseAlone<v1::Payment>(
      pool_, orders,
      [&](db::Session& tx, std::vector<std::optional<absl::StatusOr<v1::Payment>>>& answers) {
        return PayBatch(tx, orders, answers);
      },
      [&](const PaymentOrder& o) {
        return PayApplicationOnce(o.key, o.actor, o.application_id, o.authorize, o.method, o.payee_reference);
      },
      committing);
  for (size_t i = 0; i < orders.size(); ++i) {
    if (MonthPaidUnder(answers[i].status()))
      ReleaseRefusedFirstMonth(orders[i].application_id, orders[i].actor);
    if (FirstMonthStopped(answers[i].status()))
      ReleaseStoppedFirstMonth(orders[i].application_id, orders[i].actor);
  }
  return answers;
}

absl::Status MariaDbAllowanceStore::PayBatch(
    db::Session& tx, const std::vector<PaymentOrder>& orders,
    std::vector<std::optional<absl::StatusOr<v1::Payment>>>& answers) {
  // Every application locked first, in one statement, in id order (the order any two batches meet them in),
  // and only then the idempotency records read: a retry names the same application as its first attempt, so
  // if that attempt's batch is still committing (another committer's, group_commit.h) this waits for it
  // here and then reads its record, and the retry is answered from it, never paid or refused anew.
  std::set<std::string> application_ids;
  for (const PaymentOrder& o : orders) application_ids.insert(o.application_id);
  std::vector<db::Value> params(application_ids.begin(), application_ids.end());
  db::PadEntries(params, 0, 1, application_ids.size());
  ASSIGN_OR_RETURN(
      db::Rows application_rows,
      tx.Query(absl::StrCat(kApplicationColumns, " WHERE id IN (",
                            db::PaddedList("?", ", ", application_ids.size()), ") ORDER BY id FOR UPDATE"),
               params));
  std::map<std::string, LockedApplication> applications;
  std::set<std::string> program_ids;
  for (const db::Row& row : application_rows) {
    LockedApplication locked;
    ASSIGN_OR_RETURN(locked.application, ApplicationFromRow(row));
    locked.payments_issued = row.Int(17);
    locked.budget_slot = static_cast<int>(row.Int(18));
    program_ids.insert(locked.application.program_id());
    applications.emplace(locked.application.application_id(), std::move(locked));
  }
  std::vector<const IdempotencyKey*> keys;
  keys.reserve(orders.size());
  for (const PaymentOrder& o : orders) keys.push_back(&o.key);
  BatchKeys seen;
  ASSIGN_OR_RETURN(std::vector<size_t> live,
                   SortOutRetries(tx, keys, seen, [&](size_t i, absl::StatusOr<std::string> recorded) {
                     answers[i] = ParseRecorded<v1::Payment>(std::move(recorded));
                   }));
  if (live.empty()) return absl::OkStatus();
  std::map<std::string, v1::Program> programs;
  if (!program_ids.empty()) {
    params.assign(program_ids.begin(), program_ids.end());
    db::PadEntries(params, 0, 1, program_ids.size());
    ASSIGN_OR_RETURN(db::Rows program_rows,
                     tx.Query(absl::StrCat(kPayingProgramColumns, " WHERE id IN (",
                                           db::PaddedList("?", ", ", program_ids.size()), ")"),
                              params));
    for (const db::Row& row : program_rows) {
      v1::Program program = PayingProgramFromRow(row);
      programs.emplace(program.program_id(), std::move(program));
    }
  }

  // Each order judged as PayApplication judges it alone, in the batch's order: the second order for one
  // application finds it PAYMENT_ISSUED by the first, and a monthly enrolment's (payable in that state) finds
  // the first's payment among its own (issued_meanwhile), as it would once written.
  std::vector<std::pair<size_t, v1::Payment>> paid;
  std::map<std::string, std::vector<PaymentStanding>> issued_meanwhile;  // application → its payments here
  std::map<std::string, std::string> reissues;               // payment → the reversed payment it re-issues
  std::map<std::pair<std::string, int>, int64_t> slot_sums;  // (program, budget slot) → amount
  for (size_t i : live) {
    const PaymentOrder& o = orders[i];
    auto found = applications.find(o.application_id);
    if (found == applications.end()) {
      answers[i] = absl::NotFoundError("application not found");
      continue;
    }
    v1::Application& a = found->second.application;
    auto program = programs.find(a.program_id());
    if (program == programs.end()) {
      answers[i] = absl::InternalError("application's program is missing");
      continue;
    }
    absl::Status allowed = o.authorize(a, program->second);
    if (allowed.ok()) allowed = CheckPayable(a, program->second);
    absl::CivilMonth month;
    const absl::StatusOr<NextIssue> next =
        allowed.ok()
            ? NextIssueOf(tx, a, found->second.payments_issued, &month, issued_meanwhile[a.application_id()])
            : absl::StatusOr<NextIssue>(allowed);
    if (!next.ok()) {
      answers[i] = next.status();
      continue;
    }
    const std::string payment_id = ids_.Next();
    if (a.type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) {
      const absl::Status claimed = ClaimPaidMonth(
          tx, {a.child_id(), month, a.application_id(), payment_id, next->reissue_of}, o.actor.at);
      // The database's failure fails the batch (its orders are then run alone); the rule's refusal is this
      // order's answer, and its claim was never written.
      if (!claimed.ok() && !MonthPaidUnder(claimed)) return claimed;
      if (!claimed.ok()) {
        answers[i] = claimed;
        continue;
      }
    }
    const int64_t issue_number = ++found->second.payments_issued;
    a.set_state(v1::APPLICATION_STATE_PAYMENT_ISSUED);
    paid.emplace_back(
        i, IssuedPayment(payment_id, a, *next, issue_number, o.method, o.payee_reference, o.actor));
    if (!next->reissue_of.empty()) reissues[paid.back().second.payment_id()] = next->reissue_of;
    issued_meanwhile[a.application_id()].push_back(
        {payment_id, v1::PAYMENT_STATE_ISSUED, next->amount_fen, next->reissue_of, false});
    slot_sums[{a.program_id(), found->second.budget_slot}] += next->amount_fen;
  }
  if (paid.empty()) return absl::OkStatus();

  // The payments, the ledger entries, the applications, the events, the answers and the balances: one
  // statement each for the whole batch (the INSERTs one per power-of-two chunk, batch_statements.h).
  params.clear();
  for (const auto& [i, p] : paid) {
    auto reissue = reissues.find(p.payment_id());
    std::vector<db::Value> values = PaymentValues(p, applications.at(p.application_id()).budget_slot,
                                                  reissue == reissues.end() ? "" : reissue->second);
    params.insert(params.end(), values.begin(), values.end());
  }
  RETURN_IF_ERROR(db::InsertRows(tx, kInsertPaymentsHead, kPaymentTuple, kPaymentWidth, params).status());

  std::vector<db::Value> issued_ids;
  std::vector<Outbox::Pending> events;
  std::vector<std::unique_ptr<google::protobuf::Message>> event_payloads;
  for (const auto& [i, p] : paid) {
    issued_ids.push_back(p.application_id());
    for (auto& event : PaymentEvents(p, applications.at(p.application_id()).application.type())) {
      events.push_back({p.payment_id(), event.get(), orders[i].actor.at});
      event_payloads.push_back(std::move(event));
    }
  }

  params = {int64_t{v1::APPLICATION_STATE_PAYMENT_ISSUED}};
  params.insert(params.end(), issued_ids.begin(), issued_ids.end());
  db::PadEntries(params, 1, 1, issued_ids.size());
  ASSIGN_OR_RETURN(
      uint64_t matched,
      tx.Execute(absl::StrCat(kMarkPaymentsIssuedHead, db::PaddedList("?", ", ", issued_ids.size()), ")"),
                 params));
  if (matched != issued_ids.size()) return absl::InternalError("a paid application was not updated");

  RETURN_IF_ERROR(outbox_.AppendAll(tx, events));

  std::vector<FirstAnswer> first_answers;
  first_answers.reserve(paid.size());
  for (const auto& [i, p] : paid) {
    first_answers.push_back({&orders[i].key, p.SerializeAsString(), orders[i].actor.at});
  }
  RETURN_IF_ERROR(RecordFirstAnswers(tx, first_answers));

  // The ledger entries and the balances last: a program's slot row is what its approvals (and another
  // replica sharing the slot) wait for, so it is locked for as short a time as the batch allows, from here to
  // the commit. slot_sums is in key order, the order every batch locks slot rows in. The entries' ids are
  // taken once the rows are locked, above each slot's last entry (ledger_cursor.h), and the highest is left
  // as every slot's last by the upsert.
  std::vector<std::pair<std::string, int>> slots;
  for (const auto& [program_slot, sum] : slot_sums) slots.push_back(program_slot);
  RETURN_IF_ERROR(budget_slot_store::RaiseAboveLastEntries(tx, slots, ids_));
  params.clear();
  std::string last_entry_id;
  for (const auto& [i, p] : paid) {
    last_entry_id = ids_.Next();
    params.insert(params.end(), {last_entry_id, p.program_id(), int64_t{v1::LEDGER_ENTRY_KIND_PAYMENT},
                                 int64_t{v1::LEDGER_ACCOUNT_RESERVED}, int64_t{v1::LEDGER_ACCOUNT_IN_PAYMENT},
                                 p.amount_fen(), p.application_id(), p.payment_id(), orders[i].actor.subject,
                                 ToSqlTimestamp(orders[i].actor.at),
                                 int64_t{applications.at(p.application_id()).budget_slot}});
  }
  RETURN_IF_ERROR(db::InsertRows(tx, kInsertEntriesHead, kEntryTuple, kEntryWidth, params).status());

  params.clear();
  for (const auto& [program_slot, sum] : slot_sums) {
    params.insert(params.end(), {program_slot.first, int64_t{program_slot.second}, sum, last_entry_id});
  }
  // MariaDB counts an upsert's affected rows as 1 per row inserted and 2 per existing row updated.
  ASSIGN_OR_RETURN(uint64_t moved,
                   db::InsertRows(tx, kMoveReservedToInPaymentHead, kMoveReservedToInPaymentTuple,
                                  kMoveReservedToInPaymentWidth, params, kMoveReservedToInPaymentUpdate));
  if (moved != 2 * slot_sums.size()) {
    return absl::FailedPreconditionError("the program's balances do not hold this movement");
  }
  for (auto& [i, p] : paid) answers[i] = std::move(p);
  return absl::OkStatus();
}

absl::StatusOr<v1::Payment> MariaDbAllowanceStore::RecordPaymentOutcome(
    const IdempotencyKey& key, const Actor& actor, const std::string& payment_id,
    const Authorize<v1::Payment, v1::Program>& authorize, v1::PaymentOutcome outcome,
    const std::string& reason, int32_t attempt, int max_attempts) {
  return IdempotentTransaction<v1::Payment>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Payment> {
        // The application first, then the payment: the order PayApplication locks them in.
        ASSIGN_OR_RETURN(std::optional<v1::Payment> peek, ReadPayment(tx, payment_id, false));
        if (!peek) return absl::NotFoundError("payment not found");
        ASSIGN_OR_RETURN(std::optional<LockedApplication> locked,
                         ReadApplication(tx, peek->application_id(), true));
        if (!locked) return absl::InternalError("payment's application is missing");
        ASSIGN_OR_RETURN(std::optional<v1::Payment> payment, ReadPayment(tx, payment_id, true));
        ASSIGN_OR_RETURN(std::optional<v1::Program> program, ReadProgram(tx, payment->program_id(), false));
        if (!program) return absl::InternalError("payment's program is missing");
        RETURN_IF_ERROR(authorize(*payment, *program));
        RETURN_IF_ERROR(CheckOutcomeAttempt(*payment, attempt));
        ASSIGN_OR_RETURN(OutcomeStep step,
                         DecideOutcome(*payment, locked->application.state(), outcome, max_attempts));
        ASSIGN_OR_RETURN(std::optional<db::Row> slot_row, tx.QueryOne(kPaymentSlot, {payment_id}));
        const int budget_slot = slot_row ? static_cast<int>(slot_row->Int(0)) : 0;
        if (step.kind != v1::LEDGER_ENTRY_KIND_UNSPECIFIED) {
          RETURN_IF_ERROR(PostEntry(tx, payment->program_id(), budget_slot, step.kind, step.from, step.to,
                                    payment->amount_fen(), payment->application_id(), payment_id, actor));
        }
        // Money a payment returns to RESERVED sits in the payment's slot; a re-issue through the application
        // (PayApplication) takes it from the application's, so the two are made one (they differ only for a
        // monthly cycle's payment, reserved on the cycle's slot).
        if (step.to == v1::LEDGER_ACCOUNT_RESERVED && budget_slot != locked->budget_slot) {
          RETURN_IF_ERROR(
              tx.Execute(kSetApplicationSlot, {int64_t{budget_slot}, payment->application_id()}).status());
          locked->budget_slot = budget_slot;
        }
        const bool resolved = step.next != v1::PAYMENT_STATE_FAILED;
        RETURN_IF_ERROR(
            tx.Execute(kUpdatePayment,
                       {int64_t{step.next}, int64_t{payment->attempts()},
                        outcome == v1::PAYMENT_OUTCOME_CONFIRMED ? std::string() : reason,
                        resolved ? db::Value(ToSqlTimestamp(actor.at)) : db::Value(db::Null{}),
                        resolved ? db::Value(db::Null{}) : db::Value(ToSqlTimestamp(actor.at)), payment_id})
                .status());
        if (step.releases && locked->application.type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) {
          RETURN_IF_ERROR(ReleaseReturnedToClosedEnrolment(*this, tx, locked->application, budget_slot,
                                                           payment_id, actor));
        }
        if (step.application_next != v1::APPLICATION_STATE_UNSPECIFIED &&
            locked->application.type() == v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING) {
          // A monthly enrolment's state says what it holds, not what this payment did: approved while any
          // sum is left to pay (or to release by a withdrawal), in payment while one is out, else paid.
          ASSIGN_OR_RETURN(const MonthlyHoldings held, HoldingsOf(tx, locked->application));
          step.application_next = held.any()       ? v1::APPLICATION_STATE_APPROVED
                                  : held.in_flight ? v1::APPLICATION_STATE_PAYMENT_ISSUED
                                                   : v1::APPLICATION_STATE_PAID;
        }
        if (step.application_next != v1::APPLICATION_STATE_UNSPECIFIED) {
          locked->application.set_state(step.application_next);
          RETURN_IF_ERROR(WriteApplication(tx, locked->application, locked->payments_issued,
                                           locked->budget_slot, actor, false));
        }
        ASSIGN_OR_RETURN(std::optional<v1::Payment> written, ReadPayment(tx, payment_id, false));
        const v1::Application& a = locked->application;
        switch (step.next) {
          case v1::PAYMENT_STATE_CONFIRMED: {
            v1::PaymentMade event;
            event.set_payment_id(payment_id);
            event.set_application_id(a.application_id());
            event.set_program_id(a.program_id());
            event.set_child_id(a.child_id());
            event.set_amount_fen(payment->amount_fen());
            event.set_type(a.type());
            event.set_division_code(a.division_code());
            RETURN_IF_ERROR(outbox_.Append(tx, payment_id, event, actor.at));
            break;
          }
          case v1::PAYMENT_STATE_RETURNED: {
            v1::PaymentReturned event;
            event.set_payment_id(payment_id);
            event.set_application_id(a.application_id());
            event.set_program_id(a.program_id());
            event.set_amount_fen(payment->amount_fen());
            RETURN_IF_ERROR(outbox_.Append(tx, payment_id, event, actor.at));
            break;
          }
          default: {
            v1::PaymentFailed event;
            event.set_payment_id(payment_id);
            event.set_application_id(a.application_id());
            event.set_attempts(payment->attempts());
            event.set_abandoned(step.next == v1::PAYMENT_STATE_ABANDONED);
            RETURN_IF_ERROR(outbox_.Append(tx, payment_id, event, actor.at));
            break;
          }
        }
        return *std::move(written);
      });
}

absl::StatusOr<int> MariaDbAllowanceStore::ResendFailedPayments(absl::Time now) {
  std::vector<std::string> due;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(kDueFailedPayments,
                                                  {int64_t{v1::PAYMENT_STATE_FAILED}, ToSqlTimestamp(now)}));
    for (const db::Row& row : rows) due.push_back(row.String(0));
    return absl::OkStatus();
  }));
  int sent = 0;
  for (const std::string& id : due) {
    bool resent = false;
    RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
      resent = false;
      ASSIGN_OR_RETURN(std::optional<v1::Payment> payment, ReadPayment(tx, id, true));
      // Another replica's job, or an outcome recorded meanwhile, got there first.
      if (!payment || payment->state() != v1::PAYMENT_STATE_FAILED) return absl::OkStatus();
      RETURN_IF_ERROR(tx.Execute(kUpdatePayment, {int64_t{v1::PAYMENT_STATE_ISSUED},
                                                  int64_t{payment->attempts() + 1}, payment->failure_reason(),
                                                  db::Value(db::Null{}), db::Value(db::Null{}), id})
                          .status());
      v1::PaymentIssued event;
      event.set_payment_id(id);
      event.set_application_id(payment->application_id());
      event.set_program_id(payment->program_id());
      event.set_amount_fen(payment->amount_fen());
      event.set_method(payment->method());
      RETURN_IF_ERROR(outbox_.Append(tx, id, event, now));
      resent = true;
      return absl::OkStatus();
    }));
    if (resent) ++sent;
  }
  return sent;
}

absl::StatusOr<std::optional<v1::Payment>> MariaDbAllowanceStore::GetPayment(const std::string& payment_id) {
  return db::ReadOne<std::optional<v1::Payment>>(
      pool_, [&](db::Session& session) { return ReadPayment(session, payment_id, false); });
}

absl::StatusOr<std::vector<v1::Payment>> MariaDbAllowanceStore::ListPayments(
    const std::string& application_id) {
  std::vector<v1::Payment> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(kListPayments, {application_id}));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(v1::Payment p, PaymentFromRow(row));
      out.push_back(std::move(p));
    }
    return absl::OkStatus();
  }));
  return out;
}

// ------------------------------------------------------------------------------------------------- ledger

absl::StatusOr<LedgerPage> MariaDbAllowanceStore::ListLedgerEntries(const std::string& program_id,
                                                                    const LedgerCursor& after, int limit) {
  LedgerPage page;
  page.next = after;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows slot_rows, session.Query(kListSlots, {program_id}));
    std::vector<int> slots = {kRemainderSlot};
    for (const db::Row& row : slot_rows) slots.push_back(static_cast<int>(row.Int(0)));
    std::vector<db::Value> params;
    std::string sql;
    for (int slot : slots) {
      params.insert(params.end(), {program_id, int64_t{slot}, after.After(slot), int64_t{limit}});
      absl::StrAppend(&sql, sql.empty() ? "" : " UNION ALL ", kListSlotEntries);
    }
    params.push_back(int64_t{limit});
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(absl::StrCat(sql, kListEntriesTail), params));
    for (const db::Row& row : rows) {
      v1::LedgerEntry e;
      e.set_entry_id(row.String(0));
      e.set_program_id(row.String(1));
      e.set_kind(static_cast<v1::LedgerEntryKind>(row.Int(2)));
      e.set_from_account(static_cast<v1::LedgerAccount>(row.Int(3)));
      e.set_to_account(static_cast<v1::LedgerAccount>(row.Int(4)));
      e.set_amount_fen(row.Int(5));
      e.set_application_id(row.String(6));
      e.set_payment_id(row.String(7));
      e.set_recorded_by(row.String(8));
      RETURN_IF_ERROR(ReadTimestamp(row, 9, e.mutable_recorded_at()));
      page.next.Advance(static_cast<int>(row.Int(10)), e.entry_id());
      page.entries.push_back(std::move(e));
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<ReconcileResult> MariaDbAllowanceStore::ReconcileProgram(const std::string& program_id,
                                                                        absl::Time now) {
  ReconcileResult result;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    result = ReconcileResult();
    // The remainder row and every budget slot locked: no movement of this program commits between the cache
    // read and the sums, so the two describe the same instant. The cache is the slots' sum.
    ASSIGN_OR_RETURN(ProgramMoney money, budget_slot_store::Read(tx, program_id, true));
    ASSIGN_OR_RETURN(std::optional<v1::Program> program, ReadProgram(tx, program_id, false));
    if (!program) return absl::NotFoundError("program not found");
    const Balances cached = TotalBalances(money);
    ASSIGN_OR_RETURN(db::Rows out_rows, tx.Query(kSumOut, {program_id}));
    for (const db::Row& r : out_rows) {
      result.sums.by_account[static_cast<int>(r.Int(0))] -= r.Int(1);
      result.sums.entry_count += r.Int(2);
    }
    ASSIGN_OR_RETURN(db::Rows in_rows, tx.Query(kSumIn, {program_id}));
    for (const db::Row& r : in_rows) result.sums.by_account[static_cast<int>(r.Int(0))] += r.Int(1);
    // Funded or not, the budget the ledger must show is the program's once funded, and nothing before.
    const bool funded =
        program->state() == v1::PROGRAM_STATE_FUNDED || program->state() == v1::PROGRAM_STATE_EVALUATED;
    result.reconciliation = Reconcile(funded ? program->budget_fen() : 0, cached, result.sums);
    for (std::string& problem : SlotProblems(money)) {
      result.reconciliation.balanced = false;
      result.reconciliation.problems.push_back(std::move(problem));
    }
    if (!result.reconciliation.balanced) {
      v1::ReconciliationMismatch event;
      event.set_program_id(program_id);
      for (const std::string& p : result.reconciliation.problems) event.add_problems(p);
      *event.mutable_cached() = ToProto(result.reconciliation.cached);
      *event.mutable_ledger() = ToProto(result.reconciliation.ledger);
      RETURN_IF_ERROR(outbox_.Append(tx, program_id, event, now));
    }
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace shouhu::allowance
