// The HTTP/JSON face for county systems that cannot speak gRPC (see json_call.h for what a call does).
//
// Served with Boost.Beast on Asio: a few I/O threads each multiplex many keep-alive connections, and no
// thread waits for a backend, so concurrent calls are bounded by connections, not by threads. civetweb, which
// gives each keep-alive connection a thread for its whole life, was measured against it on the same JSON
// calls (tests/bench/gateway): Beast kept more of the direct throughput at concurrency 64, civetweb added a
// little less latency at 1, and idle county connections would each hold a civetweb thread.
#ifndef SHOUHU_SERVICES_GATEWAY_HTTP_FACE_H_
#define SHOUHU_SERVICES_GATEWAY_HTTP_FACE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/gateway/forwarding.h"

namespace shouhu::gateway {

struct HttpFaceOptions {
  std::string address = "0.0.0.0:8080";
  int threads = 2;  // I/O threads; each serves many connections
  size_t max_body_bytes = 1 << 20;
  int max_connections = 10000;
  // A connection waiting this long for a request's bytes, or for a client to take an answer, is closed.
  absl::Duration idle_timeout = absl::Seconds(60);
};

class HttpFace {
 public:
  static absl::StatusOr<std::unique_ptr<HttpFace>> Start(const HttpFaceOptions& options,
                                                         const ForwardingEnv& env);
  ~HttpFace();

  int port() const { return port_; }

  // Stops accepting, lets calls in flight finish for up to `grace`, cancels the rest, and closes every
  // connection.
  void Shutdown(absl::Duration grace);

  struct Server;

 private:
  explicit HttpFace(std::unique_ptr<Server> server);

  std::unique_ptr<Server> server_;
  int port_ = 0;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_HTTP_FACE_H_
