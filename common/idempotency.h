// Idempotent mutations. Every mutating RPC carries a client request id; the first request with an id records
// it — in the same transaction as its change — together with a hash of the whole request and a reference to
// what it produced (a referral id, a case id). A retry with the same id and the same content changes nothing
// and gets the same result back; the same id with other content is rejected as INVALID_ARGUMENT on
// request_id. Keys are per method and per caller, so one caller can neither collide with nor read another's.
#ifndef SHOUHU_COMMON_IDEMPOTENCY_H_
#define SHOUHU_COMMON_IDEMPOTENCY_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace shouhu {

namespace db {
class Session;
}

struct IdempotencyKey {
  std::string method;  // "shouhu.registry.v1.RegistryService/SubmitReferral"
  std::string caller;  // the principal's subject
  std::string request_id;
  std::string request_hash;  // RequestHash(request)
};

// SHA-256 of the deterministic serialization of the request (request id included).
std::string RequestHash(const google::protobuf::Message& request);

// Checks the request id's form: present, at most 128 printable ASCII characters.
absl::Status ValidateRequestId(absl::string_view request_id);

// In an open transaction: claims the key. Returns nullopt when this is the first request with it (the caller
// then does the work), or the result reference the first request recorded. A concurrent duplicate waits on
// the first one's row lock and then sees its outcome. When the caller knows its result's id before doing the
// work (ids are generated here, not by the database), it passes it as `result_ref` and is done in one
// statement; otherwise it calls CompleteIdempotent once it knows.
absl::StatusOr<std::optional<std::string>> ClaimIdempotent(db::Session& tx, const IdempotencyKey& key,
                                                           absl::Time now, absl::string_view result_ref = "");
absl::Status CompleteIdempotent(db::Session& tx, const IdempotencyKey& key, absl::string_view result_ref);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_IDEMPOTENCY_H_
