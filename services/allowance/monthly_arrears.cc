#include "services/allowance/monthly_arrears.h"

#include <algorithm>
#include <map>

namespace shouhu::allowance {

std::vector<MonthShortfall> UnclaimedShortfalls(int64_t approved_fen,
                                                const std::vector<MonthlyAmountStep>& changes,
                                                const std::vector<MonthPaidAt>& paid,
                                                const std::vector<ArrearsClaim>& claims) {
  struct Claimed {
    int64_t live_fen = 0;
    int last_attempt = 0;
  };
  std::map<absl::CivilMonth, Claimed> claimed;
  for (const ArrearsClaim& c : claims) {
    Claimed& month = claimed[c.month];
    if (c.live) month.live_fen += c.owed_fen;
    month.last_attempt = std::max(month.last_attempt, c.attempt);
  }
  std::vector<MonthShortfall> out;
  for (const MonthPaidAt& p : paid) {
    const int64_t due = MonthlyAmountIn(approved_fen, changes, p.month);
    const Claimed& month = claimed[p.month];
    const int64_t owed = due - p.paid_fen - month.live_fen;
    if (owed <= 0) continue;
    out.push_back({p.month, p.paid_fen, due, owed, month.last_attempt + 1});
  }
  std::sort(out.begin(), out.end(),
            [](const MonthShortfall& a, const MonthShortfall& b) { return a.month < b.month; });
  return out;
}

size_t MonthsOfOneClaim(const std::vector<MonthShortfall>& shortfalls, int64_t cap_fen) {
  int64_t sum = 0;
  size_t taken = 0;
  for (const MonthShortfall& s : shortfalls) {
    if (s.month.year() != shortfalls.front().month.year() || s.owed_fen > cap_fen - sum) break;
    sum += s.owed_fen;
    ++taken;
  }
  return taken;
}

}  // namespace shouhu::allowance
