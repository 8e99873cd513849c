// The gRPC edge of the registry: authenticate the forwarded principal, check the role, validate the request,
// call the store with a row-level authorization check, log reads of personal data, and map Status to
// grpc::Status. No SQL here.
#ifndef SHOUHU_SERVICES_REGISTRY_REGISTRY_SERVICE_H_
#define SHOUHU_SERVICES_REGISTRY_REGISTRY_SERVICE_H_

#include "common/clock.h"
#include "common/principal.h"
#include "services/registry/registry_store.h"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"

namespace shouhu::registry {

class RegistryService final : public v1::RegistryService::Service {
 public:
  RegistryService(RegistryStore& store, const PrincipalVerifier& verifier, const Clock& clock)
      : store_(store), verifier_(verifier), clock_(clock) {}

  grpc::Status GetDivision(grpc::ServerContext* ctx, const v1::GetDivisionRequest* req,
                           v1::GetDivisionResponse* resp) override;
  grpc::Status ListChildDivisions(grpc::ServerContext* ctx, const v1::ListChildDivisionsRequest* req,
                                  v1::ListChildDivisionsResponse* resp) override;
  grpc::Status SubmitReferral(grpc::ServerContext* ctx, const v1::SubmitReferralRequest* req,
                              v1::SubmitReferralResponse* resp) override;
  grpc::Status GetReferral(grpc::ServerContext* ctx, const v1::GetReferralRequest* req,
                           v1::GetReferralResponse* resp) override;
  grpc::Status ListReferrals(grpc::ServerContext* ctx, const v1::ListReferralsRequest* req,
                             v1::ListReferralsResponse* resp) override;
  grpc::Status AcceptReferral(grpc::ServerContext* ctx, const v1::AcceptReferralRequest* req,
                              v1::AcceptReferralResponse* resp) override;
  grpc::Status RejectReferral(grpc::ServerContext* ctx, const v1::RejectReferralRequest* req,
                              v1::RejectReferralResponse* resp) override;
  grpc::Status TransferReferral(grpc::ServerContext* ctx, const v1::TransferReferralRequest* req,
                                v1::TransferReferralResponse* resp) override;
  grpc::Status GetCase(grpc::ServerContext* ctx, const v1::GetCaseRequest* req,
                       v1::GetCaseResponse* resp) override;
  grpc::Status CompleteVerification(grpc::ServerContext* ctx, const v1::CompleteVerificationRequest* req,
                                    v1::CompleteVerificationResponse* resp) override;
  grpc::Status TransferCase(grpc::ServerContext* ctx, const v1::TransferCaseRequest* req,
                            v1::TransferCaseResponse* resp) override;
  grpc::Status ChangeCareArrangement(grpc::ServerContext* ctx, const v1::ChangeCareArrangementRequest* req,
                                     v1::ChangeCareArrangementResponse* resp) override;
  grpc::Status SetRiskLevel(grpc::ServerContext* ctx, const v1::SetRiskLevelRequest* req,
                            v1::SetRiskLevelResponse* resp) override;
  grpc::Status CloseCase(grpc::ServerContext* ctx, const v1::CloseCaseRequest* req,
                         v1::CloseCaseResponse* resp) override;
  grpc::Status ReopenCase(grpc::ServerContext* ctx, const v1::ReopenCaseRequest* req,
                          v1::ReopenCaseResponse* resp) override;
  grpc::Status GetChild(grpc::ServerContext* ctx, const v1::GetChildRequest* req,
                        v1::GetChildResponse* resp) override;
  grpc::Status SearchChildren(grpc::ServerContext* ctx, const v1::SearchChildrenRequest* req,
                              v1::SearchChildrenResponse* resp) override;
  grpc::Status GetStatistics(grpc::ServerContext* ctx, const v1::GetStatisticsRequest* req,
                             v1::GetStatisticsResponse* resp) override;
  grpc::Status ListAccessLog(grpc::ServerContext* ctx, const v1::ListAccessLogRequest* req,
                             v1::ListAccessLogResponse* resp) override;
  grpc::Status StreamEvents(grpc::ServerContext* ctx, const v1::StreamEventsRequest* req,
                            grpc::ServerWriter<v1::StreamEventsResponse>* writer) override;

 private:
  // The lifecycle RPCs share everything but the rule they apply.
  absl::StatusOr<v1::Case> ChangeCase(
      grpc::ServerContext* ctx, const google::protobuf::Message& request, const std::string& method,
      const std::string& request_id, const std::string& case_id,
      const std::function<absl::StatusOr<CaseChange>(const v1::Case&, const Actor&)>& rule);

  RegistryStore& store_;
  const PrincipalVerifier& verifier_;
  const Clock& clock_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_REGISTRY_SERVICE_H_
