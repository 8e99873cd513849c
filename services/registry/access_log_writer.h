// Writes the PII access log with group commit. Every read of a child's personal data must be logged before
// its answer leaves, but a commit per read would cap reads at the database's commit rate. Readers hand their
// reads to the log and wait; a committer writes everything that arrived while the previous batch was in
// flight in one transaction, so under load each commit carries many reads. Each read is one row of
// pii_access_reads naming its records, and each record one row of the narrow pii_access_records (who read
// this record), both in that transaction (migration 0044, access_log_entries.h).
//
// The queue is the services' group commit (common/group_commit.h): readers are answered on its answering
// thread, not the committer's, so finishing a page of 50 children never delays the next batch; and it is
// bounded, so a flood of reads the database cannot keep up with is refused (RESOURCE_EXHAUSTED) instead of
// growing the queue and every reader's wait. One committer: entry ids are given as a batch is written and
// must become visible in their order (an auditor pages the log by id, and a lower id committed after a
// higher one had been read would be skipped), which batches committing in turn could not promise.
#ifndef SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_
#define SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/group_commit.h"
#include "common/ids.h"
#include "services/registry/access_log_entries.h"

namespace shouhu::registry {

class AccessLogWriter {
 public:
  AccessLogWriter(db::Pool& pool, const Clock& clock, IdGenerator& ids);

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

  // Commits observed so far and the records they carried: the benchmark reports records per commit.
  std::pair<int64_t, int64_t> CommitsAndRows();

 private:
  // What one caller hands in: its reads, logged together (a read is in the log whole or not at all).
  using Reads = std::vector<AccessRead>;
  struct Logged {};

  void Submit(Reads reads, Committed committed);
  std::vector<absl::StatusOr<Logged>> WriteBatch(const std::vector<Reads>& batch);
  absl::Status Write(db::Session& session, const std::vector<Reads>& batch);

  db::Pool& pool_;
  const Clock& clock_;
  IdGenerator& ids_;
  // Only the committer touches it: its own connection, kept between batches, so the INSERTs' few texts
  // (padded sizes, PaddedLogRows) are prepared once on it rather than on every connection of the pool.
  std::optional<db::Lease> connection_;
  absl::Mutex mu_;
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rows_ ABSL_GUARDED_BY(mu_) = 0;
  // Last: its committer uses everything above, and its destructor writes what is queued.
  GroupCommit<Reads, Logged> queue_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_
