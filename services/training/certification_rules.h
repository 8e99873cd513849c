// The certificate rules: when one is earned, how long it runs, what a renewal does to it, and its status on a
// day. Pure; the store gathers the facts and writes what these decide.
#ifndef SHOUHU_SERVICES_TRAINING_CERTIFICATION_RULES_H_
#define SHOUHU_SERVICES_TRAINING_CERTIFICATION_RULES_H_

#include <optional>
#include <string>

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

// The refresher a renewal rests on, as recorded: an enrollment and its session.
struct Refresher {
  std::string participant_id;
  std::string course_id;
  bool attended = false;                 // attendance recorded, and present
  bool issued_certificate = false;       // it issued a certificate of its own (a retaken course)
  std::string renewed_certification_id;  // the certificate it renewed already, if any
  absl::CivilDay day;                    // the session's day (Asia/Shanghai)
};

// Whether `refresher` renews the certificate of `holder_id` in `course_id` on `renewed_on`: the holder's own
// enrollment in a session of that course, attended, on that day. FAILED_PRECONDITION for someone else's
// enrollment or another course's (a refresher proves nothing about a certificate it is not for), one without
// attendance recorded, one that issued its own certificate (retaken and passed: that certificate is the
// proof, and renewing the old one too would count one session twice), or one that renewed another
// certificate; INVALID_ARGUMENT (renewed_on) when the day is not the refresher's. A refresher that renewed
// this certificate already passes here: Renew answers it (one refresher renews once).
struct RenewedCertificate {
  std::string id;
  std::string holder_id;
  std::string course_id;
};
absl::Status CheckRefresher(const Refresher& refresher, const RenewedCertificate& certificate,
                            absl::CivilDay renewed_on);

// FAILED_PRECONDITION on a revoked certificate (renewing or revoking it again).
absl::Status MayRenew(bool revoked);
absl::Status MayRevoke(bool revoked);

// Revoked, else expired from its expiry day on, else valid.
v1::CertificationStatus StatusOn(bool revoked, absl::CivilDay expires_on, absl::CivilDay today);

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_CERTIFICATION_RULES_H_
