// The test event source (protos/shouhu/eventsource/v1): an Outbox on a test schema with a window the test
// chooses, its StreamEvents served by ServeEventStream to SYSTEM callers only, and a unary call on
// CallWorkers, all on a TestServer whose drain ends the streams.
#ifndef SHOUHU_TESTS_INTEGRATION_COMMON_EVENT_SOURCE_H_
#define SHOUHU_TESTS_INTEGRATION_COMMON_EVENT_SOURCE_H_

#include <memory>
#include <string>

#include "common/call_workers.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/outbox.h"
#include "common/principal.h"
#include "shouhu/eventsource/v1/event_source.grpc.pb.h"
#include "tests/support/test_server.h"

namespace shouhu::testing {

inline constexpr char kEventSourceStreamMethod[] = "/shouhu.eventsource.v1.EventSource/StreamEvents";

class EventSourceService final : public eventsource::v1::EventSource::CallbackService {
 public:
  EventSourceService(Outbox& outbox, const PrincipalVerifier& verifier, CallWorkers& workers)
      : outbox_(outbox), verifier_(verifier), workers_(workers) {}

  grpc::ServerWriteReactor<eventsource::v1::StreamEventsResponse>* StreamEvents(
      grpc::CallbackServerContext* context, const eventsource::v1::StreamEventsRequest* request) override;
  grpc::ServerUnaryReactor* GetLastSequence(grpc::CallbackServerContext* context,
                                            const eventsource::v1::GetLastSequenceRequest* request,
                                            eventsource::v1::GetLastSequenceResponse* response) override;

 private:
  Outbox& outbox_;
  const PrincipalVerifier& verifier_;
  CallWorkers& workers_;
};

// The source on `pool`'s schema, served until destroyed; a second one on the same schema is "the service
// after a restart".
class EventSource {
 public:
  EventSource(db::Pool& pool, EventFeedOptions feed = {});
  ~EventSource();

  Outbox& outbox() { return outbox_; }
  EventFeed& feed() { return outbox_.feed(); }
  std::shared_ptr<grpc::Channel> channel() const { return server_->channel(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  // Appends one event (payload: a Principal whose subject is `label`) in its own transaction, and numbers it
  // before returning, so the test knows its sequence without waiting for the sequencer thread.
  absl::Status Append(const std::string& aggregate_id, const std::string& label);
  // Drains the server (ending the streams) before destruction; idempotent.
  void Stop();

 private:
  SystemClock clock_;
  IdGenerator ids_{clock_};
  db::Pool& pool_;
  PrincipalVerifier verifier_;
  CallWorkers workers_{4};
  Outbox outbox_;
  EventSourceService service_;
  std::unique_ptr<TestServer> server_;
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_INTEGRATION_COMMON_EVENT_SOURCE_H_
