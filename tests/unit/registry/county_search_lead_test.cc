// Which walk leads a county search: the category alone; a case filter alone; with both, the smaller set by
// the county's counts, except an organisation (always leads) and active cases alone (the category leads
// without counting).
#include "services/registry/county_search_lead.h"

#include <gtest/gtest.h>

namespace shouhu::registry {
namespace {

ChildFilter Filter(v1::ChildCategory category, v1::RiskLevel risk, v1::CaseStatus status,
                   std::string organisation = "") {
  ChildFilter f;
  f.division_prefix = "530326";
  f.category = category;
  f.risk_level = risk;
  f.case_status = status;
  f.organisation_id = std::move(organisation);
  return f;
}

constexpr auto kNoCategory = v1::CHILD_CATEGORY_UNSPECIFIED;
constexpr auto kStreet = v1::CHILD_CATEGORY_STREET_CHILD;
constexpr auto kNoGrade = v1::RISK_LEVEL_UNSPECIFIED;
constexpr auto kHigh = v1::RISK_LEVEL_HIGH;
constexpr auto kAnyStatus = v1::CASE_STATUS_UNSPECIFIED;

TEST(CountySearchLead, OneFilter_LeadsAndNeedsNoCounts) {
  const struct {
    ChildFilter filter;
    CountySearchLead lead;
  } cases[] = {
      {Filter(kNoCategory, kNoGrade, kAnyStatus), CountySearchLead::kChildren},
      {Filter(kStreet, kNoGrade, kAnyStatus), CountySearchLead::kCategory},
      {Filter(kNoCategory, kHigh, kAnyStatus), CountySearchLead::kGrade},
      {Filter(kNoCategory, kNoGrade, v1::CASE_STATUS_CLOSED), CountySearchLead::kStatus},
      {Filter(kNoCategory, kNoGrade, kAnyStatus, "ngo-1"), CountySearchLead::kOrganisation},
      // With several case filters: the organisation, then the grade, then the status.
      {Filter(kNoCategory, kHigh, v1::CASE_STATUS_ACTIVE, "ngo-1"), CountySearchLead::kOrganisation},
      {Filter(kNoCategory, kHigh, v1::CASE_STATUS_ACTIVE), CountySearchLead::kGrade},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(NeedsCountyLeadSizes(c.filter)) << static_cast<int>(c.lead);
    EXPECT_EQ(ChooseCountySearchLead(c.filter, std::nullopt), c.lead);
  }
}

TEST(CountySearchLead, CategoryWithAGrade_TheSmallerSetLeads) {
  const ChildFilter street_high = Filter(kStreet, kHigh, kAnyStatus);
  ASSERT_TRUE(NeedsCountyLeadSizes(street_high));
  // 会泽县 on the full-size data set: 243 street children, 3,508 high-risk cases.
  EXPECT_EQ(ChooseCountySearchLead(street_high, CountyLeadSizes{243, 3508}), CountySearchLead::kCategory);
  EXPECT_EQ(ChooseCountySearchLead(street_high, CountyLeadSizes{15689, 1047}), CountySearchLead::kGrade);
  EXPECT_EQ(ChooseCountySearchLead(street_high, CountyLeadSizes{500, 500}), CountySearchLead::kCategory);
  // Without the sizes (no count row), the grade leads as it did before the counts.
  EXPECT_EQ(ChooseCountySearchLead(street_high, std::nullopt), CountySearchLead::kGrade);
  // A grade with a status: still the grade against the category.
  const ChildFilter with_status = Filter(kStreet, kHigh, v1::CASE_STATUS_ACTIVE);
  ASSERT_TRUE(NeedsCountyLeadSizes(with_status));
  EXPECT_EQ(ChooseCountySearchLead(with_status, CountyLeadSizes{243, 3508}), CountySearchLead::kCategory);
  EXPECT_EQ(ChooseCountySearchLead(with_status, CountyLeadSizes{3508, 243}), CountySearchLead::kGrade);
}

TEST(CountySearchLead, CategoryWithAFewStatus_TheSmallerSetLeads) {
  const ChildFilter closed = Filter(kStreet, kNoGrade, v1::CASE_STATUS_CLOSED);
  ASSERT_TRUE(NeedsCountyLeadSizes(closed));
  EXPECT_EQ(ChooseCountySearchLead(closed, CountyLeadSizes{243, 12}), CountySearchLead::kStatus);
  EXPECT_EQ(ChooseCountySearchLead(closed, CountyLeadSizes{243, 4000}), CountySearchLead::kCategory);
}

TEST(CountySearchLead, CategoryWithActiveCasesAlone_CategoryLeadsWithoutCounting) {
  const ChildFilter active = Filter(kStreet, kNoGrade, v1::CASE_STATUS_ACTIVE);
  EXPECT_FALSE(NeedsCountyLeadSizes(active));
  EXPECT_EQ(ChooseCountySearchLead(active, std::nullopt), CountySearchLead::kCategory);
}

TEST(CountySearchLead, CategoryWithAnOrganisation_OrganisationLeadsWithoutCounting) {
  const ChildFilter ngo = Filter(kStreet, kHigh, kAnyStatus, "ngo-1");
  EXPECT_FALSE(NeedsCountyLeadSizes(ngo));
  EXPECT_EQ(ChooseCountySearchLead(ngo, std::nullopt), CountySearchLead::kOrganisation);
  EXPECT_EQ(ChooseCountySearchLead(Filter(kStreet, kNoGrade, kAnyStatus, "ngo-1"), std::nullopt),
            CountySearchLead::kOrganisation);
}

TEST(CountySearchLead, LeadSizesOf_TheCategorysChildrenAgainstTheLeadingCaseFilter) {
  Statistics county;
  county.by_category = {{v1::CHILD_CATEGORY_LEFT_BEHIND, 15689}, {kStreet, 243}};
  county.by_risk = {{kNoGrade, 10}, {v1::RISK_LEVEL_LOW, 12000}, {kHigh, 3508}};
  county.by_county = {{"530326", kAnyStatus, 10},
                      {"530326", v1::CASE_STATUS_ACTIVE, 25000},
                      {"530326", v1::CASE_STATUS_CLOSED, 12}};
  const CountyLeadSizes high = LeadSizesOf(Filter(kStreet, kHigh, kAnyStatus), county);
  EXPECT_EQ(high.category_children, 243);
  EXPECT_EQ(high.lead_cases, 3508);
  // With a grade and a status the grade would lead: its cases of every status.
  EXPECT_EQ(LeadSizesOf(Filter(kStreet, kHigh, v1::CASE_STATUS_CLOSED), county).lead_cases, 3508);
  const CountyLeadSizes closed = LeadSizesOf(Filter(kStreet, kNoGrade, v1::CASE_STATUS_CLOSED), county);
  EXPECT_EQ(closed.category_children, 243);
  EXPECT_EQ(closed.lead_cases, 12);
  EXPECT_EQ(LeadSizesOf(Filter(v1::CHILD_CATEGORY_ORPHAN, kHigh, kAnyStatus), county).category_children, 0);
}

}  // namespace
}  // namespace shouhu::registry
