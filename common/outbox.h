// The transactional outbox. A service appends events in the same transaction as the change they announce,
// so an event exists exactly when its change committed. Sequence numbers come from one counter row locked
// at the end of the transaction: commits that produce events are ordered by it, and a reader resuming after
// sequence N can never later find an N-1 appearing behind it. The cost is that event-producing commits of
// one service serialise on that row for the duration of their COMMIT; acceptable for the lifecycle changes
// that produce events, and the reason high-volume writes (referral intake, access logs) produce none.
#ifndef SHOUHU_COMMON_OUTBOX_H_
#define SHOUHU_COMMON_OUTBOX_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "google/protobuf/message.h"
#include "shouhu/common/v1/events.pb.h"

namespace shouhu {

namespace db {
class Pool;
class Session;
}  // namespace db

class Outbox {
 public:
  // A follower holds a server thread for as long as it streams (the services use the synchronous API), so
  // at most `max_followers` may follow at once; more get RESOURCE_EXHAUSTED instead of starving other calls.
  Outbox(db::Pool& pool, IdGenerator& ids, int max_followers = 4)
      : pool_(pool), ids_(ids), max_followers_(max_followers) {}

  // In an open transaction: appends one event whose type is the payload's full message name. Call it as the
  // transaction's last statement, to hold the sequence row as briefly as possible.
  absl::Status Append(db::Session& tx, absl::string_view aggregate_id,
                      const google::protobuf::Message& payload, absl::Time occurred_at);

  // Events with sequence > after, oldest first, at most `limit`.
  absl::StatusOr<std::vector<common::v1::Event>> ReadAfter(int64_t after, int limit);

  // Sends every event after `after` through `send`, then waits for new ones, polling every `poll`, until
  // `send` returns false or `stopped` returns true.
  absl::Status Follow(int64_t after, const std::function<bool(const common::v1::Event&)>& send,
                      const std::function<bool()>& stopped, absl::Duration poll = absl::Milliseconds(200));

 private:
  db::Pool& pool_;
  IdGenerator& ids_;
  const int max_followers_;
  std::atomic<int> followers_{0};
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_OUTBOX_H_
