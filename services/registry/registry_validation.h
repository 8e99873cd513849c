// Checks of a referral submission that need no database: every field named in the error, nothing quoted.
// Returns the referral as the store will keep it (resident id normalised, 'x' → 'X').
#ifndef SHOUHU_SERVICES_REGISTRY_REGISTRY_VALIDATION_H_
#define SHOUHU_SERVICES_REGISTRY_REGISTRY_VALIDATION_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "shouhu/registry/v1/registry_service.pb.h"

namespace shouhu::registry {

// The longest organisation id a call may name (the tables' organisation_id columns).
inline constexpr size_t kMaxOrganisationIdChars = 64;

absl::StatusOr<v1::Referral> ValidateSubmission(const v1::SubmitReferralRequest& request,
                                                absl::CivilDay today);

// Shared with a household move: a 12-digit village code (whether the village exists is the store's), an
// address of at most 255 characters, and coordinates together and on the globe. `field` prefixes the names.
absl::Status ValidateHousehold(const v1::Household& household, absl::string_view field);

// Shared with case changes: a care arrangement names its type, a caregiver and a real date.
absl::Status ValidateCareArrangement(const v1::CareArrangement& arrangement, absl::string_view field);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_REGISTRY_VALIDATION_H_
