// Who may do what in the registry, and which records they see. The gateway applies a method-level policy
// too; the service checks again because it must never trust that it is only reached through the gateway.
// Row scope: a record is visible when its village lies within one of the caller's jurisdiction prefixes and,
// for NGO roles (caseworker, NGO admin) without a broader role, when it belongs to the caller's
// organisation. Invisible records are NOT_FOUND, so existence does not leak.
#ifndef SHOUHU_SERVICES_REGISTRY_ACCESS_POLICY_H_
#define SHOUHU_SERVICES_REGISTRY_ACCESS_POLICY_H_

#include "common/principal.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::registry {

bool MaySubmitReferral(const Principal& p);
bool MayTriage(const Principal& p);        // accept, reject, transfer referrals
bool MayChangeCases(const Principal& p);   // the case lifecycle
bool MayReadChildren(const Principal& p);  // referrals, cases, children, search
bool MayReadStatistics(const Principal& p);
bool MayReadAccessLog(const Principal& p);
bool MayReadEvents(const Principal& p);
// The whole resident id rather than the masked form.
bool MaySeeFullResidentId(const Principal& p);

// True when the caller sees only their own organisation's records.
bool OrganisationScoped(const Principal& p);

bool CanSeeReferral(const Principal& p, const v1::Referral& referral);
bool CanSeeCase(const Principal& p, const v1::Case& c);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_ACCESS_POLICY_H_
