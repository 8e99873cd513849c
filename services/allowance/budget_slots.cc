#include "services/allowance/budget_slots.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace shouhu::allowance {

int64_t RefillChunk(int64_t shortfall, int64_t budget, int64_t unallocated) {
  if (shortfall <= 0 || unallocated <= 0) return 0;
  return std::min(unallocated, std::max(shortfall, budget / kRefillDivisor));
}

std::vector<std::pair<int, int64_t>> PlanSlotTakes(int64_t shortfall,
                                                   std::vector<std::pair<int, int64_t>> available_by_slot) {
  std::vector<std::pair<int, int64_t>> plan;
  if (shortfall <= 0) return plan;
  // Fullest first; ties by slot number, so two planners over the same rows agree.
  std::sort(available_by_slot.begin(), available_by_slot.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  int64_t left = shortfall;
  for (const auto& [slot, available] : available_by_slot) {
    if (left == 0) break;
    if (available <= 0) continue;
    const int64_t take = std::min(left, available);
    plan.emplace_back(slot, take);
    left -= take;
  }
  if (left > 0) plan.clear();
  return plan;
}

Balances TotalBalances(const ProgramMoney& money) {
  Balances b;
  b.budget = money.budget;
  b.available = money.unallocated;
  for (const SlotBalances& s : money.slots) {
    b.available += s.available;
    b.reserved += s.reserved;
    b.in_payment += s.in_payment;
    b.disbursed += s.disbursed;
  }
  return b;
}

int SlotOfReplica(std::string_view replica_name, int slots) {
  if (slots <= 0) return 0;
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : replica_name) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return static_cast<int>(hash % static_cast<uint64_t>(slots));
}

std::vector<std::string> SlotProblems(const ProgramMoney& money) {
  std::vector<std::string> problems;
  if (money.unallocated < 0) problems.push_back("the unallocated remainder is negative");
  for (const SlotBalances& s : money.slots) {
    if (s.available < 0 || s.reserved < 0 || s.in_payment < 0 || s.disbursed < 0) {
      problems.push_back(absl::StrCat("budget slot ", s.slot, " has a negative balance"));
    }
  }
  return problems;
}

}  // namespace shouhu::allowance
