// Writes the audit trail in batches from one background thread, so a call never waits on an insert.
//
// A row is written exactly once: the insert is idempotent on the row's id (gateway_store.cc), so a batch
// whose answer was lost (the database committed it, then died before replying) is simply written again. A
// failed batch is retried with backoff, 100 ms doubling to 5 s. While the database is unreachable
// (UNAVAILABLE) the batch waits for it, however long: rows queue behind it in a bounded queue, and beyond the
// bound the oldest are dropped. Any other failure drops the batch after max_attempts. At Stop, what is still
// queued is written for up to stop_bound and the rest dropped. Every dropped row is counted in
// shouhu_gateway_audit_dropped_total and logged as an error: a gap in the audit trail is never silent.
//
// Calls the gateway refused before any service saw them (no or refused credentials, a method nobody serves, a
// caller's roles or rate limit) are written one by one up to a budget per caller (or, unidentified, per
// source) and window, the rest folded into one row per caller and window (refused_call_rows.h), so that
// nobody, with credentials or without, can fill the table or the queue with refusals; the calls so folded are
// counted in shouhu_gateway_audit_folded_total.
#ifndef SHOUHU_SERVICES_GATEWAY_AUDIT_WRITER_H_
#define SHOUHU_SERVICES_GATEWAY_AUDIT_WRITER_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/metrics.h"
#include "services/gateway/gateway_store.h"
#include "services/gateway/refused_call_rows.h"

namespace shouhu::gateway {

struct AuditWriterOptions {
  absl::Duration flush_interval = absl::Milliseconds(200);
  size_t max_queued = 100000;
  // For failures other than an unreachable database (which are retried until it is back).
  int max_attempts = 5;
  absl::Duration first_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // How long Stop keeps writing what is queued: well inside a pod's termination grace.
  absl::Duration stop_bound = absl::Seconds(5);
  RefusedCallLimits refused;
};

class AuditWriter {
 public:
  AuditWriter(GatewayStore& store, Logger& logger, Metrics& metrics, AuditWriterOptions options = {});
  ~AuditWriter();  // Stop()

  // Queues a row; after Stop it is counted as dropped.
  void Record(AuditRecord record);
  // Blocks until everything recorded so far has been written (the folded rows of windows not yet ended
  // too), or until a write attempt made meanwhile has failed (it will be retried). For tests.
  void Flush();
  // Writes what is queued for up to stop_bound, counts the rest as dropped, and ends the writer thread.
  void Stop();

 private:
  void Run();
  void DropLocked(size_t rows, absl::string_view why, const absl::Status& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void QueueLocked(AuditRecord record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void QueueFoldedLocked(std::vector<AuditRecord> rows) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  GatewayStore& store_;
  Logger& logger_;
  Metrics& metrics_;
  const AuditWriterOptions options_;
  absl::Mutex mu_;
  std::deque<AuditRecord> queue_ ABSL_GUARDED_BY(mu_);
  RefusedCallRows refused_ ABSL_GUARDED_BY(mu_);
  uint64_t recorded_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t settled_ ABSL_GUARDED_BY(mu_) = 0;   // written or dropped
  uint64_t failures_ ABSL_GUARDED_BY(mu_) = 0;  // failed write attempts
  int flush_waiters_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time stop_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  uint64_t overflow_unlogged_ ABSL_GUARDED_BY(mu_) = 0;  // dropped for a full queue since the last log line
  absl::Time overflow_logged_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_AUDIT_WRITER_H_
