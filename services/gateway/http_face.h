// The HTTP/JSON face for county systems that cannot speak gRPC: POST /v1/<package>.<Service>/<Method> with a
// proto3-JSON body calls the same method through the same admission (Authorization: Bearer … or Basic …),
// policy, rate limit, forwarding and audit as the gRPC face. Request and response use protobuf's own JSON
// mapping over the linked descriptors, so no method needs code here. Errors are JSON
// {"code": 5, "status": "NOT_FOUND", "message": "…", "field": "…"} with the fitting HTTP status; a
// server-streaming method answers with newline-delimited JSON, one message per line (an error mid-stream is
// a last line {"error": {…}}).
//
// civetweb serves each connection on one of its own threads, which waits while the backend answers; the
// gRPC side stays asynchronous. The thread count bounds concurrent HTTP calls.
#ifndef SHOUHU_SERVICES_GATEWAY_HTTP_FACE_H_
#define SHOUHU_SERVICES_GATEWAY_HTTP_FACE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/gateway/forwarding.h"

struct mg_context;
struct mg_connection;

namespace shouhu::gateway {

struct HttpFaceOptions {
  std::string address = "0.0.0.0:8080";
  int threads = 32;
  size_t max_body_bytes = 1 << 20;
};

class HttpFace {
 public:
  static absl::StatusOr<std::unique_ptr<HttpFace>> Start(const HttpFaceOptions& options,
                                                         const ForwardingEnv& env);
  ~HttpFace();

  int port() const { return port_; }

 private:
  HttpFace(const HttpFaceOptions& options, const ForwardingEnv& env) : options_(options), env_(env) {}
  static int Handle(mg_connection* connection, void* self);
  void Serve(mg_connection* connection);

  const HttpFaceOptions options_;
  const ForwardingEnv& env_;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

// The HTTP status that fits a gRPC code (Google's API mapping).
int HttpStatusOf(int grpc_code);

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_HTTP_FACE_H_
