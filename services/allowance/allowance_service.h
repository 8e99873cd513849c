// The gRPC edge of the allowance service: every method goes through ServiceEdge (authenticate, then the
// roles its proto declares), validates the request, asks the registry and training where the rule needs
// them, hands the store the checks to run on the locked rows (scope: outside it NOT_FOUND; the rules of
// allowance_rules.h) and maps Status to grpc::Status. No SQL here.
#ifndef SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_SERVICE_H_
#define SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_SERVICE_H_

#include "common/call_identity.h"
#include "common/call_workers.h"
#include "common/clock.h"
#include "common/edge.h"
#include "common/principal.h"
#include "services/allowance/allowance_config.h"
#include "services/allowance/allowance_store.h"
#include "services/allowance/monthly_roster_store.h"
#include "services/registry/registry_client.h"
#include "services/training/training_client.h"
#include "shouhu/allowance/v1/allowance_service.grpc.pb.h"

namespace shouhu::allowance {

class MonthlyRosterJob;

class AllowanceService final : public v1::AllowanceService::CallbackService {
 public:
  // Each call's work runs on `workers` (see common/call_workers.h). `registry`, `training` and `identity`
  // (the service's own, for its registry and training questions) must outlive the service.
  // PayApplication goes through `payments` (group commit: PaymentQueue); everything else to `store`.
  AllowanceService(AllowanceStore& store, PaymentQueue& payments, const registry::RegistryClient& registry,
                   const training::TrainingClient& training, const ServiceIdentity& identity,
                   const AllowanceConfig& config, const PrincipalVerifier& verifier, const Clock& clock,
                   CallWorkers& workers)
      : store_(store),
        payments_(payments),
        registry_(registry),
        training_(training),
        identity_(identity),
        max_payment_attempts_(config.max_payment_attempts),
        clock_(clock),
        edge_(v1::AllowanceService::service_full_name(), verifier, workers) {}

  grpc::ServerUnaryReactor* ProposeProgram(grpc::CallbackServerContext* ctx,
                                           const v1::ProposeProgramRequest* req,
                                           v1::ProposeProgramResponse* resp) override;
  grpc::ServerUnaryReactor* GetProgram(grpc::CallbackServerContext* ctx, const v1::GetProgramRequest* req,
                                       v1::GetProgramResponse* resp) override;
  grpc::ServerUnaryReactor* ListPrograms(grpc::CallbackServerContext* ctx, const v1::ListProgramsRequest* req,
                                         v1::ListProgramsResponse* resp) override;
  grpc::ServerUnaryReactor* AssessProgram(grpc::CallbackServerContext* ctx,
                                          const v1::AssessProgramRequest* req,
                                          v1::AssessProgramResponse* resp) override;
  grpc::ServerUnaryReactor* FundProgram(grpc::CallbackServerContext* ctx, const v1::FundProgramRequest* req,
                                        v1::FundProgramResponse* resp) override;
  grpc::ServerUnaryReactor* ChangeProgramCaps(grpc::CallbackServerContext* ctx,
                                              const v1::ChangeProgramCapsRequest* req,
                                              v1::ChangeProgramCapsResponse* resp) override;
  grpc::ServerUnaryReactor* EvaluateProgram(grpc::CallbackServerContext* ctx,
                                            const v1::EvaluateProgramRequest* req,
                                            v1::EvaluateProgramResponse* resp) override;
  grpc::ServerUnaryReactor* SubmitApplication(grpc::CallbackServerContext* ctx,
                                              const v1::SubmitApplicationRequest* req,
                                              v1::SubmitApplicationResponse* resp) override;
  grpc::ServerUnaryReactor* GetApplication(grpc::CallbackServerContext* ctx,
                                           const v1::GetApplicationRequest* req,
                                           v1::GetApplicationResponse* resp) override;
  grpc::ServerUnaryReactor* ListApplications(grpc::CallbackServerContext* ctx,
                                             const v1::ListApplicationsRequest* req,
                                             v1::ListApplicationsResponse* resp) override;
  grpc::ServerUnaryReactor* ApproveApplication(grpc::CallbackServerContext* ctx,
                                               const v1::ApproveApplicationRequest* req,
                                               v1::ApproveApplicationResponse* resp) override;
  grpc::ServerUnaryReactor* RejectApplication(grpc::CallbackServerContext* ctx,
                                              const v1::RejectApplicationRequest* req,
                                              v1::RejectApplicationResponse* resp) override;
  grpc::ServerUnaryReactor* WithdrawApplication(grpc::CallbackServerContext* ctx,
                                                const v1::WithdrawApplicationRequest* req,
                                                v1::WithdrawApplicationResponse* resp) override;
  grpc::ServerUnaryReactor* PayApplication(grpc::CallbackServerContext* ctx,
                                           const v1::PayApplicationRequest* req,
                                           v1::PayApplicationResponse* resp) override;
  grpc::ServerUnaryReactor* RecordPaymentOutcome(grpc::CallbackServerContext* ctx,
                                                 const v1::RecordPaymentOutcomeRequest* req,
                                                 v1::RecordPaymentOutcomeResponse* resp) override;
  grpc::ServerUnaryReactor* GetPayment(grpc::CallbackServerContext* ctx, const v1::GetPaymentRequest* req,
                                       v1::GetPaymentResponse* resp) override;
  grpc::ServerUnaryReactor* ListPayments(grpc::CallbackServerContext* ctx, const v1::ListPaymentsRequest* req,
                                         v1::ListPaymentsResponse* resp) override;
  grpc::ServerUnaryReactor* ListLedgerEntries(grpc::CallbackServerContext* ctx,
                                              const v1::ListLedgerEntriesRequest* req,
                                              v1::ListLedgerEntriesResponse* resp) override;
  grpc::ServerUnaryReactor* ReconcileProgram(grpc::CallbackServerContext* ctx,
                                             const v1::ReconcileProgramRequest* req,
                                             v1::ReconcileProgramResponse* resp) override;
  grpc::ServerWriteReactor<v1::StreamEventsResponse>* StreamEvents(
      grpc::CallbackServerContext* ctx, const v1::StreamEventsRequest* req) override;

