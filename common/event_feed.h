// One reader of a service's outbox per process, fanning its events out to every StreamEvents follower
// without a thread per follower (the streams are callback-API reactors, event_stream.h).
//
// Why it is shaped so:
// - Wake-up: a commit that appended events wakes the reader at once (Outbox::Append registers
//   db::Session::AfterCommit), so a follower of this replica sees a local change after one table read, not
//   after a poll interval. Commits made by other replicas of the service reach the table without telling
//   this process, so the reader also polls, every `poll_interval`: 250 ms by default, about what the
//   per-follower loop it replaces polled (200 ms), now once per process instead of once per follower. An
//   empty poll is one primary-key range read that returns nothing: 15-23 us on the test MariaDB over its
//   Unix socket (1,000 polls took 0.015-0.023 s), so four a second cost nothing worth tuning.
// - Window: what the reader read stays in one shared, in-memory window of recent events, bounded by
//   `window_bytes` (8 MiB by default). The bound counts memory, not wire bytes: an event like the registry's
//   CaseAccepted is 270 bytes serialised but 623 bytes as a message in memory (SpaceUsedLong, measured), so
//   8 MiB holds some 12,000 recent events, minutes of the busiest lifecycle traffic. Followers at the tail
//   are served from it with no read of their own: 64 followers cost one table read per commit, not 64.
// - Flow control: each follower has its own cursor and at most one write in flight; the next event is
//   written when gRPC reports the last one written (OnWriteDone). A follower whose client stops reading
//   stops advancing (HTTP/2 flow control holds its one write) and holds nobody else back. When the window
//   moves past its cursor it catches up by reading the table itself, `read_batch` events at a time, on one
//   of `catch_up_threads` feed threads (never on a gRPC thread, never on the reader), then rejoins the
//   window. A follower that starts behind the window (resuming from sequence N) does the same.
// - Memory bound: the window's budget; the catch-up events read and not yet written, all followers
//   together, within `catch_up_bytes` (8 MiB by default; past it a catch-up read takes one event at a time,
//   so it slows, it never stops); and per follower its cursor and the one event being written. No fixed cap
//   on followers: a follower costs its call, a cursor and what it has in hand. Measured: 64 followers, each
//   sent all 210 events of a run in which four writers appended concurrently through a 4 KiB window (so most
//   of it via catch-up reads), finished in 0.24-0.38 s on the 2-core test machine, and the server's unary
//   calls were answered meanwhile (tests/integration/common/event_stream_test.cc).
//
// Ordering: the outbox gives sequences in commit order (outbox.h), so reading `sequence > last` never
// skips an event that commits later with a smaller sequence; every follower receives strictly increasing
// sequences with nothing skipped and nothing twice, whether an event came from the window or the table.
#ifndef SHOUHU_COMMON_EVENT_FEED_H_
#define SHOUHU_COMMON_EVENT_FEED_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/worker_pool.h"
#include "shouhu/common/v1/events.pb.h"

namespace shouhu {

struct EventFeedOptions {
  // The shared window of recent events, in bytes of memory (each event's SpaceUsedLong plus its slot).
  size_t window_bytes = size_t{8} << 20;
  // The fallback read for commits this process was not told about (other replicas').
  absl::Duration poll_interval = absl::Milliseconds(250);
  // Events per table read, the reader's and a catching-up follower's.
  int read_batch = 256;
  // Events read from the table for catching-up followers and not yet written, all followers together.
  // Beyond it a follower's catch-up read takes one event at a time: slower, never stopped, so a crowd of
  // stalled followers cannot hold memory without bound nor keep the others from catching up.
  size_t catch_up_bytes = size_t{8} << 20;
  // Threads that read the table for followers behind the window.
  int catch_up_threads = 2;
};

// One stream the feed writes to (event_stream.h's reactor). The feed calls Write at most once until the
// follower reports EventFeed::WriteDone, and End once, last, after which it never touches the follower
// again. It never calls either with its lock held.
class EventFollower {
 public:
  virtual ~EventFollower() = default;
  virtual void Write(const common::v1::Event& event) = 0;
  virtual void End(const absl::Status& status) = 0;
};

class EventFeed {
 public:
  // Events with sequence > after, oldest first, at most `limit` (Outbox::ReadAfter).
  using ReadAfter = std::function<absl::StatusOr<std::vector<common::v1::Event>>(int64_t after, int limit)>;
  // The highest committed sequence, 0 when there is none.
  using LastSequence = std::function<absl::StatusOr<int64_t>()>;

