// The county search's category index (migration 0047): a row per (county, category, child) in
// county_category_children, written by every writer of a child's categories or village in that writer's own
// transaction (the accept that registers a child, the roster import, a county transfer's move), so a
// category-filtered page of a county is a range of the table's primary key.
#ifndef SHOUHU_SERVICES_REGISTRY_COUNTY_CATEGORY_STORE_H_
#define SHOUHU_SERVICES_REGISTRY_COUNTY_CATEGORY_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/db.h"

namespace shouhu::registry {

// Appends the index rows of one child living in `village_code` (each of its categories once) to `rows`, for
// InsertCountyCategoryRows: a block of children is one statement per power-of-two chunk.
void AddCountyCategoryRows(const std::string& child_id, const std::string& village_code,
                           absl::Span<const int> categories, std::vector<db::Value>& rows);

// Inserts rows gathered by AddCountyCategoryRows (nothing for none), in `tx`.
absl::Status InsertCountyCategoryRows(db::Session& tx, const std::vector<db::Value>& rows);

// Moves a child's rows from `from_village`'s county to `to_village`'s (or to another village of the same
// county), in `tx`, under the caller's lock on the child row. `categories` is the child's list as
// children.categories holds it ("1,3"). A row missing before the move (a child registered by a registry from
// before migration 0047) is written all the same.
absl::Status MoveCountyCategoryRows(db::Session& tx, const std::string& child_id,
                                    const std::string& from_village, const std::string& to_village,
                                    absl::string_view categories);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_COUNTY_CATEGORY_STORE_H_
