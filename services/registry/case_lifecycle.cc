#include "services/registry/case_lifecycle.h"

#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/timestamps.h"
#include "services/registry/child_columns.h"
#include "shouhu/registry/v1/events.pb.h"

namespace shouhu::registry {
namespace {

bool IsOpen(const Case& c) {
  return c.status() == v1::CASE_STATUS_VERIFYING || c.status() == v1::CASE_STATUS_ACTIVE;
}

absl::Status NotOpen(absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat("the case is closed: reopen it before ", what));
}

CaseChange Change(const Case& current, const Actor& actor, absl::string_view action,
                  const std::string& detail) {
  CaseChange change;
  change.updated = current;
  change.updated.clear_history();
  change.entry.set_actor(actor.subject);
  *change.entry.mutable_at() = ToProtoTimestamp(actor.at);
  change.entry.set_action(std::string(action));
  change.entry.set_from_status(current.status());
  change.entry.set_to_status(current.status());
  change.entry.set_detail(detail);
  return change;
}

void MoveTo(CaseChange& change, v1::CaseStatus status) {
  change.updated.set_status(status);
  change.entry.set_to_status(status);
}

std::optional<int64_t> MicroDegrees(bool present, double degrees) {
  if (!present) return std::nullopt;
  return std::llround(degrees * 1e6);
}

}  // namespace

bool IsAnotherHome(const v1::Household& from, const v1::Household& to) {
  return from.village_code() != to.village_code() || from.address_detail() != to.address_detail() ||
         MicroDegrees(from.has_latitude(), from.latitude()) !=
             MicroDegrees(to.has_latitude(), to.latitude()) ||
         MicroDegrees(from.has_longitude(), from.longitude()) !=
             MicroDegrees(to.has_longitude(), to.longitude());
}

absl::StatusOr<CaseChange> CompleteVerification(const Case& current, const Actor& actor,
                                                const std::string& note) {
  if (current.status() != v1::CASE_STATUS_VERIFYING) {
    return absl::FailedPreconditionError("only a case being verified can complete verification");
  }
  CaseChange change = Change(current, actor, "verified", note);
  MoveTo(change, v1::CASE_STATUS_ACTIVE);
  auto event = std::make_shared<v1::CaseVerified>();
  event->set_case_id(current.case_id());
  *event->mutable_at() = ToProtoTimestamp(actor.at);
  change.event = event;
  return change;
}

absl::StatusOr<CaseChange> TransferCase(const Case& current, const Actor& actor,
                                        const std::string& to_organisation, const std::string& to_caseworker,
                                        const std::string& reason) {
  if (!IsOpen(current)) return NotOpen("transferring it");
  if (to_organisation == current.organisation_id() && to_caseworker == current.caseworker_id()) {
    return absl::FailedPreconditionError("the case is already with that organisation and caseworker");
  }
  CaseChange change = Change(current, actor, "transferred",
                             absl::StrCat(current.organisation_id(), " -> ", to_organisation, ": ", reason));
  change.updated.set_organisation_id(to_organisation);
  change.updated.set_caseworker_id(to_caseworker);
  auto event = std::make_shared<v1::CaseTransferred>();
  event->set_case_id(current.case_id());
  event->set_child_id(current.child_id());
  event->set_from_organisation_id(current.organisation_id());
  event->set_to_organisation_id(to_organisation);
  *event->mutable_at() = ToProtoTimestamp(actor.at);
  change.event = event;
  return change;
}

absl::StatusOr<CaseChange> SetRiskLevel(const Case& current, const Actor& actor, v1::RiskLevel risk,
                                        const std::string& reason) {
  if (!IsOpen(current)) return NotOpen("changing its risk level");
  CaseChange change = Change(
      current, actor, "risk_changed",
      absl::StrCat(v1::RiskLevel_Name(current.risk_level()), " -> ", v1::RiskLevel_Name(risk), ": ", reason));
  change.updated.set_risk_level(risk);
  auto event = std::make_shared<v1::RiskLevelChanged>();
  event->set_case_id(current.case_id());
  event->set_child_id(current.child_id());
  event->set_from_risk_level(current.risk_level());
  event->set_to_risk_level(risk);
  *event->mutable_at() = ToProtoTimestamp(actor.at);
  change.event = event;
  return change;
}

