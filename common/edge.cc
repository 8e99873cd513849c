#include "common/edge.h"

#include "absl/strings/str_cat.h"
#include "common/method_access.h"
#include "common/status_macros.h"

namespace shouhu {

ServiceEdge::ServiceEdge(absl::string_view service_full_name, const PrincipalVerifier& verifier,
                         CallWorkers& workers)
    : service_name_(service_full_name),
      service_(FindService(service_full_name)),
      verifier_(verifier),
      workers_(workers) {}

absl::StatusOr<Principal> ServiceEdge::Admit(const grpc::ServerContextBase& context,
                                             absl::string_view method) const {
  ASSIGN_OR_RETURN(Principal principal, verifier_.Verify(context));
  const google::protobuf::MethodDescriptor* descriptor =
      service_ == nullptr ? nullptr : service_->FindMethodByName(std::string(method));
  if (descriptor == nullptr)
    return absl::InternalError(absl::StrCat("no method ", method, " in ", service_name_));
  RETURN_IF_ERROR(CheckMayCall(principal, *descriptor));
  return principal;
}

grpc::ServerUnaryReactor* ServiceEdge::Unary(grpc::CallbackServerContext* context, absl::string_view method,
                                             Body body) {
  return workers_.Serve(
      context, [this, context, method = std::string(method), body = std::move(body)]() -> absl::Status {
        ASSIGN_OR_RETURN(Principal principal, Admit(*context, method));
        return body(principal);
      });
}

IdempotencyKey ServiceEdge::Key(absl::string_view method, const Principal& principal,
                                const std::string& request_id,
                                const google::protobuf::Message& request) const {
  return {absl::StrCat(service_name_, "/", method), principal.subject(), request_id, RequestHash(request)};
}

}  // namespace shouhu
