#include "tests/bench/scale/visits_clock.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace shouhu::bench {

namespace {

constexpr absl::Duration kReadEvery = absl::Seconds(1);

}  // namespace

absl::StatusOr<int64_t> ReadSecondsAhead(const std::string& file) {
  std::ifstream in(file);
  if (!in) return 0;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &seconds) || seconds < 0) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": not a count of seconds: \"", text, "\""));
  }
  return seconds;
}

absl::Time AheadClock::Now() const {
  const absl::Time now = absl::Now();
  const int64_t now_ns = absl::ToUnixNanos(now);
  if (now_ns >= next_read_ns_.load(std::memory_order_acquire)) {
    absl::MutexLock lock(&read_mu_);
    if (now_ns >= next_read_ns_.load(std::memory_order_relaxed)) {
      absl::StatusOr<int64_t> ahead = ReadSecondsAhead(file_);
      // A bad file keeps the last good value: the benchmark's loader is the only writer, and it writes whole.
      if (ahead.ok()) ahead_seconds_.store(*ahead, std::memory_order_relaxed);
      next_read_ns_.store(now_ns + absl::ToInt64Nanoseconds(kReadEvery), std::memory_order_release);
    }
  }
  return now + absl::Seconds(ahead_seconds_.load(std::memory_order_relaxed));
}

absl::StatusOr<int64_t> MoveClockTo(const std::string& file, absl::Time at) {
  absl::StatusOr<int64_t> ahead = ReadSecondsAhead(file);
  if (!ahead.ok()) return ahead.status();
  const int64_t needed = absl::ToInt64Seconds(absl::Ceil(at - absl::Now(), absl::Seconds(1)));
  if (needed <= *ahead) return *ahead;
  // Written whole, then renamed over: the clock never reads half a number.
  const std::string part = file + ".part";
  {
    std::ofstream out(part, std::ios::trunc);
    out << needed << '\n';
    if (!out.flush()) return absl::InternalError(absl::StrCat("cannot write ", part));
  }
  std::error_code error;
  std::filesystem::rename(part, file, error);
  if (error) return absl::InternalError(absl::StrCat("cannot rename ", part, ": ", error.message()));
  // The clock re-reads the file once a second.
  absl::SleepFor(kReadEvery + absl::Milliseconds(200));
  return needed;
}

}  // namespace shouhu::bench
