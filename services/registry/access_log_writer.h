// Writes the PII access log with group commit. Every read of a child's personal data must be logged before
// its answer leaves, but a commit per read would cap reads at the database's commit rate. Readers hand their
// reads to the log and wait; a committer writes everything that arrived while the previous batch was in
// flight in one transaction, so under load each commit carries many reads. Each read is one row of
// pii_access_reads naming its records, and each record one row of the narrow pii_access_records_by_week (who
// read this record, under the read's week), both in that transaction (migrations 0044 and 0050,
// access_log_entries.h).
//
// The queue is the services' group commit (common/group_commit.h): readers are answered on its answering
// thread, not the committer's, so finishing a page of 50 children never delays the next batch; and it is
// bounded, so a flood of reads the database cannot keep up with is refused (RESOURCE_EXHAUSTED) instead of
// growing the queue and every reader's wait. One committer: entry ids are given as a batch is written and
// must become visible in their order (an auditor pages the log by id, and a lower id committed after a
// higher one had been read would be skipped), which batches committing in turn could not promise. Across
// replicas, each with its writer and its clock, the order is kept by the log's turn row (migration 0049): a
// batch commits holding it, and only with ids above every id logged before it. (Several committers in one
// process, measured on the full-size data set, cost more CPU than they saved: tests/bench/README.md, Scale.)
//
// A read of one child (GetChild) can be handed over before the child is read (ReadChildThen): the batch's
// children are then read in the log's own transaction, with one statement for all of them, and each reader's
// `decide` turns its child into the read to log or the error to answer. A read by itself on a call worker
// cost a hand-off to the worker and a round trip of its own on top of the log's (issue 14: GetChild at 64
// callers ran at a quarter of the no-SQL call's rate).
#ifndef SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_
#define SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/group_commit.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"
#include "services/registry/access_log_entries.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::registry {

// One database node the log is written through (AccessLogWriter's constructor says why), and where the writer
// says when it leaves that node for the main endpoint and when it comes back.
struct LogNode {
  db::Pool* pool = nullptr;
  Logger* log = nullptr;
};

class AccessLogWriter {
 public:
  // Reads the children of `ids` (distinct) on the log's session, inside its transaction: those found, by id,
  // each with the error that kept it from being read whole (a resident id that cannot be opened) where there
  // is one, so that one bad record fails its own readers and not the batch's others.
  using FoundChildren = absl::flat_hash_map<std::string, absl::StatusOr<v1::Child>>;
  using ReadChildren =
      std::function<absl::StatusOr<FoundChildren>(db::Session&, const std::vector<std::string>& ids)>;
  // Given the child read (nullopt when there is none), what the reader is shown and logs: the read to log,
  // or the error to answer instead (nothing is logged then). Called on the committer: quick, never blocking.
  using DecideRead = std::function<absl::StatusOr<AccessRead>(std::optional<v1::Child>)>;

  // `read_children` serves ReadChildThen; a writer without it refuses such reads (INTERNAL). `node.pool`,
  // when given, is one database node every replica's writer goes through (on Galera: their batches then meet
  // on the turn row's lock on that node, instead of in certification, where one of them is aborted and
  // written again); when it fails a batch (down, not Synced), the writer goes through `pool` (any node; the
  // turn keeps the order either way), says so on `node.log`, and tries the node again after kPreferredPause.
  // On `metrics`, when given, what an operator watches the log by: shouhu_access_log_wait_seconds (a read
  // handed over until its batch committed: what every read of PII waits for beyond its own SQL),
  // shouhu_access_log_batch_seconds (a batch written and committed, its count the log's commits), and, with a
  // node, shouhu_access_log_on_node (1 through it, 0 through the main endpoint) and
  // shouhu_access_log_node_departures_total, for an alert that a log line cannot raise.
  AccessLogWriter(db::Pool& pool, const Clock& clock, IdGenerator& ids, ReadChildren read_children = nullptr,
                  LogNode node = {}, Metrics* metrics = nullptr);

  // Called once with the commit's result: OK once the rows are durable, or the error that failed them (the
  // read must then fail too).
  using Committed = std::function<void(absl::Status)>;

