// The gRPC edge of the registry: every method goes through ServiceEdge (authenticate, then the roles its
// proto declares), then validates the request, calls the store with the row-level scope check, logs reads of
// personal data, and the edge maps Status to grpc::Status. No SQL here.
#ifndef SHOUHU_SERVICES_REGISTRY_REGISTRY_SERVICE_H_
#define SHOUHU_SERVICES_REGISTRY_REGISTRY_SERVICE_H_

#include "common/call_workers.h"
#include "common/clock.h"
#include "common/edge.h"
#include "common/group_commit.h"
#include "common/principal.h"
#include "services/registry/registry_store.h"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"

namespace shouhu::registry {

class RegistryService final : public v1::RegistryService::CallbackService {
 public:
  // Each call's work runs on `workers` (see common/call_workers.h).
  RegistryService(RegistryStore& store, const PrincipalVerifier& verifier, const Clock& clock,
                  CallWorkers& workers)
      : store_(store),
        clock_(clock),
        workers_(workers),
        edge_(v1::RegistryService::service_full_name(), verifier, workers) {}

  grpc::ServerUnaryReactor* GetDivision(grpc::CallbackServerContext* ctx, const v1::GetDivisionRequest* req,
                                        v1::GetDivisionResponse* resp) override;
  grpc::ServerUnaryReactor* ListChildDivisions(grpc::CallbackServerContext* ctx,
                                               const v1::ListChildDivisionsRequest* req,
                                               v1::ListChildDivisionsResponse* resp) override;
  grpc::ServerUnaryReactor* SubmitReferral(grpc::CallbackServerContext* ctx,
                                           const v1::SubmitReferralRequest* req,
                                           v1::SubmitReferralResponse* resp) override;
  grpc::ServerUnaryReactor* GetReferral(grpc::CallbackServerContext* ctx, const v1::GetReferralRequest* req,
                                        v1::GetReferralResponse* resp) override;
  grpc::ServerUnaryReactor* ListReferrals(grpc::CallbackServerContext* ctx,
                                          const v1::ListReferralsRequest* req,
                                          v1::ListReferralsResponse* resp) override;
  grpc::ServerUnaryReactor* AcceptReferral(grpc::CallbackServerContext* ctx,
                                           const v1::AcceptReferralRequest* req,
                                           v1::AcceptReferralResponse* resp) override;
  grpc::ServerUnaryReactor* RejectReferral(grpc::CallbackServerContext* ctx,
                                           const v1::RejectReferralRequest* req,
                                           v1::RejectReferralResponse* resp) override;
  grpc::ServerUnaryReactor* TransferReferral(grpc::CallbackServerContext* ctx,
                                             const v1::TransferReferralRequest* req,
                                             v1::TransferReferralResponse* resp) override;
  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* ctx, const v1::GetCaseRequest* req,
                                    v1::GetCaseResponse* resp) override;
  grpc::ServerUnaryReactor* RecordAccess(grpc::CallbackServerContext* ctx, const v1::RecordAccessRequest* req,
                                         v1::RecordAccessResponse* resp) override;
  grpc::ServerUnaryReactor* CompleteVerification(grpc::CallbackServerContext* ctx,
                                                 const v1::CompleteVerificationRequest* req,
                                                 v1::CompleteVerificationResponse* resp) override;
  grpc::ServerUnaryReactor* TransferCase(grpc::CallbackServerContext* ctx, const v1::TransferCaseRequest* req,
                                         v1::TransferCaseResponse* resp) override;
  grpc::ServerUnaryReactor* ChangeCareArrangement(grpc::CallbackServerContext* ctx,
                                                  const v1::ChangeCareArrangementRequest* req,
                                                  v1::ChangeCareArrangementResponse* resp) override;
  grpc::ServerUnaryReactor* SetRiskLevel(grpc::CallbackServerContext* ctx, const v1::SetRiskLevelRequest* req,
                                         v1::SetRiskLevelResponse* resp) override;
  grpc::ServerUnaryReactor* MoveHousehold(grpc::CallbackServerContext* ctx,
                                          const v1::MoveHouseholdRequest* req,
                                          v1::MoveHouseholdResponse* resp) override;
  grpc::ServerUnaryReactor* CloseCase(grpc::CallbackServerContext* ctx, const v1::CloseCaseRequest* req,
                                      v1::CloseCaseResponse* resp) override;
  grpc::ServerUnaryReactor* ReopenCase(grpc::CallbackServerContext* ctx, const v1::ReopenCaseRequest* req,
                                       v1::ReopenCaseResponse* resp) override;
  grpc::ServerUnaryReactor* GetChild(grpc::CallbackServerContext* ctx, const v1::GetChildRequest* req,
                                     v1::GetChildResponse* resp) override;
  grpc::ServerUnaryReactor* SearchChildren(grpc::CallbackServerContext* ctx,
                                           const v1::SearchChildrenRequest* req,
                                           v1::SearchChildrenResponse* resp) override;
  grpc::ServerUnaryReactor* GetStatistics(grpc::CallbackServerContext* ctx,
                                          const v1::GetStatisticsRequest* req,
                                          v1::GetStatisticsResponse* resp) override;
  grpc::ServerUnaryReactor* ListAccessLog(grpc::CallbackServerContext* ctx,
                                          const v1::ListAccessLogRequest* req,
                                          v1::ListAccessLogResponse* resp) override;
  grpc::ServerWriteReactor<v1::StreamEventsResponse>* StreamEvents(
      grpc::CallbackServerContext* ctx, const v1::StreamEventsRequest* req) override;

 private:
  // The lifecycle RPCs share everything but the rule they apply.
  absl::StatusOr<v1::Case> ChangeCase(
      const Principal& p, const google::protobuf::Message& request, absl::string_view method,
      const std::string& request_id, const std::string& case_id,
      const std::function<absl::StatusOr<CaseChange>(const v1::Case&, const Actor&)>& rule);

  // The referral a decision (reject, transfer) is about, NOT_FOUND unless `p` sees it now as a triager does
  // (in its household's village). Checked before the store because a retry is answered from the first
  // request's record (common/idempotency.h) whatever the store's triage check then finds: without it, a
  // caller who transferred a referral away or left the jurisdiction could read it again, the resident id
  // included, by sending the same request.
  absl::StatusOr<ReferralRecord> ReferralSeenNow(const Principal& p, const std::string& referral_id);

  // A checked submission into the intake, once its village's division is known (nullopt: there is none).
  void Intake(const Principal& p, const v1::SubmitReferralRequest& req, v1::Referral referral,
              const std::optional<v1::Division>& division, v1::SubmitReferralResponse* resp,
              CallWorkers::Finish finish);

  RegistryStore& store_;
  const Clock& clock_;
  CallWorkers& workers_;
  ServiceEdge edge_;
  // SubmitReferral's group commit (common/group_commit.h) into RegistryStore::SubmitReferrals, up to 128
  // referrals a transaction; last, so it stops (writing what is queued) before the rest goes.
  GroupCommit<ReferralOrder, v1::SubmitReferralResponse> intake_{
      [this](const std::vector<ReferralOrder>& orders, const std::function<void()>& committing) {
        return store_.SubmitReferrals(orders, committing);
      },
      128};
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_REGISTRY_SERVICE_H_
