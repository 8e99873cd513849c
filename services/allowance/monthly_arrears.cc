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

ClaimMonths MonthsOfOneClaim(const std::vector<MonthShortfall>& shortfalls, int year, int64_t cap_fen) {
  ClaimMonths out;
  if (shortfalls.empty()) return out;
  if (year == 0) year = static_cast<int>(shortfalls.front().month.year());
  int64_t sum = 0;
  bool full = false;
  for (const MonthShortfall& s : shortfalls) {
    if (s.month.year() == year && !full && s.owed_fen <= cap_fen - sum) {
      sum += s.owed_fen;
      out.claimed.push_back(s);
      continue;
    }
    // Months after one past the cap wait with it, so that a claim's months stay in order.
    if (s.month.year() == year) full = true;
    out.left_owed.push_back(s);
  }
  return out;
}

}  // namespace shouhu::allowance
