#include "services/visits/case_plan_follower.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/visits/assignment_release.h"
#include "services/visits/visits_store.h"
#include "shouhu/registry/v1/events.pb.h"

namespace shouhu::visits {
namespace {

namespace rv1 = ::shouhu::registry::v1;

// The registry's risk enum on cadence.h's scale; nothing for an unspecified level.
std::optional<RiskLevel> FromRegistryRisk(rv1::RiskLevel risk) {
  switch (risk) {
    case rv1::RISK_LEVEL_LOW:
      return RiskLevel::kLow;
    case rv1::RISK_LEVEL_MEDIUM:
      return RiskLevel::kMedium;
    case rv1::RISK_LEVEL_HIGH:
      return RiskLevel::kHigh;
    case rv1::RISK_LEVEL_EXTREME:
      return RiskLevel::kExtreme;
    default:
      return std::nullopt;
  }
}

// What one registry event means for a case's plan, read from its payload.
struct Folded {
  std::string case_id;
  CaseEvent event;
  // Only CaseAccepted and CaseOpenedFromRoster say where and whose the case is.
  std::string child_id;
  std::string village_code;
  std::string organisation_id;
};

// Nothing for events that do not concern visit plans; INVALID_ARGUMENT for a payload that does not parse.
absl::StatusOr<std::optional<Folded>> Fold(const common::v1::Event& event) {
  Folded folded;
  const google::protobuf::Any& payload = event.payload();
  auto occurred = [](CaseEventKind kind, const google::protobuf::Timestamp& at) {
    CaseEvent happened;
    happened.kind = kind;
    happened.day = ShanghaiDay(FromProtoTimestamp(at));
    return happened;
  };
  auto risk = [](rv1::RiskLevel level) -> absl::StatusOr<RiskLevel> {
    std::optional<RiskLevel> mapped = FromRegistryRisk(level);
    if (!mapped) return absl::InvalidArgumentError("risk_level unspecified");
    return *mapped;
  };
  if (payload.Is<rv1::CaseAccepted>()) {
    rv1::CaseAccepted e;
    if (!payload.UnpackTo(&e)) return absl::InvalidArgumentError("CaseAccepted payload");
    folded = {e.case_id(), occurred(CaseEventKind::kAccepted, e.at()), e.child_id(), e.village_code(),
              e.organisation_id()};
    ASSIGN_OR_RETURN(folded.event.risk, risk(e.risk_level()));
  } else if (payload.Is<rv1::CaseOpenedFromRoster>()) {
    // A child the county's roster brought in (RosterService): active with no grade yet. Planned as medium —
    // a verification visit within medium's days — until an assessment or SetRiskLevel grades it, whose
    // RiskLevelChanged re-plans it.
    rv1::CaseOpenedFromRoster e;
    if (!payload.UnpackTo(&e)) return absl::InvalidArgumentError("CaseOpenedFromRoster payload");
    folded = {e.case_id(), occurred(CaseEventKind::kAccepted, e.at()), e.child_id(), e.village_code(),
              e.organisation_id()};
    folded.event.risk = RiskLevel::kMedium;
  } else if (payload.Is<rv1::RiskLevelChanged>()) {
    rv1::RiskLevelChanged e;
    if (!payload.UnpackTo(&e)) return absl::InvalidArgumentError("RiskLevelChanged payload");
    folded = {e.case_id(), occurred(CaseEventKind::kRiskChanged, e.at()), e.child_id(), "", ""};
    ASSIGN_OR_RETURN(folded.event.risk, risk(e.to_risk_level()));
  } else if (payload.Is<rv1::CaseClosed>()) {
    rv1::CaseClosed e;
    if (!payload.UnpackTo(&e)) return absl::InvalidArgumentError("CaseClosed payload");
    folded = {e.case_id(), occurred(CaseEventKind::kClosed, e.at()), e.child_id(), "", ""};
  } else if (payload.Is<rv1::CaseTransferred>()) {
    rv1::CaseTransferred e;
    if (!payload.UnpackTo(&e)) return absl::InvalidArgumentError("CaseTransferred payload");
    folded = {e.case_id(), occurred(CaseEventKind::kTransferred, e.at()), e.child_id(), "", ""};
  } else if (payload.Is<rv1::CaseReopened>()) {
    rv1::CaseReopened e;
    if (!payload.UnpackTo(&e)) return absl::InvalidArgumentError("CaseReopened payload");
    folded = {e.case_id(), occurred(CaseEventKind::kReopened, e.at()), e.child_id(), "", ""};
    ASSIGN_OR_RETURN(folded.event.risk, risk(e.risk_level()));
  } else {
    return std::optional<Folded>();
  }
  return std::optional<Folded>(std::move(folded));
}

}  // namespace

namespace {

// A case that moved village and stays open and planned: the registry's CaseMovedCounty (a county transfer,
// with the receiving organisation) and HouseholdMoved (inside the county, the same organisation).
struct CaseMove {
  std::string case_id;
  std::string from_village_code;
  std::string to_village_code;
  std::string organisation_id;
  absl::string_view why;  // the release's reason, without personal detail
};

bool IsCaseMove(const common::v1::Event& event) {
  return event.payload().Is<rv1::CaseMovedCounty>() || event.payload().Is<rv1::HouseholdMoved>();
}

std::optional<CaseMove> ReadCaseMove(const common::v1::Event& event) {
  if (rv1::CaseMovedCounty e; event.payload().UnpackTo(&e)) {
    return CaseMove{e.case_id(), e.from_village_code(), e.to_village_code(), e.to_organisation_id(),
                    kReleasedByCountyMove};
  }
  if (rv1::HouseholdMoved e; event.payload().UnpackTo(&e)) {
    return CaseMove{e.case_id(), e.from_village_code(), e.to_village_code(), e.organisation_id(),
                    kReleasedByHouseholdMove};
  }
  return std::nullopt;
}

}  // namespace

absl::Status CasePlanFollower::ApplyCaseMove(db::Session& tx, const common::v1::Event& event) const {
  std::optional<CaseMove> moved = ReadCaseMove(event);
  if (!moved) {
    logger_.Warn("registry event skipped", {{"sequence", event.sequence()}, {"reason", "case move payload"}});
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(auto plans, MariaDbVisitsStore::LockCasePlans(tx, {moved->case_id}));
  auto found = plans.find(moved->case_id);
  if (found == plans.end()) {
    logger_.Warn("registry event for a case never accepted here skipped",
                 {{"sequence", event.sequence()}, {"case_id", moved->case_id}});
    return absl::OkStatus();
  }
  CasePlan& plan = found->second;
  if (plan.last_event_sequence >= event.sequence()) return absl::OkStatus();  // a replay
  const absl::Time now = clock_.Now();
  const absl::CivilDay today = ShanghaiDay(now);
  // A new address in the same village keeps the visitors, who are sent to the child's home as the registry
  // has it; another village is placed again, from the visitors who serve it. Released before the plan is
  // re-homed: a visit an older replica planned without its village, released or staying, keeps the one the
  // case is leaving, where it was planned (assignment_release.cc).
  if (moved->from_village_code != moved->to_village_code) {
    RETURN_IF_ERROR(KeepCasePlannedVillage(tx, moved->case_id));
    RETURN_IF_ERROR(ReleaseCaseFutureAssignments(tx, moved->case_id, today,
                                                 absl::StrCat(moved->why, ":", event.sequence()), now)
                        .status());
  }
  // The standing (open, risk, last visit) carries over: the child is the same child, followed elsewhere.
  plan.village_code = moved->to_village_code;
  plan.organisation_id = moved->organisation_id;
  plan.last_event_sequence = event.sequence();
  std::optional<VisitDue> next = NextVisitDue(policy_, plan.standing, today);
  return MariaDbVisitsStore::SaveCasePlans(tx, {{std::move(plan), next}}, now);
}

absl::Status CasePlanFollower::ApplyRun(db::Session& tx, absl::Span<const common::v1::Event> run) const {
  std::vector<std::pair<const common::v1::Event*, Folded>> folded;
  std::vector<std::string> case_ids;
  absl::flat_hash_set<std::string> seen;
  for (const common::v1::Event& event : run) {
    absl::StatusOr<std::optional<Folded>> f = Fold(event);
    if (!f.ok()) {
      logger_.Warn("registry event skipped",
                   {{"sequence", event.sequence()}, {"reason", std::string(f.status().message())}});
      continue;
    }
    if (!*f) continue;
    if (seen.insert((*f)->case_id).second) case_ids.push_back((*f)->case_id);
    folded.emplace_back(&event, **std::move(f));
  }
  if (folded.empty()) return absl::OkStatus();

  // The run's plans in one read, moved in memory event by event, and written back in one statement.
  ASSIGN_OR_RETURN(auto plans, MariaDbVisitsStore::LockCasePlans(tx, case_ids));
  absl::flat_hash_set<std::string> changed;
  // Closed or transferred away: the visits planned for it are no longer anyone's to make. Case id -> the
  // first such event of the run, which the release names.
  absl::flat_hash_map<std::string, int64_t> ended;
  for (const auto& [event, f] : folded) {
    auto existing = plans.find(f.case_id);
    if (existing != plans.end() && existing->second.last_event_sequence >= event->sequence()) {
      continue;  // a replay
    }
    CasePlan plan;
    if (existing != plans.end()) {
      plan = existing->second;
    } else if (f.event.kind == CaseEventKind::kAccepted) {
      plan.standing.case_id = f.case_id;
      plan.standing.child_id = f.child_id;
    } else {
      logger_.Warn("registry event for a case never accepted here skipped",
                   {{"sequence", event->sequence()}, {"case_id", f.case_id}});
      continue;
    }
    if (f.event.kind == CaseEventKind::kAccepted) {
      plan.village_code = f.village_code;
      plan.organisation_id = f.organisation_id;
    }
    absl::StatusOr<CaseStanding> standing = ApplyCaseEvent(plan.standing, f.event);
    if (!standing.ok()) {
      logger_.Warn("registry event does not follow the case's standing; skipped",
                   {{"sequence", event->sequence()},
                    {"case_id", f.case_id},
                    {"reason", std::string(standing.status().message())}});
      continue;
    }
    plan.standing = *std::move(standing);
    plan.last_event_sequence = event->sequence();
    const bool ends = f.event.kind == CaseEventKind::kClosed || f.event.kind == CaseEventKind::kTransferred;
    if (ends) ended.try_emplace(f.case_id, event->sequence());
    plans.insert_or_assign(f.case_id, std::move(plan));
    changed.insert(f.case_id);
  }
  const absl::Time now = clock_.Now();
  const absl::CivilDay today = ShanghaiDay(now);
  std::vector<PlanToSave> saves;
  saves.reserve(changed.size());
  for (const std::string& case_id : case_ids) {  // in the order the run first names them
    if (!changed.contains(case_id)) continue;
    CasePlan& plan = plans.at(case_id);
    std::optional<VisitDue> next = NextVisitDue(policy_, plan.standing, today);
    saves.push_back({std::move(plan), next});
  }
  RETURN_IF_ERROR(MariaDbVisitsStore::SaveCasePlans(tx, saves, now));
  for (const std::string& case_id : case_ids) {  // in the order the run first names them, as the saves
    auto end = ended.find(case_id);
    if (end == ended.end()) continue;
    RETURN_IF_ERROR(
        ReleaseCaseFutureAssignments(tx, case_id, today, absl::StrCat("case-ended:", end->second), now)
            .status());
  }
  return absl::OkStatus();
}

absl::Status CasePlanFollower::ApplyAll(db::Session& tx, absl::Span<const common::v1::Event> events) const {
  // A case's move also releases its future visits, so it is applied on its own, between the runs of other
  // events around it, each seeing what the one before it wrote.
  size_t run_start = 0;
  for (size_t i = 0; i <= events.size(); ++i) {
    const bool moves = i < events.size() && IsCaseMove(events[i]);
    if (i < events.size() && !moves) continue;
    RETURN_IF_ERROR(ApplyRun(tx, events.subspan(run_start, i - run_start)));
    if (moves) RETURN_IF_ERROR(ApplyCaseMove(tx, events[i]));
    run_start = i + 1;
  }
  return absl::OkStatus();
}

absl::Status CasePlanFollower::Apply(db::Session& tx, const common::v1::Event& event) const {
  return ApplyAll(tx, absl::MakeConstSpan(&event, 1));
}

}  // namespace shouhu::visits
