// The store's side of a group commit (group_commit.h): a batch of idempotent mutations written in one
// transaction, each order keeping the guarantees it has alone (idempotency.h). Retries of committed requests
// are answered from their records and left out of the batch; whatever the batch cannot carry runs alone.
#ifndef SHOUHU_COMMON_IDEMPOTENT_BATCH_H_
#define SHOUHU_COMMON_IDEMPOTENT_BATCH_H_

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/db.h"
#include "common/idempotency.h"

namespace shouhu {

// The keys (method, caller, request id) a batch is writing.
using BatchKeys = std::set<std::tuple<std::string, std::string, std::string>>;

// In the batch's transaction, before its work (one lookup for all of `keys`): calls `recorded(i, answer)` for
// every keys[i] whose request committed before (a retry; ReplayRecorded's answer) and returns the positions
// to write now. A key already in `seen` (repeated within the batch) is in neither: it runs alone after the
// batch, as a concurrent duplicate would wait for the first.
absl::StatusOr<std::vector<size_t>> SortOutRetries(
    db::Session& tx, const std::vector<const IdempotencyKey*>& keys, BatchKeys& seen,
    const std::function<void(size_t, absl::StatusOr<std::string>)>& recorded);

// A recorded answer's bytes as the RPC's response.
template <typename Answer>
absl::StatusOr<Answer> ParseRecorded(absl::StatusOr<std::string> bytes) {
  if (!bytes.ok()) return bytes.status();
  Answer answer;
  if (!answer.ParseFromString(*bytes)) return absl::DataLossError("the recorded answer is unreadable");
  return answer;
}

// Writes `orders` in one transaction: `together(tx, answers)` (run again from scratch if the transaction is
// retried) sets answers[i] for each order it wrote or answered from a record. Every order it left unanswered,
// or every order when the batch did not commit, runs `alone(order)`: a batch that did not commit wrote
// nothing, or, its COMMIT's answer lost, everything, and then each order alone finds its key recorded and
// answers from the record. A single order runs alone straight away. `committing` (group_commit.h) is called
// once the batch is written and only its COMMIT remains, or once it failed, before any order runs alone.
template <typename Answer, typename Order, typename Together, typename Alone>
std::vector<absl::StatusOr<Answer>> CommitTogetherElseAlone(db::Pool& pool, const std::vector<Order>& orders,
                                                            const Together& together, const Alone& alone,
                                                            const std::function<void()>& committing) {
  std::vector<absl::StatusOr<Answer>> out;
  out.reserve(orders.size());
  if (orders.size() == 1) {
    out.push_back(alone(orders[0]));
    return out;
  }
  std::vector<std::optional<absl::StatusOr<Answer>>> answers;
  const absl::Status batch = pool.Transaction([&](db::Session& tx) {
    answers.assign(orders.size(), std::nullopt);
    absl::Status written = together(tx, answers);
    if (written.ok()) committing();
    return written;
  });
  committing();
  for (size_t i = 0; i < orders.size(); ++i) {
    if (batch.ok() && answers[i]) {
      out.push_back(*std::move(answers[i]));
    } else {
      out.push_back(alone(orders[i]));
    }
  }
  return out;
}

}  // namespace shouhu

#endif  // SHOUHU_COMMON_IDEMPOTENT_BATCH_H_
