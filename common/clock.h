// Time as a dependency, so rules about days and expiry can be tested at any date. Instants are UTC; calendars
// (weekends, holidays, "today") are reckoned in Asia/Shanghai.
#ifndef SHOUHU_COMMON_CLOCK_H_
#define SHOUHU_COMMON_CLOCK_H_

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace shouhu {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock tests move by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

// China Standard Time. Loaded from tzdata when present; China has kept UTC+8 without daylight saving since
// 1991, so a fixed zone is the exact fallback for every date this system handles.
absl::TimeZone ShanghaiTimeZone();

// The calendar day in Shanghai at `t`.
absl::CivilDay ShanghaiDay(absl::Time t);

// The instant a month begins in Shanghai (monthly allowance cycles run by it).
absl::Time ShanghaiMonthStart(absl::CivilMonth month);

// "YYYY-MM-DD" → a day, or INVALID_ARGUMENT naming `field`.
absl::StatusOr<absl::CivilDay> ParseDay(absl::string_view text, absl::string_view field);

// MariaDB DATETIME(6) text in UTC, and back.
std::string ToSqlTimestamp(absl::Time t);
absl::StatusOr<absl::Time> FromSqlTimestamp(absl::string_view text);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_CLOCK_H_
