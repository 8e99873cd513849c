// Where a child lives: their record's village, address and coordinates. The village decides who may see the
// child (its county), where they are counted and searched, and where visitors are sent; the address and
// coordinates are what the visitor looks for. A move writes all of them, and what follows the village, in the
// mover's transaction: the move of an open case inside its county (MoveHousehold) and a referral accepted
// onto a registered child who has since moved (AcceptReferral).
#ifndef SHOUHU_SERVICES_REGISTRY_CHILD_HOME_H_
#define SHOUHU_SERVICES_REGISTRY_CHILD_HOME_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "services/registry/statistics_counts.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::registry {

struct ChildHome {
  registry::v1::Household household;
  // As children.categories holds them ("1,3"): the counts and the search's rows are kept per category.
  std::string categories;
};

// The child's home, their row locked; nothing when there is no such child.
absl::StatusOr<std::optional<ChildHome>> LockChildHome(db::Session& tx, const std::string& child_id);

// A household's coordinate as a column holds it (NULL when absent), and a row's latitude and longitude (at
// `latitude_column` and the next) into `household` (absent when NULL).
db::Value CoordinateValue(bool present, double degrees);
void ReadCoordinates(const db::Row& row, size_t latitude_column, registry::v1::Household& household);

// Moves the child (locked by LockChildHome, `from` as it read) to `to`: their row, the county search's
// category rows and, in `counts`, the statistics' child counts. The cases are the caller's.
absl::Status MoveChildHome(db::Session& tx, const std::string& child_id, const ChildHome& from,
                           const registry::v1::Household& to, absl::Time at, CountChanges& counts);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_CHILD_HOME_H_
