#include "services/registry/triage.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"

namespace shouhu::registry {
namespace {

absl::Status RequirePending(const v1::Referral& r, absl::string_view refusal) {
  if (r.status() == v1::REFERRAL_STATUS_PENDING) return absl::OkStatus();
  return absl::FailedPreconditionError(refusal);
}

ReferralChange Decide(const v1::Referral& current, const Actor& actor, v1::ReferralStatus status,
                      absl::string_view action, const std::string& reason) {
  ReferralChange change{current, std::string(action), reason};
  change.updated.set_status(status);
  change.updated.set_decision_reason(reason);
  *change.updated.mutable_decided_at() = ToProtoTimestamp(actor.at);
  return change;
}

bool IsOpen(v1::CaseStatus status) {
  return status == v1::CASE_STATUS_VERIFYING || status == v1::CASE_STATUS_ACTIVE;
}

}  // namespace

absl::StatusOr<ReferralChange> RejectReferral(const v1::Referral& current, const Actor& actor,
                                              const std::string& reason) {
  RETURN_IF_ERROR(RequirePending(current, "the referral has already been decided"));
  return Decide(current, actor, v1::REFERRAL_STATUS_REJECTED, "rejected", reason);
}

absl::StatusOr<ReferralChange> TransferReferral(const v1::Referral& current, const Actor&,
                                                const std::string& to_organisation,
                                                const std::string& reason) {
  RETURN_IF_ERROR(RequirePending(current, "only a pending referral can be transferred"));
  if (current.assigned_organisation_id() == to_organisation) {
    return absl::FailedPreconditionError("the referral is already with that organisation");
  }
  ReferralChange change{
      current, "transferred",
      absl::StrCat(current.assigned_organisation_id(), " -> ", to_organisation, ": ", reason)};
  change.updated.set_assigned_organisation_id(to_organisation);
  return change;
}

absl::StatusOr<ReferralChange> AcceptReferral(const v1::Referral& current, const Actor& actor,
                                              const std::string& case_id) {
  RETURN_IF_ERROR(RequirePending(current, "the referral has already been decided"));
  ReferralChange change = Decide(current, actor, v1::REFERRAL_STATUS_ACCEPTED, "accepted", "");
  change.updated.set_case_id(case_id);
  return change;
}

absl::StatusOr<std::optional<std::string>> ChildToAcceptOnto(const ReferralRecord& referral,
                                                             const std::string& existing_child_id) {
  if (!existing_child_id.empty()) {
    const bool linked = referral.linked && referral.linked->child_id == existing_child_id;
    const auto& candidates = referral.possible_duplicates;
    const bool candidate = std::any_of(candidates.begin(), candidates.end(),
                                       [&](const ChildMatch& m) { return m.child_id == existing_child_id; });
    if (!linked && !candidate) {
      return InvalidField("existing_child_id",
                          "must be the referral's linked child or one of its possible duplicates");
    }
    return std::optional<std::string>(existing_child_id);
  }
  if (referral.linked) return std::optional<std::string>(referral.linked->child_id);
  return std::optional<std::string>();
}

absl::Status CheckAcceptOnto(const Principal& triager, const RegisteredChild& child) {
  if (!InJurisdiction(triager, child.village_code)) {
    return absl::FailedPreconditionError(
        "the child is already registered outside your jurisdiction; the jurisdiction that holds the child "
        "sees this referral and may transfer their case");
  }
  if (child.current_case_id.empty() || !IsOpen(child.current_case_status)) return absl::OkStatus();
  if (!InScope(triager, {child.village_code, child.organisation_id})) {
    return absl::FailedPreconditionError(
        "the child already has an open case with another organisation: reject as a duplicate or ask for "
        "that case to be transferred");
  }
  return absl::FailedPreconditionError(absl::StrCat("the child already has an open case (",
                                                    child.current_case_id,
                                                    "): reject as a duplicate or transfer that case"));
}

}  // namespace shouhu::registry
