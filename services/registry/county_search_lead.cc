#include "services/registry/county_search_lead.h"

namespace shouhu::registry {
namespace {

bool ByCategory(const ChildFilter& f) { return f.category != v1::CHILD_CATEGORY_UNSPECIFIED; }
bool ByGrade(const ChildFilter& f) { return f.risk_level != v1::RISK_LEVEL_UNSPECIFIED; }
bool ByStatus(const ChildFilter& f) { return f.case_status != v1::CASE_STATUS_UNSPECIFIED; }
bool ByOrganisation(const ChildFilter& f) { return !f.organisation_id.empty(); }

CountySearchLead CaseLead(const ChildFilter& f) {
  if (ByOrganisation(f)) return CountySearchLead::kOrganisation;
  return ByGrade(f) ? CountySearchLead::kGrade : CountySearchLead::kStatus;
}

}  // namespace

CountyLeadSizes LeadSizesOf(const ChildFilter& f, const Statistics& county) {
  CountyLeadSizes sizes;
  for (const auto& [category, children] : county.by_category) {
    if (category == f.category) sizes.category_children += children;
  }
  if (ByGrade(f)) {
    for (const auto& [risk, cases] : county.by_risk) {
      if (risk == f.risk_level) sizes.lead_cases += cases;
    }
  } else {
    for (const Statistics::CountyRow& row : county.by_county) {
      if (row.status == f.case_status) sizes.lead_cases += row.children;
    }
  }
  return sizes;
}

bool NeedsCountyLeadSizes(const ChildFilter& f) {
  const bool by_active_alone = f.case_status == v1::CASE_STATUS_ACTIVE && !ByGrade(f);
  return ByCategory(f) && !ByOrganisation(f) && (ByGrade(f) || ByStatus(f)) && !by_active_alone;
}

CountySearchLead ChooseCountySearchLead(const ChildFilter& f, const std::optional<CountyLeadSizes>& sizes) {
  const bool by_case = ByGrade(f) || ByStatus(f) || ByOrganisation(f);
  if (!ByCategory(f)) return by_case ? CaseLead(f) : CountySearchLead::kChildren;
  if (!by_case) return CountySearchLead::kCategory;
  if (!NeedsCountyLeadSizes(f)) {  // an organisation, or active cases alone
    return ByOrganisation(f) ? CountySearchLead::kOrganisation : CountySearchLead::kCategory;
  }
  if (sizes && sizes->category_children <= sizes->lead_cases) return CountySearchLead::kCategory;
  return CaseLead(f);
}

}  // namespace shouhu::registry
