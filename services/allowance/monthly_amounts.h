// A monthly enrolment's amount by month, as pure rules: the approved application's amount until a change
// (ChangeMonthlyAmount: the province's new yearly standard, or a correction) starts, then the change's, a
// later change deciding the months it covers over an earlier one. Roster lines are written once with their
// month's amount (a line of a cycle not yet submitted takes it again at submission, so a change that raced
// its writing still decides it). A raise may reach back over written lines: each such month, once paid, is
// owed the difference (monthly_arrears.h); a cut may not, nothing being taken back from a child. No change
// covers the enrolment's first month, which its own application pays at the approved amount
// (living_allowance_rules.h).
#ifndef SHOUHU_SERVICES_ALLOWANCE_MONTHLY_AMOUNTS_H_
#define SHOUHU_SERVICES_ALLOWANCE_MONTHLY_AMOUNTS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "services/allowance/living_allowance_rules.h"

// The stores' form of MonthlyAmountIn, a column of the row that reads the enrolment: the amount of the
// enrolment whose id is the SQL expression `enrolment_sql` in the month whose first day is `month_sql`, the
// application's amount being `approved_sql` (string literals: "a.id", "a.amount_fen", "l.month"). Migration
// 0120's primary key: one short range per row, none at all while the enrolment has no change.
#define SHOUHU_MONTHLY_AMOUNT(enrolment_sql, approved_sql, month_sql)                                    \
  "COALESCE((SELECT ch.amount_fen FROM monthly_amount_changes ch WHERE ch.enrolment_id = " enrolment_sql \
  " AND ch.from_month <= " month_sql " ORDER BY ch.seq DESC LIMIT 1), " approved_sql ")"

namespace shouhu::allowance {

// One change of an enrolment's amount: the seq-th made, from `from` on.
struct MonthlyAmountStep {
  int seq = 0;
  absl::CivilMonth from;
  int64_t amount_fen = 0;
};

// The enrolment's amount in `month`: that of its latest change (highest seq) starting in or before it, else
// `approved_fen`. `changes` in any order.
int64_t MonthlyAmountIn(int64_t approved_fen, const std::vector<MonthlyAmountStep>& changes,
                        absl::CivilMonth month);

// The first month a change of the enrolment approved on `approved_on` (Asia/Shanghai) may start from whatever
// its amount: after its first month and after `last_line`, the month of its latest roster line (nullopt while
// it has none).
absl::CivilMonth FirstChangeableMonth(absl::CivilDay approved_on, std::optional<absl::CivilMonth> last_line);

// The enrolment's written roster line of the highest amount from a change's month on.
struct WrittenLine {
  absl::CivilMonth month;
  int64_t amount_fen = 0;
};

// OK when a change to `amount_fen` may start in `from`: after the first month, and where it reaches back over
// written lines, none of them above it (`highest_written`, nullopt when no line is written from `from` on);
// FAILED_PRECONDITION naming the first month it may start from (and why) otherwise.
absl::Status CheckAmountChangeStart(absl::CivilDay approved_on, std::optional<absl::CivilMonth> last_line,
                                    absl::CivilMonth from, int64_t amount_fen,
                                    std::optional<WrittenLine> highest_written);

// A closed enrolment (withdrawn, or cancelled with its child's case) is paid nothing more, but a standard
// raised after it closed is still owed for the months it was paid (monthly_arrears.h). OK when the change
// raises the amount (above `in_force_fen`, its amount in `from`, and `highest_written`, as for an open
// enrolment) and reaches back over its roster lines (`from` no later than `last_line`); FAILED_PRECONDITION
// naming why otherwise. Its first month needs no rule here: the close wrote over the approval's time, and
// arrears are owed by roster lines only, which never hold the first month.
absl::Status CheckClosedEnrolmentChange(std::optional<absl::CivilMonth> last_line, absl::CivilMonth from,
                                        int64_t amount_fen, int64_t in_force_fen,
                                        std::optional<WrittenLine> highest_written);

// A change made for one kind of allowance only (a standard set per kind): OK when the enrolment was taken up
// as `wanted`; FAILED_PRECONDITION on `kind` naming the kind it was taken up as otherwise, and, while it is
// not taken up (`taken_up` nullopt), one EnrolmentNotTakenUp reads back: its kind is not known yet.
absl::Status CheckChangeKind(std::optional<LivingAllowanceKind> taken_up, LivingAllowanceKind wanted);
bool EnrolmentNotTakenUp(const absl::Status& status);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_MONTHLY_AMOUNTS_H_
