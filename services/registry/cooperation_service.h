// The gRPC edge of CaseCooperationService (cooperation_service.proto), served by the registry process beside
// RegistryService: every method goes through ServiceEdge (authenticate, then the roles its proto declares),
// validates (cooperation_validation.h), and calls the cooperation store with the scope check for the locked
// row (cooperation_access.h); reads that share a child's data with another organisation are logged with the
// consent that allowed them. No SQL here.
#ifndef SHOUHU_SERVICES_REGISTRY_COOPERATION_SERVICE_H_
#define SHOUHU_SERVICES_REGISTRY_COOPERATION_SERVICE_H_

#include "common/call_workers.h"
#include "common/clock.h"
#include "common/edge.h"
#include "common/principal.h"
#include "services/registry/cooperation_store.h"
#include "services/registry/mandatory_report_flow.h"
#include "services/registry/registry_store.h"
#include "shouhu/registry/v1/cooperation_service.grpc.pb.h"

namespace shouhu::registry {

class CooperationService final : public v1::CaseCooperationService::CallbackService {
 public:
  // `registry` answers what this service reads of the registry's own records (cases, divisions) and keeps
  // the access log.
  CooperationService(CooperationStore& store, RegistryStore& registry, const ReportDeadlines& deadlines,
                     const PrincipalVerifier& verifier, const Clock& clock, CallWorkers& workers)
      : store_(store),
        registry_(registry),
        deadlines_(deadlines),
        clock_(clock),
        edge_(v1::CaseCooperationService::service_full_name(), verifier, workers) {}

  grpc::ServerUnaryReactor* RecordConsent(grpc::CallbackServerContext* ctx,
                                          const v1::RecordConsentRequest* req,
                                          v1::RecordConsentResponse* resp) override;
  grpc::ServerUnaryReactor* WithdrawConsent(grpc::CallbackServerContext* ctx,
                                            const v1::WithdrawConsentRequest* req,
                                            v1::WithdrawConsentResponse* resp) override;
  grpc::ServerUnaryReactor* ListConsents(grpc::CallbackServerContext* ctx, const v1::ListConsentsRequest* req,
                                         v1::ListConsentsResponse* resp) override;
  grpc::ServerUnaryReactor* CreateServiceReferral(grpc::CallbackServerContext* ctx,
                                                  const v1::CreateServiceReferralRequest* req,
                                                  v1::CreateServiceReferralResponse* resp) override;
  grpc::ServerUnaryReactor* GetServiceReferral(grpc::CallbackServerContext* ctx,
                                               const v1::GetServiceReferralRequest* req,
                                               v1::GetServiceReferralResponse* resp) override;
  grpc::ServerUnaryReactor* ListServiceReferrals(grpc::CallbackServerContext* ctx,
                                                 const v1::ListServiceReferralsRequest* req,
                                                 v1::ListServiceReferralsResponse* resp) override;
  grpc::ServerUnaryReactor* AcceptServiceReferral(grpc::CallbackServerContext* ctx,
                                                  const v1::AcceptServiceReferralRequest* req,
                                                  v1::AcceptServiceReferralResponse* resp) override;
  grpc::ServerUnaryReactor* RejectServiceReferral(grpc::CallbackServerContext* ctx,
                                                  const v1::RejectServiceReferralRequest* req,
                                                  v1::RejectServiceReferralResponse* resp) override;
  grpc::ServerUnaryReactor* RecordServiceOutcome(grpc::CallbackServerContext* ctx,
                                                 const v1::RecordServiceOutcomeRequest* req,
                                                 v1::RecordServiceOutcomeResponse* resp) override;
  grpc::ServerUnaryReactor* RequestCountyTransfer(grpc::CallbackServerContext* ctx,
                                                  const v1::RequestCountyTransferRequest* req,
                                                  v1::RequestCountyTransferResponse* resp) override;
  grpc::ServerUnaryReactor* AcceptCountyTransfer(grpc::CallbackServerContext* ctx,
                                                 const v1::AcceptCountyTransferRequest* req,
                                                 v1::AcceptCountyTransferResponse* resp) override;
  grpc::ServerUnaryReactor* RejectCountyTransfer(grpc::CallbackServerContext* ctx,
                                                 const v1::RejectCountyTransferRequest* req,
                                                 v1::RejectCountyTransferResponse* resp) override;
  grpc::ServerUnaryReactor* CancelCountyTransfer(grpc::CallbackServerContext* ctx,
                                                 const v1::CancelCountyTransferRequest* req,
                                                 v1::CancelCountyTransferResponse* resp) override;
  grpc::ServerUnaryReactor* ListCountyTransfers(grpc::CallbackServerContext* ctx,
                                                const v1::ListCountyTransfersRequest* req,
                                                v1::ListCountyTransfersResponse* resp) override;
  grpc::ServerUnaryReactor* FileMandatoryReport(grpc::CallbackServerContext* ctx,
                                                const v1::FileMandatoryReportRequest* req,
                                                v1::FileMandatoryReportResponse* resp) override;
  grpc::ServerUnaryReactor* GetMandatoryReport(grpc::CallbackServerContext* ctx,
                                               const v1::GetMandatoryReportRequest* req,
                                               v1::GetMandatoryReportResponse* resp) override;
  grpc::ServerUnaryReactor* AcknowledgeMandatoryReport(grpc::CallbackServerContext* ctx,
                                                       const v1::AcknowledgeMandatoryReportRequest* req,
                                                       v1::AcknowledgeMandatoryReportResponse* resp) override;
  grpc::ServerUnaryReactor* ResolveMandatoryReport(grpc::CallbackServerContext* ctx,
                                                   const v1::ResolveMandatoryReportRequest* req,
                                                   v1::ResolveMandatoryReportResponse* resp) override;
  grpc::ServerUnaryReactor* ListOverdueMandatoryReports(
      grpc::CallbackServerContext* ctx, const v1::ListOverdueMandatoryReportsRequest* req,
      v1::ListOverdueMandatoryReportsResponse* resp) override;
  grpc::ServerUnaryReactor* ListMyMandatoryReports(grpc::CallbackServerContext* ctx,
                                                   const v1::ListMyMandatoryReportsRequest* req,
                                                   v1::ListMyMandatoryReportsResponse* resp) override;
  grpc::ServerUnaryReactor* UnsealMandatoryReporter(grpc::CallbackServerContext* ctx,
                                                    const v1::UnsealMandatoryReporterRequest* req,
                                                    v1::UnsealMandatoryReporterResponse* resp) override;
  grpc::ServerUnaryReactor* RecordReintegrationOutcome(grpc::CallbackServerContext* ctx,
                                                       const v1::RecordReintegrationOutcomeRequest* req,
                                                       v1::RecordReintegrationOutcomeResponse* resp) override;
  grpc::ServerUnaryReactor* ListReintegrationFollowUpsDue(
      grpc::CallbackServerContext* ctx, const v1::ListReintegrationFollowUpsDueRequest* req,
      v1::ListReintegrationFollowUpsDueResponse* resp) override;

 private:
  CooperationStore& store_;
  RegistryStore& registry_;
  const ReportDeadlines deadlines_;
  const Clock& clock_;
  ServiceEdge edge_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_COOPERATION_SERVICE_H_
