#include "services/registry/county_category_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/batch_statements.h"
#include "common/status_macros.h"
#include "services/registry/child_columns.h"

namespace shouhu::registry {
namespace {

constexpr absl::string_view kInsertCountyCategoriesHead =
    "INSERT INTO county_category_children (county_code, category, child_id, village_code) VALUES ";
constexpr absl::string_view kCountyCategoryTuple = "(?, ?, ?, ?)";
constexpr size_t kCountyCategoryWidth = 4;
// By whole primary keys, one per listed category: a move deletes exactly the child's rows in its old county,
// never a range of the county. The list is padded to a power of two (batch_statements.h).
constexpr absl::string_view kDeleteRowsHead =
    "DELETE FROM county_category_children WHERE county_code = ? AND child_id = ? AND category IN (";

}  // namespace

void AddCountyCategoryRows(const std::string& child_id, const std::string& village_code,
                           absl::Span<const int> categories, std::vector<db::Value>& rows) {
  std::vector<int> distinct(categories.begin(), categories.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const std::string county(CountyOf(village_code));
  for (int category : distinct) {
    rows.push_back(county);
    rows.push_back(int64_t{category});
    rows.push_back(child_id);
    rows.push_back(village_code);
  }
}

absl::Status InsertCountyCategoryRows(db::Session& tx, const std::vector<db::Value>& rows) {
  if (rows.empty()) return absl::OkStatus();
  return db::InsertRows(tx, kInsertCountyCategoriesHead, kCountyCategoryTuple, kCountyCategoryWidth, rows)
      .status();
}

absl::Status MoveCountyCategoryRows(db::Session& tx, const std::string& child_id,
                                    const std::string& from_village, const std::string& to_village,
                                    absl::string_view categories) {
  const std::vector<int> listed = CategoryListValues(categories);
  if (!listed.empty()) {
    std::vector<db::Value> params = {std::string(CountyOf(from_village)), child_id};
    for (int category : listed) params.push_back(int64_t{category});
    db::PadEntries(params, 2, 1, listed.size());
    RETURN_IF_ERROR(
        tx.Execute(absl::StrCat(kDeleteRowsHead, db::PaddedList("?", ", ", listed.size()), ")"), params)
            .status());
  }
  std::vector<db::Value> rows;
  AddCountyCategoryRows(child_id, to_village, listed, rows);
  return InsertCountyCategoryRows(tx, rows);
}

}  // namespace shouhu::registry
