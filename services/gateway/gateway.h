// The gateway put together: admission (tokens, API clients, policy, rate limit), the generic forwarder with
// reflection and health on the public gRPC port, the admin service on an in-process server behind it, the
// HTTP/JSON face and the audit writer. main.cc and the tests both build it through Start.
#ifndef SHOUHU_SERVICES_GATEWAY_GATEWAY_H_
#define SHOUHU_SERVICES_GATEWAY_GATEWAY_H_

#include <grpcpp/server.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"
#include "services/gateway/admin_service.h"
#include "services/gateway/admission.h"
#include "services/gateway/audit_writer.h"
#include "services/gateway/backends.h"
#include "services/gateway/forwarding.h"
#include "services/gateway/gateway_config.h"
#include "services/gateway/http_face.h"

namespace shouhu::gateway {

class Gateway {
 public:
  // `proto_files`: the public services' .proto files, for reflection (PublicProtoFiles() in the binary).
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(const GatewayConfig& config, db::Pool& pool,
                                                        Logger& logger, Metrics& metrics, const Clock& clock,
                                                        const std::vector<std::string>& proto_files);
  ~Gateway();

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_ != nullptr ? http_->port() : 0; }
  // Marks NOT_SERVING, lets in-flight calls finish for `grace`, then cancels the rest and writes the audit
  // (for at most AuditWriterOptions::stop_bound more).
  void Shutdown(absl::Duration grace);

  TokenVerifier& tokens() { return *tokens_; }
  PolicyFile& policy() { return *policy_; }
  AuditWriter& audit() { return *audit_; }

 private:
  Gateway(const GatewayConfig& config, db::Pool& pool, Logger& logger, Metrics& metrics, const Clock& clock);

  const GatewayConfig config_;
  Logger& logger_;
  Metrics& metrics_;
  db::Pool& pool_;
  IdGenerator ids_;
  GatewayStore store_;
  PrincipalSigner signer_;
  std::unique_ptr<TrustedKeys> trusted_keys_;  // re-read on a thread of its own
  std::unique_ptr<PrincipalVerifier> verifier_;
  std::unique_ptr<PolicyFile> policy_;
  std::unique_ptr<TokenVerifier> tokens_;
  RateLimiter limiter_;
  std::unique_ptr<ApiClientAuthenticator> clients_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<AuditWriter> audit_;
  std::unique_ptr<Backends> backends_;
  std::unique_ptr<ForwardingEnv> env_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<grpc::Server> admin_server_;
  std::unique_ptr<Forwarder> forwarder_;
  std::vector<std::unique_ptr<grpc::Service>> stand_ins_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HttpFace> http_;
  int grpc_port_ = 0;
  std::atomic<bool> stopped_{false};
  // Reloads token keys and the method policy every key_reload_interval, and follows the database's
  // reachability in the health status (API-client checks and the audit log need it), every couple of seconds.
  absl::Notification stop_reload_;
  std::thread reload_thread_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_GATEWAY_H_
