// Writes the PII access log with group commit. Every read of a child's personal data must be logged before
// its answer leaves, but a commit per read would cap reads at the database's commit rate. Readers hand their
// rows to one writer thread and wait; the writer commits everything that arrived while the previous commit
// was in flight in one transaction, so under load each commit carries many reads' rows.
#ifndef SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_
#define SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_

#include <functional>
#include <map>
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

namespace shouhu::registry {

struct AccessRecord {
  std::string subject;
  std::string organisation_id;
  std::string record_type;  // "child" or "referral"
  std::string record_id;
  std::string village_code;
  std::string fields;  // e.g. "name,birth_date,resident_id_masked,household,guardians"
  std::string purpose;
  std::string method;
  // The consent that allowed sharing the child's data beyond the case's organisation; empty when none was
  // needed.
  std::string consent_id;
};

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

  // Commits observed so far and rows they carried: the benchmark reports rows per commit.
  std::pair<int64_t, int64_t> CommitsAndRows();

 private:
  struct Batch {
    std::vector<AccessRecord> records;
    std::vector<Committed> then;  // RecordThen's callers, told after the commit
    bool done = false;
    absl::Status result;
  };

  void Run();
  absl::Status Write(const std::vector<AccessRecord>& records);
  absl::Status Insert(db::Session& session, const std::vector<AccessRecord>& records, size_t from,
                      size_t count, const std::string& at);

  db::Pool& pool_;
  const Clock& clock_;
  IdGenerator& ids_;
  // Only the writer thread touches these: its own connection, so the INSERT of each batch size is prepared
  // once on one connection rather than on every connection of the pool; and those INSERTs' text by size.
  std::optional<db::Lease> connection_;
  std::map<size_t, std::string> insert_sql_;

  absl::Mutex mu_;
  std::shared_ptr<Batch> open_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rows_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread writer_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_WRITER_H_
