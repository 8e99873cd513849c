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
constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

}  // namespace

absl::Status Outbox::Append(db::Session& tx, absl::string_view aggregate_id,
                            const google::protobuf::Message& payload, absl::Time occurred_at) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kLockSequence));
  if (!row) return absl::InternalError("outbox_sequence row is missing");
  const int64_t sequence = row->Int(0) + 1;
  RETURN_IF_ERROR(tx.Execute(kAdvanceSequence, {sequence}).status());
  return tx
      .Execute(kInsertEvent,
               {sequence, ids_.Next(), payload.GetDescriptor()->full_name(), std::string(aggregate_id),
                ToSqlTimestamp(occurred_at), payload.SerializeAsString()})
      .status();
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

absl::Status Outbox::Follow(int64_t after, const std::function<bool(const common::v1::Event&)>& send,
                            const std::function<bool()>& stopped, absl::Duration poll) {
  if (followers_.fetch_add(1) >= max_followers_) {
    followers_.fetch_sub(1);
    return absl::ResourceExhaustedError("too many event streams at once; retry later");
  }
  struct Leave {
    std::atomic<int>& count;
    ~Leave() { count.fetch_sub(1); }
  } leave{followers_};
  constexpr int kBatch = 500;
  while (!stopped()) {
    ASSIGN_OR_RETURN(std::vector<common::v1::Event> events, ReadAfter(after, kBatch));
    for (const auto& event : events) {
      if (!send(event)) return absl::OkStatus();
      after = event.sequence();
    }
    if (static_cast<int>(events.size()) < kBatch) absl::SleepFor(poll);
  }
  return absl::OkStatus();
}

}  // namespace shouhu
