// The visits service's clock in the scale benchmark. Visits refuses a report before its visit day (a
// "completed" report for next Saturday marked a child visited), and the loader plans the coming weekends: to
// report them, the loader moves visits' calendar past each weekend it planned, by writing how far ahead of
// the machine visits' clock runs to a file (SCALE_DIR/visits-clock-ahead) that this clock reads.
#ifndef SHOUHU_TESTS_BENCH_SCALE_VISITS_CLOCK_H_
#define SHOUHU_TESTS_BENCH_SCALE_VISITS_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace shouhu::bench {

// The machine's clock plus the seconds in `file` (none while it is absent), re-read at most once a second.
// The loader only ever moves it forward.
class AheadClock final : public Clock {
 public:
  explicit AheadClock(std::string file) : file_(std::move(file)) {}
  absl::Time Now() const override;

 private:
  std::string file_;
  // Callers that find the value due wait for the one reading it (a report judged on the value from before the
  // loader's move would be refused); the rest read the atomics without a lock.
  mutable absl::Mutex read_mu_;
  mutable std::atomic<int64_t> ahead_seconds_{0};
  mutable std::atomic<int64_t> next_read_ns_{0};
};

// How far ahead the clock reading `file` runs (0 while it is absent); INVALID_ARGUMENT for a file that does
// not hold a count of seconds.
absl::StatusOr<int64_t> ReadSecondsAhead(const std::string& file);

// Moves the clock reading `file` forward so that it shows at least `at` from now on (never back), and waits
// until the clock has read it. Returns how far ahead it now runs.
absl::StatusOr<int64_t> MoveClockTo(const std::string& file, absl::Time at);

}  // namespace shouhu::bench

#endif  // SHOUHU_TESTS_BENCH_SCALE_VISITS_CLOCK_H_
