#include "tests/integration/common/event_source.h"

#include "common/event_stream.h"
#include "common/status_macros.h"
#include "tests/support/test_database.h"

namespace shouhu::testing {

grpc::ServerWriteReactor<eventsource::v1::StreamEventsResponse>* EventSourceService::StreamEvents(
    grpc::CallbackServerContext* context, const eventsource::v1::StreamEventsRequest* request) {
  return ServeEventStream<eventsource::v1::StreamEventsResponse>(
      context, request->after_sequence(), outbox_.feed(), [&]() -> absl::Status {
        ASSIGN_OR_RETURN(Principal principal, verifier_.Verify(*context));
        if (!HasRole(principal, common::v1::ROLE_SYSTEM)) return absl::PermissionDeniedError("system only");
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* EventSourceService::GetLastSequence(
    grpc::CallbackServerContext* context, const eventsource::v1::GetLastSequenceRequest* /*request*/,
    eventsource::v1::GetLastSequenceResponse* response) {
  return workers_.Serve(context, [this, response]() -> absl::Status {
    ASSIGN_OR_RETURN(int64_t last, outbox_.LastSequence());
    response->set_last_sequence(last);
    return absl::OkStatus();
  });
}

EventSource::EventSource(db::Pool& pool, EventFeedOptions feed)
    : pool_(pool),
      verifier_(TestTrustedKeys(), clock_),
      outbox_(pool, ids_, feed),
      service_(outbox_, verifier_, workers_) {
  server_ = std::make_unique<TestServer>(
      std::vector<std::pair<grpc::Service*, std::string>>{{&service_, "shouhu.eventsource.v1.EventSource"}},
      std::vector<std::function<void()>>{[this] { outbox_.feed().EndStreams(); }});
}

EventSource::~EventSource() { Stop(); }

void EventSource::Stop() { server_.reset(); }

absl::Status EventSource::Append(const std::string& aggregate_id, const std::string& label) {
  Principal payload;  // any message stands in for an event payload
  payload.set_subject(label);
  RETURN_IF_ERROR(pool_.Transaction(
      [&](db::Session& tx) { return outbox_.Append(tx, aggregate_id, payload, clock_.Now()); }));
  return outbox_.SequencePending().status();
}

}  // namespace shouhu::testing
