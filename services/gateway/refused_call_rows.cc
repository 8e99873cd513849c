#include "services/gateway/refused_call_rows.h"

#include <arpa/inet.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace shouhu::gateway {
namespace {

// The caller that callers beyond max_callers share (no subject or address is written so).
constexpr char kOtherCallers[] = "*";

}  // namespace

bool RefusedAtTheDoor(const AuditRecord& row) {
  const bool identified = !row.subject.empty() && !row.subject_claimed;
  return !identified || row.turned_away;
}

std::string RefusedCallRows::CallerKey(const AuditRecord& row) {
  if (!row.subject.empty() && !row.subject_claimed) return "subject " + row.subject;
  in6_addr v6;
  if (absl::StrContains(row.peer, ':') && inet_pton(AF_INET6, row.peer.c_str(), &v6) == 1) {
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(v6.s6_addr), 8)) + "::/64";
  }
  return row.peer;  // IPv4, or no address at all (every such call one source)
}

std::optional<AuditRecord> RefusedCallRows::Take(AuditRecord row) {
  if (!RefusedAtTheDoor(row)) return row;
  std::string key = CallerKey(row);
  auto it = callers_.find(key);
  if (it == callers_.end() && callers_.size() >= limits_.max_callers) it = callers_.find(kOtherCallers);
  if (it == callers_.end()) {
    if (callers_.size() >= limits_.max_callers) key = kOtherCallers;
    Tally fresh;
    fresh.window_end = row.occurred_at + limits_.window;
    it = callers_.emplace(std::move(key), std::move(fresh)).first;
  }
  Tally& tally = it->second;
  if (row.occurred_at >= written_in_all_until_) {
    written_in_all_ = 0;
    written_in_all_until_ = row.occurred_at + limits_.window;
  }
  if (tally.written < limits_.one_by_one && written_in_all_ < limits_.one_by_one_in_all) {
    ++tally.written;
    ++written_in_all_;
    return row;
  }
  if (tally.row) {
    ++tally.row->repeats;
  } else {
    tally.row = std::move(row);
    tally.row->repeats = 1;
  }
  return std::nullopt;
}

std::vector<AuditRecord> RefusedCallRows::Ended(absl::Time now) {
  std::vector<AuditRecord> rows;
  for (auto it = callers_.begin(); it != callers_.end();) {
    if (now < it->second.window_end) {
      ++it;
      continue;
    }
    if (it->second.row) rows.push_back(*std::move(it->second.row));
    callers_.erase(it++);
  }
  return rows;
}

std::vector<AuditRecord> RefusedCallRows::Folded() {
  std::vector<AuditRecord> rows;
  for (auto& [key, tally] : callers_) {
    if (!tally.row) continue;
    rows.push_back(*std::move(tally.row));
    tally.row.reset();
  }
  return rows;
}

}  // namespace shouhu::gateway
