// The transactional outbox. A service appends events in the same transaction as the change they announce,
// so an event exists exactly when its change committed; readers see them in one gapless sequence, and a
// reader resuming after sequence N never later finds an N-1 appearing behind it.
// Sequence after commit: a producing transaction only inserts its event (sequence NULL) at an AUTO_INCREMENT
// `position`, holding no lock to COMMIT (InnoDB releases the auto-increment lock at the end of the INSERT).
// The sequencer numbers committed events afterwards, in batches: a short transaction that locks the counter
// row (outbox_sequence), reads the unsequenced events `ORDER BY position` in one snapshot (a plain read),
// numbers them last+1, last+2, … and advances the counter. Readers (ReadAfter, LastSequence, the feed, StreamEvents,
// consumers) see sequenced events only.
// - None skipped, none numbered twice: sequencer transactions take turns on the counter row, each numbering
//   from where the last committed one stopped and committing its numbers at once, so sequences appear in
//   order without gaps; a batch reads `sequence IS NULL` while it holds the counter row, and only a
//   transaction holding that row sets a sequence, so what it read is still unnumbered when it numbers it.
//   The read is a snapshot: it neither waits for nor sees a transaction in flight, whose event a later batch
//   numbers once committed, so a lower position committing after a higher one simply gets a later sequence.
//   A rollback leaves no row, no gap.
// - Per aggregate, order is kept: two changes of one aggregate serialise on its row lock, so the later
//   one's event is inserted after the earlier one committed: a higher position, and in any snapshot that
//   holds it the earlier one is there too (or numbered already), so it is in the same or a later batch. A
//   locking read would not keep this (outbox.cc, kPending).
// - One sequencer per schema numbers at a time: the holder of a lease kept in the counter row itself
//   (outbox_sequence.holder, lease_until). A batch claims, renews or finds the lease under the row's lock and
//   numbers only if this Outbox holds it; the claim is a write of that row, which Galera certifies (row
//   locks there are node-local), so two replicas on two nodes never number side by side. A holder that
//   stops renewing (crashed) is replaced once its lease has run out; one that is destroyed releases it. The
//   lease only decides who does the work: numbering stays correct without it (the counter row), as with a
//   replica on older code during a rolling upgrade. Details and bounds in outbox.cc.
// - When: on its own thread, woken by each commit of this process that appended (it then wakes the feed),
//   but under load at most once per kSequencerSpacing (25 ms), and every kSequencerPoll for other
//   replicas' events or ones a crash left between commit and numbering; a non-holder's events are numbered
//   by the holder's poll.
// Cost, measured in one run each (2-core machine shared with compiles, load 6-9; MariaDB 10.11, durable
// commits): row-lock waits during the visits report bench fell from 30,832 (375 s waited, every sampled
// waiter on outbox_sequence) to 0. Reports/s at 16 / 64 callers: 1,619 / 1,319 before, 2,786 / 3,997 after,
// vs oltp_insert 16,614 / 22,597 (9.7% / 5.8% -> 16.8% / 17.7%). Allowance payments over 200 programs:
// 821 / 874 before, 1,130 / 1,313 after (oltp_insert 13,928 / 21,113): what is left there is not this row
// (no waiter on it after; program_balances for one program). Event latency: one sequencer commit more.
// The AUTO_INCREMENT is internal, never an ID; on engines that hand out auto-increment per node (Galera's
// offsets, TiDB) positions need not follow commit order across nodes, which per-aggregate order relies on.
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
#include "common/log.h"
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

  // One event of AppendAll; `payload` must outlive the call.
  struct Pending {
    std::string aggregate_id;
    const google::protobuf::Message* payload;
    absl::Time occurred_at;
  };
  // Append for many events in one INSERT, in their order (a group commit's events): the same rows, one
  // round trip.
  absl::Status AppendAll(db::Session& tx, const std::vector<Pending>& events);

  // Sequenced events with sequence > after, oldest first, at most `limit`.
  absl::StatusOr<std::vector<common::v1::Event>> ReadAfter(int64_t after, int limit);
  // The highest sequence given; 0 before the first event.
  absl::StatusOr<int64_t> LastSequence();

  // Numbers every committed, unsequenced event now if this Outbox holds (or can claim) the sequencer lease
  // (what the sequencer thread does when woken); returns how many it numbered, 0 on a non-holder. For tests
  // that read right after a commit, and safe beside any number of sequencers.
  absl::StatusOr<int64_t> SequencePending();

  // From now on the sequencer logs a failure to number events (the database away, a table missing) when it
  // starts, every minute while it lasts, and when it ends: until then events are committed but not
  // streamed, and an operator must be able to see why. Without a logger, failures are only retried.
  void ReportFailuresTo(Logger& log);

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
  const std::string holder_;  // this Outbox in the sequencer lease: host, process and a random part
  EventFeed feed_;
  absl::Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Logger* log_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread sequencer_;  // last: started once everything it uses exists
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_OUTBOX_H_
