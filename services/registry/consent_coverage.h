// Consent to share a child's data (DESIGN §3, PIPL arts. 28 and 31), as pure rules: who may give it, and
// whether a recorded consent covers a given sharing on a given day. The store finds the candidates; these
// functions judge them, and say what is missing when none does.
#ifndef SHOUHU_SERVICES_REGISTRY_CONSENT_COVERAGE_H_
#define SHOUHU_SERVICES_REGISTRY_CONSENT_COVERAGE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "shouhu/registry/v1/cooperation_service.pb.h"

namespace shouhu::registry {

// From this age a child consents for themself; below it a guardian must (PIPL art. 31).
inline constexpr int kAgeOfOwnConsent = 14;

// Full years between `birth_date` and `day` (a birthday on 29 February counts on 1 March in other years).
int AgeOn(absl::CivilDay birth_date, absl::CivilDay day);

// OK when this consenter may consent for a child born on `birth_date`, on `today`; INVALID_ARGUMENT naming
// `consenter` otherwise (a child under 14; a guardian without a relationship).
absl::Status CheckConsenter(const v1::Consenter& consenter, absl::CivilDay birth_date, absl::CivilDay today);

// Whether `consent` allows sharing with `organisation` for `purpose` on `today`: that organisation and
// purpose, not withdrawn, and `today` not after its last valid day.
bool Covers(const v1::Consent& consent, const std::string& organisation, v1::SharingPurpose purpose,
            absl::CivilDay today);

// The first of `consents` that covers the sharing, or FAILED_PRECONDITION saying what is missing: no consent
// for that organisation and purpose at all, or only expired or withdrawn ones.
absl::StatusOr<v1::Consent> CoveringConsent(const std::vector<v1::Consent>& consents,
                                            const std::string& organisation, v1::SharingPurpose purpose,
                                            absl::CivilDay today);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_CONSENT_COVERAGE_H_
