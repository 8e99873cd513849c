// A monthly enrolment's arrears (补发), as pure rules. A raise of its amount that reaches back over months
// paid already (ChangeMonthlyAmount) leaves each of them paid short: owed what the month's amount is now less
// what its line paid and what live claims of it hold. A claim (ClaimMonthlyArrears) takes one year's months
// owed, in order, into one arrears application while their sum fits the program's cap per payment; a claim
// whose application was rejected, withdrawn or cancelled is dead, and its months are owed again.
#ifndef SHOUHU_SERVICES_ALLOWANCE_MONTHLY_ARREARS_H_
#define SHOUHU_SERVICES_ALLOWANCE_MONTHLY_ARREARS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "services/allowance/monthly_amounts.h"

namespace shouhu::allowance {

// A month the enrolment's roster line paid, and how much.
struct MonthPaidAt {
  absl::CivilMonth month;
  int64_t paid_fen = 0;
};

// A month's claim as migration 0130 keeps it: the `attempt`-th for the month, `owed_fen` of it claimed by the
// application, bringing the month to `due_fen`; live while the application is not rejected, withdrawn or
// cancelled.
struct ArrearsClaim {
  absl::CivilMonth month;
  int attempt = 0;
  std::string application_id;
  bool live = false;
  int64_t paid_fen = 0;
  int64_t due_fen = 0;
  int64_t owed_fen = 0;
};

// What a month is owed and no live claim holds; `attempt` is the one its next claim takes.
struct MonthShortfall {
  absl::CivilMonth month;
  int64_t paid_fen = 0;
  int64_t due_fen = 0;
  int64_t owed_fen = 0;
  int attempt = 1;
};

// The months of `paid` owed more than their live claims hold, in month order: the month's amount under
// `changes` (monthly_amounts.h) less what its line paid and its live claims' owed_fen. `claims` of any
// months.
std::vector<MonthShortfall> UnclaimedShortfalls(int64_t approved_fen,
                                                const std::vector<MonthlyAmountStep>& changes,
                                                const std::vector<MonthPaidAt>& paid,
                                                const std::vector<ArrearsClaim>& claims);

// One claim's months, and the months owed it leaves for later claims (in month order).
struct ClaimMonths {
  std::vector<MonthShortfall> claimed;
  std::vector<MonthShortfall> left_owed;
};

// The months one claim takes of `shortfalls` (in month order): of `year`'s months (0: the first month's
// year), as many, in order, as keep their sum within `cap_fen` (the program's cap per payment). A claim
// counts against the cap per child of its months' year, as their roster lines did, so it holds one year's
// months; naming the year lets a later year be claimed while an earlier one is refused (its cap, say). None
// claimed when none is of that year or its first alone is above the cap.
ClaimMonths MonthsOfOneClaim(const std::vector<MonthShortfall>& shortfalls, int year, int64_t cap_fen);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_MONTHLY_ARREARS_H_
