// SQL of the monthly basic living allowance and of the forecast, report and urgent-need drafts built beside
// it, and the results of verification after payment: enrolments taken up from the core's approved monthly
// applications, the children's facts folded from the registry, school proofs, each month's cycle per program
// with its roster lines, and the cycle's maker-checker steps. Money moves only through the core store's
// PostEntry (guarded UPDATE of the program's balance row and the ledger entry together), so a cycle can never
// reserve past the budget and its payments are the core's payments rows, keyed like PayApplication's.
#ifndef SHOUHU_SERVICES_ALLOWANCE_MONTHLY_ROSTER_STORE_H_
#define SHOUHU_SERVICES_ALLOWANCE_MONTHLY_ROSTER_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "services/allowance/allowance_store.h"
#include "services/allowance/budget_forecast.h"
#include "services/allowance/living_allowance_rules.h"
#include "services/allowance/monthly_amounts.h"
#include "services/allowance/relief_program_choice.h"
#include "services/allowance/verification_sample.h"
#include "shouhu/allowance/v1/monthly_cycles.pb.h"

namespace shouhu::allowance {

// An approved monthly application not yet taken up as an enrolment.
struct PendingEnrolment {
  std::string application_id;
  std::string child_id;
  bool child_known = false;  // living_allowance_children holds the child's facts already
};

struct GenerationResult {
  int cycles = 0;             // programs with a cycle for the month
  int64_t lines_written = 0;  // lines this run inserted (0 when another run had written them)
  int64_t children = 0;
  int first_months_released = 0;     // ReleaseFirstMonthsNotOwed
  int first_months_paid_before = 0;  // ReleaseFirstMonthsNotOwed's paid_before
};

// The month's first months not owed (living_allowance_rules.h CheckFirstMonthDecision), as
// ReleaseFirstMonthsNotOwed found them.
struct FirstMonthsNotOwed {
  int released = 0;  // reservations this call gave back
  // Paid through the application before the line was written (in payment or paid): the month went out on
  // the facts known then, and stays out; each with its line's decision, for the finance officers to follow.
  std::vector<MonthlyDecision> paid_before;
};

// What the forecast needs of a program, gathered in one consistent read.
struct ProgramFigures {
  v1::Program program;
  ForecastInput input;
};

// Why a registry event stops a child's allowance.
enum class StopReason { kCaseClosed, kCaseTransferred, kLeftCategory };

class MonthlyRosterStore {
 public:
  // Generation writes lines in chunks of this many rows, each its own transaction (DESIGN §4).
  static constexpr int kLineChunk = 500;

  MonthlyRosterStore(db::Pool& pool, IdGenerator& ids, MariaDbAllowanceStore& core, VerificationSample sample)
      : pool_(pool), ids_(ids), core_(core), sample_(sample) {}

  // ---- enrolments
  absl::StatusOr<std::vector<PendingEnrolment>> PendingEnrolments(int limit);
  // The application as a pending enrolment: nullopt when it is not an open monthly one or is taken up.
  absl::StatusOr<std::optional<PendingEnrolment>> PendingEnrolmentOf(const std::string& application_id);
  // Takes the application up as an enrolment; `facts` records the child when not known yet. Replays are
  // harmless (both inserts keep the first row).
  absl::Status TakeUp(const PendingEnrolment& pending, const std::optional<LivingAllowanceChildFacts>& facts,
                      absl::Time now);

  // ---- generation
  // The month's cycle per program with enrolments and their lines: each written once, however many runs
  // race (unique keys; a duplicate insert changes nothing). Lines are computed once and never recomputed
  // (but for the amount of one a change raced: SubmitCycle).
  // A month the child has been paid already under another enrolment (living_allowance_months_paid) gives no
  // payable line: it is listed as replaced by that enrolment, with nothing to pay (WithMonthPaidUnder).
  absl::StatusOr<GenerationResult> GenerateMonth(absl::CivilMonth month, absl::Time now);
  // The enrolments whose first month is `month` and whose line says it is not owed under them (replaced,
  // aged out, stopped, not in the category), or whose month another enrolment's payment holds already
  // (ReleaseFirstMonthPaidElsewhere): what each approved one's approval reserved for the month goes back to
  // the budget, one transaction each (MariaDbAllowanceStore::ReleaseFirstMonthNotOwed). Those paid before the
  // line was written are listed, not undone. Safe to run again, and concurrently.
  absl::StatusOr<FirstMonthsNotOwed> ReleaseFirstMonthsNotOwed(absl::CivilMonth month, absl::Time now);

