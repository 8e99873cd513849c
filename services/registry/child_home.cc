#include "services/registry/child_home.h"

#include "absl/strings/numbers.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "services/registry/county_category_store.h"

namespace shouhu::registry {
namespace {

constexpr char kChildHomeForUpdate[] =
    "SELECT village_code, address_detail, latitude, longitude, categories FROM children WHERE id = ? "
    "FOR UPDATE";
constexpr char kMoveChildHome[] =
    "UPDATE children SET village_code = ?, address_detail = ?, latitude = ?, longitude = ?, updated_at = ? "
    "WHERE id = ?";

}  // namespace

db::Value CoordinateValue(bool present, double degrees) {
  return present ? db::Value(degrees) : db::Value(db::Null{});
}

void ReadCoordinates(const db::Row& row, size_t latitude_column, registry::v1::Household& household) {
  double degrees = 0;
  if (!row.IsNull(latitude_column) && absl::SimpleAtod(row.String(latitude_column), &degrees)) {
    household.set_latitude(degrees);
  }
  if (!row.IsNull(latitude_column + 1) && absl::SimpleAtod(row.String(latitude_column + 1), &degrees)) {
    household.set_longitude(degrees);
  }
}

absl::StatusOr<std::optional<ChildHome>> LockChildHome(db::Session& tx, const std::string& child_id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kChildHomeForUpdate, {child_id}));
  if (!row) return std::optional<ChildHome>();
  ChildHome home;
  home.household.set_village_code(row->String(0));
  home.household.set_address_detail(row->String(1));
  ReadCoordinates(*row, 2, home.household);
  home.categories = row->String(4);
  return std::optional<ChildHome>(std::move(home));
}

absl::Status MoveChildHome(db::Session& tx, const std::string& child_id, const ChildHome& from,
                           const registry::v1::Household& to, absl::Time at, CountChanges& counts) {
  RETURN_IF_ERROR(
      tx.Execute(kMoveChildHome,
                 {to.village_code(), to.address_detail(), CoordinateValue(to.has_latitude(), to.latitude()),
                  CoordinateValue(to.has_longitude(), to.longitude()), ToSqlTimestamp(at), child_id})
          .status());
  const std::string& old_village = from.household.village_code();
  if (old_village == to.village_code()) return absl::OkStatus();
  counts.AddChild(old_village, from.categories, -1);
  counts.AddChild(to.village_code(), from.categories, 1);
  return MoveCountyCategoryRows(tx, child_id, old_village, to.village_code(), from.categories);
}

}  // namespace shouhu::registry
