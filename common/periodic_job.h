// Work that must run once per period across all replicas of a service (training's certificate-expiry sweep,
// visits' overdue sweep, allowance's monthly roster). Each run is claimed by a row in `periodic_runs`
// (job, period start): the first replica to insert it runs the period; the others see the row and skip. A
// claim holds a lease: a claimant that crashes leaves its run unfinished, and once the lease has run out
// another replica takes the run over — even after its period has ended, so no period is silently lost. No
// GET_LOCK and no LOCK TABLES (Galera supports neither): only single-row INSERT and conditional UPDATE, whose
// conflicts on Galera fail as deadlocks and are retried like any other.
//
// The work itself runs outside the claiming transaction and must tolerate being run again for the same
// period (a takeover after a claimant died mid-way): make each of its effects idempotent, as the expiry
// sweep does by marking each certificate in the transaction that writes its event.
#ifndef SHOUHU_COMMON_PERIODIC_JOB_H_
#define SHOUHU_COMMON_PERIODIC_JOB_H_

#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"

namespace shouhu {

// One period of a job, as handed to its work.
struct PeriodicRun {
  absl::Time period_start;
  absl::Time period_end;
  int attempt = 1;  // 2 and more: a takeover of a run whose claimant's lease ran out
};

// Where the period containing an instant starts and ends.
struct Schedule {
  std::function<absl::Time(absl::Time)> period_start;
  std::function<absl::Time(absl::Time)> next_start;

  // Periods of `length` counted from the Unix epoch (UTC): every minute, every hour, …
  static Schedule Every(absl::Duration length);
  // Calendar days in `zone` (Asia/Shanghai days for the services).
  static Schedule Daily(absl::TimeZone zone);
};

// This process in a job's claims: "<service>@<host name>", the pod's name under Kubernetes.
std::string ReplicaName(absl::string_view service);

class PeriodicJob {
 public:
  using Work = std::function<absl::Status(const PeriodicRun&)>;

  // `name` identifies the job in periodic_runs (at most 64 characters); `replica` names this process in
  // claims (for the logs; several jobs in one process may share it). A claim lasts `lease`: choose it longer
  // than the work ever takes, or a slow claimant will see its run taken over while it still works.
  PeriodicJob(db::Pool& pool, const Clock& clock, std::string name, Schedule schedule, absl::Duration lease,
              std::string replica, Work work);
  // Stops the thread, if started, and waits for it.
  ~PeriodicJob();
  PeriodicJob(const PeriodicJob&) = delete;
  PeriodicJob& operator=(const PeriodicJob&) = delete;

  // Runs whatever is due now on this replica: first an abandoned run (unfinished, lease over) of an earlier
  // or the current period, else the current period's run unless another replica has claimed it. Returns the
  // run this call did, or nullopt when nothing was due here. A failed work releases its claim at once, so
  // the next call on any replica tries again.
  absl::StatusOr<std::optional<PeriodicRun>> RunDue();

  // Calls RunDue now and then every `poll` on a thread of its own until destroyed, logging failures.
  void Start(absl::Duration poll, Logger& logger);

 private:
  struct Claim;
  absl::StatusOr<std::optional<Claim>> ClaimAbandoned(absl::Time now);
  absl::StatusOr<std::optional<Claim>> ClaimCurrent(absl::Time now);
  absl::StatusOr<std::optional<PeriodicRun>> RunClaimed(const Claim& claim);

  db::Pool& pool_;
  const Clock& clock_;
  const std::string name_;
  const Schedule schedule_;
  const absl::Duration lease_;
  const std::string replica_;
  const Work work_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_PERIODIC_JOB_H_
