#include "services/registry/child_columns.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::registry {

std::string CategoryListText(const google::protobuf::RepeatedField<int>& categories) {
  return absl::StrJoin(categories, ",");
}

std::vector<int> CategoryListValues(absl::string_view text) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int value = 0;
    if (absl::SimpleAtoi(part, &value) && v1::ChildCategory_IsValid(value)) out.push_back(value);
  }
  return out;
}

}  // namespace shouhu::registry
