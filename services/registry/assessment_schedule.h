// When a case's next assessment is due, as a pure rule over the region's configured schedule. Counties do it
// one of two ways: a four-colour file re-graded at an interval set by the grade (red monthly, yellow
// quarterly, blue half-yearly, green yearly), or every case re-graded in fixed months (many counties: March
// and September). A case never assessed is due `initial_days` after it opened.
#ifndef SHOUHU_SERVICES_REGISTRY_ASSESSMENT_SCHEDULE_H_
#define SHOUHU_SERVICES_REGISTRY_ASSESSMENT_SCHEDULE_H_

#include <array>
#include <set>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::registry {

struct AssessmentSchedule {
  // Months until the next assessment, by grade (index: RiskLevel number; 0 unused). Used when
  // `regrading_months` is empty.
  std::array<int, 5> interval_months = {0, 12, 6, 3, 1};
  // Fixed re-grading months (1-12): the next is due by the last day of the first of them that begins after
  // the assessment was confirmed.
  std::set<int> regrading_months;
  // A case never assessed is due this many days after it opened.
  int initial_days = 30;
};

// The default (intervals 12/6/3/1 months for green/blue/yellow/red) is the empty text; else
// "interval:LOW=12,MEDIUM=6,HIGH=3,EXTREME=1" (every grade named once, 1-24 months) or "months:3,9"
// (1-12 each). INVALID_ARGUMENT naming `setting` otherwise.
absl::StatusOr<AssessmentSchedule> ParseAssessmentSchedule(absl::string_view text, absl::string_view setting);

// The day the next assessment is due after one graded `grade` was confirmed on `confirmed`.
absl::CivilDay NextAssessmentDue(const AssessmentSchedule& schedule, v1::RiskLevel grade,
                                 absl::CivilDay confirmed);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_ASSESSMENT_SCHEDULE_H_
