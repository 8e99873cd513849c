#include "common/edge.h"

#include "absl/strings/str_cat.h"
#include "common/method_access.h"
#include "common/status_macros.h"
#include "common/timestamps.h"

namespace shouhu {

ServiceEdge::ServiceEdge(absl::string_view service_full_name, const PrincipalVerifier& verifier,
                         CallWorkers& workers)
    : service_name_(service_full_name), verifier_(verifier), workers_(workers) {
  const google::protobuf::ServiceDescriptor* service = FindService(service_full_name);
  if (service == nullptr) return;  // every call then fails INTERNAL, naming the service
  for (int i = 0; i < service->method_count(); ++i) {
    allowed_roles_[service->method(i)->name()] = AllowedRoleMask(*service->method(i));
  }
}

absl::StatusOr<Principal> ServiceEdge::Admit(const grpc::ServerContextBase& context,
                                             absl::string_view method) const {
  ASSIGN_OR_RETURN(Principal principal, verifier_.Verify(context));
  auto allowed = allowed_roles_.find(method);
  if (allowed == allowed_roles_.end()) {
    return absl::InternalError(absl::StrCat("no method ", method, " in ", service_name_));
  }
  return ActingFor(std::move(principal), allowed->second);
}

grpc::ServerUnaryReactor* ServiceEdge::Unary(grpc::CallbackServerContext* context, absl::string_view method,
                                             Body body) {
  return workers_.Serve(
      context, [this, context, method = std::string(method), body = std::move(body)]() -> absl::Status {
        ASSIGN_OR_RETURN(Principal principal, Admit(*context, method));
        return body(principal);
      });
}

grpc::ServerUnaryReactor* ServiceEdge::UnaryThen(grpc::CallbackServerContext* context,
                                                 absl::string_view method, DeferredBody body) {
  return workers_.ServeThen(context, [this, context, method = std::string(method),
                                      body = std::move(body)](CallWorkers::Finish finish) {
    absl::StatusOr<Principal> principal = Admit(*context, method);
    if (!principal.ok()) return finish(principal.status());
    body(*principal, std::move(finish));
  });
}

grpc::ServerUnaryReactor* ServiceEdge::UnaryQueued(grpc::CallbackServerContext* context,
                                                   absl::string_view method, DeferredBody body) {
  return workers_.ServeOnArrival(context, [&](CallWorkers::Finish finish) {
    absl::StatusOr<Principal> principal = Admit(*context, method);
    if (!principal.ok()) return finish(principal.status());
    body(*principal, std::move(finish));
  });
}

IdempotencyKey ServiceEdge::Key(absl::string_view method, const Principal& principal,
                                const std::string& request_id,
                                const google::protobuf::Message& request) const {
  return {absl::StrCat(service_name_, "/", method), principal.subject(), request_id, RequestHash(request)};
}

Actor ActorOf(const Principal& principal, absl::Time now) {
  return {principal.subject(), principal.organisation_id(), TruncateToMicros(now)};
}

}  // namespace shouhu
