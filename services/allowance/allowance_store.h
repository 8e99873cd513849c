// The allowance service's storage: programs, applications, payments and the program ledger. SQL only; the
// rules (allowance_rules.h, ledger.h) decide, the store applies them to rows locked in one transaction with
// the ledger entries, the cached balances and the outbox event. Money moves only through PostEntry-style
// guarded UPDATEs of the program's balance row, so no race can overspend a budget. A small interface for the
// edge, and its MariaDB implementation.
#ifndef SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_STORE_H_
#define SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "common/event_feed.h"
#include "common/group_commit.h"
#include "common/idempotency.h"
#include "common/idempotent_batch.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/paging.h"
#include "services/allowance/allowance_rules.h"
#include "services/allowance/ledger.h"
#include "services/allowance/ledger_cursor.h"
#include "services/allowance/living_allowance_rules.h"
#include "services/allowance/verification_sample.h"
#include "shouhu/allowance/v1/allowance_service.pb.h"

namespace shouhu {

// Generated from migrations/ (cmake/Migrations.cmake).
std::vector<db::Migration> AllowanceMigrations();

namespace allowance {

// Checks run inside the transaction on the locked rows: scope (NOT_FOUND outside it) and who may act.
template <typename... Records>
using Authorize = std::function<absl::Status(const Records&...)>;

struct ProgramFilter {
  std::string division_prefix;  // programs whose jurisdiction lies under it
  v1::ProgramState state = v1::PROGRAM_STATE_UNSPECIFIED;
  PageRequest page;
};

// A program's assessment as the funder records it.
struct Assessment {
  std::vector<v1::AssessmentScore> scores;
  std::string reviewer;
  bool accepted = false;
  std::string comment;
};

// What ReconcileProgram found, with the per-account sums it proved it from.
struct ReconcileResult {
  Reconciliation reconciliation;
  LedgerSums sums;
};

// A page of a program's ledger and where its reader stands after it.
struct LedgerPage {
  std::vector<v1::LedgerEntry> entries;
  LedgerCursor next;
};

// A payment of one month of a child's basic living allowance, as the month's row records it (migration 0100,
// MariaDbAllowanceStore::ClaimPaidMonth).
struct PaidMonth {
  std::string child_id;
  absl::CivilMonth month;
  std::string enrolment_id;
  std::string payment_id;
  std::string reissue_of;  // the reversed payment it re-issues, whose month it takes over; empty for none
};

// One PayApplication, as a batch of them carries it (PayApplications).
struct PaymentOrder {
  IdempotencyKey key;
  Actor actor;
  std::string application_id;
  // Judges the locked application and its program. In a batch the program carries only what paying depends
  // on: its id, jurisdiction, operator and funder organisations, and state.
  Authorize<v1::Application, v1::Program> authorize;
  v1::PaymentMethod method = v1::PAYMENT_METHOD_UNSPECIFIED;
  std::string payee_reference;
};

// PayApplication's group commit (common/group_commit.h) into PayApplications. A payment is a handful of rows
// (payment, ledger entry, balance, application, event, idempotency record) and alone costs a dozen
// statements and a commit; batched, one statement per kind of row and one commit for the batch.
//
// Measured (tests/bench/allowance, 2-core machine shared with other agents' compilers, durable commits; the
// runs are in tests/bench/README.md): payments at 64 callers over 200 programs 1,202/s alone, 2,997/s
// batched (13.2 statements and 1.01 commits per payment alone, 1.0 and 0.11 batched); on one program 1,149/s
// and 3,375/s.
using PaymentQueue = GroupCommit<PaymentOrder, v1::Payment>;

class AllowanceStore {
 public:
  virtual ~AllowanceStore() = default;

