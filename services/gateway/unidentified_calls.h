// The audit rows of calls whose caller the gateway could not identify (no credentials, refused ones, an API
// client id as presented but not verified, a method nobody serves), bounded per network source.
//
// Such a call costs its sender nothing: no credentials, one packet. Each was an audit row, so one address
// could write rows as fast as the gateway answers (thousands a second: the table filling the disk), and past
// the writer's bounded queue push out the rows of identified callers' calls, which are the trail an auditor
// needs. So each source may have kOneByOne such rows a window written one by one; the rest of its window's
// calls are folded into one row that counts them (`repeats`), written when the window ends. Every call
// stays in the trail, counted; the rows a source can cause are bounded by the sources, not by its calls.
// Calls of identified callers are never folded.
//
// A source is the caller's address, an IPv6 one by its /64 (what one host is routed; it can pick any address
// in it). At most kMaxSources are told apart in a window; calls from sources beyond them share one further
// budget and row, so many addresses cannot grow this without bound either.
//
// Not thread-safe: the audit writer holds its lock around it.
#ifndef SHOUHU_SERVICES_GATEWAY_UNIDENTIFIED_CALLS_H_
#define SHOUHU_SERVICES_GATEWAY_UNIDENTIFIED_CALLS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/gateway/gateway_store.h"

namespace shouhu::gateway {

// The address of a caller as gRPC names its peer ("ipv4:10.0.0.7:51234", "ipv6:[2001:db8::7]:51234") or as
// the HTTP server gives it ("10.0.0.7", "::ffff:10.0.0.7"): the address alone, an IPv4 address mapped into
// IPv6 as IPv4. Empty for what is not an IP peer (a Unix socket, an in-process channel).
std::string CallerAddress(absl::string_view peer);

struct UnidentifiedCallLimits {
  int one_by_one = 60;  // rows written singly per source per window
  absl::Duration window = absl::Minutes(1);
  size_t max_sources = 10000;
};

class UnidentifiedCalls {
 public:
  explicit UnidentifiedCalls(UnidentifiedCallLimits limits = {}) : limits_(limits) {}

  // Whether `row` (its peer set, its time `row.occurred_at`) is written as it is: returns it when it is, or
  // nullopt when it was folded into its source's row for the window.
  std::optional<AuditRecord> Take(AuditRecord row);
  // The folded rows of windows ended by `now`, to be written; forgets sources whose window has ended (their
  // next call begins a window). A window ends here, not at a call: this is called every flush interval.
  std::vector<AuditRecord> Ended(absl::Time now);
  // Every folded row now, windows not ended (at stop, or for a flush); each source keeps what it has written
  // one by one this window, and its next folded call begins a new row.
  std::vector<AuditRecord> Folded();

 private:
  struct Source {
    absl::Time window_end;
    int written = 0;                 // rows written one by one in this window
    std::optional<AuditRecord> row;  // the folded row, its repeats the calls it stands for
  };
  static std::string SourceKey(const std::string& address);

  const UnidentifiedCallLimits limits_;
  absl::flat_hash_map<std::string, Source> sources_;
};

// Whether the gateway identified the row's caller (a verified token or API client): such rows are never
// folded.
bool CallerIdentified(const AuditRecord& row);

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_UNIDENTIFIED_CALLS_H_
