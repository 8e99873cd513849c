#include "services/registry/statistics_counts.h"

#include "services/registry/child_columns.h"

namespace shouhu::registry {

Statistics StatisticsFromCounts(const std::vector<ChildCount>& children,
                                const std::vector<CaseCount>& cases) {
  std::map<std::string, int64_t> children_by_county;
  std::map<int, int64_t> by_category;
  std::map<std::pair<std::string, int>, int64_t> by_county_status;
  std::map<int, int64_t> by_risk;
  for (const ChildCount& row : children) {
    if (row.children == 0) continue;
    children_by_county[row.county_code] += row.children;
    for (int category : CategoryListValues(row.categories)) by_category[category] += row.children;
  }
  for (const CaseCount& row : cases) {
    if (row.cases == 0) continue;
    by_county_status[{row.county_code, row.status}] += row.cases;
    by_risk[row.risk_level] += row.cases;
  }
  // Children and cases are read apart: a child registered between the two reads could make a county's cases
  // outnumber its children for a moment, so the remainder is never below zero.
  for (const auto& [county, total] : children_by_county) {
    int64_t with_case = 0;
    for (auto it = by_county_status.lower_bound({county, 0});
         it != by_county_status.end() && it->first.first == county; ++it) {
      with_case += it->second;
    }
    if (total > with_case) {
      by_county_status[{county, v1::CASE_STATUS_UNSPECIFIED}] += total - with_case;
      by_risk[v1::RISK_LEVEL_UNSPECIFIED] += total - with_case;
    }
  }
  Statistics stats;
  for (const auto& [county_status, count] : by_county_status) {
    stats.by_county.push_back(
        {county_status.first, static_cast<v1::CaseStatus>(county_status.second), count});
  }
  for (const auto& [category, count] : by_category) {
    stats.by_category.emplace_back(static_cast<v1::ChildCategory>(category), count);
  }
  for (const auto& [risk, count] : by_risk) {
    stats.by_risk.emplace_back(static_cast<v1::RiskLevel>(risk), count);
  }
  return stats;
}

void CountChanges::AddChild(absl::string_view village_code, absl::string_view categories, int64_t delta) {
  children_[{std::string(CountyOf(village_code)), std::string(categories)}] += delta;
}

void CountChanges::AddCase(const CountedCase& c, int64_t delta) {
  cases_[{std::string(CountyOf(c.village_code)), c.status, c.risk_level}] += delta;
}

void CountChanges::ChangeCase(const CountedCase& before, const CountedCase& after) {
  AddCase(before, -1);
  AddCase(after, 1);
}

std::vector<ChildCount> CountChanges::ChildRows() const {
  std::vector<ChildCount> rows;
  for (const auto& [key, delta] : children_) {
    if (delta != 0) rows.push_back({key.first, key.second, delta});
  }
  return rows;
}

std::vector<CaseCount> CountChanges::CaseRows() const {
  std::vector<CaseCount> rows;
  for (const auto& [key, delta] : cases_) {
    if (delta != 0) rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), delta});
  }
  return rows;
}

}  // namespace shouhu::registry
