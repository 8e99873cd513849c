#include "services/allowance/budget_slot_store.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/batch_statements.h"
#include "common/status_macros.h"

namespace shouhu::allowance::budget_slot_store {
namespace {

constexpr char kInsertRemainder[] =
    "INSERT INTO program_balances (program_id, budget_fen, unallocated_fen) VALUES (?, 0, 0)";
constexpr char kFund[] =
    "UPDATE program_balances SET budget_fen = budget_fen + ?, unallocated_fen = unallocated_fen + ?"
    " WHERE program_id = ?";
constexpr char kLockRemainder[] =
    "SELECT budget_fen, unallocated_fen FROM program_balances WHERE program_id = ? FOR UPDATE";
constexpr char kSelectRemainder[] =
    "SELECT budget_fen, unallocated_fen FROM program_balances WHERE program_id = ?";
// The refill's guard: the remainder must still hold the chunk when the UPDATE takes it.
constexpr char kTakeRemainder[] =
    "UPDATE program_balances SET unallocated_fen = unallocated_fen - ?"
    " WHERE program_id = ? AND unallocated_fen >= ?";
constexpr char kAddToSlot[] =
    "INSERT INTO program_budget_slots (program_id, slot, available_fen, reserved_fen, in_payment_fen,"
    " disbursed_fen) VALUES (?, ?, ?, 0, 0, 0) ON DUPLICATE KEY UPDATE available_fen = available_fen + ?";
constexpr char kTakeFromSlot[] =
    "UPDATE program_budget_slots SET available_fen = available_fen - ?"
    " WHERE program_id = ? AND slot = ? AND available_fen >= ?";
constexpr char kLockOwnSlot[] =
    "SELECT available_fen FROM program_budget_slots WHERE program_id = ? AND slot = ? FOR UPDATE";
constexpr char kLockOtherSlots[] =
    "SELECT slot, available_fen FROM program_budget_slots WHERE program_id = ? AND slot <> ?"
    " AND available_fen > 0 ORDER BY slot FOR UPDATE";
constexpr char kSelectSlots[] =
    "SELECT slot, available_fen, reserved_fen, in_payment_fen, disbursed_fen FROM program_budget_slots"
    " WHERE program_id = ? ORDER BY slot";
constexpr char kLockSlots[] =
    "SELECT slot, available_fen, reserved_fen, in_payment_fen, disbursed_fen FROM program_budget_slots"
    " WHERE program_id = ? ORDER BY slot FOR UPDATE";
constexpr char kSelectTotals[] =
    "SELECT b.budget_fen, b.unallocated_fen + COALESCE(SUM(s.available_fen), 0),"
    " COALESCE(SUM(s.reserved_fen), 0), COALESCE(SUM(s.in_payment_fen), 0), COALESCE(SUM(s.disbursed_fen), 0)"
    " FROM program_balances b LEFT JOIN program_budget_slots s ON s.program_id = b.program_id"
    " WHERE b.program_id = ? GROUP BY b.budget_fen, b.unallocated_fen";

// One guarded UPDATE per movement: the source must hold the amount, checked by the statement that takes it
// under the row's lock — never by a read before it, which two racing approvals would both pass.
constexpr char kReserve[] =
    "UPDATE program_budget_slots SET available_fen = available_fen - ?, reserved_fen = reserved_fen + ?"
    " WHERE program_id = ? AND slot = ? AND available_fen >= ?";
constexpr char kReservedToAvailable[] =
    "UPDATE program_budget_slots SET reserved_fen = reserved_fen - ?, available_fen = available_fen + ?"
    " WHERE program_id = ? AND slot = ? AND reserved_fen >= ?";
constexpr char kReservedToInPayment[] =
    "UPDATE program_budget_slots SET reserved_fen = reserved_fen - ?, in_payment_fen = in_payment_fen + ?"
    " WHERE program_id = ? AND slot = ? AND reserved_fen >= ?";
constexpr char kInPaymentToDisbursed[] =
    "UPDATE program_budget_slots SET in_payment_fen = in_payment_fen - ?, disbursed_fen = disbursed_fen + ?"
    " WHERE program_id = ? AND slot = ? AND in_payment_fen >= ?";
constexpr char kInPaymentToReserved[] =
    "UPDATE program_budget_slots SET in_payment_fen = in_payment_fen - ?, reserved_fen = reserved_fen + ?"
    " WHERE program_id = ? AND slot = ? AND in_payment_fen >= ?";
constexpr char kDisbursedToReserved[] =
    "UPDATE program_budget_slots SET disbursed_fen = disbursed_fen - ?, reserved_fen = reserved_fen + ?"
    " WHERE program_id = ? AND slot = ? AND disbursed_fen >= ?";

// An entry's id is left on its slot's row only when above the row's last (TakeEntryId): refused, the id is
// taken again above it.
constexpr char kAdvanceSlotLastEntry[] =
    "UPDATE program_budget_slots SET last_entry_id = ?"
    " WHERE program_id = ? AND slot = ? AND last_entry_id < ?";
constexpr char kAdvanceRemainderLastEntry[] =
    "UPDATE program_balances SET last_entry_id = ? WHERE program_id = ? AND last_entry_id < ?";
constexpr char kSlotLastEntry[] =
    "SELECT last_entry_id FROM program_budget_slots WHERE program_id = ? AND slot = ?";
constexpr char kRemainderLastEntry[] = "SELECT last_entry_id FROM program_balances WHERE program_id = ?";
constexpr char kLockSlotsLastEntriesHead[] = "SELECT last_entry_id FROM program_budget_slots WHERE ";
constexpr char kLockSlotsLastEntriesKey[] = "(program_id = ? AND slot = ?)";
constexpr char kLockSlotsLastEntriesTail[] = " ORDER BY program_id, slot FOR UPDATE";

absl::Status NotEnough() {
  return absl::FailedPreconditionError("the program's budget has not enough left for this amount");
}

absl::StatusOr<bool> TakeOwn(db::Session& tx, const std::string& program_id, int slot, int64_t amount) {
  ASSIGN_OR_RETURN(uint64_t matched,
                   tx.Execute(kReserve, {amount, amount, program_id, int64_t{slot}, amount}));
  return matched == 1;
}

absl::Status AddToSlot(db::Session& tx, const std::string& program_id, int slot, int64_t amount) {
  return tx.Execute(kAddToSlot, {program_id, int64_t{slot}, amount, amount}).status();
}

absl::StatusOr<std::vector<SlotBalances>> SlotsFromRows(const db::Rows& rows) {
  std::vector<SlotBalances> out;
  for (const db::Row& r : rows) {
    SlotBalances s;
    s.slot = static_cast<int>(r.Int(0));
    s.available = r.Int(1);
    s.reserved = r.Int(2);
    s.in_payment = r.Int(3);
    s.disbursed = r.Int(4);
    out.push_back(s);
  }
  return out;
}

}  // namespace

absl::Status CreateProgram(db::Session& tx, const std::string& program_id) {
  return tx.Execute(kInsertRemainder, {program_id}).status();
}

absl::Status Fund(db::Session& tx, const std::string& program_id, int64_t amount) {
  ASSIGN_OR_RETURN(uint64_t matched, tx.Execute(kFund, {amount, amount, program_id}));
  if (matched != 1) return absl::InternalError("the program's balance row is missing");
  return absl::OkStatus();
}

absl::Status Reserve(db::Session& tx, const std::string& program_id, int slot, int64_t amount) {
  if (amount <= 0) return absl::InternalError("a reservation takes a positive amount");
  ASSIGN_OR_RETURN(bool taken, TakeOwn(tx, program_id, slot, amount));
  if (taken) return absl::OkStatus();

  // The slot runs dry: the remainder row locked first (the one order every path takes), then the own slot,
  // whose available money counts towards the amount.
  ASSIGN_OR_RETURN(std::optional<db::Row> remainder, tx.QueryOne(kLockRemainder, {program_id}));
  if (!remainder) return NotEnough();
  const int64_t budget = remainder->Int(0);
  const int64_t unallocated = remainder->Int(1);
  ASSIGN_OR_RETURN(std::optional<db::Row> own, tx.QueryOne(kLockOwnSlot, {program_id, int64_t{slot}}));
  const int64_t shortfall = amount - (own ? own->Int(0) : 0);
  if (shortfall > 0) {
    // Refilling from the remainder (or from other slots below) keeps the money in the ledger's AVAILABLE
    // account: it is no ledger movement and writes no entry.
    const int64_t chunk = RefillChunk(shortfall, budget, unallocated);
    if (chunk > 0) {
      ASSIGN_OR_RETURN(uint64_t matched, tx.Execute(kTakeRemainder, {chunk, program_id, chunk}));
      if (matched != 1) return NotEnough();
      RETURN_IF_ERROR(AddToSlot(tx, program_id, slot, chunk));
    }
    if (chunk < shortfall) {
      // The remainder is empty too: the last of the budget sits in other slots, and is still reachable.
      ASSIGN_OR_RETURN(db::Rows others, tx.Query(kLockOtherSlots, {program_id, int64_t{slot}}));
      std::vector<std::pair<int, int64_t>> available;
      for (const db::Row& r : others) available.emplace_back(static_cast<int>(r.Int(0)), r.Int(1));
      const std::vector<std::pair<int, int64_t>> plan = PlanSlotTakes(shortfall - chunk, available);
      if (plan.empty()) return NotEnough();
      for (const auto& [from, take] : plan) {
        ASSIGN_OR_RETURN(uint64_t matched,
                         tx.Execute(kTakeFromSlot, {take, program_id, int64_t{from}, take}));
        if (matched != 1) return NotEnough();
        RETURN_IF_ERROR(AddToSlot(tx, program_id, slot, take));
      }
    }
  }
  ASSIGN_OR_RETURN(taken, TakeOwn(tx, program_id, slot, amount));
  if (!taken) return NotEnough();
  return absl::OkStatus();
}

absl::Status Move(db::Session& tx, const std::string& program_id, int slot, v1::LedgerAccount from,
                  v1::LedgerAccount to, int64_t amount) {
  using v1::LEDGER_ACCOUNT_AVAILABLE;
  using v1::LEDGER_ACCOUNT_DISBURSED;
  using v1::LEDGER_ACCOUNT_IN_PAYMENT;
  using v1::LEDGER_ACCOUNT_RESERVED;
  const char* sql = nullptr;
  if (from == LEDGER_ACCOUNT_RESERVED && to == LEDGER_ACCOUNT_AVAILABLE) sql = kReservedToAvailable;
  if (from == LEDGER_ACCOUNT_RESERVED && to == LEDGER_ACCOUNT_IN_PAYMENT) sql = kReservedToInPayment;
  if (from == LEDGER_ACCOUNT_IN_PAYMENT && to == LEDGER_ACCOUNT_DISBURSED) sql = kInPaymentToDisbursed;
  if (from == LEDGER_ACCOUNT_IN_PAYMENT && to == LEDGER_ACCOUNT_RESERVED) sql = kInPaymentToReserved;
  if (from == LEDGER_ACCOUNT_DISBURSED && to == LEDGER_ACCOUNT_RESERVED) sql = kDisbursedToReserved;
  if (sql == nullptr) return absl::InternalError("no such ledger movement within a budget slot");
  ASSIGN_OR_RETURN(uint64_t matched, tx.Execute(sql, {amount, amount, program_id, int64_t{slot}, amount}));
  if (matched != 1) return absl::FailedPreconditionError("the program's balances do not hold this movement");
  return absl::OkStatus();
}

absl::StatusOr<std::string> TakeEntryId(db::Session& tx, const std::string& program_id, int slot,
                                        IdGenerator& ids) {
  const bool remainder = slot == kRemainderSlot;
  // The second attempt follows the row's last entry: the row is ours until COMMIT, so nothing passes it.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string id = ids.Next();
    ASSIGN_OR_RETURN(uint64_t advanced,
                     remainder ? tx.Execute(kAdvanceRemainderLastEntry, {id, program_id, id})
                               : tx.Execute(kAdvanceSlotLastEntry, {id, program_id, int64_t{slot}, id}));
    if (advanced == 1) return id;
    ASSIGN_OR_RETURN(std::optional<db::Row> last,
                     remainder ? tx.QueryOne(kRemainderLastEntry, {program_id})
                               : tx.QueryOne(kSlotLastEntry, {program_id, int64_t{slot}}));
    if (!last) return absl::InternalError("the budget slot of a ledger entry has no row");
    ids.Raise(last->String(0));
  }
  // The row moved past an id taken above what this transaction read of it: only another Galera node's commit,
  // applied over this transaction's lock, does that, and certification aborts this transaction anyway. Run it
  // again, as a deadlock is.
  return MarkRetryable(
      absl::AbortedError("another node posted into this budget slot meanwhile; the posting is made again"));
}

