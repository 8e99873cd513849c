// The gRPC edge of shouhu.training.v1.TrainingService, thin: every method goes through common's ServiceEdge
// (authenticate, then the roles its proto allows), validates with training_validation, decides scope with
// training_access (passed to the store for mutations, which applies it to the locked row), and calls the
// store and the pure rules. No SQL and no rules of its own here.
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_SERVICE_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_SERVICE_H_

#include "common/call_workers.h"
#include "common/clock.h"
#include "common/edge.h"
#include "common/principal.h"
#include "services/training/training_store.h"
#include "shouhu/training/v1/training.grpc.pb.h"

namespace shouhu::training {

inline constexpr char kTrainingServiceName[] = "shouhu.training.v1.TrainingService";

class TrainingService final : public v1::TrainingService::CallbackService {
 public:
  // Each call's work runs on `workers` (see common/call_workers.h).
  TrainingService(TrainingStore& store, const PrincipalVerifier& verifier, const Clock& clock,
                  CallWorkers& workers)
      : store_(store), clock_(clock), edge_(kTrainingServiceName, verifier, workers) {}

  grpc::ServerUnaryReactor* RegisterParticipant(grpc::CallbackServerContext* context,
                                                const v1::RegisterParticipantRequest* request,
                                                v1::RegisterParticipantResponse* response) override;
  grpc::ServerUnaryReactor* GetParticipant(grpc::CallbackServerContext* context,
                                           const v1::GetParticipantRequest* request,
                                           v1::GetParticipantResponse* response) override;
  grpc::ServerUnaryReactor* ListParticipants(grpc::CallbackServerContext* context,
                                             const v1::ListParticipantsRequest* request,
                                             v1::ListParticipantsResponse* response) override;
  grpc::ServerUnaryReactor* ChangeVolunteerStage(grpc::CallbackServerContext* context,
                                                 const v1::ChangeVolunteerStageRequest* request,
                                                 v1::ChangeVolunteerStageResponse* response) override;
  grpc::ServerUnaryReactor* RecordBackgroundCheck(grpc::CallbackServerContext* context,
                                                  const v1::RecordBackgroundCheckRequest* request,
                                                  v1::RecordBackgroundCheckResponse* response) override;
  grpc::ServerUnaryReactor* SuspendParticipant(grpc::CallbackServerContext* context,
                                               const v1::SuspendParticipantRequest* request,
                                               v1::SuspendParticipantResponse* response) override;
  grpc::ServerUnaryReactor* ReinstateParticipant(grpc::CallbackServerContext* context,
                                                 const v1::ReinstateParticipantRequest* request,
                                                 v1::ReinstateParticipantResponse* response) override;
  grpc::ServerUnaryReactor* CreateCourse(grpc::CallbackServerContext* context,
                                         const v1::CreateCourseRequest* request,
                                         v1::CreateCourseResponse* response) override;
  grpc::ServerUnaryReactor* GetCourse(grpc::CallbackServerContext* context,
                                      const v1::GetCourseRequest* request,
                                      v1::GetCourseResponse* response) override;
  grpc::ServerUnaryReactor* ListCourses(grpc::CallbackServerContext* context,
                                        const v1::ListCoursesRequest* request,
                                        v1::ListCoursesResponse* response) override;
  grpc::ServerUnaryReactor* ScheduleSession(grpc::CallbackServerContext* context,
                                            const v1::ScheduleSessionRequest* request,
                                            v1::ScheduleSessionResponse* response) override;
  grpc::ServerUnaryReactor* GetSession(grpc::CallbackServerContext* context,
                                       const v1::GetSessionRequest* request,
                                       v1::GetSessionResponse* response) override;
  grpc::ServerUnaryReactor* ListSessionEnrollments(grpc::CallbackServerContext* context,
                                                   const v1::ListSessionEnrollmentsRequest* request,
                                                   v1::ListSessionEnrollmentsResponse* response) override;
  grpc::ServerUnaryReactor* Enroll(grpc::CallbackServerContext* context, const v1::EnrollRequest* request,
                                   v1::EnrollResponse* response) override;
  grpc::ServerUnaryReactor* CancelEnrollment(grpc::CallbackServerContext* context,
                                             const v1::CancelEnrollmentRequest* request,
                                             v1::CancelEnrollmentResponse* response) override;
  grpc::ServerUnaryReactor* RecordAttendance(grpc::CallbackServerContext* context,
                                             const v1::RecordAttendanceRequest* request,
                                             v1::RecordAttendanceResponse* response) override;
  grpc::ServerUnaryReactor* RecordAssessment(grpc::CallbackServerContext* context,
                                             const v1::RecordAssessmentRequest* request,
                                             v1::RecordAssessmentResponse* response) override;
  grpc::ServerUnaryReactor* GetCertification(grpc::CallbackServerContext* context,
                                             const v1::GetCertificationRequest* request,
                                             v1::GetCertificationResponse* response) override;
  grpc::ServerUnaryReactor* ListCertifications(grpc::CallbackServerContext* context,
                                               const v1::ListCertificationsRequest* request,
                                               v1::ListCertificationsResponse* response) override;
  grpc::ServerUnaryReactor* RenewCertification(grpc::CallbackServerContext* context,
                                               const v1::RenewCertificationRequest* request,
                                               v1::RenewCertificationResponse* response) override;
  grpc::ServerUnaryReactor* RevokeCertification(grpc::CallbackServerContext* context,
                                                const v1::RevokeCertificationRequest* request,
                                                v1::RevokeCertificationResponse* response) override;
  grpc::ServerUnaryReactor* CheckQualification(grpc::CallbackServerContext* context,
                                               const v1::CheckQualificationRequest* request,
                                               v1::CheckQualificationResponse* response) override;
  grpc::ServerUnaryReactor* BatchCheckQualification(grpc::CallbackServerContext* context,
                                                    const v1::BatchCheckQualificationRequest* request,
                                                    v1::BatchCheckQualificationResponse* response) override;
  grpc::ServerUnaryReactor* RecordOrganisationQualification(
      grpc::CallbackServerContext* context, const v1::RecordOrganisationQualificationRequest* request,
      v1::RecordOrganisationQualificationResponse* response) override;
  grpc::ServerUnaryReactor* ListOrganisationQualifications(
      grpc::CallbackServerContext* context, const v1::ListOrganisationQualificationsRequest* request,
      v1::ListOrganisationQualificationsResponse* response) override;
  grpc::ServerUnaryReactor* RecordOrganisationTraining(
      grpc::CallbackServerContext* context, const v1::RecordOrganisationTrainingRequest* request,
      v1::RecordOrganisationTrainingResponse* response) override;
  grpc::ServerUnaryReactor* GetTrainingHours(grpc::CallbackServerContext* context,
                                             const v1::GetTrainingHoursRequest* request,
                                             v1::GetTrainingHoursResponse* response) override;
  grpc::ServerWriteReactor<v1::StreamEventsResponse>* StreamEvents(
      grpc::CallbackServerContext* context, const v1::StreamEventsRequest* request) override;

 private:
  // The record, or NOT_FOUND when it does not exist or lies outside the caller's scope.
  absl::StatusOr<v1::Participant> ScopedParticipant(const Principal& principal, const std::string& id);
  absl::StatusOr<v1::Session> ScopedSession(const Principal& principal, const std::string& id);
  absl::StatusOr<v1::Enrollment> ScopedEnrollment(const Principal& principal, const std::string& id);
  absl::StatusOr<v1::Certification> ScopedCertification(const Principal& principal, const std::string& id);

  TrainingStore& store_;
  const Clock& clock_;
  ServiceEdge edge_;
};

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_SERVICE_H_
