// The start of every call at a domain service's edge, written once: verify the forwarded caller
// (UNAUTHENTICATED), check the method's roles from its proto option (PERMISSION_DENIED, common/
// method_access.h), and only then run the method's own body — validation, scope, the domain — on a call
// worker. Authentication therefore precedes validation on every method: an unsigned call learns nothing
// about which fields a request needs.
#ifndef SHOUHU_COMMON_EDGE_H_
#define SHOUHU_COMMON_EDGE_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/call_workers.h"
#include "common/idempotency.h"
#include "common/principal.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace shouhu {

class ServiceEdge {
 public:
  using Body = std::function<absl::Status(const Principal&)>;

  // `service_full_name` is the generated service's (v1::RegistryService::service_full_name()).
  ServiceEdge(absl::string_view service_full_name, const PrincipalVerifier& verifier, CallWorkers& workers);

  // A unary call: admits the caller for `method` ("GetChild") and runs `body` with the verified principal.
  // `body` may capture the call's request and response: they live until the call is finished.
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, absl::string_view method, Body body);

  // As Unary, for a body whose answer waits on a commit that completes on another thread (the registry's
  // access log): `body` calls `finish` exactly once, at once with an error or later from that thread, and
  // the call worker is free meanwhile. The caller's admission is checked first, as in Unary.
  using DeferredBody = std::function<void(const Principal&, CallWorkers::Finish)>;
  grpc::ServerUnaryReactor* UnaryThen(grpc::CallbackServerContext* context, absl::string_view method,
                                      DeferredBody body);

  // As UnaryThen, for a body that never blocks: it checks the request and queues it for a group commit,
  // whose committer finishes the call (CallWorkers::ServeOnArrival). Admission and the body run on gRPC's
  // own thread; a verification the principal cache misses costs ~36 us of CPU there, and nothing waits.
  grpc::ServerUnaryReactor* UnaryQueued(grpc::CallbackServerContext* context, absl::string_view method,
                                        DeferredBody body);

  // Admission alone, for streaming methods that do not run on a call worker. Every form hands on the
  // principal with only the roles that may call `method`, so a role that may not lends the call no scope.
  absl::StatusOr<Principal> Admit(const grpc::ServerContextBase& context, absl::string_view method) const;

  // The idempotency key of a mutation: per method and per caller, hashing the whole request.
  IdempotencyKey Key(absl::string_view method, const Principal& principal, const std::string& request_id,
                     const google::protobuf::Message& request) const;

 private:
  const std::string service_name_;
  // Each method's AllowedRoleMask, read from the protos once.
  absl::flat_hash_map<std::string, uint64_t> allowed_roles_;
  const PrincipalVerifier& verifier_;
  CallWorkers& workers_;
};

// The caller as the maker of a change at `now`, in microseconds as the tables keep it, so an answer built
// from it equals what a later read returns.
Actor ActorOf(const Principal& principal, absl::Time now);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_EDGE_H_
