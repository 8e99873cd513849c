// The duty supervisor's alert for a visitor who went into a household and never checked out: a periodic job
// (common/periodic_job.h) that, once per period across all replicas, raises VisitCheckOutMissing for every
// visit checked in and not checked out `check_out_grace` after its slot ended. Each alert is raised in the
// transaction that marks its visit (FieldVisitStore::RaiseMissingCheckOuts), so a takeover, a second replica
// or an explicit SweepOnce racing the job raise it once.
#ifndef SHOUHU_SERVICES_VISITS_CHECK_OUT_WATCH_H_
#define SHOUHU_SERVICES_VISITS_CHECK_OUT_WATCH_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "common/periodic_job.h"
#include "services/visits/field_visit_rules.h"
#include "services/visits/field_visit_store.h"

namespace shouhu::visits {

// Far longer than a sweep takes (a county's weekend holds a few hundred visits); only a crashed sweep waits.
inline constexpr absl::Duration kCheckOutSweepLease = absl::Minutes(10);

class CheckOutWatch {
 public:
  // One sweep per `period` across the replicas.
  CheckOutWatch(db::Pool& pool, FieldVisitStore& store, VisitTimes times, const Clock& clock, Logger& logger,
                absl::Duration period);

  // Polls every `poll` on a thread of its own until destroyed.
  void Start(absl::Duration poll);
  // The job's step: sweeps when the current period (or an abandoned one) is this replica's to run.
  absl::StatusOr<std::optional<PeriodicRun>> SweepIfDue();
  // One sweep now, whatever the job has done; returns the alerts raised.
  absl::StatusOr<int> SweepOnce();

 private:
  FieldVisitStore& store_;
  const VisitTimes times_;
  const Clock& clock_;
  Logger& logger_;
  PeriodicJob job_;  // last: its thread stops before the rest goes
};

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_CHECK_OUT_WATCH_H_
