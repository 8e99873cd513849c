// The civil-affairs rules of the monthly basic living allowance, as pure functions: which of a child's
// enrolments is payable in a given month, and for how much — or why not. Nothing here reads a clock or a
// table: the roster job gathers each child's standing (folded from the registry's events) and enrolments
// (the core's approved monthly-living-allowance applications) and asks DecideMonth.
//
// The rules (民政部 et al., 民发〔2019〕62号 for de facto unsupported children; the orphan basic living
// allowance rules of 2010):
// - It starts the month after approval: the month of approval itself is not paid. That first month is paid
//   through the enrolment's own application (its approval reserved one monthly amount, paid like any
//   approved application), so the monthly cycles pay from the month after it: the first month's line says
//   so and carries no amount, and a budget never holds the first month twice. The application pays it only
//   while the enrolment is owed it (CheckFirstMonthDecision): the rules below apply to the first month too.
// - It stops from the month after the 18th birthday — the birthday's month is still paid — unless the child
//   is still in secondary or vocational school, proven by a school-enrolment record (the school, the
//   document that proves it, and the last month the proof covers). Without proof it stops; proof that has
//   run out stops it again.
// - It stops from the month after the case closes, is transferred away, or the child leaves the allowance's
//   category (the registry's events); the stop is final for the enrolments approved before it — a reopened
//   case needs a new application, approved again, because the facts that justified the first are gone.
// - It cannot be held together with the benefits it replaces: a child receives at most one basic living
//   allowance a month. The orphan basic living allowance (孤儿基本生活保障金) and the de facto unsupported
//   child's allowance (事实无人抚养儿童基本生活补贴) replace each other, and each replaces itself under
//   another program. When several enrolments are payable in a month, the orphan allowance wins (orphans are
//   by definition not de facto unsupported, and theirs is the higher standard), then the earliest approval,
//   then the smaller enrolment id; the others are reported as replaced by the winner. These rules judge the
//   facts; what was actually paid is held by the store, one row per child and month paid, taken by every
//   payment of a month (migration 0100): a month paid under one enrolment is not paid under another, whatever
//   the facts said to each (MonthAlreadyPaid).
#ifndef SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_RULES_H_
#define SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"

