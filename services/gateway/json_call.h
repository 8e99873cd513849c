// An HTTP/JSON call made into a gRPC call, whatever HTTP server read it: POST
// /v1/<package>.<Service>/<Method> with a proto3-JSON body goes through the same admission (Authorization:
// Bearer … or Basic …), policy, rate limit, forwarding and audit as the gRPC face. Request and response use
// protobuf's own JSON mapping over the linked descriptors, so no method needs code here. Errors are JSON
// {"code": 3, "status": "INVALID_ARGUMENT", "message": "…", "field": "household.villageCode"} with the
// fitting HTTP status, the field (when one is to blame) named as the caller writes it in JSON; a
// server-streaming method answers with newline-delimited JSON, one message per line, chunked (an error
// mid-stream is a last line {"error": {…}}).
//
// Nothing here blocks: admission finishes on a worker or at once, the backend call is a callback reactor, and
// each piece of the answer goes to the connection as soon as it exists. A stream reads the backend's next
// message only once the previous line is written, so a slow client slows the backend instead of filling
// memory.
#ifndef SHOUHU_SERVICES_GATEWAY_JSON_CALL_H_
#define SHOUHU_SERVICES_GATEWAY_JSON_CALL_H_

#include <grpcpp/support/status.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "services/gateway/forwarding.h"

namespace shouhu::gateway {

// A request as the HTTP server parsed it (body already read and within the size limit).
struct JsonRequest {
  std::string http_method;
  std::string target;  // "/v1/shouhu.registry.v1.RegistryService/GetChild"
  std::string authorization;
  std::string request_id;  // X-Request-Id as sent, may be empty
  std::string timeout_ms;  // X-Timeout-Ms as sent, may be empty
  bool keep_alive = true;
  std::string body;
  std::string peer;       // the connection's address
  std::string x_real_ip;  // as the proxy in front sent them (caller_address.h)
  std::string x_forwarded_for;
};

// The connection a JSON call answers on, implemented by the HTTP server.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  // Queues bytes of the HTTP response, in order; `last` ends the response (the connection then reads the next
  // request, or closes when the request asked for that). `written` (may be empty) is called once with
  // whether the bytes reached the socket. May be called from any thread, never twice at once for one call.
  virtual void Send(std::string bytes, bool last, std::function<void(bool written)> written) = 0;
};

class JsonCall;

// The JSON calls in flight, so that the server can drain them before it stops.
class JsonCalls {
 public:
  explicit JsonCalls(const ForwardingEnv& env) : env_(env) {}
  ~JsonCalls() { Drain(absl::ZeroDuration()); }

  // Answers `request` on `exchange`, which is kept alive until the answer is sent.
  void Start(JsonRequest request, std::shared_ptr<HttpExchange> exchange);

  // Lets calls in flight finish for up to `grace`, then cancels the rest and waits for them to end. On return
  // every call has been destroyed, with what it held (its exchange, its backend call), so the HTTP server may
  // destroy what those use. Calls started afterwards are answered UNAVAILABLE.
  void Drain(absl::Duration grace);

 private:
  friend class JsonCall;
  struct CallState {
    bool backend_started = false;
    bool cancelled = false;  // by Drain: the call must not start its backend call
  };
  // False when the call has been cancelled; otherwise Drain will cancel its backend call from now on.
  bool MayStartBackend(JsonCall* call);
  // A call leaves in_flight_ in its last step (so Drain no longer touches it) and counts as alive until its
  // destructor has run to the end, through this member.
  class Alive {
   public:
    explicit Alive(JsonCalls& calls);
    ~Alive();
    Alive(const Alive&) = delete;
    Alive& operator=(const Alive&) = delete;

   private:
    JsonCalls& calls_;
  };
  bool CancelledByDrain(JsonCall* call);
  void Remove(JsonCall* call);

  const ForwardingEnv& env_;
  absl::Mutex mu_;
  absl::flat_hash_map<JsonCall*, CallState> in_flight_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  int alive_ ABSL_GUARDED_BY(mu_) = 0;
};

// A whole JSON error response for `status` (also for answers the HTTP server gives itself, such as 413). A
// field the status names is written in JSON names, following `input` (the method's request message) when
// known.
std::string JsonErrorResponse(const grpc::Status& status, const std::string& request_id, bool keep_alive,
                              int http_status = 0, const google::protobuf::Descriptor* input = nullptr);

// The HTTP status that fits a gRPC code (Google's API mapping).
int HttpStatusOf(int grpc_code);

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_JSON_CALL_H_
