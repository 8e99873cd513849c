// Writes the PII access log with group commit. Every read of a child's personal data must be logged before
// its answer leaves, but a commit per read would cap reads at the database's commit rate. Readers hand their
// records to one writer thread and wait; the writer commits everything that arrived while the previous commit
// was in flight in one transaction, so under load each commit carries many reads. Each read is one row of
// pii_access_reads naming its records, and each record one row of the narrow pii_access_records (who read
// this record), both in that transaction (migration 0044, access_log_entries.h).
#ifndef SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_
#define SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/ids.h"
#include "services/registry/access_log_entries.h"

namespace shouhu::registry {

class AccessLogWriter {
 public:
  AccessLogWriter(db::Pool& pool, const Clock& clock, IdGenerator& ids);
  ~AccessLogWriter();

  // Called once with the commit's result: OK once the rows are durable, or the error that failed them (the
  // read must then fail too).
  using Committed = std::function<void(absl::Status)>;

  // Blocks until the rows are committed (OK) or the commit failed (the read must then fail too).
  absl::Status Record(std::vector<AccessRecord> records);
  // As Record, without holding the caller's thread while the commit is in flight: `committed` runs on the
  // writer's thread after the batch's commit, so it must be quick and must not block (finishing a gRPC call
  // is). A reader that waited on its commit held a call worker idle for a whole fsync, so readers were bound
  // by workers x commits, not by the database (issue 14: GetChild at 64 callers ran at 10% of the no-SQL
  // call).
  void RecordThen(std::vector<AccessRecord> records, Committed committed);
  // As RecordThen, for one read of many records (its reader, fields and purpose given once).
  void RecordThen(AccessRead read, Committed committed);

  // Commits observed so far and the records they carried: the benchmark reports records per commit.
  std::pair<int64_t, int64_t> CommitsAndRows();

 private:
  struct Batch {
    std::vector<AccessRead> reads;
    std::vector<Committed> then;  // RecordThen's callers, told after the commit
    bool done = false;
    absl::Status result;
  };

  void Run();
  absl::Status Write(std::vector<AccessRead>& reads);
  db::Pool& pool_;
  const Clock& clock_;
  IdGenerator& ids_;
  // Only the writer thread touches it: its own connection, so the INSERTs' few texts (power-of-two chunks,
  // common/batch_statements.h) are prepared once on one connection rather than on every connection of the
  // pool.
  std::optional<db::Lease> connection_;

  absl::Mutex mu_;
  std::shared_ptr<Batch> open_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rows_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread writer_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_
