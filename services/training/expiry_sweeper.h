// Writes CertificationExpired on the day a certificate stops being valid, not only when someone happens to
// read it: a background thread asks the store, every interval, for certificates whose expiry day
// (Asia/Shanghai) has arrived and whose event is unwritten. Each is marked and its event appended in one
// transaction, so several replicas sweeping at once write each event once.
#ifndef SHOUHU_SERVICES_TRAINING_EXPIRY_SWEEPER_H_
#define SHOUHU_SERVICES_TRAINING_EXPIRY_SWEEPER_H_

#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/log.h"
#include "services/training/training_store.h"

namespace shouhu::training {

class ExpirySweeper {
 public:
  ExpirySweeper(TrainingStore& store, const Clock& clock, Logger& logger)
      : store_(store), clock_(clock), logger_(logger) {}
  // Stops the thread, if started, and waits for it.
  ~ExpirySweeper();
  ExpirySweeper(const ExpirySweeper&) = delete;
  ExpirySweeper& operator=(const ExpirySweeper&) = delete;

  // Sweeps now and then every `interval` until destroyed.
  void Start(absl::Duration interval);
  // One sweep for today in Asia/Shanghai; returns the number of events written.
  absl::StatusOr<int> SweepOnce();

 private:
  TrainingStore& store_;
  const Clock& clock_;
  Logger& logger_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_EXPIRY_SWEEPER_H_
