#include "services/visits/check_out_watch.h"

#include "absl/strings/str_cat.h"

namespace shouhu::visits {
CheckOutWatch::CheckOutWatch(db::Pool& pool, FieldVisitStore& store, VisitTimes times, const Clock& clock,
                             Logger& logger, absl::Duration period)
    : store_(store),
      times_(times),
      clock_(clock),
      logger_(logger),
      job_(pool, clock, "visits.check-out-missing", Schedule::Every(period), kCheckOutSweepLease,
           ReplicaName("visits"), [this](const PeriodicRun&) -> absl::Status {
             absl::StatusOr<int> raised = SweepOnce();
             if (!raised.ok()) return raised.status();
             if (*raised > 0) logger_.Info("missing check-outs alerted", {{"count", *raised}});
             return absl::OkStatus();
           }) {}

void CheckOutWatch::Start(absl::Duration poll) { job_.Start(poll, logger_); }

absl::StatusOr<std::optional<PeriodicRun>> CheckOutWatch::SweepIfDue() { return job_.RunDue(); }

absl::StatusOr<int> CheckOutWatch::SweepOnce() {
  const absl::Time now = clock_.Now();
  return store_.RaiseMissingCheckOuts(now - times_.check_out_grace, now);
}

}  // namespace shouhu::visits
