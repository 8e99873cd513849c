#include "common/scope.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/validation.h"

namespace shouhu {

using common::v1::ROLE_AUDITOR;
using common::v1::ROLE_CHILD_WELFARE_DIRECTOR;
using common::v1::ROLE_CIVIL_AFFAIRS_OFFICER;
using common::v1::ROLE_SYSTEM;
using common::v1::ROLE_TOWNSHIP_SUPERVISOR;
using common::v1::ROLE_TRAINER;

bool OrganisationBound(const Principal& principal) {
  return !HasAnyRole(principal, {ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_CHILD_WELFARE_DIRECTOR, ROLE_TRAINER,
                                 ROLE_AUDITOR, ROLE_SYSTEM, ROLE_TOWNSHIP_SUPERVISOR});
}

bool InScope(const Principal& principal, const RecordScope& record) {
  if (!InJurisdiction(principal, record.division_code)) return false;
  if (!OrganisationBound(principal)) return true;
  // A bound caller without an organisation (a token that left out `org`) belongs to none: it must not match
  // the records that have none either.
  return !principal.organisation_id().empty() && record.organisation_id == principal.organisation_id();
}

absl::Status RequireInScope(const Principal& principal, const RecordScope& record, absl::string_view kind) {
  if (InScope(principal, record)) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat(kind, " not found"));
}

absl::StatusOr<std::string> ScopedDivisionPrefix(const Principal& principal, absl::string_view requested,
                                                 absl::string_view field) {
  if (requested.empty()) {
    if (principal.jurisdictions_size() == 0) return absl::NotFoundError("division not found");
    if (principal.jurisdictions_size() > 1) {
      return InvalidField(field, "is required when you have several jurisdictions");
    }
    return principal.jurisdictions(0);
  }
  RETURN_IF_ERROR(ValidateDivisionCode(requested, field));
  if (!InJurisdiction(principal, requested)) return absl::NotFoundError("division not found");
  return std::string(requested);
}

absl::StatusOr<std::string> ScopedOrganisation(const Principal& principal, absl::string_view requested) {
  if (!OrganisationBound(principal)) return std::string(requested);
  // Its empty filter would be every organisation's.
  if (principal.organisation_id().empty()) return absl::NotFoundError("organisation not found");
  if (!requested.empty() && requested != principal.organisation_id()) {
    return absl::NotFoundError("organisation not found");
  }
  return principal.organisation_id();
}

}  // namespace shouhu
