// The SQL of a program's budget slots (budget_slots.h says why they exist and the invariant they keep):
// program_balances holds the budget and the unallocated remainder, program_budget_slots one row per
// (program, slot) with available / reserved / in payment / disbursed. Every function runs inside the
// caller's transaction, beside the ledger entry the caller posts (MariaDbAllowanceStore::PostEntry).
//
// Locks, in one order everywhere (no deadlock between these functions): the program's remainder row first,
// then slot rows. An approval whose slot holds the amount touches its own slot row only (the common case, and
// on Galera the reason two replicas no longer conflict); a dry slot locks the remainder, refills, and only
// when the remainder is empty too locks the other slots. Under READ COMMITTED (common/db.cc) the own slot's
// guarded UPDATE that matched nothing holds no lock, so the order holds for it too.
#ifndef SHOUHU_SERVICES_ALLOWANCE_BUDGET_SLOT_STORE_H_
#define SHOUHU_SERVICES_ALLOWANCE_BUDGET_SLOT_STORE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/db.h"
#include "common/ids.h"
#include "services/allowance/budget_slots.h"
#include "shouhu/allowance/v1/resources.pb.h"

namespace shouhu::allowance::budget_slot_store {

// A proposed program's remainder row, all zero.
absl::Status CreateProgram(db::Session& tx, const std::string& program_id);

// FUNDING -> AVAILABLE: the budget and the remainder grow by `amount`.
absl::Status Fund(db::Session& tx, const std::string& program_id, int64_t amount);

// AVAILABLE -> RESERVED on `slot`: from the slot's own available money, refilled from the remainder
// (RefillChunk) and then from the other slots (PlanSlotTakes) when it runs dry, all guarded UPDATEs.
// FAILED_PRECONDITION when the program as a whole holds less than `amount`; the caller's transaction then
// rolls back any refill with it.
absl::Status Reserve(db::Session& tx, const std::string& program_id, int slot, int64_t amount);

// Any other movement, within the slot the money sits in: RESERVED -> AVAILABLE (a rejection, withdrawal or
// cancellation returns it to that slot's available), RESERVED -> IN_PAYMENT, IN_PAYMENT -> DISBURSED,
// IN_PAYMENT -> RESERVED, DISBURSED -> RESERVED. FAILED_PRECONDITION when the slot's source holds less.
absl::Status Move(db::Session& tx, const std::string& program_id, int slot, v1::LedgerAccount from,
                  v1::LedgerAccount to, int64_t amount);

// The ledger's order within a slot (ledger_cursor.h), for one entry. In a transaction that holds the row of
// `slot` (the movement before it took it; kRemainderSlot: the remainder's row, which funding takes): an id
// for the entry about to be posted there, above the last one posted there, left as the row's last_entry_id.
// When another replica, its clock ahead, posted the last one, `ids` is raised above it first. ABORTED
// (retryable) when the row moves meanwhile, which only another Galera node's commit does.
absl::StatusOr<std::string> TakeEntryId(db::Session& tx, const std::string& program_id, int slot,
                                        IdGenerator& ids);

// The same for a batch posting into several slots (program, slot), sorted as every batch locks them: locks
// their rows and raises `ids` above each one's last entry, so the ids the batch takes afterwards follow them.
// The batch then leaves its last id as each row's last_entry_id (with the movement it makes there).
absl::Status RaiseAboveLastEntries(db::Session& tx, const std::vector<std::pair<std::string, int>>& slots,
                                   IdGenerator& ids);

// The program's remainder and slots; locked (remainder row, then every slot row) when `lock`, so no movement
// of the program commits until the caller's transaction ends. NOT_FOUND when it has no remainder row.
absl::StatusOr<ProgramMoney> Read(db::Session& tx, const std::string& program_id, bool lock);

// The program's totals (TotalBalances) in one statement; all zero for a program without a remainder row.
absl::StatusOr<Balances> ReadTotals(db::Session& tx, const std::string& program_id);

}  // namespace shouhu::allowance::budget_slot_store

#endif  // SHOUHU_SERVICES_ALLOWANCE_BUDGET_SLOT_STORE_H_
