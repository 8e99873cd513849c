#include "common/clock.h"

#include <string>

#include "common/status_macros.h"

namespace shouhu {

absl::TimeZone ShanghaiTimeZone() {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone("Asia/Shanghai", &zone)) zone = absl::FixedTimeZone(8 * 60 * 60);
  return zone;
}

absl::CivilDay ShanghaiDay(absl::Time t) { return absl::ToCivilDay(t, ShanghaiTimeZone()); }

absl::Time ShanghaiMonthStart(absl::CivilMonth month) {
  return absl::FromCivil(absl::CivilSecond(absl::CivilDay(month)), ShanghaiTimeZone());
}

absl::StatusOr<absl::CivilDay> ParseDay(absl::string_view text, absl::string_view field) {
  absl::CivilDay day;
  // ParseCivilTime accepts only the full YYYY-MM-DD form and rejects impossible dates such as 2023-02-30.
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day)) {
    return InvalidField(field, "must be a date written YYYY-MM-DD");
  }
  return day;
}

std::string ToSqlTimestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> FromSqlTimestamp(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d %H:%M:%E*S", std::string(text), absl::UTCTimeZone(), &t, &err)) {
    return absl::InternalError("unreadable timestamp from the database");
  }
  return t;
}

}  // namespace shouhu