  // ---- programs
  virtual absl::StatusOr<v1::Program> ProposeProgram(const IdempotencyKey& key, const Actor& actor,
                                                     const v1::Program& program) = 0;
  virtual absl::StatusOr<std::optional<v1::Program>> GetProgram(const std::string& program_id) = 0;
  virtual absl::StatusOr<std::vector<v1::Program>> ListPrograms(const ProgramFilter& filter) = 0;
  virtual absl::StatusOr<v1::Program> AssessProgram(const IdempotencyKey& key, const Actor& actor,
                                                    const std::string& program_id,
                                                    const Authorize<v1::Program>& authorize,
                                                    const Assessment& assessment) = 0;
  // Funds the program: its budget moves from FUNDING to AVAILABLE, the ledger's first entry.
  virtual absl::StatusOr<v1::Program> FundProgram(const IdempotencyKey& key, const Actor& actor,
                                                  const std::string& program_id,
                                                  const Authorize<v1::Program>& authorize) = 0;
  // A funded program's caps, with ProgramCapsChanged in the same transaction; FAILED_PRECONDITION for a
  // program not funded (or evaluated: its period is over).
  virtual absl::StatusOr<v1::Program> ChangeProgramCaps(const IdempotencyKey& key, const Actor& actor,
                                                        const std::string& program_id,
                                                        const Authorize<v1::Program>& authorize,
                                                        int64_t per_payment_cap_fen,
                                                        int64_t per_child_year_cap_fen,
                                                        const std::string& reason) = 0;
  virtual absl::StatusOr<v1::Program> EvaluateProgram(const IdempotencyKey& key, const Actor& actor,
                                                      const std::string& program_id,
                                                      const Authorize<v1::Program>& authorize, int score,
                                                      const std::string& summary) = 0;

  // ---- applications
  // `application` holds what the edge checked (ids, amount, items, division, applicant); `check` judges the
  // program and what the child already holds of it this year (caps), inside the transaction.
  // FAILED_PRECONDITION when the child's case is closed (CaseClosedToApplications). `living_allowance_child`:
  // for a monthly application, the child's facts as the registry gave them to the edge, recorded unless known
  // (RecordLivingAllowanceChild), so that the enrolment's first month can be judged when its application is
  // paid, before the roster job has taken the enrolment up.
  virtual absl::StatusOr<v1::Application> SubmitApplication(
      const IdempotencyKey& key, const Actor& actor, const v1::Application& application,
      const std::function<absl::Status(const v1::Program&, int64_t committed_fen)>& check,
      const std::optional<LivingAllowanceChildFacts>& living_allowance_child) = 0;
  virtual absl::StatusOr<std::optional<v1::Application>> GetApplication(
      const std::string& application_id) = 0;
  // The program's applications by id, of `state` and `type` unless UNSPECIFIED.
  virtual absl::StatusOr<std::vector<v1::Application>> ListApplications(const std::string& program_id,
                                                                        v1::ApplicationState state,
                                                                        v1::AllowanceType type,
                                                                        const PageRequest& page) = 0;
  // Maker-checker on the locked application: `decide` (DecideApproval) says what the approval does; a first
  // approval reserves the amount from the budget and the child's yearly cap, or fails FAILED_PRECONDITION
  // (also when the child's case is closed, CaseClosedToApplications).
  virtual absl::StatusOr<v1::Application> ApproveApplication(
      const IdempotencyKey& key, const Actor& actor, const std::string& application_id,
      const Authorize<v1::Application, v1::Program>& authorize,
      const std::function<absl::StatusOr<ApprovalStep>(const v1::Application&, const v1::Program&)>&
          decide) = 0;
  // Rejection or withdrawal: `decide` says the next state and whether the reservation goes back.
  virtual absl::StatusOr<v1::Application> CloseApplication(
      const IdempotencyKey& key, const Actor& actor, const std::string& application_id,
      const Authorize<v1::Application, v1::Program>& authorize,
      const std::function<absl::StatusOr<ClosingStep>(const v1::Application&)>& decide,
      const std::string& reason) = 0;

