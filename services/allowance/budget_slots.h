// A program's budget split into slots, the pure part: how much an approval's slot takes from the program's
// unallocated remainder when it runs dry, what it takes from the other slots when the remainder is empty too,
// the program's totals over its slots, and the checks the reconciliation adds for them. No I/O; the SQL is in
// budget_slot_store.
//
// Why slots: every approval used to reserve by updating the program's one balance row. On a Galera cluster
// with replicas writing through two nodes nearly every such commit conflicts (tests/cluster/README.md, "Hot
// rows": 830 conflicts per 1,000 commits, a quarter of the approvals ABORTED). Each replica now owns a slot
// number (AllowanceConfig::budget_slot) and reserves from its own (program, slot) row; the shared rows are
// written only when a slot runs dry.
//
// The invariant, always: budget = unallocated + Σ slots (available + reserved + in payment + disbursed), and
// no column anywhere is negative. So "reservations plus payments never exceed the budget" holds for the sum.
// Money moved between the remainder and a slot, or between slots, stays in the ledger's AVAILABLE account:
// it is not a ledger movement and writes no entry. A program's ledger is in commit order within each slot,
// not across them (ledger_cursor.h).
#ifndef SHOUHU_SERVICES_ALLOWANCE_BUDGET_SLOTS_H_
#define SHOUHU_SERVICES_ALLOWANCE_BUDGET_SLOTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/allowance/ledger.h"

namespace shouhu::allowance {

// One (program, slot) row.
struct SlotBalances {
  int slot = 0;
  int64_t available = 0;
  int64_t reserved = 0;
  int64_t in_payment = 0;
  int64_t disbursed = 0;
};

// A program's money as stored: the budget and unallocated remainder (program_balances) and its slots.
struct ProgramMoney {
  int64_t budget = 0;
  int64_t unallocated = 0;
  std::vector<SlotBalances> slots;
};

// The slot number of the program's remainder, where what moves no slot's money is posted (funding): the
// budget_slot of a funding entry in the ledger, and the remainder's place in a reader's cursor.
inline constexpr int kRemainderSlot = -1;

// The fraction of the budget a dry slot takes at once: small enough that the last of a budget is spread over
// few slots, large enough that the shared remainder row is written about 16 times in a budget's life.
inline constexpr int64_t kRefillDivisor = 16;

// What a slot short of `shortfall` (> 0) takes from the remainder: max(shortfall, budget / 16), capped by
// `unallocated`. Less than `shortfall` only when the remainder holds less (the rest then comes from the
// other slots, PlanSlotTakes).
int64_t RefillChunk(int64_t shortfall, int64_t budget, int64_t unallocated);

// What to take from the other slots' available money (slot, available) to cover `shortfall`: the fullest
// first (fewest rows written), each at most what it holds. Empty when together they hold less than
// `shortfall` — the program then truly lacks the money.
std::vector<std::pair<int, int64_t>> PlanSlotTakes(int64_t shortfall,
                                                   std::vector<std::pair<int, int64_t>> available_by_slot);

// The program's balances as one (what GetProgram shows and the reconciliation compares with the ledger):
// available is the remainder plus every slot's available.
Balances TotalBalances(const ProgramMoney& money);

// The slot a replica owns when it is told only its name and the number of slots (a Deployment's pods have
// random names, so no ordinal): a stable hash (FNV-1a) of the name, mod `slots` (> 0). Two replicas may share
// a slot; that costs contention, never correctness.
int SlotOfReplica(std::string_view replica_name, int slots);

// Problems of the split itself, for the reconciliation: a negative remainder or slot column.
std::vector<std::string> SlotProblems(const ProgramMoney& money);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_BUDGET_SLOTS_H_
