// A monthly enrolment's arrears (补发), as pure rules. A raise of its amount that reaches back over months
// paid already (ChangeMonthlyAmount) leaves each of them paid short: owed what the month's amount is now less
// what its line paid and what live claims of it hold. A claim (ClaimMonthlyArrears) takes the months owed, in
// order, into one arrears application while their sum fits the program's cap per payment; a claim whose
// application was rejected, withdrawn or cancelled is dead, and its months are owed again.
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

// How many of `shortfalls`' first months one claim takes: as many, in order, as are of the first's year and
// keep their sum within `cap_fen` (the program's cap per payment). 0 when the first alone is above it. A
// claim counts against the cap per child of its months' year, as their roster lines did, so it holds one
// year's months (a later year's go to the next claim).
size_t MonthsOfOneClaim(const std::vector<MonthShortfall>& shortfalls, int64_t cap_fen);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_MONTHLY_ARREARS_H_
