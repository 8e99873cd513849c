// The training service's storage: an abstract TrainingStore (what the service needs) and its MariaDB
// implementation, the only code that holds SQL. The API messages of shouhu.training.v1 double as the values
// the store returns; none is stored as a column.
//
// Conventions, as in the registry's store: a Get answers nullopt when there is no such record (absence is
// not an error here; the edge answers NOT_FOUND). Every mutation runs in one IdempotentTransaction
// (common/idempotency.h) and returns the RPC's response message built inside it, so a retry gets the first
// answer. A mutation of an existing record locks its row, then asks the edge's `authorize` whether the caller
// may see it (NOT_FOUND otherwise), then judges the change with the pure rules on that locked row — so a
// concurrent change can neither slip between the check and the write nor leak existence.
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_STORE_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/event_feed.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/paging.h"
#include "services/training/qualification.h"
#include "services/training/suspension_rules.h"
#include "services/training/training_rules.h"
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
  PageRequest page;
};

struct TrainingHours {
  int64_t session_hours = 0;
  int32_t sessions_attended = 0;
  int64_t organisation_training_hours = 0;
  int32_t participants_trained = 0;
};

// The caller's scope decision on a locked record: OK, or NOT_FOUND.
using AuthorizeParticipant = std::function<absl::Status(const v1::Participant&)>;
// An enrollment is scoped by its session and its participant.
using AuthorizeEnrollment = std::function<absl::Status(const v1::Session&, const v1::Participant&)>;

class TrainingStore {
 public:
  virtual ~TrainingStore() = default;

  // The feed StreamEvents serves this service's outbox from (common/event_feed.h).
  virtual EventFeed& event_feed() = 0;