  // Blocks until the rows are committed (OK) or the commit failed (the read must then fail too).
  absl::Status Record(std::vector<AccessRecord> records);
  // As Record, without holding the caller's thread while the commit is in flight: `committed` runs on the
  // log's answering thread after the batch's commit (or at once on the caller's, when the log refuses the
  // read), so it must be quick and must not block (finishing a gRPC call is). A reader that waited on its
  // commit held a call worker idle for a whole fsync, so readers were bound by workers x commits, not by the
  // database (issue 14: GetChild at 64 callers ran at 10% of the no-SQL call).
  void RecordThen(std::vector<AccessRecord> records, Committed committed);
  // As RecordThen, for one read of many records (its reader, fields and purpose given once).
  void RecordThen(AccessRead read, Committed committed);
  // As RecordThen, for a read of the child `child_id` that the log's transaction reads first: `decide`
  // (on the committer) makes the read to log from it, and `committed` gets OK once that read is durable,
  // decide's error (nothing logged), or the error that failed the batch.
  void ReadChildThen(std::string child_id, DecideRead decide, Committed committed);

  // Commits observed so far and the records they carried: the benchmark reports records per commit.
  std::pair<int64_t, int64_t> CommitsAndRows();
  // Whether the last batch went through the preferred node.
  bool OnPreferredNode() const { return on_preferred_.load(); }

 private:
  // What one caller hands in: its reads, logged together (a read is in the log whole or not at all), or a
  // child to read and the decision that makes its read.
  using Reads = std::vector<AccessRead>;
  struct ChildLookup {
    std::string child_id;
    DecideRead decide;
  };
  struct Order {
    Reads reads;
    std::optional<ChildLookup> lookup;
  };
  struct Logged {};

  // A batch as written: each order's answer (OK, or its decision's error) and the records logged.
  struct Written {
    std::vector<absl::StatusOr<Logged>> answers;
    int64_t records = 0;
  };

  void Submit(Order order, Committed committed);
  std::vector<absl::StatusOr<Logged>> WriteBatch(const std::vector<Order>& batch);
  absl::StatusOr<Written> Write(db::Session& session, const std::vector<Order>& batch);
  // With `turn_first`, the log's turn is held from the start (its highest id read with a lock, this batch's
  // ids given above it), so TakeTurn cannot be refused on one server. `overtaken` as TakeTurn sets it.
  absl::StatusOr<Written> WriteInTransaction(db::Session& session, const std::vector<Order>& batch,
                                             bool turn_first, bool& overtaken);
  // The batch's place in the log's order, its ids running from `first_id` to `last_id` (migration 0049):
  // ABORTED, with the ids raised above the log's highest and `overtaken` set, when another writer has logged
  // higher ids.
  absl::Status TakeTurn(db::Session& session, const std::string& first_id, const std::string& last_id,
                        bool& overtaken);
  // Reads the log's highest id with a lock on the turn (held to the transaction's end) and gives the ids that
  // follow above it.
  absl::Status RaiseAboveTurn(db::Session& session);
  // The reads of the batch's lookups, decided on the children read on `session`: decided[i] for batch[i]
  // when it is a lookup.
  absl::StatusOr<std::vector<std::optional<absl::StatusOr<AccessRead>>>> DecideLookups(
      db::Session& session, const std::vector<Order>& batch);

  // A connection for the next batches: the preferred node's unless it failed within kPreferredPause.
  absl::StatusOr<db::Lease> LeaseConnection();
  // The preferred node failed (`why`): through the main pool until kPreferredPause has passed, said on
  // node_log_.
  void LeavePreferred(const absl::Status& why);

  db::Pool& pool_;
  db::Pool* const preferred_;
  Logger* const node_log_;
  Metrics* const metrics_;
  const Clock& clock_;
  IdGenerator& ids_;
  const ReadChildren read_children_;
  absl::BitGen retry_jitter_;  // only the committer's thread uses it
  // Only the committer touches it: its own connection, kept between batches, so the INSERTs' few texts
  // (padded sizes, PaddedLogRows) are prepared once on it rather than on every connection of the pool.
  std::optional<db::Lease> connection_;
  // Only the committer writes these: whether connection_ is the preferred node's, and when to try it again
  // (InfinitePast until it first fails, and again once it is back).
  std::atomic<bool> on_preferred_{false};
  absl::Time try_preferred_at_ = absl::InfinitePast();
  absl::Mutex mu_;
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rows_ ABSL_GUARDED_BY(mu_) = 0;
  // Last: its committer uses everything above, and its destructor writes what is queued.
  GroupCommit<Order, Logged> queue_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_
