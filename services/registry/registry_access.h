// Which registry records a caller sees and may act on. Who may call which method is the proto's
// `allowed_roles` (common/method_access.h, checked by the edge); the scope of a record is the one rule in
// common/scope.h. This file only says how a registry record maps onto that rule. Invisible records are
// NOT_FOUND, so existence does not leak.
#ifndef SHOUHU_SERVICES_REGISTRY_REGISTRY_ACCESS_H_
#define SHOUHU_SERVICES_REGISTRY_REGISTRY_ACCESS_H_

#include "absl/status/status.h"
#include "common/principal.h"
#include "common/scope.h"
#include "services/registry/referral_record.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::registry {

// The whole resident id rather than the masked form.
bool MaySeeFullResidentId(const Principal& p);

// A referral lies in its household's village; organisation-bound callers see the referrals their
// organisation made or triages. A referral that matched a registered child by resident id is also seen by
// those whose scope holds that child: the duplicate is routed to the jurisdiction that holds the child.
bool CanSeeReferral(const Principal& p, const v1::Referral& referral);
bool CanSeeReferral(const Principal& p, const ReferralRecord& record);

// The village a read of the referral is logged under: its household's when `p` sees it there, else the
// linked child's (an incoming duplicate), so that the reader's own auditors find the read.
std::string ReferralAccessVillage(const Principal& p, const ReferralRecord& record);

// The referral as `p` is shown it: the children it matched only where p's own scope holds them, so that
// nobody learns through a referral whether a resident id is registered outside their scope.
v1::Referral ReferralAsSeenBy(const Principal& p, const ReferralRecord& record);

// Accepting, rejecting or transferring a referral: NOT_FOUND unless the caller sees it; PERMISSION_DENIED
// when they see it but another organisation triages it now.
absl::Status RequireTriageScope(const Principal& p, const v1::Referral& referral);

RecordScope CaseScope(const v1::Case& c);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_REGISTRY_ACCESS_H_
