// Which days household visits may fall on, reckoned in Asia/Shanghai: weekend days by default, changed by
// each year's official holiday arrangement. A Saturday or Sunday that is a make-up working day (调休上班) is
// not a visit day (children are at school, volunteers at work); a public holiday (法定节假日/放假) on a
// weekday is one. A year that has no calendar loaded has no answer: the arrangement moves weekends every
// year, so planning such a year by the weekend rule alone would send visitors out on school days.
// Pure values; the CSV text is parsed here, reading the file is the caller's.
#ifndef SHOUHU_SERVICES_VISITS_VISIT_CALENDAR_H_
#define SHOUHU_SERVICES_VISITS_VISIT_CALENDAR_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace shouhu::visits {

enum class CalendarDayKind {
  kPublicHoliday,  // 放假: a day off, a visit day even on a weekday
  kMakeUpWorkday,  // 调休上班: a working day, not a visit day even on a weekend
};

struct CalendarEntry {
  absl::CivilDay day;
  CalendarDayKind kind = CalendarDayKind::kPublicHoliday;
  std::string name;  // 春节, 国庆节 ...: for people reading the calendar back
};

// One year's arrangement as an administrator loaded it.
class YearCalendar {
 public:
  // INVALID_ARGUMENT naming `entries` when a day appears twice or lies outside `year`, or `year` is not a
  // plausible calendar year (2000..2100).
  static absl::StatusOr<YearCalendar> Create(int year, std::vector<CalendarEntry> entries);

  int year() const { return year_; }
  // Sorted by day.
  const std::vector<CalendarEntry>& entries() const { return entries_; }

 private:
  YearCalendar(int year, std::vector<CalendarEntry> entries) : year_(year), entries_(std::move(entries)) {}
  int year_;
  std::vector<CalendarEntry> entries_;
};

// `text` in the shipped format (services/visits/calendars/CN-<year>.csv): lines "YYYY-MM-DD,kind,name" with
// kind "holiday" or "workday"; lines starting with '#', blank lines and the header "date,kind,name" are
// skipped. INVALID_ARGUMENT naming "calendar" with the line number on a malformed line, then Create's checks.
absl::StatusOr<YearCalendar> ParseYearCalendar(int year, absl::string_view text);

// The shipped file's name for a year: "CN-2026.csv".
std::string CalendarFileName(int year);

// The visit-day rule over the years loaded.
class VisitCalendar {
 public:
  // INVALID_ARGUMENT naming "calendar" when two calendars claim the same year.
  static absl::StatusOr<VisitCalendar> Create(std::vector<YearCalendar> years);

  bool Covers(int year) const { return days_by_year_.count(year) > 0; }
  std::vector<int> Years() const;

  // The last day the calendars answer for, seen from `today`: the 31 December of the last year in the
  // unbroken run of loaded years that starts with today's; when today's year has none, that of the last year
  // loaded before it (or of the year before today's), a day already past.
  absl::CivilDay CoveredThrough(absl::CivilDay today) const;

  // FAILED_PRECONDITION naming the year when it has no calendar.
  absl::StatusOr<bool> IsVisitDay(absl::CivilDay day) const;

  // The visit days in [first, last], in order; FAILED_PRECONDITION when a year in the range has no calendar.
  absl::StatusOr<std::vector<absl::CivilDay>> VisitDaysBetween(absl::CivilDay first,
                                                               absl::CivilDay last) const;

  // The visit days of the weekend `day` belongs to: the Saturday and Sunday of its Monday-to-Sunday week that
  // are visit days, with the public holidays that run on from them without a break (a 国庆 week is one
  // weekend of seven visit days). Empty when both weekend days are make-up working days.
  absl::StatusOr<std::vector<absl::CivilDay>> WeekendVisitDays(absl::CivilDay day) const;

 private:
  explicit VisitCalendar(std::map<int, std::map<absl::CivilDay, CalendarDayKind>> days_by_year)
      : days_by_year_(std::move(days_by_year)) {}
  std::map<int, std::map<absl::CivilDay, CalendarDayKind>> days_by_year_;
};

bool IsWeekend(absl::CivilDay day);

// What the operator must hear while the calendars run out (each year's arrangement is published in November
// and ships in the image): nothing while they cover more than `notice_days` days after `today`, else a
// sentence naming the last day covered, from when weekends are refused, and the file to add.
std::optional<std::string> CalendarRunningOut(const VisitCalendar& calendar, absl::CivilDay today,
                                              int notice_days);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_VISIT_CALENDAR_H_
