// The gRPC edge of the visits service: every method goes through ServiceEdge (authenticate, then the roles
// its proto declares), validates the request, reads through the store, checks the record's scope
// (common/scope.h: outside it NOT_FOUND) and maps Status to grpc::Status. No SQL here.
#ifndef SHOUHU_SERVICES_VISITS_VISITS_SERVICE_H_
#define SHOUHU_SERVICES_VISITS_VISITS_SERVICE_H_

#include "absl/container/flat_hash_set.h"
#include "common/call_identity.h"
#include "common/call_workers.h"
#include "common/clock.h"
#include "common/edge.h"
#include "common/principal.h"
#include "services/registry/registry_client.h"
#include "services/training/training_client.h"
#include "services/visits/cadence.h"
#include "services/visits/field_visit_store.h"
#include "services/visits/group_activity_store.h"
#include "services/visits/safeguarding_desk.h"
#include "services/visits/safeguarding_store.h"
#include "services/visits/visit_calendar.h"
#include "services/visits/visits_store.h"
#include "shouhu/visits/v1/visits_service.grpc.pb.h"

namespace shouhu::visits {

class VisitsService final : public v1::VisitsService::CallbackService {
 public:
  // Each call's work runs on `workers` (see common/call_workers.h).
  // `calendar`, `training`, `safeguarding`, `desk` and `groups` must outlive the service. `field`:
  // check-in/out, reports and their reads (visits_service_field.cc). `access_log`: the registry, where the
  // reads of reports and visit histories are logged as this service (`identity`).
  VisitsService(VisitsStore& store, FieldVisitStore& field, CadencePolicy cadence,
                const VisitCalendar& calendar, const training::TrainingClient& training,
                SafeguardingStore& safeguarding, const SafeguardingDesk& desk, GroupActivityStore& groups,
                const registry::RegistryClient& access_log, const ServiceIdentity& identity,
                const PrincipalVerifier& verifier, const Clock& clock, CallWorkers& workers)
      : store_(store),
        field_(field),
        safeguarding_(safeguarding),
        desk_(desk),
        groups_(groups),
        cadence_(cadence),
        calendar_(calendar),
        training_(training),
        access_log_(access_log),
        identity_(identity),
        clock_(clock),
        edge_(v1::VisitsService::service_full_name(), verifier, workers) {}

  grpc::ServerUnaryReactor* GetChildVisitPlan(grpc::CallbackServerContext* ctx,
                                              const v1::GetChildVisitPlanRequest* req,
                                              v1::GetChildVisitPlanResponse* resp) override;
  grpc::ServerUnaryReactor* RegisterVisitor(grpc::CallbackServerContext* ctx,
                                            const v1::RegisterVisitorRequest* req,
                                            v1::RegisterVisitorResponse* resp) override;
  grpc::ServerUnaryReactor* GetVisitor(grpc::CallbackServerContext* ctx, const v1::GetVisitorRequest* req,
                                       v1::GetVisitorResponse* resp) override;
  grpc::ServerUnaryReactor* ListOverdueVisits(grpc::CallbackServerContext* ctx,
                                              const v1::ListOverdueVisitsRequest* req,
                                              v1::ListOverdueVisitsResponse* resp) override;
  grpc::ServerUnaryReactor* PlanWeekend(grpc::CallbackServerContext* ctx, const v1::PlanWeekendRequest* req,
                                        v1::PlanWeekendResponse* resp) override;
  grpc::ServerUnaryReactor* ListVisitorAssignments(grpc::CallbackServerContext* ctx,
                                                   const v1::ListVisitorAssignmentsRequest* req,
                                                   v1::ListVisitorAssignmentsResponse* resp) override;