  // ---- payments
  // Issues the application's next payment (RESERVED → IN_PAYMENT). ALREADY_EXISTS when it has a live one.
  virtual absl::StatusOr<v1::Payment> PayApplication(const IdempotencyKey& key, const Actor& actor,
                                                     const std::string& application_id,
                                                     const Authorize<v1::Application, v1::Program>& authorize,
                                                     v1::PaymentMethod method,
                                                     const std::string& payee_reference) = 0;
  // Pays a batch in one transaction and one commit: answers[i] is what PayApplication(orders[i]) alone
  // would answer, each order keeping its own idempotency record, payment, ledger entry and events. An order
  // its checks refuse is answered with its error and leaves no trace; when the batch cannot commit (a
  // conflict with a writer outside it, a balance that does not hold the batch's sum) every order is run
  // alone, so one bad payment never fails the others. Retries and duplicates pay once, in a batch or across
  // batches. `committing` as in group_commit.h: called once the batch is written and only its COMMIT remains.
  virtual std::vector<absl::StatusOr<v1::Payment>> PayApplications(
      const std::vector<PaymentOrder>& orders, const std::function<void()>& committing) = 0;
  virtual absl::StatusOr<v1::Payment> RecordPaymentOutcome(
      const IdempotencyKey& key, const Actor& actor, const std::string& payment_id,
      const Authorize<v1::Payment, v1::Program>& authorize, v1::PaymentOutcome outcome,
      const std::string& reason, int32_t attempt, int max_attempts) = 0;
  // Sends again (ISSUED, one more attempt) every FAILED payment due by `now`, each in its own transaction
  // with its event; returns how many.
  virtual absl::StatusOr<int> ResendFailedPayments(absl::Time now) = 0;
  virtual absl::StatusOr<std::optional<v1::Payment>> GetPayment(const std::string& payment_id) = 0;
  virtual absl::StatusOr<std::vector<v1::Payment>> ListPayments(const std::string& application_id) = 0;

  // ---- ledger
  // Up to `limit` of the program's entries after `after` (ledger_cursor.h), in id order, and the cursor
  // that follows them.
  virtual absl::StatusOr<LedgerPage> ListLedgerEntries(const std::string& program_id,
                                                       const LedgerCursor& after, int limit) = 0;
  // Proves the program's balances from its ledger in one consistent read; a mismatch appends
  // ReconciliationMismatch (an alert) and corrects nothing.
  virtual absl::StatusOr<ReconcileResult> ReconcileProgram(const std::string& program_id, absl::Time now) = 0;

  // The feed StreamEvents serves this service's outbox from (common/event_feed.h).
  virtual EventFeed& event_feed() = 0;
};

class MariaDbAllowanceStore final : public AllowanceStore {
 public:
  // `sample` picks the paid households checked on the next visit (verification_sample.h); by default none.
  // `budget_slot` is this replica's slot of every program's budget (budget_slots.h): its approvals reserve
  // from it, so replicas writing through different database nodes do not meet on one row.
  MariaDbAllowanceStore(db::Pool& pool, IdGenerator& ids,
                        VerificationSample sample = VerificationSample(0, 0), int budget_slot = 0)
      : pool_(pool), ids_(ids), outbox_(pool, ids), sample_(sample), budget_slot_(budget_slot) {}

