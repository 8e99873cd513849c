#include "services/gateway/admin_service.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"
#include "services/gateway/role_names.h"

namespace shouhu::gateway {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

void ToProto(const ApiClientRecord& record, v1::ApiClient& client) {
  client.set_client_id(record.client_id);
  client.set_display_name(record.display_name);
  client.set_organisation_id(record.organisation_id);
  // What the client acts with: a SYSTEM an older row holds grants nothing, and an admin is not told it does.
  for (const Role role : ActingRolesOfStored(record.roles)) client.add_roles(role);
  for (const std::string& prefix : record.jurisdictions) client.add_jurisdictions(prefix);
  client.set_state(record.revoked_at.has_value() ? v1::API_CLIENT_STATE_REVOKED
                                                 : v1::API_CLIENT_STATE_ACTIVE);
  *client.mutable_created_at() = ToProto(record.created_at);
  for (const ApiClientSecretRecord& s : record.secrets) {
    v1::ApiClientSecret* secret = client.add_secrets();
    secret->set_secret_id(s.secret_id);
    *secret->mutable_created_at() = ToProto(s.created_at);
    if (s.revoked_at.has_value()) *secret->mutable_revoked_at() = ToProto(*s.revoked_at);
  }
}

IdempotencyKey KeyOf(absl::string_view method, const Principal& caller, const std::string& request_id,
                     const google::protobuf::Message& request) {
  return IdempotencyKey{absl::StrCat("shouhu.gateway.v1.GatewayAdminService/", method), caller.subject(),
                        request_id, RequestHash(request)};
}

absl::Status ValidateClientId(const std::string& client_id) {
  if (!IsWellFormedId(client_id))
    return InvalidField("client_id", "must be a client id as the gateway issued it");
  return absl::OkStatus();
}

}  // namespace

grpc::Status AdminService::Answer(const grpc::ServerContext& context, const absl::Status& status) const {
  const auto& metadata = context.client_metadata();
  auto request_id = metadata.find("x-request-id");
  return ToGrpcStatus(status, logger_,
                      request_id == metadata.end()
                          ? absl::string_view()
                          : absl::string_view(request_id->second.data(), request_id->second.size()));
}

absl::StatusOr<Principal> AdminService::Admin(const grpc::ServerContext& context) const {
  ASSIGN_OR_RETURN(Principal principal, verifier_.Verify(context));
  if (!HasRole(principal, common::v1::ROLE_ADMIN)) {
    return absl::PermissionDeniedError("only the gateway's administrators manage API clients");
  }
  return principal;
}

grpc::Status AdminService::CreateApiClient(grpc::ServerContext* context,
                                           const v1::CreateApiClientRequest* request,
                                           v1::CreateApiClientResponse* response) {
  auto admin = Admin(*context);
  if (!admin.ok()) return Answer(*context, admin.status());
  absl::Status valid = ValidateRequestId(request->request_id());
  if (valid.ok() && (request->display_name().empty() || request->display_name().size() > 200)) {
    valid = InvalidField("display_name", "is required, at most 200 characters");
  }
  // The organisation the client acts for, as a token's org would name it (TokenVerifier): the services
  // compare it byte for byte and store it as ASCII.
  if (valid.ok()) valid = ValidateIdentifier(request->organisation_id(), "organisation_id", 64);
  if (valid.ok() && request->roles_size() == 0)
    valid = InvalidField("roles", "at least one role is required");
  ApiClientRecord client;
  for (int i = 0; valid.ok() && i < request->roles_size(); ++i) {
    const Role role = request->roles(i);
    if (role == common::v1::ROLE_UNSPECIFIED || !common::v1::Role_IsValid(role)) {
      valid = InvalidField(absl::StrCat("roles[", i, "]"), "is not a role");
    } else if (!IsCallerRole(role)) {
      valid =
          InvalidField(absl::StrCat("roles[", i, "]"), "SYSTEM is the services' own role, not a client's");
    } else {
      client.roles.push_back(common::v1::Role_Name(role));
    }
  }
  for (int i = 0; valid.ok() && i < request->jurisdictions_size(); ++i) {
    const std::string& prefix = request->jurisdictions(i);
    if (prefix.empty() || prefix.size() > 12 || prefix.find_first_not_of("0123456789") != std::string::npos) {
      valid = InvalidField(absl::StrCat("jurisdictions[", i, "]"),
                           "must be a division-code prefix of 1-12 digits");
    } else {
      client.jurisdictions.push_back(prefix);
    }
  }
  if (!valid.ok()) return Answer(*context, valid);

  const absl::Time now = clock_.Now();
  client.client_id = ids_.Next();
  client.display_name = request->display_name();
  client.organisation_id = request->organisation_id();
  client.created_at = now;
  const std::string secret = NewApiClientSecret();
  auto hash = HashApiClientSecret(secret);
  if (!hash.ok()) return Answer(*context, hash.status());
  ApiClientSecretRecord secret_record{ids_.Next(), *hash, now, std::nullopt, FastVerifierOf(secret)};
  auto created = store_.CreateClient(KeyOf("CreateApiClient", *admin, request->request_id(), *request),
                                     client, secret_record);
  if (!created.ok()) return Answer(*context, created.status());
  authenticator_.Created(created->client_id);  // its first call here need not wait for a read of the ids
  if (created->client_id != client.client_id) {
    const std::string first_secret = created->secrets.empty() ? "" : created->secrets.front().secret_id;
    return Answer(*context,
                  absl::FailedPreconditionError(absl::StrCat(
                      "API client ", created->client_id,
                      " was created by an earlier request with this request_id; its secret ", first_secret,
                      " is shown only once: add a new secret (AddApiClientSecret) and revoke that one")));
  }
  ToProto(*created, *response->mutable_api_client());
  response->set_secret(secret);
  return grpc::Status::OK;
}

