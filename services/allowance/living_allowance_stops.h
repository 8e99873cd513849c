// How the stores read the stop that ends a monthly enrolment (migration 0110 keeps every stop of a child):
// the first day on or after its approval that the child's case closed, was transferred away or the child left
// the category, as MonthlyEnrolment::stopped_on wants it, in a column of the row that reads the enrolment.
#ifndef SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_STOPS_H_
#define SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_STOPS_H_

#include <cstddef>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/db.h"

// A DATE column (NULL while none): the enrolment of the child whose id is the SQL expression `child_id_sql`,
// approved at the UTC time `decided_at_sql` (string literals: "a.child_id", "a.decided_at"), ends at it. The
// approval's day is Asia/Shanghai's (UTC+8, no daylight saving), as ShanghaiDay gives it. One index dive.
#define SHOUHU_STOP_OF_ENROLMENT(child_id_sql, decided_at_sql)                               \
  "(SELECT MIN(s.stopped_on) FROM living_allowance_stops s WHERE s.child_id = " child_id_sql \
  " AND s.stopped_on >= DATE(DATE_ADD(" decided_at_sql ", INTERVAL 8 HOUR)))"

namespace shouhu::allowance {

// Column `i` of `row`, read by SHOUHU_STOP_OF_ENROLMENT.
absl::StatusOr<std::optional<absl::CivilDay>> StopOf(const db::Row& row, size_t i);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_STOPS_H_