absl::StatusOr<CaseChange> ChangeCareArrangement(const Case& current, const Actor& actor,
                                                 const v1::CareArrangement& arrangement,
                                                 const std::string& reason) {
  if (!IsOpen(current)) return NotOpen("changing its care arrangement");
  CaseChange change = Change(current, actor, "care_changed",
                             absl::StrCat(v1::CareArrangementType_Name(arrangement.type()), ": ", reason));
  *change.updated.mutable_care_arrangement() = arrangement;
  auto event = std::make_shared<v1::CareArrangementChanged>();
  event->set_case_id(current.case_id());
  event->set_child_id(current.child_id());
  event->set_type(arrangement.type());
  *event->mutable_at() = ToProtoTimestamp(actor.at);
  change.event = event;
  return change;
}

absl::StatusOr<CaseChange> MoveHousehold(const Case& current, const v1::Household& home,
                                         const v1::Household& to, const Actor& actor,
                                         const std::string& reason) {
  if (!IsOpen(current)) return NotOpen("recording where the child lives");
  if (CountyOf(to.village_code()) != CountyOf(current.village_code())) {
    return absl::FailedPreconditionError(
        "household.village_code is in another county: ask that county to take the case with a county "
        "transfer (RequestCountyTransfer)");
  }
  if (!IsAnotherHome(home, to)) return absl::FailedPreconditionError("the child already lives there");
  // The history is read by everyone who reads the case: it names the villages, never the address.
  const std::string detail =
      home.village_code() == to.village_code()
          ? absl::StrCat("address changed in ", to.village_code(), ": ", reason)
          : absl::StrCat(current.village_code(), " -> ", to.village_code(), ": ", reason);
  CaseChange change = Change(current, actor, "household_moved", detail);
  change.updated.set_village_code(to.village_code());
  auto event = std::make_shared<v1::HouseholdMoved>();
  event->set_case_id(current.case_id());
  event->set_child_id(current.child_id());
  event->set_from_village_code(current.village_code());
  event->set_to_village_code(to.village_code());
  event->set_organisation_id(current.organisation_id());
  *event->mutable_at() = ToProtoTimestamp(actor.at);
  change.event = event;
  return change;
}

absl::StatusOr<CaseChange> CloseCase(const Case& current, const Actor& actor, const std::string& reason) {
  if (!IsOpen(current)) return absl::FailedPreconditionError("the case is already closed");
  CaseChange change = Change(current, actor, "closed", reason);
  MoveTo(change, v1::CASE_STATUS_CLOSED);
  *change.updated.mutable_closed_at() = ToProtoTimestamp(actor.at);
  change.updated.set_close_reason(reason);
  auto event = std::make_shared<v1::CaseClosed>();
  event->set_case_id(current.case_id());
  event->set_child_id(current.child_id());
  *event->mutable_at() = ToProtoTimestamp(actor.at);
  change.event = event;
  return change;
}

absl::StatusOr<CaseChange> ReopenCase(const Case& current, const Actor& actor, const std::string& reason) {
  if (current.status() != v1::CASE_STATUS_CLOSED)
    return absl::FailedPreconditionError("only a closed case can reopen");
  // Reopened beside the case that replaced it, the child would have two open cases, one of them invisible to
  // every search and count (which follow the current case) while visits planned for both.
  if (current.replaced()) {
    return absl::FailedPreconditionError(
        "a later case of the child replaced this one; the child's work goes on in their current case");
  }
  CaseChange change = Change(current, actor, "reopened", reason);
  MoveTo(change, v1::CASE_STATUS_ACTIVE);
  change.updated.clear_closed_at();
  change.updated.clear_close_reason();
  auto event = std::make_shared<v1::CaseReopened>();
  event->set_case_id(current.case_id());
  event->set_child_id(current.child_id());
  event->set_risk_level(current.risk_level());
  *event->mutable_at() = ToProtoTimestamp(actor.at);
  change.event = event;
  return change;
}

}  // namespace shouhu::registry