  // ---- cycles
  absl::StatusOr<std::optional<v1::MonthlyCycle>> GetCycle(const std::string& cycle_id);
  // With the program it belongs to, for the scope check.
  absl::StatusOr<std::vector<v1::MonthlyCycle>> ListCycles(const std::string& program_id);
  // When the cycle sent back to its maker longest ago (RejectCycle) and not submitted again was rejected;
  // nullopt when none waits.
  absl::StatusOr<std::optional<absl::Time>> OldestSentBack();
  absl::StatusOr<std::vector<v1::RosterLine>> ListLines(const std::string& cycle_id,
                                                        const std::string& after_enrolment, int limit);
  using CycleCheck = std::function<absl::Status(const v1::MonthlyCycle&, const v1::Program&)>;
  // A generated cycle, or one sent back, to its checker; each payable line covered by a change of its
  // enrolment's amount takes its month's amount first (a change made while the line was being written).
  absl::StatusOr<v1::MonthlyCycle> SubmitCycle(const IdempotencyKey& key, const Actor& actor,
                                               const std::string& cycle_id, const CycleCheck& authorize);
  // Lists as replaced a payable line whose month another enrolment's payment took since generation, and as
  // stopped one whose enrolment was withdrawn or cancelled with its case since (MonthlyEnrolmentOpen), judges
  // each payable line left against the child's yearly cap under its total's lock (over it: the line stays,
  // listed as OVER_YEAR_CAP with nothing to pay), takes the rest into the totals, then reserves the cycle's
  // total (FAILED_PRECONDITION beyond the budget, and nothing taken) and fixes it.
  absl::StatusOr<v1::MonthlyCycle> ApproveCycle(const IdempotencyKey& key, const Actor& actor,
                                                const std::string& cycle_id, const CycleCheck& authorize);
  // Sends a submitted cycle back to its maker with the checker's reason (state REJECTED, which SubmitCycle
  // takes again): nothing was reserved, and its lines keep their months until it is approved.
  absl::StatusOr<v1::MonthlyCycle> RejectCycle(const IdempotencyKey& key, const Actor& actor,
                                               const std::string& cycle_id, const CycleCheck& authorize,
                                               const std::string& reason);
  // Issues a payment per unpaid payable line, kLineChunk per transaction; each line's payment, its ledger
  // entry and (when sampled) its HouseholdVerificationRequested commit together, so a retry pays the rest.
  // A line whose month another enrolment's payment holds already (MariaDbAllowanceStore::ClaimPaidMonth: its
  // first month paid through its application on facts that said it was owed) is not paid: it is listed as
  // replaced by that enrolment, its amount released from the cycle's reservation and the child's yearly
  // total, in the same transaction, so no later PayCycle tries it again. A line whose enrolment was withdrawn
  // or cancelled with its child's case since the approval is not paid either: listed as stopped, its amount
  // released the same way; nor one whose allowance a stop recorded since ended before its month (the child
  // placed in an institution, the case closed or moved away: StopMonth on the stops, read when the chunk's
  // lines are locked). The amount of a line paid is never recomputed: what the approval fixed is paid or not
  // at all. The line's application row is locked before the line is judged, as the withdrawal and the
  // cancellation lock it: one that comes first leaves the line unpaid, one that comes after finds its payment
  // out with the bank.
  absl::StatusOr<v1::MonthlyCycle> PayCycle(const IdempotencyKey& key, const Actor& actor,
                                            const std::string& cycle_id, const CycleCheck& authorize,
                                            v1::PaymentMethod method);

  // ---- monthly amounts (monthly_amount_changes.cc; the rules in monthly_amounts.h)
  using ProgramCheck = std::function<absl::Status(const v1::Program&)>;
  // The enrolment's amount from `from` on (ChangeMonthlyAmount), under its application's row lock: NOT_FOUND
  // without such an application, `authorize`'s error, FAILED_PRECONDITION for anything but an open monthly
  // enrolment, an amount above the program's cap per payment, or a month a change cannot start from
  // (CheckAmountChangeStart: the first month, or a cut reaching back over a line written at more). With
  // `only_kind`, FAILED_PRECONDITION too for an enrolment not taken up as that kind (CheckChangeKind; one not
  // taken up yet is refused so, EnrolmentNotTakenUp).
  absl::StatusOr<v1::MonthlyAmountChange> ChangeMonthlyAmount(const IdempotencyKey& key, const Actor& actor,
                                                              const std::string& enrolment_id,
                                                              absl::CivilMonth from, int64_t amount_fen,
                                                              const std::string& reason,
                                                              std::optional<LivingAllowanceKind> only_kind,
                                                              const ProgramCheck& authorize);
  // The enrolment's changes by seq; NOT_FOUND without such a monthly application, or `visible`'s error.
  absl::StatusOr<std::vector<v1::MonthlyAmountChange>> ListMonthlyAmountChanges(
      const std::string& enrolment_id, const ProgramCheck& visible);