  absl::StatusOr<v1::Program> ProposeProgram(const IdempotencyKey& key, const Actor& actor,
                                             const v1::Program& program) override;
  absl::StatusOr<std::optional<v1::Program>> GetProgram(const std::string& program_id) override;
  absl::StatusOr<std::vector<v1::Program>> ListPrograms(const ProgramFilter& filter) override;
  absl::StatusOr<v1::Program> AssessProgram(const IdempotencyKey& key, const Actor& actor,
                                            const std::string& program_id,
                                            const Authorize<v1::Program>& authorize,
                                            const Assessment& assessment) override;
  absl::StatusOr<v1::Program> FundProgram(const IdempotencyKey& key, const Actor& actor,
                                          const std::string& program_id,
                                          const Authorize<v1::Program>& authorize) override;
  absl::StatusOr<v1::Program> ChangeProgramCaps(const IdempotencyKey& key, const Actor& actor,
                                                const std::string& program_id,
                                                const Authorize<v1::Program>& authorize,
                                                int64_t per_payment_cap_fen, int64_t per_child_year_cap_fen,
                                                const std::string& reason) override;
  absl::StatusOr<v1::Program> EvaluateProgram(const IdempotencyKey& key, const Actor& actor,
                                              const std::string& program_id,
                                              const Authorize<v1::Program>& authorize, int score,
                                              const std::string& summary) override;
  absl::StatusOr<v1::Application> SubmitApplication(
      const IdempotencyKey& key, const Actor& actor, const v1::Application& application,
      const std::function<absl::Status(const v1::Program&, int64_t committed_fen)>& check,
      const std::optional<LivingAllowanceChildFacts>& living_allowance_child) override;
  absl::StatusOr<std::optional<v1::Application>> GetApplication(const std::string& application_id) override;
  absl::StatusOr<std::vector<v1::Application>> ListApplications(const std::string& program_id,
                                                                v1::ApplicationState state,
                                                                v1::AllowanceType type,
                                                                const PageRequest& page) override;
  absl::StatusOr<v1::Application> ApproveApplication(
      const IdempotencyKey& key, const Actor& actor, const std::string& application_id,
      const Authorize<v1::Application, v1::Program>& authorize,
      const std::function<absl::StatusOr<ApprovalStep>(const v1::Application&, const v1::Program&)>& decide)
      override;
  absl::StatusOr<v1::Application> CloseApplication(
      const IdempotencyKey& key, const Actor& actor, const std::string& application_id,
      const Authorize<v1::Application, v1::Program>& authorize,
      const std::function<absl::StatusOr<ClosingStep>(const v1::Application&)>& decide,
      const std::string& reason) override;
  absl::StatusOr<v1::Payment> PayApplication(const IdempotencyKey& key, const Actor& actor,
                                             const std::string& application_id,
                                             const Authorize<v1::Application, v1::Program>& authorize,
                                             v1::PaymentMethod method,
                                             const std::string& payee_reference) override;
  std::vector<absl::StatusOr<v1::Payment>> PayApplications(const std::vector<PaymentOrder>& orders,
                                                           const std::function<void()>& committing) override;
  absl::StatusOr<v1::Payment> RecordPaymentOutcome(const IdempotencyKey& key, const Actor& actor,
                                                   const std::string& payment_id,
                                                   const Authorize<v1::Payment, v1::Program>& authorize,
                                                   v1::PaymentOutcome outcome, const std::string& reason,
                                                   int32_t attempt, int max_attempts) override;
  absl::StatusOr<int> ResendFailedPayments(absl::Time now) override;
  absl::StatusOr<std::optional<v1::Payment>> GetPayment(const std::string& payment_id) override;
  absl::StatusOr<std::vector<v1::Payment>> ListPayments(const std::string& application_id) override;
  absl::StatusOr<LedgerPage> ListLedgerEntries(const std::string& program_id, const LedgerCursor& after,
                                               int limit) override;
  absl::StatusOr<ReconcileResult> ReconcileProgram(const std::string& program_id, absl::Time now) override;
  EventFeed& event_feed() override { return outbox_.feed(); }

  Outbox& outbox() { return outbox_; }
  int budget_slot() const { return budget_slot_; }

  // A child's month that a closing enrolment gave up (its payment returned, or the rules' keeper withdrawn
  // before its line was paid) and that is not paid on its own: the budget or the cap refused to hand it to
  // the enrolment owed it (`refusal` says which; the month stays unpaid), or it went to a line of a cycle
  // paid already, whose PayMonthlyCycle must run again to pay it. The finance officers hear of each: a
  // warning line with the child, the enrolment, the month and the cycle, and a counter an alert watches
  // (shouhu_allowance_months_not_handed_over_total by `to`, first_month or cycle_line;
  // shouhu_allowance_cycle_lines_to_pay_again_total), once the transaction that decided it commits. The
  // cycle's roster lists such a line as payable with no payment. Nothing is reported until
  // ReportMonthHandOversTo is called (a store without its module).
  struct MonthHandOver {
    std::string child_id;
    std::string enrolment_id;  // the enrolment the month was to go to
    std::string given_up_by;   // the closing enrolment
    absl::CivilMonth month;
    std::string cycle_id;  // the line's cycle; empty for a first month, which its application pays
    std::string refusal;   // empty when handed over
  };
  void ReportMonthHandOversTo(Logger& logger, Metrics& metrics);
  void ReportMonthHandOver(db::Session& tx, const MonthHandOver& hand_over);

  // In `tx`: the child's month `month`, which enrolment `keeper_id` kept by the rules (its cycle line
  // payable, the child's other enrolments' lines of the month listed as replaced by it) and will not be paid
  // under it (withdrawn or cancelled with its case: its line just listed as stopped by the cycle's approval
  // or payment, under its application's row lock), goes to the line it replaced as a freed month goes:
  // payable again and reserved in its cycle, or, that enrolment's first month, paid through its application;
  // refused by the budget or the cap, undone and nothing paid. Nothing for a child whose case is closed.
  absl::Status GiveUpKeptMonth(db::Session& tx, const std::string& keeper_id, absl::CivilMonth month,
                               const Actor& actor);

