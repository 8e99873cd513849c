// Writes the audit trail in batches from one background thread, so a call never waits on an insert. When the
// database is down rows wait in a bounded queue; beyond the bound the oldest are dropped and counted (the
// shouhu_gateway_audit_dropped_total metric) rather than letting memory grow without limit.
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

namespace shouhu::gateway {

class AuditWriter {
 public:
  AuditWriter(GatewayStore& store, Logger& logger, Metrics& metrics,
              absl::Duration flush_interval = absl::Milliseconds(200), size_t max_queued = 100000);
  ~AuditWriter();  // writes what is queued, then stops

  void Record(AuditRecord record);
  // Blocks until everything recorded so far has been written (or the attempt failed); for tests and shutdown.
  void Flush();

 private:
  void Run();
  // Writes one batch; returns false on a database error (the rows are put back).
  bool WriteBatch();

  GatewayStore& store_;
  Logger& logger_;
  Metrics& metrics_;
  const absl::Duration flush_interval_;
  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<AuditRecord> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t recorded_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t settled_ ABSL_GUARDED_BY(mu_) = 0;  // written or dropped
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex write_mu_;  // one batch in flight
  std::thread thread_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_AUDIT_WRITER_H_
