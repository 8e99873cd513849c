// The HTTP/JSON face served by civetweb instead of Beast, kept only while the benchmark compares the two
// (tests/bench/gateway). civetweb gives each keep-alive connection one of its threads for the connection's
// whole life; that thread waits while the JSON call runs.
#ifndef SHOUHU_SERVICES_GATEWAY_CIVETWEB_FACE_H_
#define SHOUHU_SERVICES_GATEWAY_CIVETWEB_FACE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/gateway/forwarding.h"
#include "services/gateway/json_call.h"

struct mg_context;
struct mg_connection;

namespace shouhu::gateway {

class CivetwebFace {
 public:
  static absl::StatusOr<std::unique_ptr<CivetwebFace>> Start(const std::string& address, int threads,
                                                             size_t max_body_bytes, const ForwardingEnv& env);
  ~CivetwebFace();

  int port() const { return port_; }

 private:
  CivetwebFace(size_t max_body_bytes, const ForwardingEnv& env)
      : max_body_bytes_(max_body_bytes), calls_(env) {}
  static int Handle(mg_connection* connection, void* self);
  void Serve(mg_connection* connection);

  const size_t max_body_bytes_;
  JsonCalls calls_;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_CIVETWEB_FACE_H_
