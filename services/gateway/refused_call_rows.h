// The audit rows of calls the gateway refused before any service saw them, bounded per caller.
//
// Such a call costs its sender next to nothing: one packet, no credentials needed, answered at once. Each
// was an audit row, so one address could write rows as fast as the gateway answers (thousands a second: the
// table filling the disk) and, past the writer's bounded queue, push out the rows of calls that reached a
// service, which are the trail an auditor needs. So each caller may have `one_by_one` such rows a window
// written one by one; the rest of its window's refusals are folded into one row that counts them (`repeats`),
// written when the window ends. Every call stays in the trail, counted; the rows refusals can cause are
// bounded by the callers, not by their calls. A call that reached a service is never folded.
//
// Refused here means: a caller the gateway could not identify (no credentials, refused ones, an API client id
// as presented but not verified, a method nobody serves), counted by its network source; and an identified
// caller its policy or rate limit turned away (a volunteer's script calling an officer's method in a loop, a
// county system past its rate), counted by its subject. A source is the caller's address, an IPv6 one by its
// /64 (what one host is routed; it can pick any address in it). At most max_callers callers are told apart in
// a window; calls of callers beyond them share one further budget and row, and the rows written one by one
// are bounded for all callers together too, so many addresses or subjects cannot grow this without bound
// either.
//
// Not thread-safe: the audit writer holds its lock around it.
#ifndef SHOUHU_SERVICES_GATEWAY_REFUSED_CALL_ROWS_H_
#define SHOUHU_SERVICES_GATEWAY_REFUSED_CALL_ROWS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/gateway/gateway_store.h"

namespace shouhu::gateway {

struct RefusedCallLimits {
  int one_by_one = 60;  // rows written singly per caller per window
  absl::Duration window = absl::Minutes(1);
  size_t max_callers = 10000;
  // Rows written singly per window for all callers together: many addresses (a botnet's) each within its own
  // budget would otherwise still write max_callers x one_by_one rows a window. Past it every caller's
  // refusals are folded, so a window writes at most this many rows and one per caller.
  int one_by_one_in_all = 6000;
};

class RefusedCallRows {
 public:
  explicit RefusedCallRows(RefusedCallLimits limits = {}) : limits_(limits) {}

  // Whether `row` (its peer set, its time `row.occurred_at`) is written as it is: returns it when it is, or
  // nullopt when it was folded into its caller's row for the window.
  std::optional<AuditRecord> Take(AuditRecord row);
  // The folded rows of windows ended by `now`, to be written; forgets callers whose window has ended (their
  // next call begins a window). A window ends here, not at a call: this is called every flush interval.
  std::vector<AuditRecord> Ended(absl::Time now);
  // Every folded row now, windows not ended (at stop, or for a flush); each caller keeps what it has written
  // one by one this window, and its next folded call begins a new row.
  std::vector<AuditRecord> Folded();

 private:
  struct Tally {
    absl::Time window_end;
    int written = 0;                 // rows written one by one in this window
    std::optional<AuditRecord> row;  // the folded row, its repeats the calls it stands for
  };
  static std::string CallerKey(const AuditRecord& row);

  const RefusedCallLimits limits_;
  absl::flat_hash_map<std::string, Tally> callers_;
  // All callers' rows written one by one in the window that ends at written_in_all_until_.
  int written_in_all_ = 0;
  absl::Time written_in_all_until_ = absl::InfinitePast();
};

// Whether the row is of a call the gateway refused before any service saw it (the rows folded here).
bool RefusedAtTheDoor(const AuditRecord& row);

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_REFUSED_CALL_ROWS_H_