  // The visit in the field, reports and their reads: visits_service_field.cc.
  grpc::ServerUnaryReactor* CheckIn(grpc::CallbackServerContext* ctx, const v1::CheckInRequest* req,
                                    v1::CheckInResponse* resp) override;
  grpc::ServerUnaryReactor* RecordPaymentVerification(grpc::CallbackServerContext* ctx,
                                                      const v1::RecordPaymentVerificationRequest* req,
                                                      v1::RecordPaymentVerificationResponse* resp) override;
  grpc::ServerUnaryReactor* CheckOut(grpc::CallbackServerContext* ctx, const v1::CheckOutRequest* req,
                                     v1::CheckOutResponse* resp) override;
  grpc::ServerUnaryReactor* SubmitVisitReports(grpc::CallbackServerContext* ctx,
                                               const v1::SubmitVisitReportsRequest* req,
                                               v1::SubmitVisitReportsResponse* resp) override;
  grpc::ServerUnaryReactor* EditVisitReport(grpc::CallbackServerContext* ctx,
                                            const v1::EditVisitReportRequest* req,
                                            v1::EditVisitReportResponse* resp) override;
  grpc::ServerUnaryReactor* GetVisitReport(grpc::CallbackServerContext* ctx,
                                           const v1::GetVisitReportRequest* req,
                                           v1::GetVisitReportResponse* resp) override;
  grpc::ServerUnaryReactor* ListChildVisits(grpc::CallbackServerContext* ctx,
                                            const v1::ListChildVisitsRequest* req,
                                            v1::ListChildVisitsResponse* resp) override;
  grpc::ServerUnaryReactor* GetVisitStatistics(grpc::CallbackServerContext* ctx,
                                               const v1::GetVisitStatisticsRequest* req,
                                               v1::GetVisitStatisticsResponse* resp) override;
  grpc::ServerWriteReactor<v1::StreamEventsResponse>* StreamEvents(
      grpc::CallbackServerContext* ctx, const v1::StreamEventsRequest* req) override;
  // Safeguarding concerns about visitors (visits_service_safeguarding.cc).
  grpc::ServerUnaryReactor* RaiseSafeguardingConcern(grpc::CallbackServerContext* ctx,
                                                     const v1::RaiseSafeguardingConcernRequest* req,
                                                     v1::RaiseSafeguardingConcernResponse* resp) override;
  grpc::ServerUnaryReactor* GetSafeguardingConcern(grpc::CallbackServerContext* ctx,
                                                   const v1::GetSafeguardingConcernRequest* req,
                                                   v1::GetSafeguardingConcernResponse* resp) override;
  grpc::ServerUnaryReactor* ListSafeguardingConcerns(grpc::CallbackServerContext* ctx,
                                                     const v1::ListSafeguardingConcernsRequest* req,
                                                     v1::ListSafeguardingConcernsResponse* resp) override;
  grpc::ServerUnaryReactor* ReviewSafeguardingConcern(grpc::CallbackServerContext* ctx,
                                                      const v1::ReviewSafeguardingConcernRequest* req,
                                                      v1::ReviewSafeguardingConcernResponse* resp) override;

  // Group and community activities (visits_service_group_activities.cc).
  grpc::ServerUnaryReactor* ScheduleGroupActivity(grpc::CallbackServerContext* ctx,
                                                  const v1::ScheduleGroupActivityRequest* req,
                                                  v1::ScheduleGroupActivityResponse* resp) override;
  grpc::ServerUnaryReactor* ChangeGroupActivityFacilitators(
      grpc::CallbackServerContext* ctx, const v1::ChangeGroupActivityFacilitatorsRequest* req,
      v1::ChangeGroupActivityFacilitatorsResponse* resp) override;
  grpc::ServerUnaryReactor* RecordGroupAttendance(grpc::CallbackServerContext* ctx,
                                                  const v1::RecordGroupAttendanceRequest* req,
                                                  v1::RecordGroupAttendanceResponse* resp) override;
  grpc::ServerUnaryReactor* ListGroupActivities(grpc::CallbackServerContext* ctx,
                                                const v1::ListGroupActivitiesRequest* req,
                                                v1::ListGroupActivitiesResponse* resp) override;
  grpc::ServerUnaryReactor* SummarizeGroupActivities(grpc::CallbackServerContext* ctx,
                                                     const v1::SummarizeGroupActivitiesRequest* req,
                                                     v1::SummarizeGroupActivitiesResponse* resp) override;

 private:
  // The visitors training says are qualified for home visits on `day`: one batch call, as the caller.
  absl::StatusOr<absl::flat_hash_set<std::string>> QualifiedVisitors(const grpc::CallbackServerContext& ctx,
                                                                     const std::vector<v1::Visitor>& visitors,
                                                                     absl::CivilDay day) const;
  // OK when training says every one of `ids` is qualified for group activities on `day`, as the caller; else
  // FAILED_PRECONDITION naming the first who is not as `field`[i].
  absl::Status RequireQualifiedFacilitators(const grpc::CallbackServerContext& ctx,
                                            const std::vector<std::string>& ids, absl::CivilDay day,
                                            absl::string_view field) const;

  VisitsStore& store_;
  FieldVisitStore& field_;
  SafeguardingStore& safeguarding_;
  const SafeguardingDesk& desk_;
  GroupActivityStore& groups_;
  const CadencePolicy cadence_;
  const VisitCalendar& calendar_;
  const training::TrainingClient& training_;
  const registry::RegistryClient& access_log_;
  const ServiceIdentity& identity_;
  const Clock& clock_;
  ServiceEdge edge_;
};

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_VISITS_SERVICE_H_