  EventFeed(ReadAfter read_after, LastSequence last_sequence, EventFeedOptions options = {});
  // Every follower must have ended first (the server stopped); stops the reader.
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // Events were committed: read now rather than at the next poll. Cheap; callable from any thread.
  void Wake();

  // Streams every event with sequence > `after` to `follower`, in order, until it ends. UNAVAILABLE once
  // EndStreams was called. Starts the reader on first use.
  absl::Status Attach(EventFollower* follower, int64_t after);
  // The follower's write finished; `ok` false means the call is broken, and its stream ends.
  void WriteDone(EventFollower* follower, bool ok);
  // The call was cancelled: its stream ends once its write or read in flight is done. A follower not
  // attached (or already ended) is ignored.
  void Cancel(EventFollower* follower);
  // The server drains: every stream ends UNAVAILABLE (its client resumes elsewhere after the last sequence
  // it received) once its write in flight is done, and new ones are refused.
  void EndStreams();

  // The last sequence the reader has seen, once it has looked at the table.
  std::optional<int64_t> LastKnownSequence();
  // Streams attached and not yet ended.
  size_t FollowerCount();
  // What the window holds now, in the bytes counted against its budget.
  size_t WindowBytes();
  // Table reads made so far for followers behind the window.
  uint64_t CatchUpReads();

 private:
  // An event in memory, with what it counts against its budget (computed once, when it is read).
  struct Held {
    std::shared_ptr<const common::v1::Event> event;
    size_t cost = 0;
  };
  struct Cursor {
    int64_t after = 0;  // the last sequence handed to the follower
    enum class State { kIdle, kWriting, kReading } state = State::kIdle;
    std::optional<absl::Status> end;  // set: end the stream once nothing is in flight
    bool read_to_table_end = false;   // its last table read found no more (before the reader starts)
    std::deque<Held> backlog;         // read from the table, not yet written
  };
  // What to do with one follower: decided under the lock, done outside it.
  struct Step {
    enum class Kind { kNone, kWrite, kRead, kEnd } kind = Kind::kNone;
    EventFollower* follower = nullptr;
    std::shared_ptr<const common::v1::Event> event;
    int64_t after = 0;
    int limit = 0;
    absl::Status status;
  };

  Step Decide(EventFollower* follower, Cursor& cursor) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<Step> DecideForIdle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(Step step);
  void ReadDone(EventFollower* follower, int limit, absl::StatusOr<std::vector<common::v1::Event>> events);
  void RunReader();
  bool WokenOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return woken_ || stopping_; }
  // Wraps events for the window or a backlog, costed.
  static std::vector<Held> Hold(std::vector<common::v1::Event> events);
  // Appends what the reader read and evicts beyond the budget; returns the steps it made possible.
  std::vector<Step> Append(std::vector<common::v1::Event> events);

  const ReadAfter read_after_;
  const LastSequence last_sequence_;
  const EventFeedOptions options_;

  absl::Mutex mu_;
  absl::flat_hash_map<EventFollower*, Cursor> followers_ ABSL_GUARDED_BY(mu_);
  // The window holds every event with floor_ < sequence <= last_, oldest first.
  std::deque<Held> window_ ABSL_GUARDED_BY(mu_);
  size_t window_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  size_t backlog_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // every cursor's backlog
  int64_t floor_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_ ABSL_GUARDED_BY(mu_) = 0;
  bool reader_ready_ ABSL_GUARDED_BY(mu_) = false;  // floor_ and last_ are known
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t catch_up_reads_ ABSL_GUARDED_BY(mu_) = 0;
  // Started by the first Attach, under mu_, so a feed nobody follows costs no thread.
  std::thread reader_;
  std::unique_ptr<WorkerPool> catch_up_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_EVENT_FEED_H_
