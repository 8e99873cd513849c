#include "services/visits/report_body_sealing.h"

#include <string>

namespace shouhu::visits {

ReportBodySealing::ReportBodySealing(MariaDbFieldVisitStore& store, Logger& logger,
                                     absl::Duration retry_after, int64_t batch)
    : store_(store), logger_(logger), retry_after_(retry_after), batch_(batch), walker_([this] { Walk(); }) {}

ReportBodySealing::~ReportBodySealing() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  walker_.join();
}

bool ReportBodySealing::AwaitFinished(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(this, &ReportBodySealing::FinishedOrStopping), timeout);
  return finished_;
}

void ReportBodySealing::Walk() {
  std::string cursor;  // ids are UUIDs and ULIDs: every one sorts after ""
  int64_t total = 0;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::StatusOr<int64_t> sealed = store_.SealPlainReports(cursor, batch_);
    if (!sealed.ok()) {
      logger_.Warn("cannot seal the content of older visit reports yet; retrying",
                   {{"error", std::string(sealed.status().message())}, {"sealed_so_far", total}});
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(this, &ReportBodySealing::Stopping), retry_after_);
      continue;
    }
    total += *sealed;
    if (*sealed < batch_) break;
  }
  if (total > 0) logger_.Info("sealed the content of older visit reports", {{"reports", total}});
  absl::MutexLock lock(&mu_);
  finished_ = true;
}

}  // namespace shouhu::visits
