#include "services/registry/roster_rows.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "services/registry/registry_validation.h"

namespace shouhu::registry {
namespace {

// What a referral needs that a roster row does not carry: the roster is the county's own verified list.
constexpr char kRosterReason[] = "列入县级儿童花名册 (county roster)";

template <typename Enum>
std::vector<Enum> Sorted(std::vector<Enum> values) {
  std::sort(values.begin(), values.end());
  return values;
}

template <typename Enum>
std::vector<Enum> SortedSet(std::vector<Enum> values) {
  values = Sorted(std::move(values));
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

}  // namespace

absl::StatusOr<v1::Referral> ValidateRosterRow(const v1::RosterRow& row, const std::string& county_code,
                                               absl::CivilDay today) {
  if (row.child().resident_id().empty()) return InvalidField("child.resident_id", "is required in a roster");
  v1::SubmitReferralRequest as_referral;
  as_referral.set_source(v1::REFERRAL_SOURCE_CHILD_WELFARE_DIRECTOR);
  *as_referral.mutable_child() = row.child();
  *as_referral.mutable_household() = row.household();
  *as_referral.mutable_guardians() = row.guardians();
  *as_referral.mutable_categories() = row.categories();
  as_referral.set_reason(kRosterReason);
  as_referral.set_observed_risk(v1::RISK_LEVEL_LOW);
  ASSIGN_OR_RETURN(v1::Referral referral, ValidateSubmission(as_referral, today));
  if (!absl::StartsWith(referral.household().village_code(), county_code)) {
    return InvalidField("household.village_code", "is not in the roster's county");
  }
  referral.clear_reason();
  referral.clear_observed_risk();
  referral.clear_source();
  return referral;
}

v1::RowRejection RejectionOf(int64_t row_number, const absl::Status& status) {
  v1::RowRejection rejection;
  rejection.set_row_number(row_number);
  const std::string field = FieldOf(status);
  rejection.set_field(field);
  absl::string_view reason = status.message();
  if (!field.empty() && absl::StartsWith(reason, field + ": ")) reason.remove_prefix(field.size() + 2);
  rejection.set_reason(std::string(reason));
  return rejection;
}

v1::CompareRosterResponse CompareRosterWithRegistry(const std::vector<RosterChild>& roster,
                                                    const std::vector<RosterChild>& registered) {
  v1::CompareRosterResponse out;
  absl::flat_hash_map<std::string, const RosterChild*> by_hash;
  for (const RosterChild& child : registered) by_hash[child.resident_id_hash] = &child;
  absl::flat_hash_map<std::string, bool> listed;
  std::vector<const RosterChild*> rows;
  for (const RosterChild& row : roster) rows.push_back(&row);
  std::sort(rows.begin(), rows.end(),
            [](const RosterChild* a, const RosterChild* b) { return a->row_number < b->row_number; });
  for (const RosterChild* row : rows) {
    out.set_rows(out.rows() + 1);
    if (listed.contains(row->resident_id_hash)) {
      v1::RowRejection* twice = out.add_rejections();
      twice->set_row_number(row->row_number);
      twice->set_field("child.resident_id");
      twice->set_reason("is listed twice in the roster");
      continue;
    }
    listed[row->resident_id_hash] = true;
    auto found = by_hash.find(row->resident_id_hash);
    if (found == by_hash.end()) {
      out.add_missing_from_registry(row->row_number);
      continue;
    }
    out.set_matched(out.matched() + 1);
    const RosterChild& ours = *found->second;
    const auto roster_categories = SortedSet(row->categories), our_categories = SortedSet(ours.categories);
    const auto roster_guardians = Sorted(row->guardian_statuses),
               our_guardians = Sorted(ours.guardian_statuses);
    if (roster_categories == our_categories && roster_guardians == our_guardians) continue;
    v1::RosterDifference& d = *out.add_differences();
    d.set_row_number(row->row_number);
    d.set_child_id(ours.child_id);
    for (auto c : roster_categories) d.add_roster_categories(c);
    for (auto c : our_categories) d.add_registry_categories(c);
    for (auto s : roster_guardians) d.add_roster_guardian_statuses(s);
    for (auto s : our_guardians) d.add_registry_guardian_statuses(s);
  }
  std::vector<std::string> unlisted;
  for (const RosterChild& child : registered) {
    if (!listed.contains(child.resident_id_hash)) unlisted.push_back(child.child_id);
  }
  std::sort(unlisted.begin(), unlisted.end());
  for (auto& id : unlisted) out.add_missing_from_roster(std::move(id));
  return out;
}

}  // namespace shouhu::registry
