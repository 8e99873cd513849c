#include "services/visits/background_walk.h"

#include <utility>

namespace shouhu::visits {

BackgroundWalk::BackgroundWalk(std::string what, WalkStep step, Logger& logger, absl::Duration retry_after,
                               int64_t batch)
    : what_(std::move(what)),
      step_(std::move(step)),
      logger_(logger),
      retry_after_(retry_after),
      batch_(batch),
      walker_([this] { Walk(); }) {}

BackgroundWalk::~BackgroundWalk() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  walker_.join();
}

bool BackgroundWalk::AwaitFinished(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(this, &BackgroundWalk::FinishedOrStopping), timeout);
  return finished_;
}

void BackgroundWalk::Walk() {
  std::string cursor;  // ids are UUIDs and ULIDs: every one sorts after ""
  int64_t total = 0;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::StatusOr<int64_t> walked = step_(cursor, batch_);
    if (!walked.ok()) {
      logger_.Warn(
          "a background walk cannot go on yet; retrying",
          {{"walk", what_}, {"error", std::string(walked.status().message())}, {"rows_so_far", total}});
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(this, &BackgroundWalk::Stopping), retry_after_);
      continue;
    }
    total += *walked;
    if (*walked < batch_) break;
  }
  if (total > 0) logger_.Info("a background walk finished", {{"walk", what_}, {"rows", total}});
  absl::MutexLock lock(&mu_);
  finished_ = true;
}

}  // namespace shouhu::visits
