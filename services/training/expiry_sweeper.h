// Writes CertificationExpired on the day a certificate stops being valid, not only when someone happens to
// read it. A periodic job (common/periodic_job.h) sweeps once per period across all replicas: the sweep asks
// the store for certificates whose expiry day (Asia/Shanghai) has arrived and whose event is unwritten, and
// marks each in the transaction that appends its event — so a run taken over from a crashed replica, or an
// explicit SweepOnce racing the job, still writes each event once.
#ifndef SHOUHU_SERVICES_TRAINING_EXPIRY_SWEEPER_H_
#define SHOUHU_SERVICES_TRAINING_EXPIRY_SWEEPER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "common/periodic_job.h"
#include "services/training/training_store.h"

namespace shouhu::training {

// A sweep per minute: the expiry rule is day-granular, and a minute bounds how late an event of a
// certificate recorded with a past expiry day (a late-recorded session) can be.
inline constexpr absl::Duration kExpirySweepPeriod = absl::Minutes(1);
// Far longer than a sweep takes (a few hundred certificates a day per county); only a crashed sweep waits it.
inline constexpr absl::Duration kExpirySweepLease = absl::Minutes(10);

class ExpirySweeper {
 public:
  ExpirySweeper(db::Pool& pool, TrainingStore& store, const Clock& clock, Logger& logger,
                absl::Duration period = kExpirySweepPeriod);

  // Polls every `poll` on a thread of its own until destroyed; sweeps when this replica claims the period.
  void Start(absl::Duration poll);
  // The periodic job's step: sweeps when the current period (or an abandoned one) is this replica's to run.
  absl::StatusOr<std::optional<PeriodicRun>> SweepIfDue();
  // One sweep for today in Asia/Shanghai, whatever the job has done; returns the number of events written.
  absl::StatusOr<int> SweepOnce();

 private:
  TrainingStore& store_;
  const Clock& clock_;
  Logger& logger_;
  PeriodicJob job_;  // last: its thread stops before the rest goes
};

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_EXPIRY_SWEEPER_H_
