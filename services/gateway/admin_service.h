// shouhu.gateway.v1.GatewayAdminService: registering, rotating and revoking API clients. Served on an
// in-process server behind the gateway's own forwarding, so callers reach it with the same authentication,
// policy, audit and HTTP/JSON face as any service; it checks the forwarded principal's admin role itself too.
//
// A new secret is shown once, in the answer to the request that made it; only its hash is kept. A retry of
// that request (same request_id, same content) cannot show it again, so it is answered FAILED_PRECONDITION
// naming the secret that was made, to be revoked and replaced with a new one: an OK without the secret would
// leave the client holding a secret nobody has, in one of its two rotation places.
#ifndef SHOUHU_SERVICES_GATEWAY_ADMIN_SERVICE_H_
#define SHOUHU_SERVICES_GATEWAY_ADMIN_SERVICE_H_

#include "common/clock.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/principal.h"
#include "services/gateway/api_clients.h"
#include "services/gateway/gateway_store.h"
#include "shouhu/gateway/v1/gateway_admin.grpc.pb.h"

namespace shouhu::gateway {

class AdminService final : public v1::GatewayAdminService::Service {
 public:
  AdminService(GatewayStore& store, ApiClientAuthenticator& authenticator, const PrincipalVerifier& verifier,
               const Clock& clock, IdGenerator& ids, Logger& logger)
      : store_(store),
        authenticator_(authenticator),
        verifier_(verifier),
        clock_(clock),
        ids_(ids),
        logger_(logger) {}

  grpc::Status CreateApiClient(grpc::ServerContext* context, const v1::CreateApiClientRequest* request,
                               v1::CreateApiClientResponse* response) override;
  grpc::Status GetApiClient(grpc::ServerContext* context, const v1::GetApiClientRequest* request,
                            v1::GetApiClientResponse* response) override;
  grpc::Status ListApiClients(grpc::ServerContext* context, const v1::ListApiClientsRequest* request,
                              v1::ListApiClientsResponse* response) override;
  grpc::Status AddApiClientSecret(grpc::ServerContext* context, const v1::AddApiClientSecretRequest* request,
                                  v1::AddApiClientSecretResponse* response) override;
  grpc::Status RevokeApiClientSecret(grpc::ServerContext* context,
                                     const v1::RevokeApiClientSecretRequest* request,
                                     v1::RevokeApiClientSecretResponse* response) override;
  grpc::Status RevokeApiClient(grpc::ServerContext* context, const v1::RevokeApiClientRequest* request,
                               v1::RevokeApiClientResponse* response) override;

 private:
  absl::StatusOr<Principal> Admin(const grpc::ServerContext& context) const;
  // The edge's mapping; an internal fault's detail is logged with the call's request id.
  grpc::Status Answer(const grpc::ServerContext& context, const absl::Status& status) const;

  GatewayStore& store_;
  ApiClientAuthenticator& authenticator_;
  const PrincipalVerifier& verifier_;
  const Clock& clock_;
  IdGenerator& ids_;
  Logger& logger_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_ADMIN_SERVICE_H_
