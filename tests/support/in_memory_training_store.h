// The training store in memory, behind the same TrainingStore interface as MariaDbTrainingStore: for the fast
// edge tests (authentication, roles, validation, scope) that need no database. It keeps the same promises
// the edge relies on — absent is nullopt, a retry returns the first answer, `authorize` runs on the record
// before any change, the pure rules judge the change — with one mutex standing in for row locks. It keeps
// no outbox (events are MariaDB integration-test business) and its hours ignore the session's time zone
// subtleties beyond Asia/Shanghai days.
#ifndef SHOUHU_TESTS_SUPPORT_IN_MEMORY_TRAINING_STORE_H_
#define SHOUHU_TESTS_SUPPORT_IN_MEMORY_TRAINING_STORE_H_

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/event_feed.h"
#include "common/ids.h"
#include "services/training/training_store.h"

namespace shouhu::testing {

class InMemoryTrainingStore final : public training::TrainingStore {
 public:
  explicit InMemoryTrainingStore(const Clock& clock);

  // A feed over no events: this store keeps no outbox.
  EventFeed& event_feed() override { return *feed_; }

  absl::StatusOr<training::v1::RegisterParticipantResponse> RegisterParticipant(
      const IdempotencyKey& key, const Actor& actor, const training::v1::Participant& participant) override;
  absl::StatusOr<std::optional<training::v1::Participant>> GetParticipant(const std::string& id) override;
  absl::StatusOr<std::vector<training::v1::Participant>> ListParticipants(
      const training::ParticipantFilter& filter) override;
  absl::StatusOr<training::v1::ChangeVolunteerStageResponse> ChangeVolunteerStage(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      training::v1::VolunteerStage stage, const std::string& reason,
      const training::AuthorizeParticipant& authorize) override;
  absl::StatusOr<training::v1::RecordBackgroundCheckResponse> RecordBackgroundCheck(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      const training::v1::BackgroundCheck& check, const training::AuthorizeParticipant& authorize) override;
  absl::StatusOr<training::v1::SuspendParticipantResponse> SuspendParticipant(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      const training::SuspensionCommand& command, const training::AuthorizeParticipant& authorize) override;
  absl::StatusOr<training::v1::ReinstateParticipantResponse> ReinstateParticipant(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      const training::SuspensionCommand& command, const training::AuthorizeParticipant& authorize) override;
  absl::StatusOr<training::v1::CreateCourseResponse> CreateCourse(
      const IdempotencyKey& key, const Actor& actor, const training::v1::Course& course) override;
  absl::StatusOr<std::optional<training::v1::Course>> GetCourse(const std::string& id) override;
  absl::StatusOr<std::vector<training::v1::Course>> ListCourses(int required_for,
                                                                const PageRequest& page) override;
  absl::StatusOr<training::v1::ScheduleSessionResponse> ScheduleSession(
      const IdempotencyKey& key, const Actor& actor, const training::v1::Session& session) override;
  absl::StatusOr<std::optional<training::v1::Session>> GetSession(const std::string& id) override;
  absl::StatusOr<std::vector<training::v1::Enrollment>> ListSessionEnrollments(
      const std::string& session_id, const std::string& organisation_id, const PageRequest& page) override;
  absl::StatusOr<std::optional<training::v1::Enrollment>> GetEnrollment(const std::string& id) override;
  absl::StatusOr<training::v1::EnrollResponse> Enroll(
      const IdempotencyKey& key, const Actor& actor, const std::string& session_id,
      const std::string& participant_id, const training::AuthorizeEnrollment& authorize) override;
  absl::StatusOr<training::v1::CancelEnrollmentResponse> CancelEnrollment(
      const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id,
      const training::AuthorizeEnrollment& authorize) override;
  absl::StatusOr<training::v1::RecordAttendanceResponse> RecordAttendance(
      const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id, bool attended,
      const training::AuthorizeEnrollment& authorize) override;
  absl::StatusOr<training::v1::RecordAssessmentResponse> RecordAssessment(
      const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id, int score,
      const training::AuthorizeEnrollment& authorize) override;
  absl::StatusOr<std::optional<training::v1::Certification>> GetCertification(const std::string& id) override;
  absl::StatusOr<std::vector<training::v1::Certification>> ListCertifications(
      const std::string& participant_id, const PageRequest& page) override;
  absl::StatusOr<training::v1::RenewCertificationResponse> RenewCertification(
      const IdempotencyKey& key, const Actor& actor, const std::string& certification_id,
      absl::CivilDay renewed_on, const std::string& refresher_enrollment_id,
      const training::AuthorizeParticipant& authorize) override;
  absl::StatusOr<training::v1::RevokeCertificationResponse> RevokeCertification(
      const IdempotencyKey& key, const Actor& actor, const std::string& certification_id,
      const std::string& reason, const training::AuthorizeParticipant& authorize) override;
  absl::StatusOr<int> WriteDueExpiryEvents(absl::CivilDay today) override;
  absl::StatusOr<training::QualificationFacts> LoadQualificationFacts(
      const std::vector<std::string>& participant_ids, int activity) override;
  absl::StatusOr<std::vector<training::OrganisationStanding>> LoadOrganisationStanding(
      const std::string& organisation_id) override;
  absl::StatusOr<training::v1::RecordOrganisationQualificationResponse> RecordOrganisationQualification(
      const IdempotencyKey& key, const Actor& actor,
      const training::v1::OrganisationQualification& qualification) override;
  absl::StatusOr<std::vector<training::v1::OrganisationQualification>> ListOrganisationQualifications(
      const std::string& organisation_id, const PageRequest& page) override;
  absl::StatusOr<training::v1::RecordOrganisationTrainingResponse> RecordOrganisationTraining(
      const IdempotencyKey& key, const Actor& actor,
      const training::v1::OrganisationTraining& training) override;
  absl::StatusOr<training::TrainingHours> ParticipantHours(const std::string& participant_id,
                                                           absl::CivilDay from, absl::CivilDay to) override;
  absl::StatusOr<training::TrainingHours> OrganisationHours(const std::string& organisation_id,
                                                            absl::CivilDay from, absl::CivilDay to) override;

