// Monthly cycles their checker sent back (RejectMonthlyCycle) and their maker has not submitted again: until
// it is, none of a cycle's children is paid that month. Exported as when the oldest of them was sent back,
// shouhu_allowance_sent_back_since_seconds (0 when none waits), for the alert ShouhuAllowanceCycleSentBack.
// Every replica reads it for itself (one small read a poll), so that whichever replica took the rejection and
// the second submission, each exports the same figure.
#ifndef SHOUHU_SERVICES_ALLOWANCE_SENT_BACK_CYCLES_H_
#define SHOUHU_SERVICES_ALLOWANCE_SENT_BACK_CYCLES_H_

#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/metrics.h"
#include "services/allowance/monthly_roster_store.h"

namespace shouhu::allowance {

inline constexpr char kSentBackSinceMetric[] = "shouhu_allowance_sent_back_since_seconds";

class SentBackCycles {
 public:
  SentBackCycles(MonthlyRosterStore& store, Metrics& metrics, Logger& logger);
  // Stops the thread, if started, and waits for it.
  ~SentBackCycles();
  SentBackCycles(const SentBackCycles&) = delete;
  SentBackCycles& operator=(const SentBackCycles&) = delete;

  // Reads now and then every `poll` on a thread of its own. A failed read leaves the gauge as it was.
  void Start(absl::Duration poll);
  // One read, and the gauge set from it.
  absl::Status Refresh();

 private:
  MonthlyRosterStore& store_;
  Metrics& metrics_;
  Logger& logger_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_SENT_BACK_CYCLES_H_