  // ---- the monthly basic living allowance, forecast and report (allowance_service_cycles.cc)
  // Serves them from `cycles`, which must outlive the service (the module wires it).
  void ServeMonthlyCycles(MonthlyRosterStore& cycles, MonthlyRosterJob& job) {
    cycles_ = &cycles;
    cycle_job_ = &job;
  }
  grpc::ServerUnaryReactor* GetMonthlyCycle(grpc::CallbackServerContext* ctx,
                                            const v1::GetMonthlyCycleRequest* req,
                                            v1::GetMonthlyCycleResponse* resp) override;
  grpc::ServerUnaryReactor* ListMonthlyCycles(grpc::CallbackServerContext* ctx,
                                              const v1::ListMonthlyCyclesRequest* req,
                                              v1::ListMonthlyCyclesResponse* resp) override;
  grpc::ServerUnaryReactor* ListRosterLines(grpc::CallbackServerContext* ctx,
                                            const v1::ListRosterLinesRequest* req,
                                            v1::ListRosterLinesResponse* resp) override;
  grpc::ServerUnaryReactor* SubmitMonthlyCycle(grpc::CallbackServerContext* ctx,
                                               const v1::SubmitMonthlyCycleRequest* req,
                                               v1::SubmitMonthlyCycleResponse* resp) override;
  grpc::ServerUnaryReactor* ApproveMonthlyCycle(grpc::CallbackServerContext* ctx,
                                                const v1::ApproveMonthlyCycleRequest* req,
                                                v1::ApproveMonthlyCycleResponse* resp) override;
  grpc::ServerUnaryReactor* RejectMonthlyCycle(grpc::CallbackServerContext* ctx,
                                               const v1::RejectMonthlyCycleRequest* req,
                                               v1::RejectMonthlyCycleResponse* resp) override;
  grpc::ServerUnaryReactor* PayMonthlyCycle(grpc::CallbackServerContext* ctx,
                                            const v1::PayMonthlyCycleRequest* req,
                                            v1::PayMonthlyCycleResponse* resp) override;
  grpc::ServerUnaryReactor* RecordSchoolEnrolment(grpc::CallbackServerContext* ctx,
                                                  const v1::RecordSchoolEnrolmentRequest* req,
                                                  v1::RecordSchoolEnrolmentResponse* resp) override;
  grpc::ServerUnaryReactor* ListPaymentChecks(grpc::CallbackServerContext* ctx,
                                              const v1::ListPaymentChecksRequest* req,
                                              v1::ListPaymentChecksResponse* resp) override;
  grpc::ServerUnaryReactor* GetProgramForecast(grpc::CallbackServerContext* ctx,
                                               const v1::GetProgramForecastRequest* req,
                                               v1::GetProgramForecastResponse* resp) override;
  grpc::ServerUnaryReactor* GetAllowanceReport(grpc::CallbackServerContext* ctx,
                                               const v1::GetAllowanceReportRequest* req,
                                               v1::GetAllowanceReportResponse* resp) override;
  grpc::ServerUnaryReactor* ChangeMonthlyAmount(grpc::CallbackServerContext* ctx,
                                                const v1::ChangeMonthlyAmountRequest* req,
                                                v1::ChangeMonthlyAmountResponse* resp) override;
  grpc::ServerUnaryReactor* ListMonthlyAmountChanges(grpc::CallbackServerContext* ctx,
                                                     const v1::ListMonthlyAmountChangesRequest* req,
                                                     v1::ListMonthlyAmountChangesResponse* resp) override;
  grpc::ServerUnaryReactor* ClaimMonthlyArrears(grpc::CallbackServerContext* ctx,
                                                const v1::ClaimMonthlyArrearsRequest* req,
                                                v1::ClaimMonthlyArrearsResponse* resp) override;
  grpc::ServerUnaryReactor* ListMonthlyArrears(grpc::CallbackServerContext* ctx,
                                               const v1::ListMonthlyArrearsRequest* req,
                                               v1::ListMonthlyArrearsResponse* resp) override;

 private:
  // FAILED_PRECONDITION unless the training service says the organisation's qualification covers today.
  absl::Status RequireQualified(const std::string& organisation_id) const;
  // The program, NOT_FOUND when missing or outside the caller's scope.
  absl::StatusOr<v1::Program> VisibleProgram(const Principal& p, const std::string& program_id) const;

  AllowanceStore& store_;
  PaymentQueue& payments_;
  const registry::RegistryClient& registry_;
  const training::TrainingClient& training_;
  const ServiceIdentity& identity_;
  const int max_payment_attempts_;
  const Clock& clock_;
  ServiceEdge edge_;
  MonthlyRosterStore* cycles_ = nullptr;   // ServeMonthlyCycles
  MonthlyRosterJob* cycle_job_ = nullptr;  // its take-up of one enrolment (ChangeMonthlyAmount with a kind)
};

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_SERVICE_H_
