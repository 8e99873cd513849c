#include "services/registry/registry_client.h"

#include "common/status_macros.h"

namespace shouhu::registry {

absl::StatusOr<v1::Case> GrpcRegistryClient::GetCase(const CallIdentity& as, const std::string& case_id,
                                                     const std::string& purpose) const {
  v1::GetCaseRequest request;
  request.set_case_id(case_id);
  request.set_purpose(purpose);
  v1::GetCaseResponse response;
  RETURN_IF_ERROR(channel_.Call(as, Idempotency::kIdempotent, [&](grpc::ClientContext& context) {
    return stub_->GetCase(&context, request, &response);
  }));
  return std::move(*response.mutable_case_());
}

absl::StatusOr<v1::Child> GrpcRegistryClient::GetChild(const CallIdentity& as, const std::string& child_id,
                                                       const std::string& purpose) const {
  v1::GetChildRequest request;
  request.set_child_id(child_id);
  request.set_purpose(purpose);
  v1::GetChildResponse response;
  RETURN_IF_ERROR(channel_.Call(as, Idempotency::kIdempotent, [&](grpc::ClientContext& context) {
    return stub_->GetChild(&context, request, &response);
  }));
  return std::move(*response.mutable_child());
}

absl::Status GrpcRegistryClient::RecordAccess(const CallIdentity& as,
                                              const v1::RecordAccessRequest& read) const {
  v1::RecordAccessResponse response;
  return channel_.Call(as, Idempotency::kIdempotent, [&](grpc::ClientContext& context) {
    return stub_->RecordAccess(&context, read, &response);
  });
}

}  // namespace shouhu::registry
