#include "services/registry/consent_coverage.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace shouhu::registry {

int AgeOn(absl::CivilDay birth_date, absl::CivilDay day) {
  int age = static_cast<int>(day.year() - birth_date.year());
  if (day.month() < birth_date.month() || (day.month() == birth_date.month() && day.day() < birth_date.day()))
    --age;
  return age;
}

absl::Status CheckConsenter(const v1::Consenter& consenter, absl::CivilDay birth_date, absl::CivilDay today) {
  switch (consenter.kind()) {
    case v1::CONSENTER_KIND_GUARDIAN:
      if (consenter.relationship() == v1::GUARDIAN_RELATIONSHIP_UNSPECIFIED ||
          !v1::GuardianRelationship_IsValid(consenter.relationship())) {
        return InvalidField("consenter.relationship", "is required for a guardian");
      }
      return absl::OkStatus();
    case v1::CONSENTER_KIND_CHILD:
      if (AgeOn(birth_date, today) < kAgeOfOwnConsent) {
        return InvalidField("consenter.kind", "a child under 14 cannot consent alone: a guardian must");
      }
      return absl::OkStatus();
    default:
      return InvalidField("consenter.kind", "is required");
  }
}

bool Covers(const v1::Consent& consent, const std::string& organisation, v1::SharingPurpose purpose,
            absl::CivilDay today) {
  if (consent.recipient_organisation_id() != organisation || consent.purpose() != purpose) return false;
  if (consent.has_withdrawn_at()) return false;
  absl::CivilDay last;
  return absl::ParseCivilTime(consent.valid_until(), &last) && today <= last;
}

absl::StatusOr<v1::Consent> CoveringConsent(const std::vector<v1::Consent>& consents,
                                            const std::string& organisation, v1::SharingPurpose purpose,
                                            absl::CivilDay today) {
  bool any = false;
  for (const v1::Consent& c : consents) {
    if (Covers(c, organisation, purpose, today)) return c;
    any = any || (c.recipient_organisation_id() == organisation && c.purpose() == purpose);
  }
  const std::string what =
      absl::StrCat("consent for ", organisation, " to ", v1::SharingPurpose_Name(purpose));
  if (any) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " is withdrawn or expired: record a new one before sharing the child's data"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat(what, " is missing: record it before sharing the child's data"));
}

}  // namespace shouhu::registry
