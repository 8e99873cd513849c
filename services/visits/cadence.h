// When a child's next household visit is due, from the case's risk level and history. Pure: the service folds
// the registry's case events and its own completed visits into a CaseStanding (ApplyCaseEvent) and asks
// NextVisitDue; nothing here reads a clock or a table.
//
// The rule: an accepted (or reopened) case first gets a verification visit (核实走访) due a few days after
// it opened — fewer for higher risk. Once a visit is completed, follow-up visits come at the risk level's
// interval counted from the last completed visit; so a risk change re-plans from that visit, and a raised
// risk can make a visit due at once (overdue). A closed or transferred case has no visit due: its future
// visits are cancelled. Months are calendar months (a monthly visit after 31 January is due on the last day
// of February), because that is how people plan "monthly" and "quarterly".
#ifndef SHOUHU_SERVICES_VISITS_CADENCE_H_
#define SHOUHU_SERVICES_VISITS_CADENCE_H_

#include <array>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace shouhu::visits {

// The registry's risk levels, lowest first. Independent of the protos: the service maps its enum to this.
enum class RiskLevel { kLow = 0, kMedium = 1, kHigh = 2, kExtreme = 3 };
inline constexpr int kRiskLevels = 4;
const char* RiskLevelName(RiskLevel risk);

enum class VisitKind {
  kVerification,  // 核实走访: the first visit after a case is accepted or reopened
  kFollowUp,      // 跟进走访: the regular visit at the risk level's cadence
};

// A span of calendar time: `months` calendar months, then `days` days.
struct CadenceInterval {
  int months = 0;
  int days = 0;
};

struct CadencePolicy {
  // Days from acceptance (or reopening) to the verification visit's due day, by RiskLevel.
  std::array<int, kRiskLevels> verification_days = {14, 14, 7, 3};
  // Between follow-up visits, by RiskLevel: low quarterly, medium monthly, high fortnightly, extreme weekly.
  std::array<CadenceInterval, kRiskLevels> follow_up = {CadenceInterval{3, 0}, CadenceInterval{1, 0},
                                                        CadenceInterval{0, 14}, CadenceInterval{0, 7}};
};

// INVALID_ARGUMENT naming the setting when a span is not positive or longer than a year, or a higher risk
// would wait longer than a lower one (the schedule must never visit the riskier child less often).
absl::Status ValidateCadencePolicy(const CadencePolicy& policy);

// What the service knows about one case, folded from events.
struct CaseStanding {
  std::string child_id;
  std::string case_id;
  RiskLevel risk = RiskLevel::kLow;
  bool open = false;                                   // accepted and not closed or transferred since
  absl::CivilDay opened_on;                            // the day it was accepted, or last reopened
  std::optional<absl::CivilDay> last_completed_visit;  // since opened_on; earlier visits do not count
  std::string last_visitor_id;                         // who made that visit, for continuity in planning
};

enum class CaseEventKind {
  kAccepted,        // the case enters the plan: a verification visit
  kRiskChanged,     // same visits, new cadence from the last completed one
  kClosed,          // cancels future visits
  kTransferred,     // to another organisation or an institution: cancels future visits here
  kReopened,        // plans again, starting with a verification visit
  kVisitCompleted,  // a visit report with outcome "completed"
};

struct CaseEvent {
  CaseEventKind kind = CaseEventKind::kAccepted;
  absl::CivilDay day;                // in Asia/Shanghai
  RiskLevel risk = RiskLevel::kLow;  // for kAccepted, kRiskChanged, kReopened
  std::string visitor_id;            // for kVisitCompleted
};

// The standing after `event`. FAILED_PRECONDITION when the event cannot follow the standing (accepting or
// reopening an open case, changing the risk of, closing or transferring a case that is not open). A visit
// completed before the case (re)opened does not count and changes nothing; one completed on a case closed
// since still counts (reports arrive after the weekend), and the case stays closed.
absl::StatusOr<CaseStanding> ApplyCaseEvent(CaseStanding standing, const CaseEvent& event);

// One visit the plan owes a child.
struct VisitDue {
  std::string child_id;
  std::string case_id;
  absl::CivilDay due_day;
  VisitKind kind = VisitKind::kFollowUp;
  int overdue_days = 0;  // days `today` is past due_day; 0 when not yet due
  RiskLevel risk = RiskLevel::kLow;
};

// The next visit due for the case, or nothing when it is not open.
std::optional<VisitDue> NextVisitDue(const CadencePolicy& policy, const CaseStanding& standing,
                                     absl::CivilDay today);

// `day` plus `interval`: calendar months first (clamped to the month's last day), then days.
absl::CivilDay AddInterval(absl::CivilDay day, CadenceInterval interval);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_CADENCE_H_
