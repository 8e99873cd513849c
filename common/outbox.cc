#include "common/outbox.h"

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace shouhu {
namespace {

constexpr absl::string_view kLockSequence =
    "SELECT last_sequence FROM outbox_sequence WHERE id = 1 FOR UPDATE";
constexpr absl::string_view kAdvanceSequence = "UPDATE outbox_sequence SET last_sequence = ? WHERE id = 1";
constexpr absl::string_view kInsertEvent =
    "INSERT INTO outbox_events (sequence, event_id, event_type, aggregate_id, occurred_at, payload) "
    "VALUES (?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kReadAfter =
    "SELECT sequence, event_id, event_type, aggregate_id, occurred_at, payload FROM outbox_events "
    "WHERE sequence > ? ORDER BY sequence LIMIT ?";
constexpr absl::string_view kLastSequence = "SELECT COALESCE(MAX(sequence), 0) FROM outbox_events";
constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

}  // namespace

Outbox::Outbox(db::Pool& pool, IdGenerator& ids, EventFeedOptions feed)
    : pool_(pool),
      ids_(ids),
      feed_([this](int64_t after, int limit) { return ReadAfter(after, limit); },
            [this] { return LastSequence(); }, feed) {}

absl::Status Outbox::Append(db::Session& tx, absl::string_view aggregate_id,
                            const google::protobuf::Message& payload, absl::Time occurred_at) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kLockSequence));
  if (!row) return absl::InternalError("outbox_sequence row is missing");
  const int64_t sequence = row->Int(0) + 1;
  RETURN_IF_ERROR(tx.Execute(kAdvanceSequence, {sequence}).status());
  RETURN_IF_ERROR(tx.Execute(kInsertEvent, {sequence, ids_.Next(), payload.GetDescriptor()->full_name(),
                                            std::string(aggregate_id), ToSqlTimestamp(occurred_at),
                                            payload.SerializeAsString()})
                      .status());
  tx.AfterCommit([this] { feed_.Wake(); });
  return absl::OkStatus();
}

absl::StatusOr<std::vector<common::v1::Event>> Outbox::ReadAfter(int64_t after, int limit) {
  std::vector<common::v1::Event> events;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(kReadAfter, {after, int64_t{limit}}));
    for (const db::Row& row : rows) {
      common::v1::Event& event = events.emplace_back();
      event.set_sequence(row.Int(0));
      event.set_event_id(row.String(1));
      event.set_type(row.String(2));
      event.set_aggregate_id(row.String(3));
      ASSIGN_OR_RETURN(absl::Time at, FromSqlTimestamp(row.String(4)));
      *event.mutable_occurred_at() =
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(at));
      event.mutable_payload()->set_type_url(absl::StrCat(kTypeUrlPrefix, row.String(2)));
      event.mutable_payload()->set_value(row.String(5));
    }
    return absl::OkStatus();
  }));
  return events;
}

absl::StatusOr<int64_t> Outbox::LastSequence() {
  return db::ReadOne<int64_t>(pool_, [](db::Session& session) -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(std::optional<db::Row> row, session.QueryOne(kLastSequence));
    return row ? row->Int(0) : 0;
  });
}

}  // namespace shouhu
