#include "common/timestamps.h"

#include "common/clock.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace shouhu {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

absl::Time TruncateToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

absl::Status ReadTimestamp(const db::Row& row, size_t column, google::protobuf::Timestamp* out) {
  if (row.IsNull(column)) return absl::OkStatus();
  ASSIGN_OR_RETURN(absl::Time t, FromSqlTimestamp(row.String(column)));
  *out = ToProtoTimestamp(t);
  return absl::OkStatus();
}

db::Value SqlTimestampOrNull(const google::protobuf::Timestamp& t, bool present) {
  return present ? db::Value(ToSqlTimestamp(FromProtoTimestamp(t))) : db::Value(db::Null{});
}

}  // namespace shouhu
