#include "services/visits/visit_calendar.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace shouhu::visits {
namespace {

constexpr int kFirstYear = 2000;
constexpr int kLastYear = 2100;

absl::Status MissingYear(absl::civil_year_t year) {
  return absl::FailedPreconditionError(
      absl::StrCat("no holiday calendar is loaded for ", year,
                   ": load the State Council's arrangement for that year before planning visits in it"));
}

}  // namespace

bool IsWeekend(absl::CivilDay day) {
  const absl::Weekday weekday = absl::GetWeekday(day);
  return weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
}

absl::StatusOr<YearCalendar> YearCalendar::Create(int year, std::vector<CalendarEntry> entries) {
  if (year < kFirstYear || year > kLastYear) {
    return InvalidField("year", absl::StrCat("must be between ", kFirstYear, " and ", kLastYear));
  }
  std::sort(entries.begin(), entries.end(),
            [](const CalendarEntry& a, const CalendarEntry& b) { return a.day < b.day; });
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].day.year() != year) {
      return InvalidField("entries", absl::StrCat("day ", absl::FormatCivilTime(entries[i].day),
                                                  " is not in the calendar's year ", year));
    }
    if (i > 0 && entries[i].day == entries[i - 1].day) {
      return InvalidField("entries",
                          absl::StrCat("day ", absl::FormatCivilTime(entries[i].day), " appears twice"));
    }
  }
  return YearCalendar(year, std::move(entries));
}

std::string CalendarFileName(int year) { return absl::StrCat("CN-", year, ".csv"); }

absl::StatusOr<YearCalendar> ParseYearCalendar(int year, absl::string_view text) {
  std::vector<CalendarEntry> entries;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#") || line == "date,kind,name") continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, absl::MaxSplits(',', 2));
    const std::string where = absl::StrCat("line ", line_number, ": ");
    if (fields.size() < 2) return InvalidField("calendar", absl::StrCat(where, "expected date,kind,name"));
    CalendarEntry entry;
    if (!absl::ParseCivilTime(absl::StripAsciiWhitespace(fields[0]), &entry.day)) {
      return InvalidField("calendar", absl::StrCat(where, "the date is not YYYY-MM-DD"));
    }
    const absl::string_view kind = absl::StripAsciiWhitespace(fields[1]);
    if (kind == "holiday") {
      entry.kind = CalendarDayKind::kPublicHoliday;
    } else if (kind == "workday") {
      entry.kind = CalendarDayKind::kMakeUpWorkday;
    } else {
      return InvalidField("calendar", absl::StrCat(where, "kind must be holiday or workday"));
    }
    if (fields.size() == 3) entry.name = std::string(absl::StripAsciiWhitespace(fields[2]));
    entries.push_back(std::move(entry));
  }
  return YearCalendar::Create(year, std::move(entries));
}

absl::StatusOr<VisitCalendar> VisitCalendar::Create(std::vector<YearCalendar> years) {
  std::map<int, std::map<absl::CivilDay, CalendarDayKind>> days_by_year;
  for (const YearCalendar& year : years) {
    auto [it, inserted] = days_by_year.try_emplace(year.year());
    if (!inserted) return InvalidField("calendar", absl::StrCat("year ", year.year(), " is loaded twice"));
    for (const CalendarEntry& entry : year.entries()) it->second.emplace(entry.day, entry.kind);
  }
  return VisitCalendar(std::move(days_by_year));
}

std::vector<int> VisitCalendar::Years() const {
  std::vector<int> years;
  for (const auto& [year, days] : days_by_year_) years.push_back(year);
  return years;
}

absl::CivilDay VisitCalendar::CoveredThrough(absl::CivilDay today) const {
  int year = static_cast<int>(today.year());
  if (Covers(year)) {
    while (Covers(year + 1)) ++year;
    return absl::CivilDay(year, 12, 31);
  }
  // Not even today: they ended with the last year loaded before today's (or before today's year began).
  auto later = days_by_year_.lower_bound(year);
  if (later == days_by_year_.begin()) return absl::CivilDay(year - 1, 12, 31);
  return absl::CivilDay(std::prev(later)->first, 12, 31);
}

absl::StatusOr<bool> VisitCalendar::IsVisitDay(absl::CivilDay day) const {
  auto year = days_by_year_.find(static_cast<int>(day.year()));
  if (year == days_by_year_.end()) return MissingYear(day.year());
  auto entry = year->second.find(day);
  if (entry == year->second.end()) return IsWeekend(day);
  return entry->second == CalendarDayKind::kPublicHoliday;
}

absl::StatusOr<std::vector<absl::CivilDay>> VisitCalendar::VisitDaysBetween(absl::CivilDay first,
                                                                            absl::CivilDay last) const {
  std::vector<absl::CivilDay> days;
  for (absl::CivilDay day = first; day <= last; ++day) {
    ASSIGN_OR_RETURN(bool visit_day, IsVisitDay(day));
    if (visit_day) days.push_back(day);
  }
  return days;
}

absl::StatusOr<std::vector<absl::CivilDay>> VisitCalendar::WeekendVisitDays(absl::CivilDay day) const {
  // Monday is day 0 of the week.
  const int from_monday = (static_cast<int>(absl::GetWeekday(day)) - static_cast<int>(absl::Weekday::monday));
  const absl::CivilDay saturday = day - from_monday + 5;
  const absl::CivilDay sunday = saturday + 1;
  std::vector<absl::CivilDay> days;
  for (absl::CivilDay weekend_day : {saturday, sunday}) {
    ASSIGN_OR_RETURN(bool visit_day, IsVisitDay(weekend_day));
    if (visit_day) days.push_back(weekend_day);
  }
  if (days.empty()) return days;
  // Public holidays joined to the weekend without a break. Only days a loaded calendar names as holidays
  // extend it: a neighbouring year that is not loaded ends the run instead of failing the weekend.
  auto is_holiday = [this](absl::CivilDay d) {
    auto year = days_by_year_.find(static_cast<int>(d.year()));
    if (year == days_by_year_.end()) return false;
    auto entry = year->second.find(d);
    return entry != year->second.end() && entry->second == CalendarDayKind::kPublicHoliday;
  };
  std::vector<absl::CivilDay> before;
  for (absl::CivilDay d = days.front() - 1; is_holiday(d); --d) before.push_back(d);
  std::vector<absl::CivilDay> after;
  for (absl::CivilDay d = days.back() + 1; is_holiday(d); ++d) after.push_back(d);
  std::vector<absl::CivilDay> all(before.rbegin(), before.rend());
  all.insert(all.end(), days.begin(), days.end());
  all.insert(all.end(), after.begin(), after.end());
  return all;
}

std::optional<std::string> CalendarRunningOut(const VisitCalendar& calendar, absl::CivilDay today,
                                              int notice_days) {
  const absl::CivilDay through = calendar.CoveredThrough(today);
  if (through - today > notice_days) return std::nullopt;
  const absl::CivilDay refused_from = through + 1;
  return absl::StrCat(
      "the holiday calendars cover visit days only through ", absl::FormatCivilTime(through),
      ": PlanWeekend refuses weekends from ", absl::FormatCivilTime(refused_from), " until ",
      CalendarFileName(static_cast<int>(refused_from.year())),
      " (the State Council's notice of that year's holidays) is added to SHOUHU_CALENDARS_DIR");
}

}  // namespace shouhu::visits
