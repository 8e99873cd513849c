#include "services/allowance/ledger_cursor.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "services/allowance/budget_slots.h"

namespace shouhu::allowance {
namespace {

// More than any deployment's replicas: a token naming more slots was not issued here.
constexpr size_t kMaxSlots = 1024;

absl::Status NotOurs() { return InvalidField("page_token", "is not a token this service issued"); }

}  // namespace

const std::string& LedgerCursor::After(int slot) const {
  auto found = last_by_slot.find(slot);
  return found == last_by_slot.end() ? floor : found->second;
}

void LedgerCursor::Advance(int slot, const std::string& entry_id) {
  std::string& last = last_by_slot[slot];
  if (last < entry_id) last = entry_id;
}

absl::StatusOr<LedgerCursor> ReadLedgerCursor(absl::string_view page_token) {
  LedgerCursor cursor;
  if (page_token.empty()) return cursor;
  if (IsWellFormedId(page_token)) {
    cursor.floor = std::string(page_token);
    return cursor;
  }
  std::string text;
  if (!absl::WebSafeBase64Unescape(page_token, &text)) return NotOurs();
  // "<floor>,<slot>:<id>,<slot>:<id>…", the floor empty unless the reader began from an old token.
  std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  if (parts.size() > kMaxSlots + 1) return NotOurs();
  if (!parts[0].empty() && !IsWellFormedId(parts[0])) return NotOurs();
  cursor.floor = std::string(parts[0]);
  for (size_t i = 1; i < parts.size(); ++i) {
    std::pair<absl::string_view, absl::string_view> slot_and_id =
        absl::StrSplit(parts[i], absl::MaxSplits(':', 1));
    int slot = 0;
    if (!absl::SimpleAtoi(slot_and_id.first, &slot) || slot < kRemainderSlot ||
        !IsWellFormedId(slot_and_id.second) || cursor.last_by_slot.count(slot) > 0) {
      return NotOurs();
    }
    cursor.last_by_slot.emplace(slot, std::string(slot_and_id.second));
  }
  return cursor;
}

std::string LedgerCursorToken(const LedgerCursor& cursor) {
  if (cursor.floor.empty() && cursor.last_by_slot.empty()) return "";
  std::string text = cursor.floor;
  for (const auto& [slot, last] : cursor.last_by_slot) absl::StrAppend(&text, ",", slot, ":", last);
  return absl::WebSafeBase64Escape(text);
}

}  // namespace shouhu::allowance
