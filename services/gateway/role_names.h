// The role names the gateway reads. Tokens' "roles" claim and the policy file write the enum names of
// shouhu.common.v1.Role without their ROLE_ prefix ("CIVIL_AFFAIRS_OFFICER"), exactly as
// deploy/local/gateway/policy.json spells them; an API client's stored row holds the full enum name the admin
// service wrote ("ROLE_CIVIL_AFFAIRS_OFFICER"). Nothing else is a role: not another letter case, not the
// ROLE_ form in a token, not UNSPECIFIED. A name that is not a role grants nothing.
#ifndef SHOUHU_SERVICES_GATEWAY_ROLE_NAMES_H_
#define SHOUHU_SERVICES_GATEWAY_ROLE_NAMES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/principal.h"

namespace shouhu::gateway {

// A role as tokens and the policy file name it: "CIVIL_AFFAIRS_OFFICER"; nullopt for anything else.
std::optional<Role> ParseRole(absl::string_view name);

// A role as an API client's row stores it: "ROLE_CIVIL_AFFAIRS_OFFICER"; nullopt for anything else.
std::optional<Role> ParseStoredRole(absl::string_view name);

// Whether the gateway may sign `role` for a caller. SYSTEM is the services' own, signed only by a service's
// key for itself (DESIGN.md §3): a service cannot tell a caller's SYSTEM from a service's, and SYSTEM sees
// every event of the region, unmasked resident ids, every organisation.
bool IsCallerRole(Role role);

// The roles an API client's stored row acts with, in its order: the stored names that are caller roles. A
// row written before CreateApiClient refused SYSTEM keeps it, granting nothing, so it is not shown either.
std::vector<Role> ActingRolesOfStored(const std::vector<std::string>& stored_names);

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_ROLE_NAMES_H_
