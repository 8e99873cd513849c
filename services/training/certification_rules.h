// The certificate rules: when one is earned, how long it runs, what a renewal does to it, and its status on a
// day. Pure; the store gathers the facts and writes what these decide.
#ifndef SHOUHU_SERVICES_TRAINING_CERTIFICATION_RULES_H_
#define SHOUHU_SERVICES_TRAINING_CERTIFICATION_RULES_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "shouhu/training/v1/training.pb.h"

namespace shouhu::training {

// Attendance plus a passing score.
bool CertificationEarned(bool attended, bool assessed, int score, int pass_mark);

// The first day a certificate issued on `day` is no longer valid: `months` later (clamped to the end of a
// shorter month: 31 Jan + 1 month → 28/29 Feb).
absl::CivilDay AddMonths(absl::CivilDay day, int months);

// The new expiry after a refresher on `renewed_on`: renewed before it ran out, the new period follows the
// old one; after, it starts on the renewal day.
absl::CivilDay RenewedExpiry(absl::CivilDay current_expiry, absl::CivilDay renewed_on, int validity_months);

// The days a certificate covers: from its issue day up to, not including, its expiry day.
struct CertificatePeriod {
  absl::CivilDay issued_on;
  absl::CivilDay expires_on;
  std::optional<absl::CivilDay> renewed_on;  // the refresher it was last renewed on, if any
};

// The certificate after a refresher on `renewed_on` (the edge has checked it is not after today). Renewed
// before it ran out, it keeps its issue day and runs on (RenewedExpiry). Renewed on or after its expiry day,
// a new period starts on the renewal day: the days it had lapsed stay uncovered, or the renewal would qualify
// the holder for days on which they held no valid certificate. INVALID_ARGUMENT (renewed_on) for a refresher
// dated before the certificate was issued: nothing was there to renew. ALREADY_EXISTS for a refresher on or
// before the one it was last renewed on: one refresher renews once (sent again under another request id, it
// would add a second period the holder never earned).
absl::StatusOr<CertificatePeriod> Renew(const CertificatePeriod& current, absl::CivilDay renewed_on,
                                        int validity_months);

// FAILED_PRECONDITION on a revoked certificate (renewing or revoking it again).
absl::Status MayRenew(bool revoked);
absl::Status MayRevoke(bool revoked);

// Revoked, else expired from its expiry day on, else valid.
v1::CertificationStatus StatusOn(bool revoked, absl::CivilDay expires_on, absl::CivilDay today);

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_CERTIFICATION_RULES_H_