grpc::Status AdminService::GetApiClient(grpc::ServerContext* context, const v1::GetApiClientRequest* request,
                                        v1::GetApiClientResponse* response) {
  auto admin = Admin(*context);
  if (!admin.ok()) return Answer(*context, admin.status());
  if (absl::Status valid = ValidateClientId(request->client_id()); !valid.ok())
    return Answer(*context, valid);
  auto client = store_.GetClient(request->client_id());
  if (!client.ok()) return Answer(*context, client.status());
  ToProto(*client, *response->mutable_api_client());
  return grpc::Status::OK;
}

grpc::Status AdminService::ListApiClients(grpc::ServerContext* context,
                                          const v1::ListApiClientsRequest* request,
                                          v1::ListApiClientsResponse* response) {
  auto admin = Admin(*context);
  if (!admin.ok()) return Answer(*context, admin.status());
  if (request->page_size() < 0) return Answer(*context, InvalidField("page_size", "must not be negative"));
  if (!request->page_token().empty() && !IsWellFormedId(request->page_token())) {
    return Answer(*context, InvalidField("page_token", "is not a token this service issued"));
  }
  const int size = request->page_size() == 0 ? 50 : std::min(request->page_size(), 500);
  auto clients = store_.ListClients(request->page_token(), size);
  if (!clients.ok()) return Answer(*context, clients.status());
  for (const ApiClientRecord& client : *clients) ToProto(client, *response->add_api_clients());
  if (static_cast<int>(clients->size()) == size) response->set_next_page_token(clients->back().client_id);
  return grpc::Status::OK;
}

grpc::Status AdminService::AddApiClientSecret(grpc::ServerContext* context,
                                              const v1::AddApiClientSecretRequest* request,
                                              v1::AddApiClientSecretResponse* response) {
  auto admin = Admin(*context);
  if (!admin.ok()) return Answer(*context, admin.status());
  absl::Status valid = ValidateRequestId(request->request_id());
  if (valid.ok()) valid = ValidateClientId(request->client_id());
  if (!valid.ok()) return Answer(*context, valid);
  const std::string secret = NewApiClientSecret();
  auto hash = HashApiClientSecret(secret);
  if (!hash.ok()) return Answer(*context, hash.status());
  ApiClientSecretRecord record{ids_.Next(), *hash, clock_.Now(), std::nullopt, FastVerifierOf(secret)};
  auto secret_id = store_.AddSecret(KeyOf("AddApiClientSecret", *admin, request->request_id(), *request),
                                    request->client_id(), record);
  if (!secret_id.ok()) return Answer(*context, secret_id.status());
  if (*secret_id != record.secret_id) {
    return Answer(*context,
                  absl::FailedPreconditionError(absl::StrCat(
                      "secret ", *secret_id,
                      " was added by an earlier request with this request_id and is shown only once: "
                      "revoke it (RevokeApiClientSecret) and add a new one with a new request_id")));
  }
  response->set_secret_id(*secret_id);
  response->set_secret(secret);
  return grpc::Status::OK;
}

grpc::Status AdminService::RevokeApiClientSecret(grpc::ServerContext* context,
                                                 const v1::RevokeApiClientSecretRequest* request,
                                                 v1::RevokeApiClientSecretResponse* response) {
  auto admin = Admin(*context);
  if (!admin.ok()) return Answer(*context, admin.status());
  absl::Status valid = ValidateRequestId(request->request_id());
  if (valid.ok()) valid = ValidateClientId(request->client_id());
  if (valid.ok() && !IsWellFormedId(request->secret_id()))
    valid = InvalidField("secret_id", "is not a secret id");
  if (!valid.ok()) return Answer(*context, valid);
  auto client = store_.RevokeSecret(KeyOf("RevokeApiClientSecret", *admin, request->request_id(), *request),
                                    request->client_id(), request->secret_id(), clock_.Now());
  if (!client.ok()) return Answer(*context, client.status());
  authenticator_.Forget(request->client_id());
  ToProto(*client, *response->mutable_api_client());
  return grpc::Status::OK;
}

grpc::Status AdminService::RevokeApiClient(grpc::ServerContext* context,
                                           const v1::RevokeApiClientRequest* request,
                                           v1::RevokeApiClientResponse* response) {
  auto admin = Admin(*context);
  if (!admin.ok()) return Answer(*context, admin.status());
  absl::Status valid = ValidateRequestId(request->request_id());
  if (valid.ok()) valid = ValidateClientId(request->client_id());
  if (!valid.ok()) return Answer(*context, valid);
  auto client = store_.RevokeClient(KeyOf("RevokeApiClient", *admin, request->request_id(), *request),
                                    request->client_id(), clock_.Now());
  if (!client.ok()) return Answer(*context, client.status());
  authenticator_.Forget(request->client_id());
  ToProto(*client, *response->mutable_api_client());
  return grpc::Status::OK;
}

}  // namespace shouhu::gateway
