// The training service's storage: an abstract TrainingStore (what the service needs) and its MariaDB
// implementation, the only code that holds SQL. The API messages of shouhu.training.v1 double as the values
// the store returns: they are plain data, and mapping each of them to a twin struct would add nothing but
// copying. The store knows nothing of gRPC, principals or authorization; the edge checks scope before it
// calls a mutation (a participant's organisation and home division never change).
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_STORE_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_STORE_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "services/training/qualification.h"
#include "shouhu/training/v1/training.pb.h"

namespace shouhu {

// This service's migrations (services/training/migrations, embedded at build time).
std::vector<db::Migration> TrainingMigrations();

}  // namespace shouhu

namespace shouhu::training {

struct ParticipantFilter {
  std::string division_prefix;  // required
  std::string organisation_id;  // empty: any
  int kind = 0;                 // 0: any
  int stage = 0;                // 0: any
  std::string after_id;         // page token
  int limit = 50;
};

struct Page {
  std::string after_id;
  int limit = 50;
};

// A mutation's outcome plus, for attendance and assessment, the certification it issued.
struct EnrollmentOutcome {
  v1::Enrollment enrollment;
  std::optional<v1::Enrollment> promoted;
  std::optional<v1::Certification> certification;
};

struct TrainingHours {
  int64_t session_hours = 0;
  int32_t sessions_attended = 0;
  int64_t organisation_training_hours = 0;
  int32_t participants_trained = 0;
};

class TrainingStore {
 public:
  virtual ~TrainingStore() = default;

