// The one scope rule of every service (DESIGN §3): a record is visible to a caller when it lies within one
// of the caller's jurisdiction prefixes and, for callers bound to their organisation (NGO staff, volunteers),
// when it belongs to that organisation. Outside scope a record does not exist: every service answers
// NOT_FOUND, never PERMISSION_DENIED, so existence does not leak — for a record, for a division prefix
// outside the jurisdiction, and for another organisation named in a list filter.
#ifndef SHOUHU_COMMON_SCOPE_H_
#define SHOUHU_COMMON_SCOPE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/principal.h"

namespace shouhu {

// Where a record lives and whose it is: all the rule needs to know about it.
struct RecordScope {
  absl::string_view division_code;    // the village (or other division) the record belongs to
  absl::string_view organisation_id;  // the organisation responsible for it; empty when none
};

// True unless the caller holds a role that sees a whole jurisdiction (civil-affairs officer, child-welfare
// director, township supervisor, trainer, auditor, system). At a service's edge the principal holds only the
// roles that may call the method (ServiceEdge::Admit), so such a role frees a caller only where it may act.
bool OrganisationBound(const Principal& principal);

bool InScope(const Principal& principal, const RecordScope& record);

// NOT_FOUND ("<kind> not found") unless InScope.
absl::Status RequireInScope(const Principal& principal, const RecordScope& record, absl::string_view kind);

// The division prefix a list or statistic works in: the requested one when it is a valid code within the
// caller's jurisdiction (outside it: NOT_FOUND), else the caller's only jurisdiction. A caller with several
// must say which (INVALID_ARGUMENT on `field`); one with none sees nothing (NOT_FOUND).
absl::StatusOr<std::string> ScopedDivisionPrefix(const Principal& principal, absl::string_view requested,
                                                 absl::string_view field = "division_prefix");

// The organisation a list filters by: the caller's own for organisation-bound callers (naming another is
// NOT_FOUND; one with no organisation sees nothing, NOT_FOUND), else the requested one (empty: any).
absl::StatusOr<std::string> ScopedOrganisation(const Principal& principal, absl::string_view requested);

// Every division code under `prefix` sorts in [prefix, DivisionPrefixEnd(prefix)) — codes are digits and ':'
// follows '9' — so a store filters a prefix as `code >= ? AND code < ?`: an index range scan, never LIKE.
inline std::string DivisionPrefixEnd(absl::string_view prefix) { return absl::StrCat(prefix, ":"); }

}  // namespace shouhu

#endif  // SHOUHU_COMMON_SCOPE_H_