 private:
  struct StoredCertification {
    training::v1::Certification certification;  // status filled in on the way out
    bool revoked = false;
    int validity_months = 0;
  };
  using KeyId = std::tuple<std::string, std::string, std::string>;  // method, caller, request id

  // The recorded first answer for `key`, or `first`'s answer recorded; INVALID_ARGUMENT on request_id when
  // the id was used for another request. `first` runs under mu_ and changes nothing unless it succeeds.
  template <typename Response, typename First>
  absl::StatusOr<Response> Idempotent(const IdempotencyKey& key, First first);
  training::v1::Certification WithStatus(const StoredCertification& stored, absl::CivilDay today) const;
  // Attendance and assessment: the same checks and certificate issue around a different field.
  template <typename Response, typename Apply>
  absl::StatusOr<Response> RecordResult(const IdempotencyKey& key, const Actor& actor,
                                        const std::string& enrollment_id, absl::string_view what,
                                        const training::AuthorizeEnrollment& authorize, Apply apply);

  const Clock& clock_;
  IdGenerator ids_;
  absl::Mutex mu_;
  std::map<KeyId, std::pair<std::string, std::string>> answers_ ABSL_GUARDED_BY(mu_);  // hash, response
  std::map<std::string, training::v1::Participant> participants_ ABSL_GUARDED_BY(mu_);
  // Participant id → their standing suspension holds, oldest first.
  std::map<std::string, std::vector<training::SuspensionHold>> holds_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, training::v1::Course> courses_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, training::v1::Session> sessions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> waitlist_tails_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, training::v1::Enrollment> enrollments_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, StoredCertification> certifications_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, training::v1::OrganisationQualification> qualifications_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, training::v1::OrganisationTraining> trainings_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<EventFeed> feed_;  // declared last: its reader stops first
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_IN_MEMORY_TRAINING_STORE_H_
