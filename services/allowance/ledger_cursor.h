// Where a reader of a program's ledger stands, and the page token that carries it. No I/O.
//
// A program's entries are in commit order within each budget slot, not across them (migration 0050): two
// replicas post into their own slots under different row locks, each with its own clock, so an entry of one
// slot can commit with an id below an entry of another slot that a reader has already been given. Paging the
// whole program by one id would skip it for good. So the reader's place is kept per slot: the last entry it
// was given of each. An entry that commits later in a slot sorts after every earlier entry of that slot
// (budget_slot_store::TakeEntryId), so it is above that slot's place and is given on a later page, never
// skipped, never given twice. A finance system following a ledger keeps the token and asks again with it.
#ifndef SHOUHU_SERVICES_ALLOWANCE_LEDGER_CURSOR_H_
#define SHOUHU_SERVICES_ALLOWANCE_LEDGER_CURSOR_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace shouhu::allowance {

struct LedgerCursor {
  // A token issued before the order was kept per slot is one entry id: every slot continues after it.
  std::string floor;
  // Budget slot (-1: the remainder, where funding is posted) → the last entry of it given.
  std::map<int, std::string> last_by_slot;

  // Where `slot`'s next page starts after: its last entry given, else the floor ("" from the start).
  const std::string& After(int slot) const;
  // `entry_id` of `slot` was given.
  void Advance(int slot, const std::string& entry_id);
};

// The cursor a page token carries; the empty token is the start. INVALID_ARGUMENT naming page_token for
// anything this service did not issue.
absl::StatusOr<LedgerCursor> ReadLedgerCursor(absl::string_view page_token);

// The token that carries `cursor` (opaque to callers); "" for the start.
std::string LedgerCursorToken(const LedgerCursor& cursor);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_LEDGER_CURSOR_H_