  virtual absl::StatusOr<v1::Participant> RegisterParticipant(const IdempotencyKey& key,
                                                              const v1::Participant& participant) = 0;
  // NOT_FOUND when there is none.
  virtual absl::StatusOr<v1::Participant> GetParticipant(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<v1::Participant>> ListParticipants(const ParticipantFilter& filter) = 0;
  // FAILED_PRECONDITION when the pipeline does not allow the move; appends VolunteerActivated/Suspended.
  virtual absl::StatusOr<v1::Participant> ChangeVolunteerStage(const IdempotencyKey& key,
                                                               const std::string& participant_id,
                                                               v1::VolunteerStage stage,
                                                               const std::string& reason) = 0;
  virtual absl::StatusOr<v1::Participant> RecordBackgroundCheck(const IdempotencyKey& key,
                                                                const std::string& participant_id,
                                                                const v1::BackgroundCheck& check) = 0;

  // ALREADY_EXISTS when the code is taken.
  virtual absl::StatusOr<v1::Course> CreateCourse(const IdempotencyKey& key, const v1::Course& course) = 0;
  virtual absl::StatusOr<v1::Course> GetCourse(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<v1::Course>> ListCourses(int required_for, const Page& page) = 0;

  virtual absl::StatusOr<v1::Session> ScheduleSession(const IdempotencyKey& key,
                                                      const v1::Session& session) = 0;
  virtual absl::StatusOr<v1::Session> GetSession(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<v1::Enrollment>> ListSessionEnrollments(const std::string& session_id,
                                                                             const Page& page) = 0;
  virtual absl::StatusOr<v1::Enrollment> GetEnrollment(const std::string& id) = 0;
  // Locks the session row: enrolled while places remain, waitlisted after. ALREADY_EXISTS when the
  // participant already holds a place or a waitlist position in the session.
  virtual absl::StatusOr<EnrollmentOutcome> Enroll(const IdempotencyKey& key, const std::string& session_id,
                                                   const std::string& participant_id) = 0;
  // Locks the session row; a freed place goes to the first on the waitlist in the same transaction.
  virtual absl::StatusOr<EnrollmentOutcome> CancelEnrollment(const IdempotencyKey& key,
                                                             const std::string& enrollment_id) = 0;
  virtual absl::StatusOr<EnrollmentOutcome> RecordAttendance(const IdempotencyKey& key,
                                                             const std::string& enrollment_id,
                                                             bool attended) = 0;
  virtual absl::StatusOr<EnrollmentOutcome> RecordAssessment(const IdempotencyKey& key,
                                                             const std::string& enrollment_id, int score) = 0;

  virtual absl::StatusOr<v1::Certification> GetCertification(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<v1::Certification>> ListCertifications(const std::string& participant_id,
                                                                            const Page& page) = 0;
  virtual absl::StatusOr<v1::Certification> RenewCertification(const IdempotencyKey& key,
                                                               const std::string& certification_id,
                                                               absl::CivilDay renewed_on) = 0;
  virtual absl::StatusOr<v1::Certification> RevokeCertification(const IdempotencyKey& key,
                                                                const std::string& certification_id,
                                                                const std::string& reason) = 0;
  // Appends CertificationExpired for every certificate whose expiry day is `today` or earlier and whose
  // event is not yet written, marking each in the same transaction. Returns how many it wrote.
  virtual absl::StatusOr<int> WriteDueExpiryEvents(absl::CivilDay today) = 0;

  // Everything the qualification rules need about these participants for `activity` (unknown ids absent).
  virtual absl::StatusOr<QualificationFacts> LoadQualificationFacts(
      const std::vector<std::string>& participant_ids, int activity) = 0;
  virtual absl::StatusOr<std::vector<OrganisationStanding>> LoadOrganisationStanding(
      const std::string& organisation_id) = 0;

  virtual absl::StatusOr<v1::OrganisationQualification> RecordOrganisationQualification(
      const IdempotencyKey& key, const v1::OrganisationQualification& qualification) = 0;
  virtual absl::StatusOr<std::vector<v1::OrganisationQualification>> ListOrganisationQualifications(
      const std::string& organisation_id, const Page& page) = 0;
  virtual absl::StatusOr<v1::OrganisationTraining> RecordOrganisationTraining(
      const IdempotencyKey& key, const v1::OrganisationTraining& training) = 0;

  // Hours of attended sessions whose day (Asia/Shanghai) lies in [from, to]; for an organisation, its
  // participants' hours plus the technical training given to it.
  virtual absl::StatusOr<TrainingHours> ParticipantHours(const std::string& participant_id,
                                                         absl::CivilDay from, absl::CivilDay to) = 0;
  virtual absl::StatusOr<TrainingHours> OrganisationHours(const std::string& organisation_id,
                                                          absl::CivilDay from, absl::CivilDay to) = 0;
};

class MariaDbTrainingStore final : public TrainingStore {
 public:
  MariaDbTrainingStore(db::Pool& pool, const Clock& clock, IdGenerator& ids)
      : pool_(pool), clock_(clock), ids_(ids), outbox_(pool, ids) {}

  absl::StatusOr<v1::Participant> RegisterParticipant(const IdempotencyKey& key,
                                                      const v1::Participant& participant) override;
  absl::StatusOr<v1::Participant> GetParticipant(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Participant>> ListParticipants(const ParticipantFilter& filter) override;
  absl::StatusOr<v1::Participant> ChangeVolunteerStage(const IdempotencyKey& key,
                                                       const std::string& participant_id,
                                                       v1::VolunteerStage stage,
                                                       const std::string& reason) override;
  absl::StatusOr<v1::Participant> RecordBackgroundCheck(const IdempotencyKey& key,
                                                        const std::string& participant_id,
                                                        const v1::BackgroundCheck& check) override;
  absl::StatusOr<v1::Course> CreateCourse(const IdempotencyKey& key, const v1::Course& course) override;
  absl::StatusOr<v1::Course> GetCourse(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Course>> ListCourses(int required_for, const Page& page) override;
  absl::StatusOr<v1::Session> ScheduleSession(const IdempotencyKey& key, const v1::Session& session) override;
  absl::StatusOr<v1::Session> GetSession(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Enrollment>> ListSessionEnrollments(const std::string& session_id,
                                                                     const Page& page) override;
  absl::StatusOr<v1::Enrollment> GetEnrollment(const std::string& id) override;
  absl::StatusOr<EnrollmentOutcome> Enroll(const IdempotencyKey& key, const std::string& session_id,
                                           const std::string& participant_id) override;
  absl::StatusOr<EnrollmentOutcome> CancelEnrollment(const IdempotencyKey& key,
                                                     const std::string& enrollment_id) override;
  absl::StatusOr<EnrollmentOutcome> RecordAttendance(const IdempotencyKey& key,
                                                     const std::string& enrollment_id,
                                                     bool attended) override;
  absl::StatusOr<EnrollmentOutcome> RecordAssessment(const IdempotencyKey& key,
                                                     const std::string& enrollment_id, int score) override;
  absl::StatusOr<v1::Certification> GetCertification(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Certification>> ListCertifications(const std::string& participant_id,
                                                                    const Page& page) override;
  absl::StatusOr<v1::Certification> RenewCertification(const IdempotencyKey& key,
                                                       const std::string& certification_id,
                                                       absl::CivilDay renewed_on) override;
  absl::StatusOr<v1::Certification> RevokeCertification(const IdempotencyKey& key,
                                                        const std::string& certification_id,
                                                        const std::string& reason) override;
  absl::StatusOr<int> WriteDueExpiryEvents(absl::CivilDay today) override;
  absl::StatusOr<QualificationFacts> LoadQualificationFacts(const std::vector<std::string>& participant_ids,
                                                            int activity) override;
  absl::StatusOr<std::vector<OrganisationStanding>> LoadOrganisationStanding(
      const std::string& organisation_id) override;
  absl::StatusOr<v1::OrganisationQualification> RecordOrganisationQualification(
      const IdempotencyKey& key, const v1::OrganisationQualification& qualification) override;
  absl::StatusOr<std::vector<v1::OrganisationQualification>> ListOrganisationQualifications(
      const std::string& organisation_id, const Page& page) override;
  absl::StatusOr<v1::OrganisationTraining> RecordOrganisationTraining(
      const IdempotencyKey& key, const v1::OrganisationTraining& training) override;
  absl::StatusOr<TrainingHours> ParticipantHours(const std::string& participant_id, absl::CivilDay from,
                                                 absl::CivilDay to) override;
  absl::StatusOr<TrainingHours> OrganisationHours(const std::string& organisation_id, absl::CivilDay from,
                                                  absl::CivilDay to) override;

  Outbox& outbox() { return outbox_; }

 private:
  // One transaction that claims the request id, runs `first` (returning a reference to what it produced)
  // unless a previous request with that id already did, and loads the result by reference.
  template <typename T>
  absl::StatusOr<T> Idempotent(
      const IdempotencyKey& key, const std::function<absl::StatusOr<std::string>(db::Session&)>& first,
      const std::function<absl::StatusOr<T>(db::Session&, const std::string&)>& load);
  // The answer for one participant in two statements (the batch form pads IN lists to a fixed length).
  absl::StatusOr<QualificationFacts> LoadOneQualificationFacts(const std::string& id, int activity);
  absl::StatusOr<EnrollmentOutcome> LoadOutcome(db::Session& tx, const std::string& ref);
  // Issues the certificate when the enrollment has earned it and has none; returns its id or "".
  absl::StatusOr<std::string> IssueIfEarned(db::Session& tx, const std::string& enrollment_id);
  // Attendance and assessment: the same checks and certificate issue around a different column.
  absl::StatusOr<EnrollmentOutcome> RecordResult(const IdempotencyKey& key, const std::string& enrollment_id,
                                                 absl::string_view what, absl::string_view update_sql,
                                                 int64_t value);

  db::Pool& pool_;
  const Clock& clock_;
  IdGenerator& ids_;
  Outbox outbox_;
};

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_STORE_H_
