// How a service serves its StreamEvents: one call is one reactor of gRPC's callback API that holds no
// thread while it waits; the process's one outbox reader (EventFeed, event_feed.h says why it is shaped so)
// writes it every event after the caller's sequence, in order, for as long as it follows. Every service's
// StreamEventsResponse has `shouhu.common.v1.Event event = 1`, so one template serves them all.
#ifndef SHOUHU_COMMON_EVENT_STREAM_H_
#define SHOUHU_COMMON_EVENT_STREAM_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "common/event_feed.h"
#include "common/grpc_status.h"

namespace shouhu {

// Initial metadata of every event stream: the last sequence the server had read when the stream opened,
// when it knew one, so a consumer can tell how far behind it starts (EventConsumer's lag).
inline constexpr char kEventStreamLastSequenceMetadata[] = "x-shouhu-last-sequence";

// Authorizes (first: an unauthenticated caller learns nothing else), checks `after_sequence`, and opens
// the stream's initial metadata. Not OK: the call ends with that status before any event.
absl::Status OpenEventStream(grpc::CallbackServerContext* context, int64_t after_sequence, EventFeed& feed,
                             const std::function<absl::Status()>& authorize);

// One StreamEvents call following `feed`. Its own object, deleted when gRPC is done with it.
template <typename Response>
class EventStreamReactor final : public grpc::ServerWriteReactor<Response>, public EventFollower {
 public:
  explicit EventStreamReactor(EventFeed& feed) : feed_(feed) {}

  void Write(const common::v1::Event& event) override {
    *response_.mutable_event() = event;
    this->StartWrite(&response_);
  }
  void End(const absl::Status& status) override { this->Finish(ToGrpcStatus(status)); }

  void OnWriteDone(bool ok) override { feed_.WriteDone(this, ok); }
  void OnCancel() override { feed_.Cancel(this); }
  void OnDone() override { delete this; }

 private:
  EventFeed& feed_;
  Response response_;  // the one write in flight
};

// The whole of a service's StreamEvents method: `authorize` runs first, on the gRPC thread that took the
// call (verifying a signed principal is CPU work only; it must not block), then every event with sequence
// > after_sequence is streamed from `feed`. Ends UNAVAILABLE when the server drains (EventFeed::EndStreams)
// or the outbox cannot be read; the caller resumes after the last sequence it received.
template <typename Response>
grpc::ServerWriteReactor<Response>* ServeEventStream(grpc::CallbackServerContext* context,
                                                     int64_t after_sequence, EventFeed& feed,
                                                     const std::function<absl::Status()>& authorize) {
  auto* reactor = new EventStreamReactor<Response>(feed);
  absl::Status status = OpenEventStream(context, after_sequence, feed, authorize);
  if (status.ok()) {
    reactor->StartSendInitialMetadata();
    status = feed.Attach(reactor, after_sequence);
  }
  if (!status.ok()) reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace shouhu

#endif  // SHOUHU_COMMON_EVENT_STREAM_H_
