// The transactional outbox. A service appends events in the same transaction as the change they announce,
// so an event exists exactly when its change committed, and readers see events in one gapless sequence: a
// reader resuming after sequence N never later finds an N-1 appearing behind it.
//
// Sequence after commit. A producing transaction only inserts its event, with sequence NULL; the row's
// AUTO_INCREMENT `position` costs no lock held to COMMIT (InnoDB's auto-increment lock is released at the end
// of the INSERT). Committed events get their sequence afterwards, in batches, from the sequencer: a short
// transaction that locks the one counter row (outbox_sequence), takes the unsequenced events
// `ORDER BY position … FOR UPDATE SKIP LOCKED`, numbers them last+1, last+2, … and advances the counter.
// Readers (ReadAfter, LastSequence, the feed, StreamEvents, consumers) see sequenced events only.
// - No event is skipped and none numbered twice: sequencer transactions serialise on the counter row, each
//   numbers from where the last committed one stopped and commits its numbers all at once, so sequences
//   become visible in order, without gaps. A row is numbered once: the batch holds it FOR UPDATE and
//   `sequence IS NULL` is re-read under that lock. SKIP LOCKED skips only rows locked by a transaction in
//   flight; the only transactions that lock outbox rows are their producer (until it commits or rolls back)
//   and a sequencer (only while it holds the counter row, which this one now holds). So a committed,
//   unsequenced row is never skipped; a row still in flight is skipped and, once committed, numbered by a
//   later batch — an event whose position is lower than one already numbered simply gets a later sequence.
//   A rolled-back event never existed, so it leaves no gap.
// - Order per aggregate is kept: two transactions changing one aggregate serialise on its row lock, so the
//   later one's event commits after the earlier one's, and is numbered in the same or a later batch at a
//   higher position.
// - Several replicas: each runs its own sequencer; they take turns on the counter row per batch, not per
//   event. A replica still running the old code (Append locking the counter and writing its sequence) during
//   a rolling upgrade takes the same row, so the two mix safely.
// - When: the sequencer runs on its own thread, woken by every commit of this process that appended (then it
//   wakes the feed), and every `kSequencerPoll` for events committed by other replicas or left unsequenced
//   by a process that died between commit and sequencing.
//
// The cost: BEFORE_AFTER_FIGURES
#ifndef SHOUHU_COMMON_OUTBOX_H_
#define SHOUHU_COMMON_OUTBOX_H_

#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
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
  // Starts the sequencer thread.
  Outbox(db::Pool& pool, IdGenerator& ids, EventFeedOptions feed = {});
  // Stops the sequencer thread and waits for it.
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // In an open transaction: appends one event whose type is the payload's full message name. It takes no
  // lock that outlives the INSERT. Once the transaction commits, the sequencer numbers the event and then
  // wakes this process's stream followers (event_feed.h).
  absl::Status Append(db::Session& tx, absl::string_view aggregate_id,
                      const google::protobuf::Message& payload, absl::Time occurred_at);

  // Sequenced events with sequence > after, oldest first, at most `limit`.
  absl::StatusOr<std::vector<common::v1::Event>> ReadAfter(int64_t after, int limit);
  // The highest sequence given; 0 before the first event.
  absl::StatusOr<int64_t> LastSequence();

  // Numbers every committed, unsequenced event now (what the sequencer thread does when woken); returns how
  // many it numbered. For tests that read right after a commit, and safe beside any number of sequencers.
  absl::StatusOr<int64_t> SequencePending();

  // The one reader of this outbox that every StreamEvents follower of the process is served from.
  EventFeed& feed() { return feed_; }

 private:
  // Numbers at most `limit` events in one transaction; returns how many.
  absl::StatusOr<int64_t> SequenceBatch(int limit);
  void RunSequencer();
  bool WokenOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return woken_ || stopping_; }
  void WakeSequencer();

  db::Pool& pool_;
  IdGenerator& ids_;
  EventFeed feed_;
  absl::Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread sequencer_;  // last: started once everything it uses exists
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_OUTBOX_H_
