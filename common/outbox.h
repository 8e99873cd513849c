// The transactional outbox. A service appends events in the same transaction as the change they announce,
// so an event exists exactly when its change committed. Sequence numbers come from one counter row locked
// at the end of the transaction: commits that produce events are ordered by it, and a reader resuming after
// sequence N can never later find an N-1 appearing behind it. The cost is that event-producing commits of
// one service serialise on that row for the duration of their COMMIT; acceptable for the lifecycle changes
// that produce events, and the reason high-volume writes (referral intake, access logs) produce none.
#ifndef SHOUHU_COMMON_OUTBOX_H_
#define SHOUHU_COMMON_OUTBOX_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/event_feed.h"
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
  Outbox(db::Pool& pool, IdGenerator& ids, EventFeedOptions feed = {});

  // In an open transaction: appends one event whose type is the payload's full message name. Call it as the
  // transaction's last statement, to hold the sequence row as briefly as possible. Once the transaction
  // commits, this process's stream followers are woken (event_feed.h).
  absl::Status Append(db::Session& tx, absl::string_view aggregate_id,
                      const google::protobuf::Message& payload, absl::Time occurred_at);

  // Events with sequence > after, oldest first, at most `limit`.
  absl::StatusOr<std::vector<common::v1::Event>> ReadAfter(int64_t after, int limit);
  // The highest committed sequence; 0 before the first event.
  absl::StatusOr<int64_t> LastSequence();

  // The one reader of this outbox that every StreamEvents follower of the process is served from.
  EventFeed& feed() { return feed_; }

 private:
  db::Pool& pool_;
  IdGenerator& ids_;
  EventFeed feed_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_OUTBOX_H_
