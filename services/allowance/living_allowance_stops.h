// How the stores read a child's stops (migration 0110): every day the child's monthly allowance stopped, as
// LivingAllowanceChild::stops wants them, in one column of the row that reads the child's other facts.
#ifndef SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_STOPS_H_
#define SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_STOPS_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/db.h"

// A column of the child's stop days, ascending and comma-separated (NULL while none), for the child whose id
// is the SQL expression `child_id_sql` (a string literal: "c.child_id"). A primary-key range per row.
#define SHOUHU_STOP_DAYS_OF(child_id_sql)                                  \
  "(SELECT GROUP_CONCAT(s.stopped_on ORDER BY s.stopped_on SEPARATOR ',')" \
  " FROM living_allowance_stops s WHERE s.child_id = " child_id_sql ")"

namespace shouhu::allowance {

// Column `i` of `row`, read by SHOUHU_STOP_DAYS_OF.
absl::StatusOr<std::vector<absl::CivilDay>> StopDaysOf(const db::Row& row, size_t i);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_STOPS_H_
