#include "services/allowance/monthly_amounts.h"

#include <algorithm>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/allowance/living_allowance_rules.h"

namespace shouhu::allowance {
namespace {

constexpr char kNotTakenUp[] = "type.shouhu.dev/allowance.EnrolmentNotTakenUp";

std::string MonthText(absl::CivilMonth month) { return absl::FormatCivilTime(month); }

}  // namespace

int64_t MonthlyAmountIn(int64_t approved_fen, const std::vector<MonthlyAmountStep>& changes,
                        absl::CivilMonth month) {
  const MonthlyAmountStep* latest = nullptr;
  for (const MonthlyAmountStep& c : changes) {
    if (c.from <= month && (latest == nullptr || c.seq > latest->seq)) latest = &c;
  }
  return latest == nullptr ? approved_fen : latest->amount_fen;
}

absl::CivilMonth FirstChangeableMonth(absl::CivilDay approved_on, std::optional<absl::CivilMonth> last_line) {
  const absl::CivilMonth after_first = FirstMonth(approved_on) + 1;
  return last_line ? std::max(after_first, *last_line + 1) : after_first;
}

absl::Status CheckAmountChangeStart(absl::CivilDay approved_on, std::optional<absl::CivilMonth> last_line,
                                    absl::CivilMonth from, int64_t amount_fen,
                                    std::optional<WrittenLine> highest_written) {
  const absl::CivilMonth first_changeable = FirstChangeableMonth(approved_on, last_line);
  if (from < FirstMonth(approved_on) + 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("from_month: the enrolment's first month, ", MonthText(FirstMonth(approved_on)),
                     ", is paid through its application at the approved amount; a change can start from ",
                     MonthText(FirstMonth(approved_on) + 1)));
  }
  if (highest_written && highest_written->amount_fen > amount_fen) {
    return absl::FailedPreconditionError(
        absl::StrCat("from_month: the enrolment's roster line of ", MonthText(highest_written->month),
                     " is written at ", highest_written->amount_fen,
                     " fen, above the new amount, and nothing paid is taken back; a lower amount",
                     " can start from ", MonthText(first_changeable)));
  }
  return absl::OkStatus();
}

absl::Status CheckClosedEnrolmentChange(std::optional<absl::CivilMonth> last_line, absl::CivilMonth from,
                                        int64_t amount_fen, int64_t in_force_fen,
                                        std::optional<WrittenLine> highest_written) {
  if (!last_line) {
    return absl::FailedPreconditionError(
        "enrolment_id: the enrolment closed before any month of its roster was written: no month to change");
  }
  if (from > *last_line) {
    return absl::FailedPreconditionError(absl::StrCat(
        "from_month: the enrolment is closed and paid nothing more; a raise can reach back over ",
        "its months up to ", MonthText(*last_line), " only"));
  }
  if (amount_fen <= in_force_fen) {
    return absl::FailedPreconditionError(
        absl::StrCat("amount_fen: the enrolment is closed; its amount can only be raised over the months it ",
                     "was paid (", in_force_fen, " fen in ", MonthText(from), ")"));
  }
  if (highest_written && highest_written->amount_fen > amount_fen) {
    return absl::FailedPreconditionError(absl::StrCat(
        "amount_fen: the enrolment's roster line of ", MonthText(highest_written->month), " is written at ",
        highest_written->amount_fen, " fen, above the new amount, and nothing paid is taken back"));
  }
  return absl::OkStatus();
}

absl::Status CheckChangeKind(std::optional<LivingAllowanceKind> taken_up, LivingAllowanceKind wanted) {
  if (!taken_up) {
    absl::Status refused =
        absl::FailedPreconditionError("kind: the enrolment is not taken up yet, so its kind is not known");
    refused.SetPayload(kNotTakenUp, absl::Cord());
    return refused;
  }
  if (*taken_up != wanted) {
    return absl::FailedPreconditionError(
        absl::StrCat("kind: the enrolment pays the ", LivingAllowanceKindName(*taken_up),
                     " allowance, not the ", LivingAllowanceKindName(wanted), " one"));
  }
  return absl::OkStatus();
}

bool EnrolmentNotTakenUp(const absl::Status& status) {
  return status.code() == absl::StatusCode::kFailedPrecondition && status.GetPayload(kNotTakenUp).has_value();
}

}  // namespace shouhu::allowance
