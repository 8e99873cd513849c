// What each training request must hold, checked without a database: every failure is INVALID_ARGUMENT naming
// the field (nested fields as "participant.kind", list entries as "participant_ids[3]") and never quoting the
// value. The edge runs these after authentication and before anything is read or written.
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_VALIDATION_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "shouhu/training/v1/training.pb.h"

namespace shouhu::training {

// Organisation ids and registry references are identifiers of other systems.
inline constexpr size_t kMaxIdentifier = 64;
// BatchCheckQualification answers at most this many participants at once.
inline constexpr int kMaxBatch = 1000;

absl::Status ValidateRegisterParticipant(const v1::RegisterParticipantRequest& request);
absl::Status ValidateListParticipants(const v1::ListParticipantsRequest& request);
absl::Status ValidateChangeVolunteerStage(const v1::ChangeVolunteerStageRequest& request);
absl::Status ValidateSuspendParticipant(const v1::SuspendParticipantRequest& request);
absl::Status ValidateReinstateParticipant(const v1::ReinstateParticipantRequest& request);
// `today` in Asia/Shanghai: a check is recorded once it has been made, never ahead of its day.
absl::Status ValidateRecordBackgroundCheck(const v1::RecordBackgroundCheckRequest& request,
                                           absl::CivilDay today);
absl::Status ValidateCreateCourse(const v1::CreateCourseRequest& request);
absl::Status ValidateListCourses(const v1::ListCoursesRequest& request);
absl::Status ValidateScheduleSession(const v1::ScheduleSessionRequest& request);
absl::Status ValidateEnroll(const v1::EnrollRequest& request);
absl::Status ValidateCancelEnrollment(const v1::CancelEnrollmentRequest& request);
absl::Status ValidateRecordAttendance(const v1::RecordAttendanceRequest& request);
absl::Status ValidateRecordAssessment(const v1::RecordAssessmentRequest& request);
// Returns the renewal day: a refresher that has taken place, on or before `today` (Asia/Shanghai). A day
// still ahead is a plan, and renewing on it would qualify the holder before (and whether or not) it happens.
absl::StatusOr<absl::CivilDay> ValidateRenewCertification(const v1::RenewCertificationRequest& request,
                                                          absl::CivilDay today);
absl::Status ValidateRevokeCertification(const v1::RevokeCertificationRequest& request);
// Each returns the day asked about.
absl::StatusOr<absl::CivilDay> ValidateCheckQualification(const v1::CheckQualificationRequest& request);
absl::StatusOr<absl::CivilDay> ValidateBatchCheckQualification(
    const v1::BatchCheckQualificationRequest& request);
absl::Status ValidateRecordOrganisationQualification(
    const v1::RecordOrganisationQualificationRequest& request);
absl::Status ValidateListOrganisationQualifications(const v1::ListOrganisationQualificationsRequest& request);
absl::Status ValidateRecordOrganisationTraining(const v1::RecordOrganisationTrainingRequest& request);

// The period GetTrainingHours asks about, both days inclusive.
struct Period {
  absl::CivilDay from;
  absl::CivilDay to;
};
absl::StatusOr<Period> ValidateGetTrainingHours(const v1::GetTrainingHoursRequest& request);

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_VALIDATION_H_
