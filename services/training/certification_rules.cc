#include "services/training/certification_rules.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace shouhu::training {

bool CertificationEarned(bool attended, bool assessed, int score, int pass_mark) {
  return attended && assessed && score >= pass_mark;
}

absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth target = absl::CivilMonth(day) + months;
  const absl::CivilDay last_of_target = absl::CivilDay(target + 1) - 1;
  const absl::CivilDay wanted(target.year(), target.month(), day.day());
  // CivilDay normalises 30 Feb to 2 Mar; clamp to the month's last day instead.
  return absl::CivilMonth(wanted) == target ? wanted : last_of_target;
}

absl::CivilDay RenewedExpiry(absl::CivilDay current_expiry, absl::CivilDay renewed_on, int validity_months) {
  return AddMonths(renewed_on < current_expiry ? current_expiry : renewed_on, validity_months);
}

absl::StatusOr<CertificatePeriod> Renew(const CertificatePeriod& current, absl::CivilDay renewed_on,
                                        int validity_months) {
  if (renewed_on < current.issued_on) {
    return InvalidField("renewed_on", "must not be before the certificate was issued");
  }
  if (current.renewed_on && renewed_on <= *current.renewed_on) {
    return absl::AlreadyExistsError(absl::StrCat("the certificate was renewed on a refresher of ",
                                                 absl::FormatCivilTime(*current.renewed_on),
                                                 " already: a refresher renews it once"));
  }
  const bool lapsed = renewed_on >= current.expires_on;
  return CertificatePeriod{lapsed ? renewed_on : current.issued_on,
                           RenewedExpiry(current.expires_on, renewed_on, validity_months), renewed_on};
}

absl::Status CheckRefresher(const Refresher& refresher, const RenewedCertificate& certificate,
                            absl::CivilDay renewed_on) {
  if (refresher.participant_id != certificate.holder_id || refresher.course_id != certificate.course_id) {
    return absl::FailedPreconditionError(
        "refresher_enrollment_id is not the holder's enrollment in a session of the certificate's course");
  }
  if (!refresher.attended) {
    return absl::FailedPreconditionError("the holder's attendance at the refresher is not recorded");
  }
  if (refresher.issued_certificate) {
    return absl::FailedPreconditionError(
        "the refresher issued a certificate of its own: that is the new certificate, not a renewal");
  }
  if (!refresher.renewed_certification_id.empty() && refresher.renewed_certification_id != certificate.id) {
    return absl::FailedPreconditionError(absl::StrCat("the refresher renewed another certificate already (",
                                                      refresher.renewed_certification_id, ")"));
  }
  if (refresher.day != renewed_on) {
    return InvalidField("renewed_on", absl::StrCat("is not the refresher's day (",
                                                   absl::FormatCivilTime(refresher.day), ")"));
  }
  return absl::OkStatus();
}

absl::Status MayRenew(bool revoked) {
  if (revoked) return absl::FailedPreconditionError("a revoked certificate cannot be renewed");
  return absl::OkStatus();
}

absl::Status MayRevoke(bool revoked) {
  if (revoked) return absl::FailedPreconditionError("the certificate is already revoked");
  return absl::OkStatus();
}

v1::CertificationStatus StatusOn(bool revoked, absl::CivilDay expires_on, absl::CivilDay today) {
  if (revoked) return v1::CERTIFICATION_STATUS_REVOKED;
  return expires_on <= today ? v1::CERTIFICATION_STATUS_EXPIRED : v1::CERTIFICATION_STATUS_VALID;
}

}  // namespace shouhu::training
