#include "services/registry/county_category_store.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/batch_statements.h"
#include "common/status_macros.h"

namespace shouhu::registry {
namespace {

constexpr size_t kCountyCodeDigits = 6;

constexpr absl::string_view kInsertHead =
    "INSERT INTO county_category_children (county_code, category, child_id, village_code) VALUES ";
constexpr absl::string_view kTuple = "(?, ?, ?, ?)";
constexpr size_t kWidth = 4;
// By the whole primary key: a move deletes exactly the child's rows in its old county (a child has at most
// six), never a range of the county.
constexpr absl::string_view kDeleteRow =
    "DELETE FROM county_category_children WHERE county_code = ? AND category = ? AND child_id = ?";

std::string CountyOf(const std::string& village_code) { return village_code.substr(0, kCountyCodeDigits); }

}  // namespace

void AddCountyCategoryRows(const std::string& child_id, const std::string& village_code,
                           absl::Span<const int> categories, std::vector<db::Value>& rows) {
  std::vector<int> distinct(categories.begin(), categories.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const std::string county = CountyOf(village_code);
  for (int category : distinct) {
    rows.push_back(county);
    rows.push_back(int64_t{category});
    rows.push_back(child_id);
    rows.push_back(village_code);
  }
}

absl::Status InsertCountyCategoryRows(db::Session& tx, const std::vector<db::Value>& rows) {
  if (rows.empty()) return absl::OkStatus();
  return db::InsertRows(tx, kInsertHead, kTuple, kWidth, rows).status();
}

absl::Status MoveCountyCategoryRows(db::Session& tx, const std::string& child_id,
                                    const std::string& from_village, const std::string& to_village,
                                    absl::string_view categories) {
  std::vector<int> listed;
  for (absl::string_view item : absl::StrSplit(categories, ',', absl::SkipEmpty())) {
    int category = 0;
    if (absl::SimpleAtoi(item, &category)) listed.push_back(category);
  }
  const std::string from_county = CountyOf(from_village);
  for (int category : listed) {
    RETURN_IF_ERROR(tx.Execute(kDeleteRow, {from_county, int64_t{category}, child_id}).status());
  }
  std::vector<db::Value> rows;
  AddCountyCategoryRows(child_id, to_village, listed, rows);
  return InsertCountyCategoryRows(tx, rows);
}

}  // namespace shouhu::registry
