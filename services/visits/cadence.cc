#include "services/visits/cadence.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace shouhu::visits {
namespace {

int Index(RiskLevel risk) { return static_cast<int>(risk); }

// Long enough to order intervals of different shape (3 months vs 90 days) without a calendar.
int ApproximateDays(CadenceInterval interval) { return interval.months * 31 + interval.days; }

}  // namespace

const char* RiskLevelName(RiskLevel risk) {
  switch (risk) {
    case RiskLevel::kLow:
      return "low";
    case RiskLevel::kMedium:
      return "medium";
    case RiskLevel::kHigh:
      return "high";
    case RiskLevel::kExtreme:
      return "extreme";
  }
  return "unknown";
}

absl::Status ValidateCadencePolicy(const CadencePolicy& policy) {
  for (int r = 0; r < kRiskLevels; ++r) {
    const std::string name = RiskLevelName(static_cast<RiskLevel>(r));
    if (policy.verification_days[r] < 1 || policy.verification_days[r] > 366) {
      return InvalidField(absl::StrCat("verification_days.", name), "must be between 1 and 366 days");
    }
    const CadenceInterval interval = policy.follow_up[r];
    if (interval.months < 0 || interval.days < 0 || ApproximateDays(interval) < 1 || interval.months > 12 ||
        ApproximateDays(interval) > 372) {
      return InvalidField(absl::StrCat("follow_up.", name), "must be a positive span of at most a year");
    }
    if (r > 0) {
      if (policy.verification_days[r] > policy.verification_days[r - 1]) {
        return InvalidField(absl::StrCat("verification_days.", name),
                            "must not be longer than for a lower risk level");
      }
      if (ApproximateDays(interval) > ApproximateDays(policy.follow_up[r - 1])) {
        return InvalidField(absl::StrCat("follow_up.", name),
                            "must not be longer than for a lower risk level");
      }
    }
  }
  return absl::OkStatus();
}

absl::CivilDay AddInterval(absl::CivilDay day, CadenceInterval interval) {
  const absl::CivilMonth month = absl::CivilMonth(day) + interval.months;
  const absl::CivilDay month_last_day = absl::CivilDay(month + 1) - 1;
  const absl::CivilDay same_day(month.year(), month.month(), day.day());
  // CivilDay normalises 31 February to 3 March; a month that is too short ends on its last day instead.
  const absl::CivilDay landed = absl::CivilMonth(same_day) == month ? same_day : month_last_day;
  return landed + interval.days;
}

absl::StatusOr<CaseStanding> ApplyCaseEvent(CaseStanding standing, const CaseEvent& event) {
  switch (event.kind) {
    case CaseEventKind::kAccepted:
    case CaseEventKind::kReopened:
      if (standing.open) {
        return absl::FailedPreconditionError(event.kind == CaseEventKind::kAccepted
                                                 ? "the case is already open"
                                                 : "only a closed case reopens");
      }
      standing.open = true;
      standing.opened_on = event.day;
      standing.risk = event.risk;
      standing.last_completed_visit.reset();
      return standing;
    case CaseEventKind::kRiskChanged:
      if (!standing.open) return absl::FailedPreconditionError("the risk of a case that is not open changed");
      standing.risk = event.risk;
      return standing;
    case CaseEventKind::kClosed:
    case CaseEventKind::kTransferred:
      if (!standing.open) return absl::FailedPreconditionError("the case is not open");
      standing.open = false;
      return standing;
    case CaseEventKind::kVisitCompleted:
      if (event.day < standing.opened_on) return standing;
      if (!standing.last_completed_visit || *standing.last_completed_visit <= event.day) {
        standing.last_completed_visit = event.day;
        standing.last_visitor_id = event.visitor_id;
      }
      return standing;
  }
  return absl::InvalidArgumentError("unknown case event");
}

std::optional<VisitDue> NextVisitDue(const CadencePolicy& policy, const CaseStanding& standing,
                                     absl::CivilDay today) {
  if (!standing.open) return std::nullopt;
  VisitDue due;
  due.child_id = standing.child_id;
  due.case_id = standing.case_id;
  due.risk = standing.risk;
  if (standing.last_completed_visit) {
    due.kind = VisitKind::kFollowUp;
    due.due_day = AddInterval(*standing.last_completed_visit, policy.follow_up[Index(standing.risk)]);
  } else {
    due.kind = VisitKind::kVerification;
    due.due_day = standing.opened_on + policy.verification_days[Index(standing.risk)];
  }
  due.overdue_days = static_cast<int>(std::max<absl::civil_diff_t>(0, today - due.due_day));
  return due;
}

}  // namespace shouhu::visits
