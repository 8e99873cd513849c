#include "common/event_consumer.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpc/support/time.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/support/byte_buffer.h>
#include <sodium.h>

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/event_stream.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace shouhu {
namespace {

using ::google::protobuf::internal::WireFormatLite;

constexpr absl::string_view kEnsureCheckpoint =
    "INSERT IGNORE INTO event_checkpoints (consumer, last_sequence, updated_at) "
    "VALUES (?, 0, CURRENT_TIMESTAMP(6))";
constexpr absl::string_view kReadCheckpoint =
    "SELECT last_sequence FROM event_checkpoints WHERE consumer = ?";
constexpr absl::string_view kLockCheckpoint =
    "SELECT last_sequence FROM event_checkpoints WHERE consumer = ? FOR UPDATE";
constexpr absl::string_view kAdvanceCheckpoint =
    "UPDATE event_checkpoints SET last_sequence = ?, updated_at = CURRENT_TIMESTAMP(6) WHERE consumer = ?";

// StreamEventsRequest{after_sequence = 1}, written by hand: the consumer knows no service's request type.
grpc::ByteBuffer StreamRequest(int64_t after_sequence) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.WriteTag(WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_VARINT));
    coded.WriteVarint64(static_cast<uint64_t>(after_sequence));
  }
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// The event of a StreamEventsResponse{event = 1}; other fields, if a service ever adds some, are skipped.
absl::StatusOr<common::v1::Event> EventOf(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return absl::InternalError("unreadable stream message");
  std::string bytes;
  for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  std::optional<common::v1::Event> event;
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == 1 &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      std::string field;
      if (!WireFormatLite::ReadBytes(&in, &field)) break;
      event.emplace();
      if (!event->ParseFromString(field)) return absl::InternalError("malformed event in the stream");
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return absl::InternalError("malformed stream message");
    }
  }
  if (!in.ConsumedEntireMessage() || !event) return absl::InternalError("stream message without an event");
  return *std::move(event);
}

// Waits for the one operation in flight on `cq` (each is tagged with the consumer; one at a time); false when
// it failed (the call is over).
bool Await(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  return cq.Next(&tag, &ok) && ok;
}

enum class ReadState { kRead, kPending, kEnded };

// Whether the read just started on `cq` has completed already (its message had arrived), without waiting.
ReadState Poll(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  switch (cq.AsyncNext(&tag, &ok, gpr_time_0(GPR_CLOCK_MONOTONIC))) {
    case grpc::CompletionQueue::GOT_EVENT:
      return ok ? ReadState::kRead : ReadState::kEnded;
    case grpc::CompletionQueue::TIMEOUT:
      return ReadState::kPending;
    case grpc::CompletionQueue::SHUTDOWN:
      break;
  }
  return ReadState::kEnded;
}

}  // namespace

EventConsumer::EventConsumer(db::Pool& pool, Metrics& metrics, Logger& logger, EventConsumerOptions options,
                             ApplyEvent apply)
    : EventConsumer(pool, metrics, logger, std::move(options),
                    [apply = std::move(apply)](db::Session& tx,
                                               absl::Span<const common::v1::Event> events) -> absl::Status {
                      for (const common::v1::Event& event : events) RETURN_IF_ERROR(apply(tx, event));
                      return absl::OkStatus();
                    }) {}

EventConsumer::EventConsumer(db::Pool& pool, Metrics& metrics, Logger& logger, EventConsumerOptions options,
                             ApplyEvents apply)
    : pool_(pool),
      metrics_(metrics),
      logger_(logger),
      options_(std::move(options)),
      apply_(std::move(apply)),
      labels_(absl::StrCat("consumer=\"", options_.name, "\"")),
      stub_(options_.channel) {}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::Start() {
  if (thread_.joinable() || stop_.HasBeenNotified()) return;
  thread_ = std::thread([this] { Run(); });
}

void EventConsumer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (call_ != nullptr) call_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int64_t> ReadCheckpoint(db::Session& session, const std::string& consumer) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, session.QueryOne(kReadCheckpoint, {consumer}));
  return row ? row->Int(0) : 0;
}

absl::Status EnsureCheckpoint(db::Session& tx, const std::string& consumer) {
  return tx.Execute(kEnsureCheckpoint, {consumer}).status();
}

absl::StatusOr<int64_t> LockCheckpoint(db::Session& tx, const std::string& consumer) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kLockCheckpoint, {consumer}));
  if (!row) return absl::InternalError(absl::StrCat("the checkpoint row of ", consumer, " is missing"));
  return row->Int(0);
}

absl::Status SetCheckpoint(db::Session& tx, const std::string& consumer, int64_t sequence) {
  return tx.Execute(kAdvanceCheckpoint, {sequence, consumer}).status();
}

absl::StatusOr<int64_t> EventConsumer::Checkpoint() {
  return db::ReadOne<int64_t>(pool_,
                              [&](db::Session& session) { return ReadCheckpoint(session, options_.name); });
}

