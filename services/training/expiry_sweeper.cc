#include "services/training/expiry_sweeper.h"

namespace shouhu::training {

ExpirySweeper::ExpirySweeper(db::Pool& pool, TrainingStore& store, const Clock& clock, Logger& logger,
                             absl::Duration period)
    : store_(store),
      clock_(clock),
      logger_(logger),
      job_(pool, clock, "training.certificate-expiry", Schedule::Every(period), kExpirySweepLease,
           ReplicaName("training"), [this](const PeriodicRun&) -> absl::Status {
             absl::StatusOr<int> written = SweepOnce();
             if (!written.ok()) return written.status();
             if (*written > 0) logger_.Info("certificate expiry events written", {{"count", *written}});
             return absl::OkStatus();
           }) {}

void ExpirySweeper::Start(absl::Duration poll) { job_.Start(poll, logger_); }

absl::StatusOr<std::optional<PeriodicRun>> ExpirySweeper::SweepIfDue() { return job_.RunDue(); }

absl::StatusOr<int> ExpirySweeper::SweepOnce() {
  return store_.WriteDueExpiryEvents(ShanghaiDay(clock_.Now()));
}

}  // namespace shouhu::training
