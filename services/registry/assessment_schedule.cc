#include "services/registry/assessment_schedule.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace shouhu::registry {
namespace {

absl::Status Bad(absl::string_view setting, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(setting, ": ", why));
}

// The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 month = 28/29
// Feb).
absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth target = absl::CivilMonth(day) + months;
  const absl::CivilDay last = absl::CivilDay(target + 1) - 1;
  const absl::CivilDay same(target.year(), target.month(), day.day());
  // CivilDay normalises 30 Feb into March: then the month's last day is the answer.
  return absl::CivilMonth(same) == target ? same : last;
}

}  // namespace

absl::StatusOr<AssessmentSchedule> ParseAssessmentSchedule(absl::string_view text,
                                                           absl::string_view setting) {
  AssessmentSchedule schedule;
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return schedule;
  if (absl::ConsumePrefix(&text, "months:")) {
    for (absl::string_view part : absl::StrSplit(text, ',')) {
      int month = 0;
      if (!absl::SimpleAtoi(part, &month) || month < 1 || month > 12) {
        return Bad(setting, "months: each must be a month number 1-12");
      }
      schedule.regrading_months.insert(month);
    }
    return schedule;
  }
  if (!absl::ConsumePrefix(&text, "interval:")) {
    return Bad(setting, "must start with interval: or months:");
  }
  std::array<int, 5> months = {0, 0, 0, 0, 0};
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    v1::RiskLevel level;
    int value = 0;
    if (!v1::RiskLevel_Parse(absl::StrCat("RISK_LEVEL_", absl::StripAsciiWhitespace(kv.first)), &level) ||
        level == v1::RISK_LEVEL_UNSPECIFIED || !absl::SimpleAtoi(kv.second, &value) || value < 1 ||
        value > 24 || months[level] != 0) {
      return Bad(setting, "interval: each of LOW, MEDIUM, HIGH, EXTREME once, as GRADE=1..24 months");
    }
    months[level] = value;
  }
  for (int level = v1::RISK_LEVEL_LOW; level <= v1::RISK_LEVEL_EXTREME; ++level) {
    if (months[level] == 0) return Bad(setting, "interval: every grade LOW, MEDIUM, HIGH, EXTREME is needed");
  }
  schedule.interval_months = months;
  return schedule;
}

absl::CivilDay NextAssessmentDue(const AssessmentSchedule& schedule, v1::RiskLevel grade,
                                 absl::CivilDay confirmed) {
  if (!schedule.regrading_months.empty()) {
    for (absl::CivilMonth month = absl::CivilMonth(confirmed) + 1;; ++month) {
      if (schedule.regrading_months.count(month.month()) > 0) return absl::CivilDay(month + 1) - 1;
    }
  }
  const int level =
      grade >= v1::RISK_LEVEL_LOW && grade <= v1::RISK_LEVEL_EXTREME ? grade : v1::RISK_LEVEL_EXTREME;
  return AddMonths(confirmed, schedule.interval_months[level]);
}

}  // namespace shouhu::registry
