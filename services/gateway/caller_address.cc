#include "services/gateway/caller_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace shouhu::gateway {
namespace {

constexpr size_t kMaxAddressLength = 45;  // the longest IPv6 text, an IPv4 tail included

// The address's bytes, when it is one (IPv4 in the first 4).
bool AddressBytes(const std::string& address, bool& v6, std::array<unsigned char, 16>& bytes) {
  bytes.fill(0);
  v6 = absl::StrContains(address, ':');
  return inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), bytes.data()) == 1;
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
  } else {
    address = std::string(absl::StripAsciiWhitespace(peer));  // the HTTP server's and the headers' form
  }
  if (address.empty() || address.size() > kMaxAddressLength) return "";
  address = absl::AsciiStrToLower(address);
  if (absl::string_view rest = address;
      absl::ConsumePrefix(&rest, "::ffff:") && absl::StrContains(rest, '.')) {
    address = std::string(rest);  // IPv4 mapped into IPv6 (a dual-stack listener's form)
  }
  bool v6 = false;
  std::array<unsigned char, 16> bytes;
  return AddressBytes(address, v6, bytes) ? address : "";
}

absl::StatusOr<ForwardingProxies> ForwardingProxies::Parse(absl::string_view list,
                                                           absl::string_view setting) {
  ForwardingProxies proxies;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const auto invalid = [&] {
      return absl::InvalidArgumentError(
          absl::StrCat("--", setting, ": '", entry, "' is not a CIDR block (10.0.0.0/8, fd00::/8)"));
    };
    const size_t slash = entry.find('/');
    if (slash == absl::string_view::npos) return invalid();
    Block block;
    if (!AddressBytes(std::string(entry.substr(0, slash)), block.v6, block.bytes)) return invalid();
    if (!absl::SimpleAtoi(entry.substr(slash + 1), &block.prefix) || block.prefix < 0 ||
        block.prefix > (block.v6 ? 128 : 32)) {
      return invalid();
    }
    proxies.blocks_.push_back(block);
  }
  return proxies;
}

bool ForwardingProxies::Contains(const std::string& address) const {
  bool v6 = false;
  std::array<unsigned char, 16> bytes;
  if (!AddressBytes(address, v6, bytes)) return false;
  for (const Block& block : blocks_) {
    if (block.v6 != v6) continue;
    const int whole = block.prefix / 8;
    const int rest = block.prefix % 8;
    if (std::memcmp(block.bytes.data(), bytes.data(), whole) != 0) continue;
    const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
    if (rest > 0 && (block.bytes[whole] & mask) != (bytes[whole] & mask)) continue;
    return true;
  }
  return false;
}

std::string ForwardingProxies::Resolve(absl::string_view peer, absl::string_view x_real_ip,
                                       absl::string_view x_forwarded_for) const {
  std::string address = CallerAddress(peer);
  if (blocks_.empty() || !Contains(address)) return address;
  if (std::string real = CallerAddress(x_real_ip); !real.empty()) return real;
  const size_t last = x_forwarded_for.rfind(',');
  if (std::string forwarded =
          CallerAddress(last == absl::string_view::npos ? x_forwarded_for : x_forwarded_for.substr(last + 1));
      !forwarded.empty()) {
    return forwarded;
  }
  return address;  // the proxy named nobody: the proxy it is
}

}  // namespace shouhu::gateway
