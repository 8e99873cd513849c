#include "services/allowance/sent_back_cycles.h"

#include "common/status_macros.h"

namespace shouhu::allowance {

SentBackCycles::SentBackCycles(MonthlyRosterStore& store, Metrics& metrics, Logger& logger)
    : store_(store), metrics_(metrics), logger_(logger) {
  // Exported from the start: "none waits" until the first read says otherwise.
  metrics_.Set(kSentBackSinceMetric, "", 0);
}

SentBackCycles::~SentBackCycles() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void SentBackCycles::Start(absl::Duration poll) {
  thread_ = std::thread([this, poll] {
    do {
      if (absl::Status read = Refresh(); !read.ok()) {
        logger_.Warn("cycles sent back to their makers not read", {{"error", read.ToString()}});
      }
    } while (!stop_.WaitForNotificationWithTimeout(poll));
  });
}

absl::Status SentBackCycles::Refresh() {
  ASSIGN_OR_RETURN(std::optional<absl::Time> oldest, store_.OldestSentBack());
  metrics_.Set(kSentBackSinceMetric, "", oldest ? static_cast<double>(absl::ToUnixSeconds(*oldest)) : 0.0);
  return absl::OkStatus();
}

}  // namespace shouhu::allowance
