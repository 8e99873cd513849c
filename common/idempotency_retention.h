// How long a request id is remembered. Idempotency records (idempotency.h) make a retry safe for as long as
// they are kept; kept forever they grow with every mutation ever made. A record is dropped once it is older
// than the retention, which must outlast any retry a client still makes: field devices upload what they
// held through a weekend without signal, and a county's integration may re-send a failed batch days later.
// After that, the same request id is a new request.
#ifndef SHOUHU_COMMON_IDEMPOTENCY_RETENTION_H_
#define SHOUHU_COMMON_IDEMPOTENCY_RETENTION_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "common/periodic_job.h"

namespace shouhu {

// The shortest retention a service accepts: a fortnight covers a weekend offline and a week's slack.
inline constexpr absl::Duration kMinimumIdempotencyRetention = absl::Hours(24 * 14);

// Deletes the records made before `cutoff`, `batch` rows per transaction so no one transaction holds many
// locks or a long undo log. Returns how many went.
absl::StatusOr<int64_t> PurgeIdempotencyRecords(db::Pool& pool, absl::Time cutoff, int batch = 5000);

// Purges once a day (Asia/Shanghai) across all replicas (periodic_job.h), everything older than `retention`
// at the start of that day.
class IdempotencyRetention {
 public:
  IdempotencyRetention(db::Pool& pool, const Clock& clock, absl::Duration retention, std::string replica);

  // One day's purge, if it is due here (PeriodicJob::RunDue).
  absl::StatusOr<std::optional<PeriodicRun>> RunDue() { return job_.RunDue(); }
  void Start(absl::Duration poll, Logger& logger) { job_.Start(poll, logger); }

 private:
  PeriodicJob job_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_IDEMPOTENCY_RETENTION_H_