absl::Status RaiseAboveLastEntries(db::Session& tx, const std::vector<std::pair<std::string, int>>& slots,
                                   IdGenerator& ids) {
  if (slots.empty()) return absl::OkStatus();
  std::vector<db::Value> params;
  for (const auto& [program_id, slot] : slots) params.insert(params.end(), {program_id, int64_t{slot}});
  db::PadEntries(params, 0, 2, slots.size());
  ASSIGN_OR_RETURN(db::Rows rows,
                   tx.Query(absl::StrCat(kLockSlotsLastEntriesHead,
                                         db::PaddedList(kLockSlotsLastEntriesKey, " OR ", slots.size()),
                                         kLockSlotsLastEntriesTail),
                            params));
  for (const db::Row& row : rows) ids.Raise(row.String(0));
  return absl::OkStatus();
}

absl::StatusOr<ProgramMoney> Read(db::Session& tx, const std::string& program_id, bool lock) {
  ASSIGN_OR_RETURN(std::optional<db::Row> remainder,
                   tx.QueryOne(lock ? kLockRemainder : kSelectRemainder, {program_id}));
  if (!remainder) return absl::NotFoundError("program not found");
  ProgramMoney money;
  money.budget = remainder->Int(0);
  money.unallocated = remainder->Int(1);
  ASSIGN_OR_RETURN(db::Rows rows, tx.Query(lock ? kLockSlots : kSelectSlots, {program_id}));
  ASSIGN_OR_RETURN(money.slots, SlotsFromRows(rows));
  return money;
}

absl::StatusOr<Balances> ReadTotals(db::Session& tx, const std::string& program_id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kSelectTotals, {program_id}));
  Balances b;
  if (!row) return b;
  b.budget = row->Int(0);
  b.available = row->Int(1);
  b.reserved = row->Int(2);
  b.in_payment = row->Int(3);
  b.disbursed = row->Int(4);
  return b;
}

}  // namespace shouhu::allowance::budget_slot_store
