// The allowance service's pure rules, no I/O: the program's way from proposal to evaluation, the
// application's maker-checker approval, the caps, and what each step does to the money. The store applies
// them to locked rows; every step out of order is FAILED_PRECONDITION, every approval by the wrong person
// PERMISSION_DENIED.
#ifndef SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_RULES_H_
#define SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "shouhu/allowance/v1/resources.pb.h"
#include "shouhu/common/v1/principal.pb.h"

namespace shouhu::allowance {

// ------------------------------------------------------------------------------------------------ programs

enum class ProgramStep { kAssess, kFund, kEvaluate };

// The state after `step` (kAssess: APPROVED when `accepted`, else DECLINED), or FAILED_PRECONDITION. A
// program is evaluated only once its period has ended (`today` after period_end).
absl::StatusOr<v1::ProgramState> NextProgramState(const v1::Program& program, ProgramStep step, bool accepted,
                                                  absl::CivilDay today);

// The funder's people: a civil-affairs officer (or, for second approvals, a finance officer) of the funder
// organisation whose jurisdiction covers the program's.
bool IsFunderOfficer(const common::v1::Principal& who, const v1::Program& program);
// Who decides on a program's applications: the operator's admin or the funder's officers.
bool MayDecide(const common::v1::Principal& who, const v1::Program& program);
// Who issues payments: the operator's admin or the funder's finance officer.
bool MayPay(const common::v1::Principal& who, const v1::Program& program);
// Who records a payment's outcome: the funder's finance officer, or the bank integration (SYSTEM).
bool MayRecordOutcome(const common::v1::Principal& who, const v1::Program& program);

// ------------------------------------------------------------------------------------------- applications

// Money the application asks for: the amount, or for in-kind aid the sum of quantity × unit value.
// INVALID_ARGUMENT naming the field on a non-positive value or a sum beyond int64.
absl::StatusOr<int64_t> ApplicationAmount(v1::AllowanceType type, int64_t amount_fen,
                                          const std::vector<v1::InKindItem>& items);

// Whether the program takes this kind of application for this amount now: funded, within its period, the
// type allowed, the per-payment cap, and the child's yearly cap given what the child already holds of the
// program this year (`committed_fen`). FAILED_PRECONDITION naming what failed.
absl::Status CheckProgramTakes(const v1::Program& program, v1::AllowanceType type, int64_t amount_fen,
                               int64_t committed_fen, absl::CivilDay today);
// The same for back pay of months the program paid (an arrears claim, of the monthly allowance's type),
// after its period too: the months were the program's to pay, and a notice raising them often comes after
// the period's end. Evaluating the program, which ends its FUNDED state, closes it to them.
absl::Status CheckProgramTakesArrears(const v1::Program& program, int64_t amount_fen, int64_t committed_fen);

// The registry's answer about the child, judged: active case, lives in the program's jurisdiction, in one
// of its categories. FAILED_PRECONDITION naming what failed (never the child's data).
struct ChildStanding {
  bool active = false;
  std::string village_code;
  std::vector<int> categories;  // registry.v1.ChildCategory numbers
};
absl::Status CheckChildEligible(const v1::Program& program, const ChildStanding& child);

// What an approval does.
struct ApprovalStep {
  v1::ApplicationState next;
  bool reserves = false;  // the first approval takes the amount from the budget
  bool first = false;     // recorded as first_approver, else second_approver
};

// Maker-checker: the approver is never the applicant nor, for the second approval, the first approver; the
// first approval is the operator's admin's or the funder's officer's; the second (above the program's
// threshold) the funder's finance officer's.
absl::StatusOr<ApprovalStep> DecideApproval(const v1::Application& application, const v1::Program& program,
                                            const common::v1::Principal& approver);

// What a rejection or withdrawal does: the next state and whether a reservation is released.
struct ClosingStep {
  v1::ApplicationState next;
  bool releases = false;
};
// A monthly enrolment is withdrawn in payment or paid as well: it holds several sums at once (its first
// month, each returned month), whatever state its last payment left it in, and the family leaving the program
// gives back every one not out with the bank (the store's HoldingsOf; one out with the bank goes back when it
// comes back, DecideOutcome); its rosters stop with it.
absl::StatusOr<ClosingStep> DecideRejection(const v1::Application& application,
                                            const common::v1::Principal& who);
absl::StatusOr<ClosingStep> DecideWithdrawal(const v1::Application& application,
                                             const common::v1::Principal& who);

// What the system does to an application when the child's case closes: one not yet paid (submitted,
// awaiting its second approval, approved — also after a returned payment, whose amount is reserved again)
// is CANCELLED, releasing what it holds; one in payment, paid or already closed is left as it is (nullopt):
// money already sent is not the allowance service's to take back. A monthly enrolment in payment or paid that
// still holds a sum (`monthly_holds`: its first month or a returned month, not out with the bank) is
// CANCELLED too, releasing what it holds: nothing will pay it after the close; with nothing held it is left,
// its rosters stopped by the close. An arrears claim is left as it is (OwedAfterCaseClosed).
std::optional<ClosingStep> DecideCaseClosedCancellation(const v1::Application& application,
                                                        bool monthly_holds = false);
inline constexpr char kCaseClosedReason[] = "case closed";

// Whether an application of `type` is still submitted, approved and paid once the child's case has closed:
// only an arrears claim (补发), which pays months the child was given the allowance in while the case was
// open, at the standard a later notice raised them to. Every other application asks for something to come,
// which a closed case is given nothing of.
bool OwedAfterCaseClosed(v1::AllowanceType type);
// FAILED_PRECONDITION when the child's case is closed (`case_closed`) to an application of `type`: to any but
// an arrears claim. The check of a submission and of an approval.
absl::Status CheckCaseOpenTo(bool case_closed, v1::AllowanceType type);

// Whether an application may be paid now (APPROVED, of a funded program).
absl::Status CheckPayable(const v1::Application& application, const v1::Program& program);

// Whether a monthly enrolment whose application is in `state` is still paid: approved, in payment or paid.
// One withdrawn by its applicant or cancelled with its child's case is closed for good, and nothing is paid
// under it again: not its application, nor a cycle's line computed and approved while it was open
// (MonthlyRosterStore::PayCycle lists that line as stopped and releases what its approval reserved).
bool MonthlyEnrolmentOpen(v1::ApplicationState state);
// Whether a monthly enrolment whose application is in `state` has closed: withdrawn by its applicant or
// cancelled with its child's case. It is paid nothing more, but the months it was paid are still owed a raise
// that reaches back over them (CheckClosedEnrolmentChange, monthly_arrears.h).
bool MonthlyEnrolmentClosed(v1::ApplicationState state);
// Whether an application in `state` ended unpaid for good: rejected, withdrawn or cancelled with its case.
// An arrears claim whose application ended leaves its months owed again (monthly_arrears.h).
bool ApplicationEndedUnpaid(v1::ApplicationState state);
// ApplicationEndedUnpaid's states as SQL writes them, as SHOUHU_OPEN_ENROLMENT_STATES below; the rules' unit
// test holds it equal to the rule.
#define SHOUHU_ENDED_UNPAID_STATES "(4, 5, 8)"
inline constexpr char kEndedUnpaidStatesSql[] = SHOUHU_ENDED_UNPAID_STATES;
// MonthlyEnrolmentOpen's states as the SQL statements that pick open (or closed) monthly enrolments write
// them (`a.state IN " SHOUHU_OPEN_ENROLMENT_STATES "`): one place for them beside the rule, a string literal
// so that it joins the statements' constant texts. The rules' unit test holds it equal to the rule.
#define SHOUHU_OPEN_ENROLMENT_STATES "(3, 6, 7)"
inline constexpr char kOpenEnrolmentStatesSql[] = SHOUHU_OPEN_ENROLMENT_STATES;

// ------------------------------------------------------------------------------------------------ payments

// What an outcome does to an issued payment.
struct OutcomeStep {
  v1::PaymentState next;
  v1::ApplicationState application_next;  // UNSPECIFIED: unchanged
  // The ledger movement it makes, if any (from == UNSPECIFIED: none).
  v1::LedgerEntryKind kind = v1::LEDGER_ENTRY_KIND_UNSPECIFIED;
  v1::LedgerAccount from = v1::LEDGER_ACCOUNT_UNSPECIFIED;
  v1::LedgerAccount to = v1::LEDGER_ACCOUNT_UNSPECIFIED;
  // The money the movement puts back in RESERVED goes on to the budget at once: the application is closed,
  // so nothing will pay it again.
  bool releases = false;
};

// Whether an outcome naming `attempt` (0: none named) may apply to the payment as it stands: only to the
// attempt now out, and an unnamed one only while the payment has been sent once — a bank's late word on an
// earlier attempt (or an officer recording it again under another request id) must not fail or reverse
// the attempt now at the bank, which may still be paid out.
absl::Status CheckOutcomeAttempt(const v1::Payment& payment, int32_t attempt);

// `max_attempts`: how many times a payment is sent before a failure abandons it. `application_state`: its
// application's now. Withdrawn, cancelled with its case or rejected, the application is closed for good: an
// outcome of a payment still out when it closed (a monthly enrolment is withdrawable while its cycle months
// are out) moves money, never the application's state, and money returned to RESERVED is released.
absl::StatusOr<OutcomeStep> DecideOutcome(const v1::Payment& payment, v1::ApplicationState application_state,
                                          v1::PaymentOutcome outcome, int max_attempts);

// One of an application's payments as it stands, for deciding what paying the application again issues.
struct PaymentStanding {
  std::string payment_id;
  v1::PaymentState state = v1::PAYMENT_STATE_UNSPECIFIED;
  int64_t amount_fen = 0;
  std::string reissue_of;  // the reversed payment this one re-issued; empty for none
  bool by_cycle = false;   // issued by a monthly cycle for a month its roster line pays
};

// What paying an approved application issues: a re-issue of one of its reversed payments, or its own first
// payment (reissue_of empty).
struct NextIssue {
  std::string reissue_of;
  int64_t amount_fen = 0;
};

// What paying `application` issues, given its payments in issue order and `own_payment`: whether its own
// amount may be paid (for a monthly enrolment, whether its first month is owed: the store's first-month
// check; OK for any other application).
// - A reversed payment (returned, or abandoned after its last failure) put its amount back to RESERVED on
//   the application, and is re-issued once (the earliest first), for exactly that amount: what came back is
//   what goes out. A re-issue of a monthly cycle's payment, or of a re-issue of one, pays the cycle's month,
//   which its roster line judged owed: `own_payment` does not judge it. Any other re-issue pays the
//   application's own amount again, and only while `own_payment` allows it; refused, it is passed over (its
//   money is the first month's, which the roster's release gives back), so a returned cycle payment behind
//   it is still re-issued.
// - Nothing reversed left to re-issue: the application's own first payment of its amount, once
// (ALREADY_EXISTS
//   once issued), if `own_payment` allows it; else `own_payment`'s refusal, or ALREADY_EXISTS when the
//   application has payments (it has been paid all it will be). A monthly enrolment is payable whatever state
//   its last payment left it in (CheckPayable): it holds several sums at once, and this decides.
absl::StatusOr<NextIssue> DecideNextIssue(const v1::Application& application,
                                          const std::vector<PaymentStanding>& payments,
                                          const absl::Status& own_payment);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_RULES_H_