  // In `tx`: SubmitApplication's writes, for a flow that submits an application beside rows of its own (an
  // arrears claim, MonthlyRosterStore::ClaimMonthlyArrears). `year` is the one whose cap per child the
  // application counts against (`check` is given the child's total of it): SubmitApplication's is the year of
  // its submission (a monthly enrolment's, of the month after it: its first month), an arrears claim's its
  // months'.
  absl::StatusOr<v1::Application> InsertApplication(
      db::Session& tx, const Actor& actor, const v1::Application& application, int64_t year,
      const std::function<absl::Status(const v1::Program&, int64_t committed_fen)>& check,
      const std::optional<LivingAllowanceChildFacts>& living_allowance_child);

  // In `tx`: the program (with its assessment scores and cached balances), its row locked when `for_update`.
  // The application with its items (its row locked when `for_update`), as GetApplication reads it; nullopt
  // when there is none.
  static absl::StatusOr<std::optional<v1::Application>> ApplicationOf(db::Session& tx, const std::string& id,
                                                                      bool for_update);
  static absl::StatusOr<std::optional<v1::Program>> ReadProgram(db::Session& tx,
                                                                const std::string& program_id,
                                                                bool for_update);
  // In `tx`: moves `amount` between two accounts of the program — the guarded UPDATEs of its budget rows
  // (FAILED_PRECONDITION when the source holds less; budget_slot_store) and the ledger entry, together.
  // FUNDING -> AVAILABLE fills the program's unallocated remainder; AVAILABLE -> RESERVED reserves on
  // `slot` (the caller's own, budget_slot()); every other movement happens within `slot`, the one the money
  // was reserved on. The entry is posted in the row the movement holds (funding: the remainder's), with an id
  // above that row's last entry (ledger_cursor.h). For the monthly cycles and any other flow of money built
  // on this store.
  absl::Status PostEntry(db::Session& tx, const std::string& program_id, int slot, v1::LedgerEntryKind kind,
                         v1::LedgerAccount from, v1::LedgerAccount to, int64_t amount,
                         const std::string& application_id, const std::string& payment_id,
                         const Actor& actor);
  // In `tx` (the registry follower's, committing with its checkpoint, after FoldCaseStanding found the close
  // new): every application of the child not yet paid is cancelled by the system
  // (DecideCaseClosedCancellation), whenever it was submitted — one submitted after the close but before it
  // was folded is as dead as an older one — each reservation going back to the budget through the ledger and
  // to the child's yearly total, each with its ApplicationCancelled event. Each row is locked as
  // PayApplication locks it, so a payment racing the cancellation either comes first (the application is then
  // in payment and left alone) or finds it CANCELLED (FAILED_PRECONDITION). A replayed close is not new, so
  // it never cancels what was applied for after the case reopened. Returns how many it cancelled.
  absl::StatusOr<int> CancelApplicationsOfClosedCase(db::Session& tx, const std::string& child_id,
                                                     const Actor& actor);

  // In `tx` (the roster job's, once the enrolment's first-month line is written saying the month is not owed
  // under it: replaced by another enrolment, aged out, stopped, or not in the category —
  // CheckFirstMonthDecision): the one monthly amount the enrolment's approval reserved for that month, which
  // its application will never pay, goes back to the budget through the ledger and off the child's yearly
  // total, and the enrolment records it (living_allowance_enrolments.first_month_released_at, migration 0080,
  // added for replaced months: the same meaning for every month not owed). Under the application's row lock,
  // as PayApplication, withdrawals and case-close cancellations take it: a payment that came first leaves
  // nothing to release (the month went out with it, judged owed on what was known then), and one that comes
  // after is refused; a withdrawal or a cancellation after it releases nothing again. The enrolment stays
  // APPROVED, paid by its cycles in the months it is owed. False when there is nothing to release (not
  // APPROVED, or released before), so a retry changes nothing.
  absl::StatusOr<bool> ReleaseFirstMonthNotOwed(db::Session& tx, const std::string& application_id,
                                                const Actor& actor);
  // In `tx`, with the payment `paid` describes, before its row is written: the child's month is taken for
  // it (migration 0100), or FAILED_PRECONDITION (living_allowance_rules.h MonthAlreadyPaid) naming the
  // enrolment and payment that hold it — one basic living allowance a month, whichever path pays it, across
  // enrolments and programs, under the row's primary key, so of two payments racing for one month one waits
  // for the other and then finds the month taken. A re-issue takes over the month of the payment it
  // re-issues. The caller rolls back (or leaves out) the refused payment.
  static absl::Status ClaimPaidMonth(db::Session& tx, const PaidMonth& paid, absl::Time now);
  // In `tx`: an enrolment whose first month another enrolment's payment holds (ClaimPaidMonth refused its
  // application, or the roster job found it so) never pays that month, so what its approval reserved for it
  // goes back to the budget, as for a first month not owed (ReleaseFirstMonthNotOwed), under the same lock
  // and the same record. False when there is nothing to release: not APPROVED, released before, its own
  // first payment issued, or the month not held by another enrolment.
  absl::StatusOr<bool> ReleaseFirstMonthPaidElsewhere(db::Session& tx, const std::string& application_id,
                                                      const Actor& actor);
  // In `tx`: the approved monthly application taken up as its child's enrolment, of the kind the child's
  // recorded categories give it (FAILED_PRECONDITION while they are not recorded); a replay keeps the first.
  static absl::Status TakeUpEnrolment(db::Session& tx, const std::string& application_id,
                                      const std::string& child_id, absl::Time now);
  // In `tx`: the child's facts the monthly allowance's rules judge by, unless recorded before (the first
  // facts stay; a row the registry follower made for an early stop is filled in).
  static absl::Status RecordLivingAllowanceChild(db::Session& tx, const std::string& child_id,
                                                 const LivingAllowanceChildFacts& facts, absl::Time now);

