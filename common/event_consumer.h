// Follows another service's event stream (its StreamEvents) and applies each event to this service's own
// schema exactly once: the effect and the advance of the stored checkpoint (common table
// event_checkpoints) commit in one transaction, so a crash at any point leaves either both or neither, and
// after a restart the consumer resumes after the last sequence whose effect committed.
//
// Any service's stream, through grpc::GenericStub and the method's full name, rather than an opener
// interface per service: every StreamEventsRequest has `int64 after_sequence = 1` and every
// StreamEventsResponse `shouhu.common.v1.Event event = 1`, so the consumer writes and reads those two
// fields itself and a new consumer needs no adapter code; a service whose stream breaks that shape is caught
// by its consumer's test.
//
// One thread per consumer, which applies the events (database work) and drives the call. The events that
// have already arrived when it starts a transaction (up to kMaxEventsPerTransaction) go into that one
// transaction: a backlog, such as a county's roster import (two registry events per child), is folded at one
// commit per batch rather than per event, while a lone event is applied as soon as it comes. Only one read is
// outstanding while a batch applies, so the stream's flow control keeps a slow consumer from buffering more
// than gRPC's window. A batch that fails is applied again one event per transaction, so the events before the
// failing one commit and the failure is the failing event's alone. Reconnects after a broken stream or a
// failed apply with jittered exponential backoff (a fleet of consumers does not reconnect in step after a
// server restart). Several replicas may run the same consumer: the checkpoint row is locked by each apply, so
// an event applied by one is skipped by the others.
//
// Metrics (label consumer="<name>"): shouhu_event_consumer_checkpoint (the last sequence applied),
// shouhu_event_consumer_lag_events (the source's last sequence, as its stream announced on connect or as
// events arrived, minus the checkpoint), shouhu_event_consumer_lag_seconds (how old the last event was when
// its effect committed), shouhu_event_consumer_connected, shouhu_event_consumer_reconnects_total.
#ifndef SHOUHU_COMMON_EVENT_CONSUMER_H_
#define SHOUHU_COMMON_EVENT_CONSUMER_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/db.h"
#include "common/log.h"
#include "common/metrics.h"
#include "shouhu/common/v1/events.pb.h"

namespace shouhu {

struct EventConsumerOptions {
  // The checkpoint's key and the metrics' label, e.g. "visits-from-registry"; at most 128 characters.
  std::string name;
  // The stream's full method name, e.g. "/shouhu.registry.v1.RegistryService/StreamEvents".
  std::string method;
  std::shared_ptr<grpc::Channel> channel;
  // Attaches the consumer's own identity (its service's system principal) to each call it opens.
  std::function<void(grpc::ClientContext&)> identify;
  absl::Duration min_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
  // The deadline of each stream call: after it the stream is opened again from the checkpoint, which also
  // renews the identity it carries (a signed principal is checked when the stream opens).
  absl::Duration stream_lifetime = absl::Minutes(30);
};

// Applies one event in the consumer's transaction, which may hold events before and after it (applied in
// sequence order, each seeing what the ones before it wrote). OK: the effect commits together with the
// checkpoint. An error rolls back the transaction; the events are applied again one per transaction, and
// at the failing one the consumer reconnects after a backoff and the event comes again. Return OK for events
// of no interest, so the checkpoint moves past them. Must have no effect outside `tx`.
using ApplyEvent = std::function<absl::Status(db::Session& tx, const common::v1::Event& event)>;

// Applies a run of events, in sequence order, in the consumer's transaction: as ApplyEvent for each in turn,
// for a consumer that does better with the whole run at once (one read of the rows the run touches and one
// write of them, rather than a round trip or two per event). The run is never empty, and it holds no event
// at or before the checkpoint.
using ApplyEvents = std::function<absl::Status(db::Session& tx, absl::Span<const common::v1::Event> events)>;

// The most events one transaction applies: enough that a backlog's commits cost little, few enough that a
// batch holds its rows' locks for milliseconds, not seconds.
inline constexpr size_t kMaxEventsPerTransaction = 128;

// A consumer's row of event_checkpoints, for code that reads or moves a checkpoint outside its consumer's
// apply (a consumer that must not pass another's, a one-off that records itself finished). In the caller's
// session or transaction.
// The last sequence applied; 0 for a consumer with no row yet.
absl::StatusOr<int64_t> ReadCheckpoint(db::Session& session, const std::string& consumer);
// Makes the row (at 0) unless it exists.
absl::Status EnsureCheckpoint(db::Session& tx, const std::string& consumer);
// The checkpoint, its row locked until the transaction ends; INTERNAL when the row is missing.
absl::StatusOr<int64_t> LockCheckpoint(db::Session& tx, const std::string& consumer);
absl::Status SetCheckpoint(db::Session& tx, const std::string& consumer, int64_t sequence);

class EventConsumer {
 public:
  EventConsumer(db::Pool& pool, Metrics& metrics, Logger& logger, EventConsumerOptions options,
                ApplyEvent apply);
  EventConsumer(db::Pool& pool, Metrics& metrics, Logger& logger, EventConsumerOptions options,
                ApplyEvents apply);
  ~EventConsumer();  // Stop()
  EventConsumer(const EventConsumer&) = delete;
  EventConsumer& operator=(const EventConsumer&) = delete;

  // Follows on a thread of its own, from the stored checkpoint (0 the first time).
  void Start();
  // Ends the stream and joins: an event being applied finishes first (its transaction commits or rolls
  // back whole). Idempotent.
  void Stop();

  // The last sequence whose effect committed.
  absl::StatusOr<int64_t> Checkpoint();

 private:
  void Run();
  // One connection, from the stored checkpoint until the stream ends; `applied` counts what it applied.
  absl::Status FollowOnce(int& applied);
  // The events' effects and the checkpoint, in one transaction, else one transaction per event up to the
  // one that fails; `applied` counts the events whose effects committed.
  absl::Status Apply(const std::vector<common::v1::Event>& events, int& applied);
  // The events' effects and the checkpoint, in one transaction; an event at or before the checkpoint
  // (already applied, by this or another replica) changes nothing.
  absl::Status ApplyTogether(absl::Span<const common::v1::Event> events);
  void ReportLag(int64_t checkpoint);

  db::Pool& pool_;
  Metrics& metrics_;
  Logger& logger_;
  const EventConsumerOptions options_;
  const ApplyEvents apply_;
  const std::string labels_;
  grpc::GenericStub stub_;

  absl::Notification stop_;
  absl::Mutex mu_;
  grpc::ClientContext* call_ ABSL_GUARDED_BY(mu_) = nullptr;  // the open stream, for Stop to cancel
  int64_t source_last_ = 0;  // the consumer thread's own: the highest sequence the source announced
  std::thread thread_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_EVENT_CONSUMER_H_
