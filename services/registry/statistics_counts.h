// The province statistics (GetStatistics) as counts kept beside what they count (issue 14, migration 0045):
// the changes one transaction makes to them, gathered and summed before they are written, and the answer
// assembled from count rows. Pure: the SQL that reads and writes the counts is statistics_count_store.
#ifndef SHOUHU_SERVICES_REGISTRY_STATISTICS_COUNTS_H_
#define SHOUHU_SERVICES_REGISTRY_STATISTICS_COUNTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::registry {

struct Statistics {
  struct CountyRow {
    std::string county_code;
    v1::CaseStatus status;
    int64_t children;
  };
  std::vector<CountyRow> by_county;
  std::vector<std::pair<v1::ChildCategory, int64_t>> by_category;
  // Children by their current case's risk grade; RISK_LEVEL_UNSPECIFIED: no current case (or not graded).
  std::vector<std::pair<v1::RiskLevel, int64_t>> by_risk;
};

// Children of a county with one category list (children.categories as written).
struct ChildCount {
  std::string county_code;
  std::string categories;
  int64_t children = 0;
};

// Current cases (cases.is_current) of a county with one status and risk level.
struct CaseCount {
  std::string county_code;
  int status = 0;
  int risk_level = 0;
  int64_t cases = 0;
};

// What the case counts know of a case: where it lies and its status and risk.
struct CountedCase {
  std::string village_code;
  int status = 0;
  int risk_level = 0;
};

// The statistics from counts per key (zero counts are left out, as a scan finds no row for them). A child
// without a current case is counted in its county with no status and no risk: what its county's children
// number beyond its current cases (never below zero).
Statistics StatisticsFromCounts(const std::vector<ChildCount>& children, const std::vector<CaseCount>& cases);

// The changes one transaction makes to the counts, summed per key: a child registered, a case made current,
// a case retired, a county transfer (minus in the old county, plus in the new). Written once at the end of
// the transaction, in key order (ChildRows, then CaseRows), so two transactions lock count rows in one order.
class CountChanges {
 public:
  void AddChild(absl::string_view village_code, absl::string_view categories, int64_t delta);
  void AddCase(const CountedCase& c, int64_t delta);
  // A counted case that changed (status, risk or village): minus the old, plus the new.
  void ChangeCase(const CountedCase& before, const CountedCase& after);

  // The non-zero sums in key order.
  std::vector<ChildCount> ChildRows() const;
  std::vector<CaseCount> CaseRows() const;

 private:
  std::map<std::pair<std::string, std::string>, int64_t> children_;
  std::map<std::tuple<std::string, int, int>, int64_t> cases_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_STATISTICS_COUNTS_H_
