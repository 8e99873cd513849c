// Idempotent mutations. Every mutating RPC carries a client request id; the first request with an id records
// it — in the same transaction as its change — together with a hash of the whole request and the answer it
// got. A retry with the same id and the same content changes nothing and gets that first answer back (not
// the record's state now: DESIGN §4); the same id with other content is rejected as INVALID_ARGUMENT on
// request_id. Keys are per method and per caller, so one caller can neither collide with nor read another's.
//
// The answer is kept as the response message's bytes. That is the one place an API message is stored, and on
// purpose: it is the first answer itself, kept only to be replayed to the same caller, and v1 messages stay
// wire-compatible. It must hold no sealed personal data (a store clears such fields before returning the
// answer; the edge refills them from the retried request, whose hash matched).
#ifndef SHOUHU_COMMON_IDEMPOTENCY_H_
#define SHOUHU_COMMON_IDEMPOTENCY_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace shouhu {

namespace db {
class Pool;
class Session;
}  // namespace db

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

// For work a claim covers over several transactions (a payroll paid in chunks): the answer stored on the
// claim, or nothing while it has none (the first request did not finish: a crash or a timeout part way, which
// the caller resumes).
absl::StatusOr<std::optional<std::string>> ClaimedAnswer(db::Session& tx, const IdempotencyKey& key);
// In the work's last transaction: stores `answer` on the claim unless a duplicate of the request finished
// first, and returns the answer the claim then holds, so every request with the key is given the same one.
absl::StatusOr<std::string> AnswerClaim(db::Session& tx, const IdempotencyKey& key, std::string answer);

// Who makes a change and when, passed explicitly to every mutation (never read back from the key).
struct Actor {
  std::string subject;
  std::string organisation_id;
  absl::Time at;
};

// Runs `first` in a transaction that also records the key with the bytes `first` returns, committing both
// or neither; or, when a request with this key committed before (a retry, or a duplicate that raced this
// one), returns the bytes it recorded. Nothing extra runs on the first request's path: the record is one
// INSERT at the end of the transaction. A duplicate finds out when that INSERT meets the first's row (or
// when its own work fails on the first's effects); it then rolls back and answers with the first's bytes.
absl::StatusOr<std::string> RunIdempotent(
    db::Pool& pool, const IdempotencyKey& key, absl::Time now,
    const std::function<absl::StatusOr<std::string>(db::Session&)>& first);

// A key's record as a batch finds it before doing any work (below).
struct RecordedAnswer {
  std::string request_hash;
  std::optional<std::string> response;  // null for records from before answers were kept
};

// What a retry is answered from its record: the recorded bytes, or INVALID_ARGUMENT on request_id when the
// record was made by a different request, or FAILED_PRECONDITION when it kept no answer. RunIdempotent's
// answer to a retry, for batches too.
absl::StatusOr<std::string> ReplayRecorded(const IdempotencyKey& key, const RecordedAnswer& recorded);

// For a batch of mutations committed together (a group commit): the committed records of `keys`, one lookup
// for all of them; result[i] is keys[i]'s record, nullopt when it has none. Read in the batch's transaction
// before its work, so retries of committed requests are answered and left out of the batch.
absl::StatusOr<std::vector<std::optional<RecordedAnswer>>> FindRecordedAnswers(
    db::Session& session, const std::vector<const IdempotencyKey*>& keys);

// One request's first answer in a batch.
struct FirstAnswer {
  const IdempotencyKey* key;
  std::string response;
  absl::Time at;
};
// In the batch's open transaction, after its work: records every request's key with its answer in one
// INSERT. ALREADY_EXISTS when any key was recorded meanwhile (a writer outside the batch): the batch then
// rolls back whole and its requests are run one by one (RunIdempotent answers that one from its record).
absl::Status RecordFirstAnswers(db::Session& tx, const std::vector<FirstAnswer>& answers);

// The typed form: `Response` is the RPC's response message.
template <typename Response>
absl::StatusOr<Response> IdempotentTransaction(
    db::Pool& pool, const IdempotencyKey& key, absl::Time now,
    const std::function<absl::StatusOr<Response>(db::Session&)>& first) {
  absl::StatusOr<std::string> bytes =
      RunIdempotent(pool, key, now, [&](db::Session& tx) -> absl::StatusOr<std::string> {
        absl::StatusOr<Response> answer = first(tx);
        if (!answer.ok()) return answer.status();
        return answer->SerializeAsString();
      });
  if (!bytes.ok()) return bytes.status();
  Response response;
  if (!response.ParseFromString(*bytes)) return absl::DataLossError("the recorded answer is unreadable");
  return response;
}

}  // namespace shouhu

#endif  // SHOUHU_COMMON_IDEMPOTENCY_H_
