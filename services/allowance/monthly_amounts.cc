#include "services/allowance/monthly_amounts.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/allowance/living_allowance_rules.h"

namespace shouhu::allowance {
namespace {

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

}  // namespace shouhu::allowance
