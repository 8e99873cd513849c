// The two early-return macros Abseil 20220623 does not ship, and the field-aware error constructor every
// service uses for bad input.
#ifndef SHOUHU_COMMON_STATUS_MACROS_H_
#define SHOUHU_COMMON_STATUS_MACROS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#define SHOUHU_CONCAT_INNER(a, b) a##b
#define SHOUHU_CONCAT(a, b) SHOUHU_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status shouhu_status_ = (expr);          \
    if (!shouhu_status_.ok()) return shouhu_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(SHOUHU_CONCAT(shouhu_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

namespace shouhu {

// The payload key under which InvalidField records the offending field; the gRPC edge turns it into a
// google.rpc.BadRequest field violation.
inline constexpr absl::string_view kFieldPayload = "shouhu.dev/field";

// INVALID_ARGUMENT naming `field`. The description must never contain the rejected value: it may be personal
// data.
absl::Status InvalidField(absl::string_view field, absl::string_view description);

// The field InvalidField recorded, or empty.
std::string FieldOf(const absl::Status& status);

// The payload key under which StaleVersion records the record's current version; the gRPC edge turns it into
// a google.rpc.ErrorInfo (reason STALE_VERSION, metadata current_version).
inline constexpr absl::string_view kCurrentVersionPayload = "shouhu.dev/current-version";

// ABORTED: an edit was based on an older version than the record's `current_version` (optimistic
// concurrency; the caller rereads and decides, nothing is overwritten).
absl::Status StaleVersion(absl::string_view message, int64_t current_version);
// The version StaleVersion recorded, or -1.
int64_t CurrentVersionOf(const absl::Status& status);

// Marks an error that may succeed if the whole transaction runs again (deadlock, lock-wait timeout, Galera
// certification failure, a connection that died before the transaction began).
absl::Status MarkRetryable(absl::Status status);
bool IsRetryable(const absl::Status& status);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_STATUS_MACROS_H_