  // The child's case standing (migration 0070), under its row's lock: the row is made open when missing and
  // written either way, so a close folded on another Galera node conflicts with this transaction. True when
  // the case is closed to new applications.
  static absl::StatusOr<bool> CaseClosedToApplications(db::Session& tx, const std::string& child_id,
                                                       absl::Time now);
  // FAILED_PRECONDITION when the child's case is closed (CaseClosedToApplications) to `application`: to any
  // but an arrears claim (OwedAfterCaseClosed).
  static absl::Status RequireCaseOpenTo(db::Session& tx, const v1::Application& application, absl::Time now);
  // Folds a registry close (`closed`) or reopening of the child's case, event `sequence`, under the row's
  // lock; false (and nothing written) for a replay: an event at or below the last one folded.
  static absl::StatusOr<bool> FoldCaseStanding(db::Session& tx, const std::string& child_id, bool closed,
                                               int64_t sequence, absl::Time now);

 private:
  // PayApplication's transaction, without the release that follows a refusal for a month paid elsewhere.
  absl::StatusOr<v1::Payment> PayApplicationOnce(const IdempotencyKey& key, const Actor& actor,
                                                 const std::string& application_id,
                                                 const Authorize<v1::Application, v1::Program>& authorize,
                                                 v1::PaymentMethod method,
                                                 const std::string& payee_reference);
  // PayApplications' one transaction: fills answers[i] for the orders it settles (a recorded answer, a
  // refusal, a payment written here); the ones it leaves empty (a key repeated within the batch) are run
  // alone after it commits.
  absl::Status PayBatch(db::Session& tx, const std::vector<PaymentOrder>& orders,
                        std::vector<std::optional<absl::StatusOr<v1::Payment>>>& answers);
  // After PayApplication or a batch refused `application_id` because another enrolment holds the month it
  // would pay: its first month's reservation goes back (ReleaseFirstMonthPaidElsewhere), in its own
  // transaction, the refusal's having rolled back.
  void ReleaseRefusedFirstMonth(const std::string& application_id, const Actor& actor);
  // The same for a first month a stop recorded since its line ended (FirstMonthStopped): its line listed as
  // stopped and its reservation released, once.
  void ReleaseStoppedFirstMonth(const std::string& application_id, const Actor& actor);
  // A new payment's events, in order: issued, and the household's verification when sampled.
  std::vector<std::unique_ptr<google::protobuf::Message>> PaymentEvents(const v1::Payment& payment,
                                                                        v1::AllowanceType type) const;

  db::Pool& pool_;
  IdGenerator& ids_;
  Outbox outbox_;
  const VerificationSample sample_;
  const int budget_slot_;
  Logger* hand_over_logger_ = nullptr;
  Metrics* hand_over_metrics_ = nullptr;
};

}  // namespace allowance
}  // namespace shouhu

#endif  // SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_STORE_H_
