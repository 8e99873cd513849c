#include "services/training/expiry_sweeper.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace shouhu::training {
namespace {

// This process in the job's claims: the pod's name under Kubernetes.
std::string ReplicaName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "training";
  return absl::StrCat("training@", host);
}

}  // namespace

ExpirySweeper::ExpirySweeper(db::Pool& pool, TrainingStore& store, const Clock& clock, Logger& logger,
                             absl::Duration period)
    : store_(store),
      clock_(clock),
      logger_(logger),
      job_(pool, clock, "training.certificate-expiry", Schedule::Every(period), kExpirySweepLease,
           ReplicaName(), [this](const PeriodicRun&) -> absl::Status {
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