namespace shouhu::allowance {

// Which basic living allowance an enrolment pays.
enum class LivingAllowanceKind {
  kOrphan = 1,              // 孤儿基本生活保障金 (orphans raised in families)
  kDeFactoUnsupported = 2,  // 事实无人抚养儿童基本生活补贴
};
const char* LivingAllowanceKindName(LivingAllowanceKind kind);

// The kind a child in these registry categories qualifies for: the orphan allowance for an orphan, else the
// de facto unsupported allowance, else nothing. `orphan` and `de_facto_unsupported` are the child's
// category flags.
std::optional<LivingAllowanceKind> LivingAllowanceKindFor(bool orphan, bool de_facto_unsupported);
// The kind an enrolment is taken up with: LivingAllowanceKindFor's; a child in neither category keeps the de
// facto kind, and the rules then find it not in its category.
LivingAllowanceKind KindTakenUp(bool orphan, bool de_facto_unsupported);

enum class SchoolKind {
  kSecondary = 1,   // 普通高中 (and junior secondary still attended past 18)
  kVocational = 2,  // 中等职业学校 / 技工学校
};

// Proof that a child past 18 is still at school: which school, the document that proves it (a school's
// enrolment certificate number or the visit report that saw it), and the last month it covers.
struct SchoolEnrolment {
  SchoolKind school = SchoolKind::kSecondary;
  std::string evidence_ref;
  absl::CivilMonth covers_through;
};

// One approved monthly-living-allowance application: the child's enrolment in one program.
struct MonthlyEnrolment {
  std::string enrolment_id;  // the approved application's id
  std::string program_id;
  LivingAllowanceKind kind = LivingAllowanceKind::kDeFactoUnsupported;
  int64_t monthly_amount_fen = 0;
  absl::CivilDay approved_on;  // in Asia/Shanghai
  // The first day on or after the approval that the child's case closed, was transferred away or the child
  // left the category; nothing while none. A later stop does not move it (the enrolment ended then); an
  // enrolment approved after a stop (after a reopening, or in the county the child moved to) has its own.
  std::optional<absl::CivilDay> stopped_on;
};

// What the service knows about the child, folded from the registry's events.
struct LivingAllowanceChild {
  absl::CivilDay birth_date;
  bool orphan = false;                // currently in the orphan category
  bool de_facto_unsupported = false;  // currently in the de facto unsupported category
  std::vector<SchoolEnrolment> schooling;
};

// The facts of a child the rules need as the registry gives them, recorded once (the first monthly
// application's submission, or its enrolment's take-up): the birth date and the two categories.
struct LivingAllowanceChildFacts {
  absl::CivilDay birth_date;
  bool orphan = false;
  bool de_facto_unsupported = false;
};

enum class MonthlyOutcome {
  kPayable = 0,
  kNotStarted = 1,         // the month of approval or earlier
  kAgedOut = 2,            // past the month of the 18th birthday, no school proof covering the month
  kStopped = 3,            // case closed or transferred, or the child left the category
  kNotInCategory = 4,      // the child is not (or no longer) in the category this kind pays for
  kReplaced = 5,           // another payable enrolment of the child replaces it this month
  kPaidByApplication = 6,  // the first month: paid through the enrolment's own application, not the cycle
  // Paying the month would take the child past the program's cap per child and year. Not decided here: the
  // cycle's approval judges it against the child's yearly total under that row's lock
  // (MonthlyRosterStore::ApproveCycle), where one-time applications take the same cap.
  kOverYearCap = 7,
};
const char* MonthlyOutcomeName(MonthlyOutcome outcome);

struct MonthlyDecision {
  std::string enrolment_id;
  MonthlyOutcome outcome = MonthlyOutcome::kPayable;
  int64_t amount_fen = 0;           // the monthly amount when payable (by the cycle), else 0
  std::string replaced_by;          // kReplaced: the enrolment paid instead
  std::string school_evidence_ref;  // payable past 18: the proof that allowed it
};

// The month's decisions (DecideMonth's) once what was paid is known: `paid_under`, the enrolment whose
// payment holds the child's month already (migration 0100; empty while none does). A payable decision of any
// other enrolment would put on the roster a month the child has been paid: the cycle's approval would reserve
// it and the finance officer approve a total the payment would never pay (its claim is refused there, and the
// money released only then). It is replaced by the holder, with nothing to pay, as a line refused at payment
// is listed. The holder's own decision and those that pay nothing stay as they are (a first month kept by
// one enrolment and paid under another is released by the roster job: ReleaseFirstMonthPaidElsewhere).
std::vector<MonthlyDecision> WithMonthPaidUnder(std::vector<MonthlyDecision> decisions,
                                                const std::string& paid_under);

// The enrolment's first month, the month after its approval: paid through its own application, not a cycle.
absl::CivilMonth FirstMonth(absl::CivilDay approved_on);

// The first month not paid under the enrolment for a stop (the month after its stopped_on), or nothing.
std::optional<absl::CivilMonth> StopMonth(const MonthlyEnrolment& enrolment);

// The month of the 18th birthday: the last month paid without school proof.
absl::CivilMonth EighteenthBirthdayMonth(absl::CivilDay birth_date);

// One decision per enrolment, in the order given.
std::vector<MonthlyDecision> DecideMonth(const LivingAllowanceChild& child,
                                         const std::vector<MonthlyEnrolment>& enrolments,
                                         absl::CivilMonth month);

// Whether an enrolment's own application may pay its first month `first`, given the enrolment's decision for
// that month (its roster line once written, else DecideMonth on the facts known now): only when the enrolment
// keeps the month (kPaidByApplication). Any other outcome means the month is not owed under this enrolment,
// and paying it would pay the child money the rules do not give (FAILED_PRECONDITION saying why):
// - kReplaced: another enrolment keeps the month; its application or cycle pays the child's one basic
//   living allowance of it, so this one would pay the month twice (the message names the keeper);
// - kAgedOut: the month is past the 18th birthday's and no school proof covers it;
// - kStopped: the case closed or was transferred away, or the child was placed in an institution, before
//   the month (a close also cancels the application; a transfer or a placement does not);
// - kNotInCategory: the child is in neither category the allowance pays for (a program may take monthly
//   applications for other categories, whose children the rosters never pay).
// kPayable, kNotStarted and kOverYearCap are never a first month's decision (DecideMonth makes the keeper's
// first month kPaidByApplication; the cap is judged on payable lines only) and are refused as well: the
// application pays a first month the rules say it pays, nothing else.
absl::Status CheckFirstMonthDecision(const MonthlyDecision& decision, absl::CivilMonth first);

// CheckFirstMonthDecision for the enrolment `enrolment_id` (one of `enrolments`, the child's approved monthly
// enrolments) on the facts known now, as the roster would decide its first month if it ran now. OK for an
// enrolment not among them (nothing to judge it by).
absl::Status CheckFirstMonthByApplication(const LivingAllowanceChild& child,
                                          const std::vector<MonthlyEnrolment>& enrolments,
                                          const std::string& enrolment_id);

// A month of the child's basic living allowance that a payment would pay, and what holds it already: the
// payment `payment_id` under enrolment `enrolment_id` (migration 0100). A child is paid one basic living
// allowance a month, across enrolments and programs, whichever paid it first: FAILED_PRECONDITION naming
// both, which MonthPaidUnder reads back.
absl::Status MonthAlreadyPaid(absl::CivilMonth month, const std::string& enrolment_id,
                              const std::string& payment_id);
// The enrolment that holds the month when `status` is MonthAlreadyPaid's refusal, else nothing.
std::optional<std::string> MonthPaidUnder(const absl::Status& status);

// An enrolment's first month, which its roster line said was owed, refused at payment because a stop recorded
// since (on `stopped_on`: a placement, a close, a move) ended the enrolment before it: FAILED_PRECONDITION,
// which FirstMonthStopped reads back.
absl::Status FirstMonthEndedByStop(absl::CivilMonth first, absl::CivilDay stopped_on);
bool FirstMonthStopped(const absl::Status& status);

// One of the child's enrolments whose first month's reservation went back to the budget (migration 0080), as
// the store finds it when a month of the child is freed (the payment that held it reversed and its money
// released with its closing enrolment: migration 0100's row deleted).
struct ReleasedFirstMonth {
  std::string enrolment_id;
  absl::CivilMonth first;           // its first month (FirstMonth)
  bool own_payment_issued = false;  // its application paid its own first month
  // Whether its first month is owed under it: CheckFirstMonthDecision on its line once written, else on the
  // facts known now (CheckFirstMonthByApplication) without the enrolment that freed the month.
  absl::Status owed;
};

// Which enrolment the freed month `freed` goes to: the first of `released` (the store's id order) whose first
// month it is, never paid by its own application, and owed under it. Such an enrolment's reservation went
// back only because another enrolment's payment held the month (ReleaseFirstMonthPaidElsewhere); with that
// payment reversed and its money released, the child would lose a month owed. One at most: the month is paid
// once, and its application's payment takes it under the month's key like any other. Nothing when none is.
std::optional<std::string> OwedFreedMonth(const std::vector<ReleasedFirstMonth>& released,
                                          absl::CivilMonth freed);

// INVALID_ARGUMENT naming the field when a school-enrolment record is unusable: no evidence, an evidence
// reference longer than 128 characters, or a cover that ends before it starts (`from`: the month it is
// recorded in).
absl::Status ValidateSchoolEnrolment(const SchoolEnrolment& enrolment, absl::CivilMonth from);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_RULES_H_
