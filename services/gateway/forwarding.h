// Generic forwarding: a callback generic service in front that takes every method the gateway does not serve
// itself, and one generic stub per backend behind, so a new RPC on a service needs only policy, no code here.
// Bytes are relayed message by message in both directions (unary and streaming alike) without a thread ever
// waiting on a backend. Only the signed principal and the request id go to the backend — nothing else the
// caller sent, so forged x-shouhu-* headers never arrive. The caller's deadline is passed on (capped),
// cancellation too, and the backend's status code comes back unchanged (its message too, except where the
// transport may have written it: see CallerFacing).
#ifndef SHOUHU_SERVICES_GATEWAY_FORWARDING_H_
#define SHOUHU_SERVICES_GATEWAY_FORWARDING_H_

#include <grpcpp/client_context.h>
#include <grpcpp/generic/async_generic_service.h>

#include <chrono>
#include <string>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/principal.h"
#include "google/protobuf/descriptor.h"
#include "services/gateway/admission.h"
#include "services/gateway/audit_writer.h"
#include "services/gateway/backends.h"
#include "services/gateway/caller_address.h"

namespace shouhu::gateway {

inline constexpr char kRequestIdMetadata[] = "x-request-id";

// What both faces need to admit, forward and record a call.
struct ForwardingEnv {
  const Admission& admission;
  const Backends& backends;
  const PrincipalSigner& signer;
  AuditWriter& audit;
  Metrics& metrics;
  IdGenerator& ids;
  Logger& logger;
  absl::Duration max_deadline;
  const ForwardingProxies& proxies;  // whose X-Real-IP names the caller (caller_address.h)
};

// The caller's request id when it is sensible, else a fresh one.
std::string RequestIdOr(IdGenerator& ids, absl::string_view sent);

// Sets the backend call's deadline (the caller's, capped), principal and request id.
void PrepareBackendCall(const ForwardingEnv& env, const Principal& principal, const std::string& request_id,
                        std::chrono::system_clock::time_point caller_deadline, grpc::ClientContext& context);

// Writes the audit row and the call metric of a finished call.
// `caller`: who admission found, admitted or not (Admitted::caller). `address`: where the call came from
// (ForwardingProxies::Resolve).
void RecordCall(const ForwardingEnv& env, const std::string& method, const Caller& caller,
                const std::string& request_id, absl::string_view address, const char* face, int grpc_code,
                absl::Time started);

// The method's descriptor ("/pkg.Service/Method"), or null when no linked proto declares it: such a method is
// answered UNIMPLEMENTED on both faces, with or without credentials, as any gRPC server answers one.
const google::protobuf::MethodDescriptor* MethodOf(absl::string_view method);

// What the caller hears of a backend's status: always its code (never flattened), and its message except for
// UNAVAILABLE, UNKNOWN, INTERNAL and DEADLINE_EXCEEDED. Those may come from the transport rather than the
// service ("ipv4:127.0.0.1:50052: Connection refused") and internal addresses never reach a caller, so their
// message becomes a plain one naming only the service; the original goes to the log.
grpc::Status CallerFacing(const ForwardingEnv& env, absl::string_view method, const grpc::Status& backend);

class Forwarder final : public grpc::CallbackGenericService {
 public:
  explicit Forwarder(const ForwardingEnv& env) : env_(env) {}

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* context) override;

 private:
  const ForwardingEnv& env_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_FORWARDING_H_
