// The counted statistics' pure parts: a transaction's count changes summed per key in lock order, and the
// answer assembled from count rows as the scan of the rows assembled it.
#include "services/registry/statistics_counts.h"

#include <gtest/gtest.h>

namespace shouhu::registry {
namespace {

constexpr char kWuding[] = "532329101001";
constexpr char kWuding2[] = "532329101002";
constexpr char kXixia[] = "640105001002";

using CountyRows = std::vector<std::tuple<std::string, v1::CaseStatus, int64_t>>;

CountyRows ByCounty(const Statistics& s) {
  CountyRows out;
  for (const auto& row : s.by_county) out.emplace_back(row.county_code, row.status, row.children);
  return out;
}

TEST(CountChangesTest, ChangesOfOneKey_SumToOneRowPerCounty_ZeroSumsLeftOut) {
  CountChanges changes;
  changes.AddChild(kWuding, "1", 1);
  changes.AddChild(kWuding2, "1", 1);  // another village of the same county: the same count
  changes.AddChild(kXixia, "1,2", 1);
  changes.AddChild(kXixia, "1,2", -1);  // moved in and out again: nothing to write
  ASSERT_EQ(changes.ChildRows().size(), 1u);
  EXPECT_EQ(changes.ChildRows()[0].county_code, "532329");
  EXPECT_EQ(changes.ChildRows()[0].categories, "1");
  EXPECT_EQ(changes.ChildRows()[0].children, 2);
  EXPECT_TRUE(changes.CaseRows().empty());
}

TEST(CountChangesTest, Rows_InKeyOrder_WhateverTheOrderOfTheChanges) {
  // Two transactions write their count rows in one order, so neither waits on the other crosswise.
  CountChanges changes;
  changes.AddCase({kXixia, v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_LOW}, 1);
  changes.AddCase({kWuding, v1::CASE_STATUS_VERIFYING, v1::RISK_LEVEL_HIGH}, 1);
  changes.AddCase({kWuding, v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_LOW}, 1);
  changes.AddCase({kWuding, v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_UNSPECIFIED}, 1);
  std::vector<std::tuple<std::string, int, int>> keys;
  for (const CaseCount& c : changes.CaseRows()) keys.emplace_back(c.county_code, c.status, c.risk_level);
  EXPECT_EQ(keys, (std::vector<std::tuple<std::string, int, int>>{
                      {"532329", v1::CASE_STATUS_VERIFYING, v1::RISK_LEVEL_HIGH},
                      {"532329", v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_UNSPECIFIED},
                      {"532329", v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_LOW},
                      {"640105", v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_LOW}}));
}

TEST(CountChangesTest, ChangeCase_MinusTheOldKeyPlusTheNew) {
  CountChanges changes;
  changes.ChangeCase({kWuding, v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_HIGH},
                     {kXixia, v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_HIGH});
  const std::vector<CaseCount> rows = changes.CaseRows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].county_code, "532329");
  EXPECT_EQ(rows[0].cases, -1);
  EXPECT_EQ(rows[1].county_code, "640105");
  EXPECT_EQ(rows[1].cases, 1);
  // The same key before and after (a change of something uncounted): nothing.
  CountChanges same;
  same.ChangeCase({kWuding, v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_HIGH},
                  {kWuding2, v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_HIGH});
  EXPECT_TRUE(same.CaseRows().empty());
}

TEST(StatisticsFromCountsTest, ChildrenWithoutACurrentCase_CountInTheirCountyWithNoStatusAndNoRisk) {
  const Statistics s = StatisticsFromCounts({{"532329", "1", 5}, {"532329", "1,3", 2}, {"640105", "", 1}},
                                            {{"532329", v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_HIGH, 3},
                                             {"532329", v1::CASE_STATUS_CLOSED, v1::RISK_LEVEL_LOW, 1}});
  EXPECT_EQ(ByCounty(s), (CountyRows{{"532329", v1::CASE_STATUS_UNSPECIFIED, 3},
                                     {"532329", v1::CASE_STATUS_ACTIVE, 3},
                                     {"532329", v1::CASE_STATUS_CLOSED, 1},
                                     {"640105", v1::CASE_STATUS_UNSPECIFIED, 1}}));
  // A child counts once in each category it lists; a child with none in none.
  EXPECT_EQ(s.by_category, (std::vector<std::pair<v1::ChildCategory, int64_t>>{
                               {v1::CHILD_CATEGORY_LEFT_BEHIND, 7}, {v1::CHILD_CATEGORY_ORPHAN, 2}}));
  EXPECT_EQ(s.by_risk,
            (std::vector<std::pair<v1::RiskLevel, int64_t>>{
                {v1::RISK_LEVEL_UNSPECIFIED, 4}, {v1::RISK_LEVEL_LOW, 1}, {v1::RISK_LEVEL_HIGH, 3}}));
}

TEST(StatisticsFromCountsTest, ZeroCounts_AreNoRows) {
  // Slots summing to zero: a county whose children all moved away, a grade no case has any more.
  const Statistics s = StatisticsFromCounts({{"532329", "2", 0}, {"640105", "1", 1}},
                                            {{"532329", v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_HIGH, 0},
                                             {"640105", v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_LOW, 1}});
  EXPECT_EQ(ByCounty(s), (CountyRows{{"640105", v1::CASE_STATUS_ACTIVE, 1}}));
  EXPECT_EQ(s.by_category,
            (std::vector<std::pair<v1::ChildCategory, int64_t>>{{v1::CHILD_CATEGORY_LEFT_BEHIND, 1}}));
  EXPECT_EQ(s.by_risk, (std::vector<std::pair<v1::RiskLevel, int64_t>>{{v1::RISK_LEVEL_LOW, 1}}));
}

TEST(StatisticsFromCountsTest, CasesReadAfterANewChild_NeverMakeTheRemainderNegative) {
  // The children were read before a child and its case were counted, the cases after.
  const Statistics s = StatisticsFromCounts({{"532329", "1", 1}},
                                            {{"532329", v1::CASE_STATUS_VERIFYING, v1::RISK_LEVEL_HIGH, 2}});
  EXPECT_EQ(ByCounty(s), (CountyRows{{"532329", v1::CASE_STATUS_VERIFYING, 2}}));
  EXPECT_EQ(s.by_risk, (std::vector<std::pair<v1::RiskLevel, int64_t>>{{v1::RISK_LEVEL_HIGH, 2}}));
}

}  // namespace
}  // namespace shouhu::registry
