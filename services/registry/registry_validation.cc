#include "services/registry/registry_validation.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "common/validation.h"

namespace shouhu::registry {
namespace {

// A person's name as the roster and the visit list print it: one line, not blank (an ideographic space
// counts as blank), at most 64 characters. Middle dots (阿依古丽·买买提) and Latin letters are names too.
// "　" registered a child no search or roster match could find; "张\n三" broke every export line.
absl::Status ValidatePersonName(absl::string_view name, absl::string_view field) {
  RETURN_IF_ERROR(ValidateMeaningfulText(name, field, 64));
  if (name.find_first_of("\n\t") != absl::string_view::npos) {
    return InvalidField(field, "must be one line without tabs");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateHousehold(const v1::Household& household, absl::string_view field) {
  const auto name = [field](absl::string_view part) { return absl::StrCat(field, ".", part); };
  if (DivisionLevel(household.village_code()) != 5) {
    return InvalidField(name("village_code"), "must be a 12-digit village code");
  }
  RETURN_IF_ERROR(ValidateText(household.address_detail(), name("address_detail"), 0, 255));
  if (household.has_latitude() != household.has_longitude()) {
    return InvalidField(name(household.has_latitude() ? "longitude" : "latitude"),
                        "latitude and longitude come together");
  }
  if (household.has_latitude() && (household.latitude() < -90 || household.latitude() > 90)) {
    return InvalidField(name("latitude"), "must be between -90 and 90");
  }
  if (household.has_longitude() && (household.longitude() < -180 || household.longitude() > 180)) {
    return InvalidField(name("longitude"), "must be between -180 and 180");
  }
  return absl::OkStatus();
}

absl::Status ValidateCareArrangement(const v1::CareArrangement& arrangement, absl::string_view field) {
  RETURN_IF_ERROR(ValidateRequiredEnum(arrangement.type(), v1::CareArrangementType_IsValid,
                                       absl::StrCat(field, ".type")));
  RETURN_IF_ERROR(ValidateText(arrangement.caregiver(), absl::StrCat(field, ".caregiver"), 1, 128));
  if (!arrangement.effective_date().empty()) {
    RETURN_IF_ERROR(ParseDay(arrangement.effective_date(), absl::StrCat(field, ".effective_date")).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Referral> ValidateSubmission(const v1::SubmitReferralRequest& request,
                                                absl::CivilDay today) {
  v1::Referral referral;
  RETURN_IF_ERROR(ValidateRequiredEnum(request.source(), v1::ReferralSource_IsValid, "source"));

  const auto& child = request.child();
  RETURN_IF_ERROR(ValidatePersonName(child.name(), "child.name"));
  RETURN_IF_ERROR(ValidateRequiredEnum(child.sex(), v1::Sex_IsValid, "child.sex"));
  ASSIGN_OR_RETURN(absl::CivilDay birth, ParseDay(child.birth_date(), "child.birth_date"));
  if (birth > today) return InvalidField("child.birth_date", "is in the future");
  if (birth <= absl::CivilDay(today.year() - 18, today.month(), today.day())) {
    return InvalidField("child.birth_date", "must be that of a child under 18");
  }
  std::string resident_id;
  if (!child.resident_id().empty()) {
    ASSIGN_OR_RETURN(ResidentId parsed, ParseResidentId(child.resident_id(), "child.resident_id", today));
    if (parsed.birth_date != birth)
      return InvalidField("child.resident_id", "does not match child.birth_date");
    const bool male = child.sex() == v1::SEX_MALE;
    if ((parsed.sex == Sex::kMale) != male)
      return InvalidField("child.resident_id", "does not match child.sex");
    resident_id = parsed.normalized;
  }

  RETURN_IF_ERROR(ValidateHousehold(request.household(), "household"));

  if (request.guardians_size() > 10) return InvalidField("guardians", "at most 10");
  for (int i = 0; i < request.guardians_size(); ++i) {
    const auto& g = request.guardians(i);
    const std::string at = absl::StrCat("guardians[", i, "]");
    RETURN_IF_ERROR(ValidatePersonName(g.name(), absl::StrCat(at, ".name")));
    RETURN_IF_ERROR(ValidateRequiredEnum(g.relationship(), v1::GuardianRelationship_IsValid,
                                         absl::StrCat(at, ".relationship")));
    RETURN_IF_ERROR(
        ValidateRequiredEnum(g.status(), v1::GuardianStatus_IsValid, absl::StrCat(at, ".status")));
  }

  if (request.categories_size() == 0) return InvalidField("categories", "at least one is required");
  std::set<int> seen;
  for (int i = 0; i < request.categories_size(); ++i) {
    const std::string at = absl::StrCat("categories[", i, "]");
    RETURN_IF_ERROR(ValidateRequiredEnum(request.categories(i), v1::ChildCategory_IsValid, at));
    if (!seen.insert(request.categories(i)).second) return InvalidField(at, "is listed twice");
  }
  RETURN_IF_ERROR(ValidateMeaningfulText(request.reason(), "reason", 2000));
  RETURN_IF_ERROR(ValidateRequiredEnum(request.observed_risk(), v1::RiskLevel_IsValid, "observed_risk"));

  referral.set_source(request.source());
  *referral.mutable_child() = child;
  referral.mutable_child()->set_resident_id(resident_id);
  *referral.mutable_household() = request.household();
  *referral.mutable_guardians() = request.guardians();
  *referral.mutable_categories() = request.categories();
  referral.set_reason(request.reason());
  referral.set_observed_risk(request.observed_risk());
  return referral;
}

}  // namespace shouhu::registry
