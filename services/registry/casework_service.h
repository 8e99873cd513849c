// The gRPC edge of casework (protos/shouhu/registry/v1/casework_service.proto), served by the registry
// process beside RegistryService: every method goes through ServiceEdge (authenticate, then the roles its
// proto declares), validates the request (casework_validation.h), hands the store the caller's scope check to
// run on the locked case, and maps Status to grpc::Status. No SQL here.
#ifndef SHOUHU_SERVICES_REGISTRY_CASEWORK_SERVICE_H_
#define SHOUHU_SERVICES_REGISTRY_CASEWORK_SERVICE_H_

#include "common/call_workers.h"
#include "common/clock.h"
#include "common/edge.h"
#include "common/principal.h"
#include "services/registry/casework_store.h"
#include "shouhu/registry/v1/casework_service.grpc.pb.h"

namespace shouhu::registry {

class CaseworkService final : public v1::CaseworkService::CallbackService {
 public:
  // `access_log` keeps the reads of assessments and plans, as the registry's own reads of the child.
  CaseworkService(CaseworkStore& store, RegistryStore& access_log, const PrincipalVerifier& verifier,
                  const Clock& clock, CallWorkers& workers)
      : store_(store),
        access_log_(access_log),
        clock_(clock),
        edge_(v1::CaseworkService::service_full_name(), verifier, workers) {}

  grpc::ServerUnaryReactor* PublishInstrument(grpc::CallbackServerContext* ctx,
                                              const v1::PublishInstrumentRequest* req,
                                              v1::PublishInstrumentResponse* resp) override;
  grpc::ServerUnaryReactor* GetInstrument(grpc::CallbackServerContext* ctx,
                                          const v1::GetInstrumentRequest* req,
                                          v1::GetInstrumentResponse* resp) override;
  grpc::ServerUnaryReactor* CreateAssessment(grpc::CallbackServerContext* ctx,
                                             const v1::CreateAssessmentRequest* req,
                                             v1::CreateAssessmentResponse* resp) override;
  grpc::ServerUnaryReactor* GetAssessment(grpc::CallbackServerContext* ctx,
                                          const v1::GetAssessmentRequest* req,
                                          v1::GetAssessmentResponse* resp) override;
  grpc::ServerUnaryReactor* CreateCasePlan(grpc::CallbackServerContext* ctx,
                                           const v1::CreateCasePlanRequest* req,
                                           v1::CreateCasePlanResponse* resp) override;
  grpc::ServerUnaryReactor* GetCasePlan(grpc::CallbackServerContext* ctx, const v1::GetCasePlanRequest* req,
                                        v1::GetCasePlanResponse* resp) override;
  grpc::ServerUnaryReactor* UpdatePlanItemStatus(grpc::CallbackServerContext* ctx,
                                                 const v1::UpdatePlanItemStatusRequest* req,
                                                 v1::UpdatePlanItemStatusResponse* resp) override;
  grpc::ServerUnaryReactor* RequestCaseClosure(grpc::CallbackServerContext* ctx,
                                               const v1::RequestCaseClosureRequest* req,
                                               v1::RequestCaseClosureResponse* resp) override;
  grpc::ServerUnaryReactor* SubmitForReview(grpc::CallbackServerContext* ctx,
                                            const v1::SubmitForReviewRequest* req,
                                            v1::SubmitForReviewResponse* resp) override;
  grpc::ServerUnaryReactor* CheckReview(grpc::CallbackServerContext* ctx, const v1::CheckReviewRequest* req,
                                        v1::CheckReviewResponse* resp) override;
  grpc::ServerUnaryReactor* ConfirmReview(grpc::CallbackServerContext* ctx,
                                          const v1::ConfirmReviewRequest* req,
                                          v1::ConfirmReviewResponse* resp) override;
  grpc::ServerUnaryReactor* ReturnForRevision(grpc::CallbackServerContext* ctx,
                                              const v1::ReturnForRevisionRequest* req,
                                              v1::ReturnForRevisionResponse* resp) override;
  grpc::ServerUnaryReactor* ListOverdueAssessments(grpc::CallbackServerContext* ctx,
                                                   const v1::ListOverdueAssessmentsRequest* req,
                                                   v1::ListOverdueAssessmentsResponse* resp) override;
  grpc::ServerUnaryReactor* ListTasks(grpc::CallbackServerContext* ctx, const v1::ListTasksRequest* req,
                                      v1::ListTasksResponse* resp) override;
  grpc::ServerUnaryReactor* CompleteTask(grpc::CallbackServerContext* ctx, const v1::CompleteTaskRequest* req,
                                         v1::CompleteTaskResponse* resp) override;

 private:
  // The supervision RPCs share everything but their step.
  absl::StatusOr<v1::Review> Step(const Principal& p, const google::protobuf::Message& request,
                                  absl::string_view method, const std::string& request_id,
                                  const std::string& item_id, ReviewStep step, const std::string& detail);

  CaseworkStore& store_;
  RegistryStore& access_log_;
  const Clock& clock_;
  ServiceEdge edge_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_CASEWORK_SERVICE_H_
