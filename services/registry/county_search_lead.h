// Which walk leads a county search (a county's or a township's page of children): the rule alone, so that it
// can be tested without a database. The store maps each lead to its statement (registry_store.cc).
#ifndef SHOUHU_SERVICES_REGISTRY_COUNTY_SEARCH_LEAD_H_
#define SHOUHU_SERVICES_REGISTRY_COUNTY_SEARCH_LEAD_H_

#include <cstdint>
#include <optional>

#include "services/registry/registry_store.h"
#include "services/registry/statistics_counts.h"

namespace shouhu::registry {

enum class CountySearchLead {
  kChildren,      // no filter: the county's children in id order
  kCategory,      // the county's rows of the category (county_category_children)
  kOrganisation,  // the county's current cases of the organisation
  kGrade,         // the county's current cases of the grade
  kStatus,        // the county's current cases of the status
};

// What the choice between the category and a case filter compares, from the counts kept per county: the
// county's children of the category, and its current cases of the grade (or, without a grade, of the status).
struct CountyLeadSizes {
  int64_t category_children = 0;
  int64_t lead_cases = 0;
};

// The sizes for `filter` from the county's statistics (ReadCountedStatistics of the county; a township's
// search takes its county's as the estimate).
CountyLeadSizes LeadSizesOf(const ChildFilter& filter, const Statistics& county);

// Whether choosing the lead for `filter` needs the county's sizes: a category with a grade, or with a status
// other than active cases alone (active cases are most of a county's, so the category is the smaller set
// without counting), and no organisation (an NGO's cases in a county are few: they lead when given).
bool NeedsCountyLeadSizes(const ChildFilter& filter);

// The lead for `filter`: the category alone leads; with a case filter, whichever of the category and the case
// filter is the smaller set (each entry the lead reads is tested for the other filter, so the larger set's
// walk reads more entries for the same page, or all of them when few match both); `sizes` as
// NeedsCountyLeadSizes asks (without them, the case filter leads).
CountySearchLead ChooseCountySearchLead(const ChildFilter& filter,
                                        const std::optional<CountyLeadSizes>& sizes);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_COUNTY_SEARCH_LEAD_H_
