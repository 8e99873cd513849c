// How the registry's tables write the two things every child row is filed by: its village's division code,
// whose first six digits are its county (what the county search, the statistics' counts and a county transfer
// go by), and its categories, stored as a list ("1,3") in children.categories.
#ifndef SHOUHU_SERVICES_REGISTRY_CHILD_COLUMNS_H_
#define SHOUHU_SERVICES_REGISTRY_CHILD_COLUMNS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"

namespace shouhu::registry {

inline constexpr size_t kCountyCodeDigits = 6;
inline constexpr size_t kVillageCodeDigits = 12;

// The county of a division code (a village's, a township's or the county's own).
inline absl::string_view CountyOf(absl::string_view division_code) {
  return division_code.substr(0, kCountyCodeDigits);
}

// A child's categories as children.categories stores them, in the order given.
std::string CategoryListText(const google::protobuf::RepeatedField<int>& categories);

// The valid categories of a stored list, each as often and in the order listed.
std::vector<int> CategoryListValues(absl::string_view text);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_CHILD_COLUMNS_H_
