// Roster rows for tests and benchmarks: row n is a distinct, valid Wuding child (resident ids differ for
// every n below 336,000).
#ifndef SHOUHU_TESTS_SUPPORT_ROSTER_FIXTURE_ROWS_H_
#define SHOUHU_TESTS_SUPPORT_ROSTER_FIXTURE_ROWS_H_

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "shouhu/registry/v1/roster_service.pb.h"
#include "tests/support/resident_ids.h"

namespace shouhu::testing {

inline registry::v1::RosterRow RosterRowNumber(int n, const std::string& village = "532329101001") {
  namespace v1 = registry::v1;
  const int sequence = n % 1000, k = n / 1000;
  const int month = k % 12 + 1, day = (k / 12) % 28 + 1;
  v1::RosterRow row;
  row.set_row_number(n);
  row.mutable_child()->set_name(absl::StrFormat("儿童%d", n));
  row.mutable_child()->set_sex(sequence % 2 == 1 ? v1::SEX_MALE : v1::SEX_FEMALE);
  row.mutable_child()->set_birth_date(absl::StrFormat("2015-%02d-%02d", month, day));
  row.mutable_child()->set_resident_id(
      ResidentIdNumber(village.substr(0, 6), absl::StrFormat("2015%02d%02d", month, day), sequence));
  row.mutable_household()->set_village_code(village);
  auto* g = row.add_guardians();
  g->set_name("监护人");
  g->set_relationship(v1::GUARDIAN_RELATIONSHIP_GRANDPARENT);
  g->set_status(v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
  row.add_categories(v1::CHILD_CATEGORY_LEFT_BEHIND);
  return row;
}

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_ROSTER_FIXTURE_ROWS_H_
