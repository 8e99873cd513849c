// The visit-day rule on the shipped 2026 calendar (the State Council's notice of 2025-11-04), the loader's
// checks, and a year that has no calendar refusing to answer.
#include "services/visits/visit_calendar.h"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "tests/support/status_matchers.h"

namespace shouhu::visits {
namespace {

using ::shouhu::testing::StatusIs;

std::string ReadShipped(int year) {
  std::ifstream file(std::string(SHOUHU_VISITS_CALENDARS_DIR) + "/" + CalendarFileName(year));
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

VisitCalendar Shipped2026() {
  auto year = ParseYearCalendar(2026, ReadShipped(2026));
  EXPECT_OK(year);
  auto calendar = VisitCalendar::Create({*year});
  EXPECT_OK(calendar);
  return *calendar;
}

bool VisitDay(const VisitCalendar& calendar, absl::CivilDay day) {
  auto answer = calendar.IsVisitDay(day);
  EXPECT_OK(answer);
  return answer.ok() && *answer;
}

TEST(VisitCalendar, Shipped2026_ParsesWithTheNoticesThirtyThreeHolidaysAndSixMakeUpDays) {
  ASSERT_OK_AND_ASSIGN(YearCalendar year, ParseYearCalendar(2026, ReadShipped(2026)));
  int holidays = 0;
  int workdays = 0;
  for (const CalendarEntry& entry : year.entries()) {
    (entry.kind == CalendarDayKind::kPublicHoliday ? holidays : workdays)++;
    // The notice only moves weekends into work: every make-up day is a Saturday or a Sunday.
    if (entry.kind == CalendarDayKind::kMakeUpWorkday) {
      EXPECT_TRUE(IsWeekend(entry.day)) << entry.day;
    }
  }
  EXPECT_EQ(holidays, 3 + 9 + 3 + 5 + 3 + 3 + 7);
  EXPECT_EQ(workdays, 6);
}

TEST(VisitCalendar, MakeUpSaturdayAndSunday_AreNotVisitDays) {
  const VisitCalendar calendar = Shipped2026();
  // 2026-02-14 (Saturday) and 2026-02-28 (Saturday) are worked for the Spring Festival, 2026-01-04 (Sunday)
  // for New Year, 2026-05-09 (Saturday) for Labour Day, 2026-09-20 (Sunday) and 2026-10-10 (Saturday) for
  // National Day.
  for (absl::CivilDay day :
       {absl::CivilDay(2026, 2, 14), absl::CivilDay(2026, 2, 28), absl::CivilDay(2026, 1, 4),
        absl::CivilDay(2026, 5, 9), absl::CivilDay(2026, 9, 20), absl::CivilDay(2026, 10, 10)}) {
    ASSERT_TRUE(IsWeekend(day)) << day;
    EXPECT_FALSE(VisitDay(calendar, day)) << day;
  }
  // Their weekend partners stay visit days.
  EXPECT_TRUE(VisitDay(calendar, absl::CivilDay(2026, 3, 1)));    // Sunday after the make-up Saturday
  EXPECT_TRUE(VisitDay(calendar, absl::CivilDay(2026, 10, 11)));  // Sunday
}

TEST(VisitCalendar, WeekdayHoliday_IsAVisitDay_AndOrdinaryDaysFollowTheWeekend) {
  const VisitCalendar calendar = Shipped2026();
  EXPECT_TRUE(VisitDay(calendar, absl::CivilDay(2026, 10, 1)));  // Thursday, National Day
  EXPECT_TRUE(VisitDay(calendar, absl::CivilDay(2026, 2, 23)));  // Monday, 正月初七
  EXPECT_FALSE(VisitDay(calendar, absl::CivilDay(2026, 3, 3)));  // an ordinary Tuesday
  EXPECT_TRUE(VisitDay(calendar, absl::CivilDay(2026, 3, 7)));   // an ordinary Saturday
}

TEST(VisitCalendar, WeekendVisitDays_FollowTheArrangement) {
  const VisitCalendar calendar = Shipped2026();
  using Days = std::vector<absl::CivilDay>;
  // An ordinary weekend.
  ASSERT_OK_AND_ASSIGN(Days march, calendar.WeekendVisitDays(absl::CivilDay(2026, 3, 4)));
  EXPECT_EQ(march, (Days{absl::CivilDay(2026, 3, 7), absl::CivilDay(2026, 3, 8)}));
  // 9 May is worked: only the Sunday.
  ASSERT_OK_AND_ASSIGN(Days may, calendar.WeekendVisitDays(absl::CivilDay(2026, 5, 9)));
  EXPECT_EQ(may, (Days{absl::CivilDay(2026, 5, 10)}));
  // The National Day week is one long weekend, 1 to 7 October.
  ASSERT_OK_AND_ASSIGN(Days golden_week, calendar.WeekendVisitDays(absl::CivilDay(2026, 10, 2)));
  ASSERT_EQ(golden_week.size(), 7u);
  EXPECT_EQ(golden_week.front(), absl::CivilDay(2026, 10, 1));
  EXPECT_EQ(golden_week.back(), absl::CivilDay(2026, 10, 7));
  // The New Year weekend (3 January a holiday Saturday, 4 January worked) runs back to 1 January and stops at
  // 2025, which is not loaded, without failing.
  ASSERT_OK_AND_ASSIGN(Days new_year, calendar.WeekendVisitDays(absl::CivilDay(2026, 1, 2)));
  EXPECT_EQ(new_year,
            (Days{absl::CivilDay(2026, 1, 1), absl::CivilDay(2026, 1, 2), absl::CivilDay(2026, 1, 3)}));
}

TEST(VisitCalendar, YearWithoutCalendar_IsRefusedNotGuessed) {
  const VisitCalendar calendar = Shipped2026();
  EXPECT_TRUE(calendar.Covers(2026));
  EXPECT_FALSE(calendar.Covers(2027));
  EXPECT_THAT(calendar.IsVisitDay(absl::CivilDay(2027, 1, 2)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(calendar.VisitDaysBetween(absl::CivilDay(2026, 12, 26), absl::CivilDay(2027, 1, 3)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(calendar.WeekendVisitDays(absl::CivilDay(2027, 3, 3)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // The 2027 notice was not found when the calendars were shipped: there is no file to load for it.
  EXPECT_TRUE(ReadShipped(2027).empty());
}

YearCalendar EmptyYear(int year) {
  auto calendar = YearCalendar::Create(year, {});
  EXPECT_OK(calendar);
  return *calendar;
}

// What the operator is told (visits_module.cc: a warning at start and a gauge for an alert) is counted from
// today through the unbroken run of loaded years.
TEST(VisitCalendar, CoveredThrough_TheLastYearOfTheUnbrokenRunFromToday_OrTheEndAlreadyPast) {
  ASSERT_OK_AND_ASSIGN(VisitCalendar calendar,
                       VisitCalendar::Create({EmptyYear(2026), EmptyYear(2027), EmptyYear(2029)}));
  EXPECT_EQ(calendar.CoveredThrough(absl::CivilDay(2026, 12, 4)), absl::CivilDay(2027, 12, 31));
  EXPECT_EQ(calendar.CoveredThrough(absl::CivilDay(2027, 12, 31)), absl::CivilDay(2027, 12, 31));
  EXPECT_EQ(calendar.CoveredThrough(absl::CivilDay(2029, 1, 1)), absl::CivilDay(2029, 12, 31));
  // 2028 has no calendar: its days are past the end of 2027's, whatever comes after.
  EXPECT_EQ(calendar.CoveredThrough(absl::CivilDay(2028, 3, 1)), absl::CivilDay(2027, 12, 31));
  EXPECT_EQ(calendar.CoveredThrough(absl::CivilDay(2031, 3, 1)), absl::CivilDay(2029, 12, 31));
  // Before any year loaded: nothing of today's year is answered.
  EXPECT_EQ(calendar.CoveredThrough(absl::CivilDay(2025, 7, 1)), absl::CivilDay(2024, 12, 31));
}

TEST(VisitCalendar, CalendarRunningOut_SilentUntilTheNotice_ThenNamesTheEndAndTheFileToAdd) {
  const VisitCalendar calendar = Shipped2026();
  // 2026-11-01 is 60 days before the 31 December: said from then on.
  EXPECT_EQ(CalendarRunningOut(calendar, absl::CivilDay(2026, 10, 31), 60), std::nullopt);
  const std::optional<std::string> soon = CalendarRunningOut(calendar, absl::CivilDay(2026, 11, 1), 60);
  ASSERT_TRUE(soon.has_value());
  EXPECT_THAT(*soon, ::testing::HasSubstr("through 2026-12-31"));
  EXPECT_THAT(*soon, ::testing::HasSubstr("refuses weekends from 2027-01-01"));
  EXPECT_THAT(*soon, ::testing::HasSubstr("CN-2027.csv"));
  // Past the end the same sentence stands: the day it began, not today.
  EXPECT_EQ(CalendarRunningOut(calendar, absl::CivilDay(2027, 2, 1), 60), soon);
}

TEST(VisitCalendar, Create_RejectsARepeatedDayAndADayOutsideTheYear) {
  const CalendarEntry new_year{absl::CivilDay(2026, 1, 1), CalendarDayKind::kPublicHoliday, "元旦"};
  auto twice = YearCalendar::Create(2026, {new_year, new_year});
  EXPECT_THAT(twice, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(twice.status()), "entries");
  auto elsewhere = YearCalendar::Create(2027, {new_year});
  EXPECT_THAT(elsewhere, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(elsewhere.status()), "entries");
  EXPECT_EQ(FieldOf(YearCalendar::Create(1900, {}).status()), "year");
  ASSERT_OK_AND_ASSIGN(YearCalendar year, YearCalendar::Create(2026, {new_year}));
  auto loaded_twice = VisitCalendar::Create({year, year});
  EXPECT_THAT(loaded_twice, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(loaded_twice.status()), "calendar");
}

TEST(VisitCalendar, Parse_RejectsMalformedLinesNamingTheCalendar) {
  for (const char* text :
       {"2026-13-01,holiday,x", "2026-01-01,vacation,x", "2026-01-01", "not a date,holiday,x"}) {
    auto parsed = ParseYearCalendar(2026, text);
    EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument)) << text;
    EXPECT_EQ(FieldOf(parsed.status()), "calendar") << text;
  }
  auto repeated = ParseYearCalendar(2026, "2026-01-01,holiday,a\n2026-01-01,workday,b\n");
  EXPECT_EQ(FieldOf(repeated.status()), "entries");
}

}  // namespace
}  // namespace shouhu::visits
