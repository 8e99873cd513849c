// Instants between the three forms they take: absl::Time inside, google.protobuf.Timestamp on the wire,
// DATETIME(6) text in UTC in MariaDB. An instant that has not happened yet (a referral not yet decided, a
// case still open) is absent on the wire and NULL in the table — never 1970-01-01.
#ifndef SHOUHU_COMMON_TIMESTAMPS_H_
#define SHOUHU_COMMON_TIMESTAMPS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "google/protobuf/timestamp.pb.h"

namespace shouhu {

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);
absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t);

// Microseconds, as DATETIME(6) keeps it: an answer built from `t` equals what a later read returns.
absl::Time TruncateToMicros(absl::Time t);

// Sets *out from a DATETIME column; a NULL leaves *out untouched. Pass the parent's mutable_x() only when
// the column is not NULL (mutable_x() itself marks the field present), or read into a local and assign.
absl::Status ReadTimestamp(const db::Row& row, size_t column, google::protobuf::Timestamp* out);

// What to write for an optional instant: NULL when `present` is false.
db::Value SqlTimestampOrNull(const google::protobuf::Timestamp& t, bool present);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_TIMESTAMPS_H_
