// The pure rules of a county roster (roster_service.proto): what a row must hold to be imported or compared
// — exactly what a referral's child must (registry_validation.h), plus a resident id and a village inside
// the county — and how a roster and the registry's children of the county differ (the drift report).
#ifndef SHOUHU_SERVICES_REGISTRY_ROSTER_ROWS_H_
#define SHOUHU_SERVICES_REGISTRY_ROSTER_ROWS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "shouhu/registry/v1/resources.pb.h"
#include "shouhu/registry/v1/roster_service.pb.h"

namespace shouhu::registry {

inline constexpr int kMaxRosterChunkRows = 1000;

// A row as the registry keeps it: the referral-shaped particulars (child, household, guardians,
// categories) with the resident id normalised. INVALID_ARGUMENT naming the row's field otherwise
// ("child.resident_id", "household.village_code", "guardians[1].status", …); that the village exists is
// the caller's to check (it needs the division table).
absl::StatusOr<v1::Referral> ValidateRosterRow(const v1::RosterRow& row, const std::string& county_code,
                                               absl::CivilDay today);

// A rejection of the row for `status` (an InvalidField status): its field and the description, no value.
v1::RowRejection RejectionOf(int64_t row_number, const absl::Status& status);

// A child as drift compares them: who (the resident id's lookup hash), and the two things compared.
struct RosterChild {
  std::string resident_id_hash;
  std::string child_id;      // the registry's; empty for a roster row
  int64_t row_number = 0;    // the roster's; 0 for a registered child
  std::string village_code;  // a registered child's, for the access log
  std::vector<v1::ChildCategory> categories;
  std::vector<v1::GuardianStatus> guardian_statuses;
};

// The roster's rows against the registry's children of the county. Categories compare as sets, guardian
// statuses as sorted lists (one entry per guardian). Lists come sorted: rows by number, children by id.
v1::CompareRosterResponse CompareRosterWithRegistry(const std::vector<RosterChild>& roster,
                                                    const std::vector<RosterChild>& registered);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_ROSTER_ROWS_H_