void EventConsumer::Run() {
  absl::Duration backoff = options_.min_backoff;
  while (!stop_.HasBeenNotified()) {
    int applied = 0;
    const absl::Status ended = FollowOnce(applied);
    metrics_.Set("shouhu_event_consumer_connected", labels_, 0);
    if (stop_.HasBeenNotified()) break;
    // It was working (or simply lived out its deadline): this is a new failure, not a repeated one.
    if (applied > 0 || ended.code() == absl::StatusCode::kDeadlineExceeded) backoff = options_.min_backoff;
    // Half fixed, half random: spread out, yet never an immediate retry.
    const auto spread = static_cast<uint32_t>(
        std::min<int64_t>(absl::ToInt64Microseconds(backoff / 2), int64_t{1'000'000'000}));
    const absl::Duration wait = backoff / 2 + absl::Microseconds(randombytes_uniform(spread + 1));
    logger_.Warn("event stream ended; reconnecting", {{"consumer", options_.name},
                                                      {"code", GrpcCodeName(static_cast<int>(ended.code()))},
                                                      {"error", std::string(ended.message())},
                                                      {"retry_ms", absl::ToInt64Milliseconds(wait)}});
    metrics_.Add("shouhu_event_consumer_reconnects_total", labels_);
    if (stop_.WaitForNotificationWithTimeout(wait)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status EventConsumer::FollowOnce(int& applied) {
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) { return EnsureCheckpoint(tx, options_.name); }));
  ASSIGN_OR_RETURN(int64_t checkpoint, Checkpoint());
  ReportLag(checkpoint);

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.stream_lifetime));
  options_.identify(context);
  {
    absl::MutexLock lock(&mu_);
    if (stop_.HasBeenNotified()) return absl::CancelledError("stopping");
    call_ = &context;
  }
  grpc::CompletionQueue cq;
  grpc::ByteBuffer message;  // outlives a read still pending when the call ends
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub_.PrepareCall(&context, options_.method, &cq);
  absl::Status outcome;
  call->StartCall(this);
  if (Await(cq)) {
    call->WriteLast(StreamRequest(checkpoint), grpc::WriteOptions(), this);
    if (Await(cq)) {
      call->ReadInitialMetadata(this);
      if (Await(cq)) {
        const auto& metadata = context.GetServerInitialMetadata();
        auto last = metadata.find(kEventStreamLastSequenceMetadata);
        int64_t announced = 0;
        if (last != metadata.end() &&
            absl::SimpleAtoi(absl::string_view(last->second.data(), last->second.size()), &announced)) {
          source_last_ = std::max(source_last_, announced);
        }
        metrics_.Set("shouhu_event_consumer_connected", labels_, 1);
        ReportLag(checkpoint);
        // Waits for the next message, then takes what else has already arrived; a read still pending when
        // the batch is applied is the next batch's first message.
        bool open = true;
        bool read_pending = false;
        while (open && outcome.ok()) {
          if (!read_pending) call->Read(&message, this);
          read_pending = false;
          if (!Await(cq)) break;  // the stream ended: Finish says why
          std::vector<common::v1::Event> events;
          absl::Status unreadable;
          for (;;) {
            absl::StatusOr<common::v1::Event> event = EventOf(message);
            if (!event.ok()) {
              unreadable = event.status();
              break;
            }
            events.push_back(*std::move(event));
            if (events.size() == kMaxEventsPerTransaction) break;
            call->Read(&message, this);
            const ReadState state = Poll(cq);
            if (state == ReadState::kPending) {
              read_pending = true;
              break;
            }
            if (state == ReadState::kEnded) {
              open = false;
              break;
            }
          }
          outcome = Apply(events, applied);
          if (outcome.ok()) outcome = unreadable;
        }
      }
    }
  }
  if (!outcome.ok()) context.TryCancel();
  grpc::Status status;
  call->Finish(&status, this);
  Await(cq);
  {
    absl::MutexLock lock(&mu_);
    call_ = nullptr;
  }
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  if (!outcome.ok()) return outcome;
  return status.ok() ? absl::UnavailableError("the stream ended") : FromGrpcStatus(status);
}

absl::Status EventConsumer::Apply(const std::vector<common::v1::Event>& events, int& applied) {
  if (events.empty()) return absl::OkStatus();
  source_last_ = std::max(source_last_, events.back().sequence());
  absl::Status outcome = ApplyTogether(events);
  if (outcome.ok()) {
    applied += static_cast<int>(events.size());
  } else if (events.size() > 1) {
    logger_.Warn("a batch of events failed; applying them one at a time",
                 {{"consumer", options_.name},
                  {"first_sequence", events.front().sequence()},
                  {"events", static_cast<int64_t>(events.size())},
                  {"error", std::string(outcome.message())}});
    outcome = absl::OkStatus();
    for (const common::v1::Event& event : events) {
      outcome = ApplyTogether(absl::MakeConstSpan(&event, 1));
      if (!outcome.ok()) break;
      ++applied;
    }
  }
  return outcome;
}

absl::Status EventConsumer::ApplyTogether(absl::Span<const common::v1::Event> events) {
  int64_t checkpoint = 0;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(checkpoint, LockCheckpoint(tx, options_.name));
    // The events come in sequence order; those at or before the checkpoint were applied already.
    size_t fresh = 0;
    while (fresh < events.size() && events[fresh].sequence() <= checkpoint) ++fresh;
    if (fresh == events.size()) return absl::OkStatus();
    RETURN_IF_ERROR(apply_(tx, events.subspan(fresh)));
    checkpoint = events.back().sequence();
    return SetCheckpoint(tx, options_.name, checkpoint);
  }));
  const google::protobuf::Timestamp& at = events.back().occurred_at();
  const absl::Time occurred = absl::FromUnixSeconds(at.seconds()) + absl::Nanoseconds(at.nanos());
  metrics_.Set("shouhu_event_consumer_lag_seconds", labels_,
               std::max(0.0, absl::ToDoubleSeconds(absl::Now() - occurred)));
  ReportLag(checkpoint);
  return absl::OkStatus();
}

void EventConsumer::ReportLag(int64_t checkpoint) {
  metrics_.Set("shouhu_event_consumer_checkpoint", labels_, static_cast<double>(checkpoint));
  metrics_.Set("shouhu_event_consumer_lag_events", labels_,
               static_cast<double>(std::max<int64_t>(0, source_last_ - checkpoint)));
}

}  // namespace shouhu
