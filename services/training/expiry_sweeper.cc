#include "services/training/expiry_sweeper.h"

namespace shouhu::training {

ExpirySweeper::~ExpirySweeper() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void ExpirySweeper::Start(absl::Duration interval) {
  thread_ = std::thread([this, interval] {
    do {
      absl::StatusOr<int> written = SweepOnce();
      if (!written.ok()) {
        logger_.Warn("certificate expiry sweep failed", {{"error", std::string(written.status().message())}});
      } else if (*written > 0) {
        logger_.Info("certificate expiry events written", {{"count", *written}});
      }
    } while (!stop_.WaitForNotificationWithTimeout(interval));
  });
}

absl::StatusOr<int> ExpirySweeper::SweepOnce() {
  return store_.WriteDueExpiryEvents(ShanghaiDay(clock_.Now()));
}

}  // namespace shouhu::training
