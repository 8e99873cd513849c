// Where a call came from, for its audit row and the per-caller bound on refused calls (refused_call_rows.h).
//
// Deployed, every call reaches the gateway through the ingress controller (its NetworkPolicy admits nothing
// else to the public ports), so the connection's own peer is the controller's pod, the same for every caller.
// The controller names the caller in X-Real-IP (its $remote_addr, set over whatever the caller sent) on both
// the HTTP and the gRPC hops. So a peer inside the proxies given by --forwarded_by has its call's address
// taken from X-Real-IP, or from the last X-Forwarded-For entry (the one the proxy added); any other peer is
// the caller itself, and such headers from it are ignored (a caller could write any address there).
#ifndef SHOUHU_SERVICES_GATEWAY_CALLER_ADDRESS_H_
#define SHOUHU_SERVICES_GATEWAY_CALLER_ADDRESS_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace shouhu::gateway {

// The address of a caller as gRPC names its peer ("ipv4:10.0.0.7:51234", "ipv6:[2001:db8::7]:51234") or as
// the HTTP server and the proxies' headers give it ("10.0.0.7", "::ffff:10.0.0.7"): the address alone, an
// IPv4 address mapped into IPv6 as IPv4. Empty for what is not an IP address (a Unix socket, an in-process
// channel, junk in a header).
std::string CallerAddress(absl::string_view peer);

// The proxies whose word on the caller's address is taken.
class ForwardingProxies {
 public:
  // None: every peer is the caller.
  ForwardingProxies() = default;
  // A comma-separated list of CIDR blocks ("10.0.0.0/8,fd00::/8"; "0.0.0.0/0,::/0" for any peer, where the
  // network admits only the proxy). INVALID_ARGUMENT naming `setting` and the entry for one that is not.
  static absl::StatusOr<ForwardingProxies> Parse(absl::string_view list, absl::string_view setting);

  // The caller's address: `peer` (either form above), or, when it is one of the proxies, what `x_real_ip` or
  // else the last entry of `x_forwarded_for` says, if that is an address.
  std::string Resolve(absl::string_view peer, absl::string_view x_real_ip,
                      absl::string_view x_forwarded_for) const;

 private:
  struct Block {
    bool v6 = false;
    std::array<unsigned char, 16> bytes{};
    int prefix = 0;
  };
  bool Contains(const std::string& address) const;

  std::vector<Block> blocks_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_CALLER_ADDRESS_H_
