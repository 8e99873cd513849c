// The program ledger's arithmetic, no I/O: which accounts a movement touches, the balances it leads to, and
// the reconciliation that proves the cached balances, the ledger's sums and the budget identity agree.
// Balances are money in minus money out per account; FUNDING is the outside source, so its balance is minus
// the budget and all balances of a program sum to zero — every entry balances by construction.
#ifndef SHOUHU_SERVICES_ALLOWANCE_LEDGER_H_
#define SHOUHU_SERVICES_ALLOWANCE_LEDGER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shouhu/allowance/v1/resources.pb.h"

namespace shouhu::allowance {

// The cached balances of one program (program_balances).
struct Balances {
  int64_t budget = 0;
  int64_t available = 0;
  int64_t reserved = 0;
  int64_t in_payment = 0;
  int64_t disbursed = 0;

  bool operator==(const Balances& other) const;
};

// The balance of `account` within `b` (FUNDING: minus the budget).
int64_t BalanceOf(const Balances& b, v1::LedgerAccount account);

// `b` after moving `amount` from one account to another; FAILED_PRECONDITION when the source would go
// negative (FUNDING excepted), INVALID_ARGUMENT on a non-positive amount or an unknown account.
absl::StatusOr<Balances> Move(const Balances& b, v1::LedgerAccount from, v1::LedgerAccount to,
                              int64_t amount);

v1::ProgramBalances ToProto(const Balances& b);

// The ledger's sums per account (money in minus out), from its entries' (from, to, amount) totals.
struct LedgerSums {
  std::map<int, int64_t> by_account;  // LedgerAccount number → balance
  int64_t entry_count = 0;
};

// Balances as the ledger says: budget is minus FUNDING's balance.
Balances BalancesFromLedger(const LedgerSums& sums);

struct Reconciliation {
  bool balanced = true;
  std::vector<std::string> problems;
  Balances cached;
  Balances ledger;
};

// Proves: the accounts sum to zero; no account but FUNDING is negative; budget = available + reserved + in
// payment + disbursed (for the cache and the ledger); the cache equals the ledger; the budget is the
// program's. Reports every problem found; corrects nothing.
Reconciliation Reconcile(int64_t program_budget, const Balances& cached, const LedgerSums& sums);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_LEDGER_H_
