#include "services/registry/registry_access.h"

namespace shouhu::registry {

using common::v1::ROLE_CIVIL_AFFAIRS_OFFICER;
using common::v1::ROLE_SYSTEM;

bool MaySeeFullResidentId(const Principal& p) {
  return HasAnyRole(p, {ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_SYSTEM});
}

bool CanSeeReferral(const Principal& p, const v1::Referral& referral) {
  const std::string& village = referral.household().village_code();
  return InScope(p, {village, referral.referring_organisation_id()}) ||
         InScope(p, {village, referral.assigned_organisation_id()});
}

bool CanSeeReferral(const Principal& p, const ReferralRecord& record) {
  return CanSeeReferral(p, record.referral) || (record.linked && InScope(p, record.linked->scope()));
}

std::string ReferralAccessVillage(const Principal& p, const ReferralRecord& record) {
  if (CanSeeReferral(p, record.referral) || !record.linked) return record.referral.household().village_code();
  return record.linked->village_code;
}

v1::Referral ReferralAsSeenBy(const Principal& p, const ReferralRecord& record) {
  v1::Referral seen = record.referral;
  seen.clear_linked_child_id();
  seen.clear_possible_duplicate_child_ids();
  if (record.linked && InScope(p, record.linked->scope())) seen.set_linked_child_id(record.linked->child_id);
  for (const ChildMatch& m : record.possible_duplicates) {
    if (InScope(p, m.scope())) seen.add_possible_duplicate_child_ids(m.child_id);
  }
  return seen;
}

absl::Status RequireTriageScope(const Principal& p, const v1::Referral& referral) {
  if (!CanSeeReferral(p, referral)) return absl::NotFoundError("referral not found");
  if (!InScope(p, {referral.household().village_code(), referral.assigned_organisation_id()})) {
    return absl::PermissionDeniedError("the referral is with another organisation for triage");
  }
  return absl::OkStatus();
}

RecordScope CaseScope(const v1::Case& c) { return {c.village_code(), c.organisation_id()}; }

}  // namespace shouhu::registry
