#include "services/gateway/unidentified_calls.h"

#include <arpa/inet.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"

namespace shouhu::gateway {
namespace {

constexpr size_t kMaxAddressLength = 45;  // the longest IPv6 text, an IPv4 tail included
// The source that calls from addresses beyond max_sources share.
constexpr char kOtherSources[] = "*";

bool LooksLikeAddress(absl::string_view address) {
  if (address.empty() || address.size() > kMaxAddressLength) return false;
  for (char c : address) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != ':') return false;
  }
  return true;
}

}  // namespace

std::string CallerAddress(absl::string_view peer) {
  std::string address;
  if (absl::ConsumePrefix(&peer, "ipv4:")) {
    address = std::string(peer.substr(0, peer.rfind(':')));
  } else if (absl::ConsumePrefix(&peer, "ipv6:")) {
    // gRPC writes the brackets as they are or percent-encoded, depending on its version.
    const std::string unescaped =
        absl::StrReplaceAll(peer, {{"%5B", "["}, {"%5b", "["}, {"%5D", "]"}, {"%5d", "]"}});
    const size_t open = unescaped.find('[');
    const size_t close = unescaped.find(']');
    if (open != 0 || close == std::string::npos) return "";
    address = unescaped.substr(1, close - 1);
  } else if (absl::StrContains(peer, ':') || absl::StrContains(peer, '.')) {
    address = std::string(peer);  // the HTTP server's form: the address alone
  } else {
    return "";  // "unix:…", an in-process channel: no network source
  }
  address = absl::AsciiStrToLower(address);
  if (absl::string_view rest = address;
      absl::ConsumePrefix(&rest, "::ffff:") && absl::StrContains(rest, '.')) {
    address = std::string(rest);  // IPv4 mapped into IPv6 (a dual-stack listener's form)
  }
  return LooksLikeAddress(address) ? address : "";
}

bool CallerIdentified(const AuditRecord& row) { return !row.subject.empty() && !row.subject_claimed; }

std::string UnidentifiedCalls::SourceKey(const std::string& address) {
  in6_addr v6;
  if (absl::StrContains(address, ':') && inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(v6.s6_addr), 8)) + "::/64";
  }
  return address;  // IPv4, or no address at all (every such call one source)
}

std::optional<AuditRecord> UnidentifiedCalls::Take(AuditRecord row) {
  if (CallerIdentified(row)) return row;
  std::string key = SourceKey(row.peer);
  auto it = sources_.find(key);
  if (it == sources_.end() && sources_.size() >= limits_.max_sources) it = sources_.find(kOtherSources);
  if (it == sources_.end()) {
    if (sources_.size() >= limits_.max_sources) key = kOtherSources;
    Source fresh;
    fresh.window_end = row.occurred_at + limits_.window;
    it = sources_.emplace(std::move(key), std::move(fresh)).first;
  }
  Source& source = it->second;
  if (source.written < limits_.one_by_one) {
    ++source.written;
    return row;
  }
  if (source.row) {
    ++source.row->repeats;
  } else {
    source.row = std::move(row);
    source.row->repeats = 1;
  }
  return std::nullopt;
}

std::vector<AuditRecord> UnidentifiedCalls::Ended(absl::Time now) {
  std::vector<AuditRecord> rows;
  for (auto it = sources_.begin(); it != sources_.end();) {
    if (now < it->second.window_end) {
      ++it;
      continue;
    }
    if (it->second.row) rows.push_back(*std::move(it->second.row));
    sources_.erase(it++);
  }
  return rows;
}

std::vector<AuditRecord> UnidentifiedCalls::Folded() {
  std::vector<AuditRecord> rows;
  for (auto& [key, source] : sources_) {
    if (!source.row) continue;
    rows.push_back(*std::move(source.row));
    source.row.reset();
  }
  return rows;
}

}  // namespace shouhu::gateway
