// INSERTs that more than one of the registry's stores writes with: a child's category and guardian rows (a
// referral's accept and the roster import) and a case's history (every store that opens or changes a case).
// One text each, kept here so the stores cannot drift apart on the columns they fill.
#ifndef SHOUHU_SERVICES_REGISTRY_RECORD_STATEMENTS_H_
#define SHOUHU_SERVICES_REGISTRY_RECORD_STATEMENTS_H_

#include "absl/strings/string_view.h"

namespace shouhu::registry {

inline constexpr absl::string_view kInsertChildCategory =
    "INSERT IGNORE INTO child_categories (child_id, category) VALUES (?, ?)";
inline constexpr absl::string_view kInsertGuardian =
    "INSERT INTO guardians (id, child_id, name, relationship, status) VALUES (?, ?, ?, ?, ?)";
inline constexpr absl::string_view kInsertCaseHistory =
    "INSERT INTO case_history (id, case_id, at, actor, action, from_status, to_status, detail) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_RECORD_STATEMENTS_H_
