#include "services/registry/access_policy.h"

namespace shouhu::registry {

using common::v1::ROLE_AUDITOR;
using common::v1::ROLE_CHILD_WELFARE_DIRECTOR;
using common::v1::ROLE_CIVIL_AFFAIRS_OFFICER;
using common::v1::ROLE_NGO_ADMIN;
using common::v1::ROLE_NGO_CASEWORKER;
using common::v1::ROLE_SYSTEM;

bool MaySubmitReferral(const Principal& p) {
  return HasAnyRole(p, {ROLE_NGO_CASEWORKER, ROLE_NGO_ADMIN, ROLE_CHILD_WELFARE_DIRECTOR,
                        ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_SYSTEM});
}

bool MayTriage(const Principal& p) {
  return HasAnyRole(p, {ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_NGO_ADMIN, ROLE_NGO_CASEWORKER});
}

bool MayChangeCases(const Principal& p) {
  return HasAnyRole(p, {ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_NGO_ADMIN, ROLE_NGO_CASEWORKER});
}

bool MayReadChildren(const Principal& p) {
  return HasAnyRole(p, {ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_NGO_ADMIN, ROLE_NGO_CASEWORKER,
                        ROLE_CHILD_WELFARE_DIRECTOR, ROLE_AUDITOR, ROLE_SYSTEM});
}

bool MayReadStatistics(const Principal& p) {
  return HasAnyRole(p, {ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_NGO_ADMIN, ROLE_AUDITOR, ROLE_SYSTEM});
}

bool MayReadAccessLog(const Principal& p) { return HasRole(p, ROLE_AUDITOR); }

bool MayReadEvents(const Principal& p) { return HasAnyRole(p, {ROLE_SYSTEM, ROLE_AUDITOR}); }

bool MaySeeFullResidentId(const Principal& p) {
  return HasAnyRole(p, {ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_SYSTEM});
}

bool OrganisationScoped(const Principal& p) {
  return !HasAnyRole(p, {ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_CHILD_WELFARE_DIRECTOR, ROLE_AUDITOR, ROLE_SYSTEM});
}

bool CanSeeReferral(const Principal& p, const v1::Referral& referral) {
  if (!InJurisdiction(p, referral.household().village_code())) return false;
  if (!OrganisationScoped(p)) return true;
  return referral.referring_organisation_id() == p.organisation_id() ||
         referral.assigned_organisation_id() == p.organisation_id();
}

bool CanSeeCase(const Principal& p, const v1::Case& c) {
  if (!InJurisdiction(p, c.village_code())) return false;
  return !OrganisationScoped(p) || c.organisation_id() == p.organisation_id();
}

}  // namespace shouhu::registry