  // ---- arrears (monthly_arrears_claims.cc; the rules in monthly_arrears.h)
  // The enrolment's months of `year` (0: of the earliest year owed) paid short and not claimed, claimed into
  // one arrears application (SUBMITTED, its applicant the actor) in the transaction that writes the claims,
  // under the enrolment's row lock: NOT_FOUND without an application of that id, `authorize`'s error,
  // FAILED_PRECONDITION for one not monthly, when nothing is owed (of that year), when the first month owed
  // alone is above the program's cap per payment, or when the program does not take it
  // (CheckProgramTakesArrears: no longer funded, or the child's cap for the months' year; an ended period
  // does not stop it).
  absl::StatusOr<v1::ClaimMonthlyArrearsResponse> ClaimMonthlyArrears(const IdempotencyKey& key,
                                                                      const Actor& actor,
                                                                      const std::string& enrolment_id,
                                                                      int year, const std::string& reason,
                                                                      const ProgramCheck& authorize);
  // Every month of the enrolment paid short: each live claim, then what no live claim holds; in month order.
  absl::StatusOr<std::vector<v1::MonthOwed>> ListMonthlyArrears(const std::string& enrolment_id,
                                                                const ProgramCheck& visible);

  // ---- school proofs
  absl::StatusOr<v1::SchoolEnrolment> RecordSchoolEnrolment(const IdempotencyKey& key, const Actor& actor,
                                                            const v1::SchoolEnrolment& enrolment);

  // ---- registry facts (the follower's, in the consumer's transaction)
  static absl::Status ApplyStop(db::Session& tx, const std::string& child_id, absl::CivilDay day,
                                StopReason reason, int64_t sequence, absl::Time now);

  // ---- urgent needs (the visits follower's, in the consumer's transaction)
  // True when the report's need was consumed before.
  static absl::StatusOr<bool> UrgentNeedSeen(db::Session& tx, const std::string& report_id);
  // Funded programs whose jurisdiction holds the village, with what is left of their budgets.
  static absl::StatusOr<std::vector<ReliefCandidate>> ReliefCandidates(db::Session& tx,
                                                                       const std::string& division_code,
                                                                       absl::CivilDay today);
  // The draft: a SUBMITTED emergency-relief application with its ApplicationSubmitted event (when `draft`
  // names a program and the child's case is not closed, MariaDbAllowanceStore::CaseClosedToApplications),
  // and the record that the need was consumed, with why no draft was made otherwise.
  struct UrgentNeedDraft {
    std::string report_id;
    int64_t event_sequence = 0;
    std::string child_id;
    std::string division_code;
    std::string organisation_id;
    std::string reason;
    ReliefChoice choice;
  };
  absl::StatusOr<std::string> RecordUrgentNeed(db::Session& tx, const UrgentNeedDraft& draft, absl::Time now);

  // ---- verification after payment (the visits follower's, in the consumer's transaction)
  // Records what a visit found for one of this service's payments, once: false when the payment was checked
  // before (a replay) or is not ours, and nothing is written. A result other than received in full appends
  // PaymentVerificationDiscrepancy in the same transaction: an alert, nothing corrected.
  absl::StatusOr<bool> RecordPaymentCheck(db::Session& tx, const v1::PaymentCheck& check, int64_t sequence,
                                          absl::Time now);
  // The program's checks in payment order after `after_payment`; only discrepancies when asked.
  absl::StatusOr<std::vector<v1::PaymentCheck>> ListPaymentChecks(const std::string& program_id,
                                                                  bool discrepancies_only,
                                                                  const std::string& after_payment,
                                                                  int limit);

  // ---- forecast
  absl::StatusOr<std::optional<ProgramFigures>> ReadProgramFigures(const std::string& program_id,
                                                                   absl::CivilDay today,
                                                                   int pace_window_days);
  // Appends ProgramBudgetAtRisk unless the program's alert was raised before; true when this call raised it.
  absl::StatusOr<bool> RaiseBudgetAlertOnce(const v1::Program& program, const ForecastResult& result,
                                            absl::Time now);
  // Funded programs whose period has not ended, for the forecast sweep.
  absl::StatusOr<std::vector<std::string>> RunningPrograms(absl::CivilDay today);

  // ---- report
  // Payments under `division_prefix` issued from the start of `from` to the end of `to` (Shanghai months);
  // `program_id` and `organisation` (the operator or funder) narrow it when not empty.
  absl::StatusOr<std::vector<v1::AllowanceReportRow>> Report(const std::string& division_prefix,
                                                             const std::string& program_id,
                                                             const std::string& organisation,
                                                             absl::CivilMonth from, absl::CivilMonth to);

 private:
  // An application read as an enrolment, and its program.
  struct EnrolmentRead {
    v1::Application enrolment;
    v1::Program program;
  };
  // In `s`: the application `id` (its row locked when `for_update`: changes and claims of one enrolment one
  // after the other) and its program, judged by `check`; NOT_FOUND without such an application. Whether it is
  // a monthly enrolment is the caller's to say (a mutation refuses another kind, a read does not find it).
  static absl::StatusOr<EnrolmentRead> EnrolmentOf(db::Session& s, const std::string& id, bool for_update,
                                                   const ProgramCheck& check);
  // In `tx`: the enrolment's changes of amount, by seq.
  static absl::StatusOr<std::vector<MonthlyAmountStep>> AmountStepsOf(db::Session& tx,
                                                                      const std::string& enrolment_id);

  db::Pool& pool_;
  IdGenerator& ids_;
  MariaDbAllowanceStore& core_;
  const VerificationSample sample_;
};

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_MONTHLY_ROSTER_STORE_H_