  virtual absl::StatusOr<v1::RegisterParticipantResponse> RegisterParticipant(
      const IdempotencyKey& key, const Actor& actor, const v1::Participant& participant) = 0;
  virtual absl::StatusOr<std::optional<v1::Participant>> GetParticipant(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<v1::Participant>> ListParticipants(const ParticipantFilter& filter) = 0;
  // FAILED_PRECONDITION when the pipeline does not allow the move; appends VolunteerActivated/Suspended.
  virtual absl::StatusOr<v1::ChangeVolunteerStageResponse> ChangeVolunteerStage(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      v1::VolunteerStage stage, const std::string& reason, const AuthorizeParticipant& authorize) = 0;
  // `authorize` runs on the locked row: the caller's scope, and whether they may replace the check standing
  // there (PERMISSION_DENIED, training_access.h's RequireMayReplaceCheck), so one recorded meanwhile is seen.
  virtual absl::StatusOr<v1::RecordBackgroundCheckResponse> RecordBackgroundCheck(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      const v1::BackgroundCheck& check, const AuthorizeParticipant& authorize) = 0;
  // suspension_rules.h's Suspend/Reinstate on the locked row and its holds; appends ParticipantSuspended with
  // the first hold and ParticipantReinstated with the last lifted (nothing between).
  virtual absl::StatusOr<v1::SuspendParticipantResponse> SuspendParticipant(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      const SuspensionCommand& command, const AuthorizeParticipant& authorize) = 0;
  virtual absl::StatusOr<v1::ReinstateParticipantResponse> ReinstateParticipant(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      const SuspensionCommand& command, const AuthorizeParticipant& authorize) = 0;

  // ALREADY_EXISTS when the code is taken.
  virtual absl::StatusOr<v1::CreateCourseResponse> CreateCourse(const IdempotencyKey& key, const Actor& actor,
                                                                const v1::Course& course) = 0;
  virtual absl::StatusOr<std::optional<v1::Course>> GetCourse(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<v1::Course>> ListCourses(int required_for, const PageRequest& page) = 0;

  // NOT_FOUND when the course does not exist.
  virtual absl::StatusOr<v1::ScheduleSessionResponse> ScheduleSession(const IdempotencyKey& key,
                                                                      const Actor& actor,
                                                                      const v1::Session& session) = 0;
  virtual absl::StatusOr<std::optional<v1::Session>> GetSession(const std::string& id) = 0;
  // `organisation_id` (empty: any) keeps the enrollments of that organisation's participants.
  virtual absl::StatusOr<std::vector<v1::Enrollment>> ListSessionEnrollments(
      const std::string& session_id, const std::string& organisation_id, const PageRequest& page) = 0;
  virtual absl::StatusOr<std::optional<v1::Enrollment>> GetEnrollment(const std::string& id) = 0;
  // Locks the session row, then the participant's, and judges both there (scope, the course's audience, a
  // volunteer who has left): enrolled while places remain, waitlisted after. ALREADY_EXISTS when the
  // participant already holds a place or a waitlist position in the session.
  virtual absl::StatusOr<v1::EnrollResponse> Enroll(const IdempotencyKey& key, const Actor& actor,
                                                    const std::string& session_id,
                                                    const std::string& participant_id,
                                                    const AuthorizeEnrollment& authorize) = 0;
  // Locks the session row; a freed place goes to the first on the waitlist in the same transaction.
  virtual absl::StatusOr<v1::CancelEnrollmentResponse> CancelEnrollment(
      const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id,
      const AuthorizeEnrollment& authorize) = 0;
  // Each issues the certificate when the result completes the requirements.
  virtual absl::StatusOr<v1::RecordAttendanceResponse> RecordAttendance(
      const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id, bool attended,
      const AuthorizeEnrollment& authorize) = 0;
  virtual absl::StatusOr<v1::RecordAssessmentResponse> RecordAssessment(
      const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id, int score,
      const AuthorizeEnrollment& authorize) = 0;

  virtual absl::StatusOr<std::optional<v1::Certification>> GetCertification(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<v1::Certification>> ListCertifications(const std::string& participant_id,
                                                                            const PageRequest& page) = 0;
  // `authorize` judges the certificate's holder; the refresher is checked on its recorded enrollment
  // (CheckRefresher) and kept on the certificate.
  virtual absl::StatusOr<v1::RenewCertificationResponse> RenewCertification(
      const IdempotencyKey& key, const Actor& actor, const std::string& certification_id,
      absl::CivilDay renewed_on, const std::string& refresher_enrollment_id,
      const AuthorizeParticipant& authorize) = 0;
  virtual absl::StatusOr<v1::RevokeCertificationResponse> RevokeCertification(
      const IdempotencyKey& key, const Actor& actor, const std::string& certification_id,
      const std::string& reason, const AuthorizeParticipant& authorize) = 0;
  // Appends CertificationExpired for every certificate whose expiry day is `today` or earlier and whose
  // event is not yet written, marking each in the same transaction. Returns how many it wrote.
  virtual absl::StatusOr<int> WriteDueExpiryEvents(absl::CivilDay today) = 0;

  // Everything the qualification rules need about these participants for `activity` (unknown ids absent).
  virtual absl::StatusOr<QualificationFacts> LoadQualificationFacts(
      const std::vector<std::string>& participant_ids, int activity) = 0;
  virtual absl::StatusOr<std::vector<OrganisationStanding>> LoadOrganisationStanding(
      const std::string& organisation_id) = 0;

  virtual absl::StatusOr<v1::RecordOrganisationQualificationResponse> RecordOrganisationQualification(
      const IdempotencyKey& key, const Actor& actor, const v1::OrganisationQualification& qualification) = 0;
  virtual absl::StatusOr<std::vector<v1::OrganisationQualification>> ListOrganisationQualifications(
      const std::string& organisation_id, const PageRequest& page) = 0;
  virtual absl::StatusOr<v1::RecordOrganisationTrainingResponse> RecordOrganisationTraining(
      const IdempotencyKey& key, const Actor& actor, const v1::OrganisationTraining& training) = 0;

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

  absl::StatusOr<v1::RegisterParticipantResponse> RegisterParticipant(
      const IdempotencyKey& key, const Actor& actor, const v1::Participant& participant) override;
  absl::StatusOr<std::optional<v1::Participant>> GetParticipant(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Participant>> ListParticipants(const ParticipantFilter& filter) override;
  absl::StatusOr<v1::ChangeVolunteerStageResponse> ChangeVolunteerStage(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      v1::VolunteerStage stage, const std::string& reason, const AuthorizeParticipant& authorize) override;
  absl::StatusOr<v1::RecordBackgroundCheckResponse> RecordBackgroundCheck(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      const v1::BackgroundCheck& check, const AuthorizeParticipant& authorize) override;
  absl::StatusOr<v1::SuspendParticipantResponse> SuspendParticipant(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      const SuspensionCommand& command, const AuthorizeParticipant& authorize) override;
  absl::StatusOr<v1::ReinstateParticipantResponse> ReinstateParticipant(
      const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
      const SuspensionCommand& command, const AuthorizeParticipant& authorize) override;
  absl::StatusOr<v1::CreateCourseResponse> CreateCourse(const IdempotencyKey& key, const Actor& actor,
                                                        const v1::Course& course) override;
  absl::StatusOr<std::optional<v1::Course>> GetCourse(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Course>> ListCourses(int required_for, const PageRequest& page) override;
  absl::StatusOr<v1::ScheduleSessionResponse> ScheduleSession(const IdempotencyKey& key, const Actor& actor,
                                                              const v1::Session& session) override;
  absl::StatusOr<std::optional<v1::Session>> GetSession(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Enrollment>> ListSessionEnrollments(const std::string& session_id,
                                                                     const std::string& organisation_id,
                                                                     const PageRequest& page) override;
  absl::StatusOr<std::optional<v1::Enrollment>> GetEnrollment(const std::string& id) override;
  absl::StatusOr<v1::EnrollResponse> Enroll(const IdempotencyKey& key, const Actor& actor,
                                            const std::string& session_id, const std::string& participant_id,
                                            const AuthorizeEnrollment& authorize) override;
  absl::StatusOr<v1::CancelEnrollmentResponse> CancelEnrollment(
      const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id,
      const AuthorizeEnrollment& authorize) override;
  absl::StatusOr<v1::RecordAttendanceResponse> RecordAttendance(
      const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id, bool attended,
      const AuthorizeEnrollment& authorize) override;
  absl::StatusOr<v1::RecordAssessmentResponse> RecordAssessment(
      const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id, int score,
      const AuthorizeEnrollment& authorize) override;
  absl::StatusOr<std::optional<v1::Certification>> GetCertification(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Certification>> ListCertifications(const std::string& participant_id,
                                                                    const PageRequest& page) override;
  absl::StatusOr<v1::RenewCertificationResponse> RenewCertification(
      const IdempotencyKey& key, const Actor& actor, const std::string& certification_id,
      absl::CivilDay renewed_on, const std::string& refresher_enrollment_id,
      const AuthorizeParticipant& authorize) override;
  absl::StatusOr<v1::RevokeCertificationResponse> RevokeCertification(
      const IdempotencyKey& key, const Actor& actor, const std::string& certification_id,
      const std::string& reason, const AuthorizeParticipant& authorize) override;
  absl::StatusOr<int> WriteDueExpiryEvents(absl::CivilDay today) override;
  absl::StatusOr<QualificationFacts> LoadQualificationFacts(const std::vector<std::string>& participant_ids,
                                                            int activity) override;
  absl::StatusOr<std::vector<OrganisationStanding>> LoadOrganisationStanding(
      const std::string& organisation_id) override;
  absl::StatusOr<v1::RecordOrganisationQualificationResponse> RecordOrganisationQualification(
      const IdempotencyKey& key, const Actor& actor,
      const v1::OrganisationQualification& qualification) override;
  absl::StatusOr<std::vector<v1::OrganisationQualification>> ListOrganisationQualifications(
      const std::string& organisation_id, const PageRequest& page) override;
  absl::StatusOr<v1::RecordOrganisationTrainingResponse> RecordOrganisationTraining(
      const IdempotencyKey& key, const Actor& actor, const v1::OrganisationTraining& training) override;
  absl::StatusOr<TrainingHours> ParticipantHours(const std::string& participant_id, absl::CivilDay from,
                                                 absl::CivilDay to) override;
  absl::StatusOr<TrainingHours> OrganisationHours(const std::string& organisation_id, absl::CivilDay from,
                                                  absl::CivilDay to) override;

  Outbox& outbox() { return outbox_; }
  EventFeed& event_feed() override { return outbox_.feed(); }

 private:
  // The enrollment, its session and participant, with the session row and then the enrollment row locked (the
  // order Enroll takes, so the two never wait on each other in opposite order); NOT_FOUND unless `authorize`
  // lets the caller see it.
  struct LockedEnrollment;
  absl::StatusOr<LockedEnrollment> LockEnrollment(db::Session& tx, const std::string& enrollment_id,
                                                  const AuthorizeEnrollment& authorize);
  // Issues the certificate when the enrollment has earned it and has none; returns it, or nullopt.
  absl::StatusOr<std::optional<v1::Certification>> IssueIfEarned(db::Session& tx, const Actor& actor,
                                                                 const std::string& enrollment_id);
  // Attendance and assessment: the same checks and certificate issue around a different column.
  template <typename Response>
  absl::StatusOr<Response> RecordResult(const IdempotencyKey& key, const Actor& actor,
                                        const std::string& enrollment_id, absl::string_view what,
                                        absl::string_view update_sql, int64_t value,
                                        const AuthorizeEnrollment& authorize);
  // Writes a suspension change (the hold, the shown suspension, history, event) and reads the participant
  // back.
  absl::StatusOr<v1::Participant> ApplySuspension(db::Session& tx, const Actor& actor,
                                                  const std::string& participant_id,
                                                  const SuspensionChange& change);
  // The participant's standing holds, oldest first, locked (the participant's row is locked already).
  static absl::StatusOr<std::vector<SuspensionHold>> LockSuspensionHolds(db::Session& tx,
                                                                         const std::string& participant_id);
  // The answer for one participant in two statements (the batch form pads IN lists to a fixed length).
  absl::StatusOr<QualificationFacts> LoadOneQualificationFacts(const std::string& id, int activity);

  db::Pool& pool_;
  const Clock& clock_;
  IdGenerator& ids_;
  Outbox outbox_;
};

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_STORE_H_
