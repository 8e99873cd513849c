#include "tests/support/in_memory_training_store.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/training/certification_rules.h"
#include "services/training/training_rules.h"

namespace shouhu::testing {

InMemoryTrainingStore::InMemoryTrainingStore(const Clock& clock)
    : clock_(clock),
      ids_(clock),
      feed_(std::make_unique<EventFeed>(
          [](int64_t, int) -> absl::StatusOr<std::vector<common::v1::Event>> {
            return std::vector<common::v1::Event>();
          },
          []() -> absl::StatusOr<int64_t> { return int64_t{0}; })) {}
namespace {

namespace v1 = training::v1;

absl::Status NotFound(absl::string_view what) {
  return absl::NotFoundError(absl::StrCat(what, " not found"));
}

absl::CivilDay DayOf(const std::string& text) {
  absl::CivilDay day;
  (void)absl::ParseCivilTime(text, &day);
  return day;
}

// The page of `records` (ordered by id) after `page.after_id` that `keep` lets through.
template <typename T, typename Keep>
std::vector<T> PageOf(const std::map<std::string, T>& records, const PageRequest& page, Keep keep) {
  std::vector<T> out;
  for (auto it = records.upper_bound(page.after_id); it != records.end(); ++it) {
    if (static_cast<int>(out.size()) == page.limit) break;
    if (keep(it->second)) out.push_back(it->second);
  }
  return out;
}

}  // namespace

template <typename Response, typename First>
absl::StatusOr<Response> InMemoryTrainingStore::Idempotent(const IdempotencyKey& key, First first) {
  absl::MutexLock lock(&mu_);
  const KeyId id{key.method, key.caller, key.request_id};
  auto recorded = answers_.find(id);
  if (recorded != answers_.end()) {
    if (recorded->second.first != key.request_hash) {
      return InvalidField("request_id", "was already used for a different request");
    }
    Response response;
    if (!response.ParseFromString(recorded->second.second)) return absl::DataLossError("unreadable answer");
    return response;
  }
  absl::StatusOr<Response> answer = first();
  if (answer.ok()) answers_[id] = {key.request_hash, answer->SerializeAsString()};
  return answer;
}

v1::Certification InMemoryTrainingStore::WithStatus(const StoredCertification& stored,
                                                    absl::CivilDay today) const {
  v1::Certification c = stored.certification;
  c.set_status(training::StatusOn(stored.revoked, DayOf(c.expires_on()), today));
  return c;
}

// ---------------------------------------------------------------------------------------------- participants

absl::StatusOr<v1::RegisterParticipantResponse> InMemoryTrainingStore::RegisterParticipant(
    const IdempotencyKey& key, const Actor& actor, const v1::Participant& participant) {
  return Idempotent<v1::RegisterParticipantResponse>(
      key, [&]() -> absl::StatusOr<v1::RegisterParticipantResponse> {
        v1::Participant p = participant;
        p.set_id(ids_.Next());
        p.set_stage(p.kind() == v1::PARTICIPANT_KIND_VOLUNTEER ? v1::VOLUNTEER_STAGE_APPLIED
                                                               : v1::VOLUNTEER_STAGE_UNSPECIFIED);
        p.mutable_background_check()->Clear();
        p.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_NOT_STARTED);
        *p.mutable_created_at() = ToProtoTimestamp(actor.at);
        *p.mutable_updated_at() = ToProtoTimestamp(actor.at);
        participants_[p.id()] = p;
        v1::RegisterParticipantResponse response;
        *response.mutable_participant() = p;
        return response;
      });
}

absl::StatusOr<std::optional<v1::Participant>> InMemoryTrainingStore::GetParticipant(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto found = participants_.find(id);
  if (found == participants_.end()) return std::optional<v1::Participant>();
  return std::optional<v1::Participant>(found->second);
}

absl::StatusOr<std::vector<v1::Participant>> InMemoryTrainingStore::ListParticipants(
    const training::ParticipantFilter& f) {
  absl::MutexLock lock(&mu_);
  return PageOf(participants_, f.page, [&](const v1::Participant& p) {
    return p.home_division_code() >= f.division_prefix &&
           p.home_division_code() < DivisionPrefixEnd(f.division_prefix) &&
           (f.organisation_id.empty() || p.organisation_id() == f.organisation_id) &&
           (f.kind == 0 || p.kind() == f.kind) && (f.stage == 0 || p.stage() == f.stage);
  });
}

absl::StatusOr<v1::ChangeVolunteerStageResponse> InMemoryTrainingStore::ChangeVolunteerStage(
    const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
    v1::VolunteerStage stage, const std::string& reason, const training::AuthorizeParticipant& authorize) {
  return Idempotent<v1::ChangeVolunteerStageResponse>(
      key, [&]() -> absl::StatusOr<v1::ChangeVolunteerStageResponse> {
        auto found = participants_.find(participant_id);
        if (found == participants_.end()) return NotFound("participant");
        RETURN_IF_ERROR(authorize(found->second));
        ASSIGN_OR_RETURN(training::StageChange change,
                         training::ChangeStage(found->second, stage, reason, actor));
        found->second = change.updated;
        v1::ChangeVolunteerStageResponse response;
        *response.mutable_participant() = change.updated;
        return response;
      });
}

absl::StatusOr<v1::RecordBackgroundCheckResponse> InMemoryTrainingStore::RecordBackgroundCheck(
    const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
    const v1::BackgroundCheck& check, const training::AuthorizeParticipant& authorize) {
  return Idempotent<v1::RecordBackgroundCheckResponse>(
      key, [&]() -> absl::StatusOr<v1::RecordBackgroundCheckResponse> {
        auto found = participants_.find(participant_id);
        if (found == participants_.end()) return NotFound("participant");
        RETURN_IF_ERROR(authorize(found->second));
        found->second = training::RecordCheck(found->second, check, actor).updated;
        v1::RecordBackgroundCheckResponse response;
        *response.mutable_participant() = found->second;
        return response;
      });
}

absl::StatusOr<v1::SuspendParticipantResponse> InMemoryTrainingStore::SuspendParticipant(
    const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
    const training::SuspensionCommand& command, const training::AuthorizeParticipant& authorize) {
  return Idempotent<v1::SuspendParticipantResponse>(
      key, [&]() -> absl::StatusOr<v1::SuspendParticipantResponse> {
        auto found = participants_.find(participant_id);
        if (found == participants_.end()) return NotFound("participant");
        RETURN_IF_ERROR(authorize(found->second));
        std::vector<training::SuspensionHold>& holds = holds_[participant_id];
        const training::SuspensionChange change =
            training::Suspend(found->second, holds, command.reason, command.reference, command.by, actor);
        if (change.placed) holds.push_back(*change.placed);
        found->second = change.updated;
        v1::SuspendParticipantResponse response;
        *response.mutable_participant() = change.updated;
        return response;
      });
}

absl::StatusOr<v1::ReinstateParticipantResponse> InMemoryTrainingStore::ReinstateParticipant(
    const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
    const training::SuspensionCommand& command, const training::AuthorizeParticipant& authorize) {
  return Idempotent<v1::ReinstateParticipantResponse>(
      key, [&]() -> absl::StatusOr<v1::ReinstateParticipantResponse> {
        auto found = participants_.find(participant_id);
        if (found == participants_.end()) return NotFound("participant");
        RETURN_IF_ERROR(authorize(found->second));
        std::vector<training::SuspensionHold>& holds = holds_[participant_id];
        ASSIGN_OR_RETURN(training::SuspensionChange change,
                         training::Reinstate(found->second, holds, command.reason, command.hold_reference,
                                             command.reference, command.by, actor));
        if (change.lifted) {
          holds.erase(std::remove_if(holds.begin(), holds.end(),
                                     [&](const training::SuspensionHold& h) {
                                       return h.reason == change.lifted->reason &&
                                              h.reference == change.lifted->reference;
                                     }),
                      holds.end());
        }
        found->second = change.updated;
        v1::ReinstateParticipantResponse response;
        *response.mutable_participant() = change.updated;
        return response;
      });
}

// --------------------------------------------------------------------------------------------------- courses

absl::StatusOr<v1::CreateCourseResponse> InMemoryTrainingStore::CreateCourse(const IdempotencyKey& key,
                                                                             const Actor& actor,
                                                                             const v1::Course& course) {
  return Idempotent<v1::CreateCourseResponse>(key, [&]() -> absl::StatusOr<v1::CreateCourseResponse> {
    for (const auto& [id, c] : courses_) {
      if (c.code() == course.code()) return absl::AlreadyExistsError("a course with this code exists");
    }
    v1::Course c = course;
    c.set_id(ids_.Next());
    std::set<int> required(c.required_for().begin(), c.required_for().end());
    c.clear_required_for();
    for (int a : required) c.add_required_for(static_cast<v1::Activity>(a));
    *c.mutable_created_at() = ToProtoTimestamp(actor.at);
    courses_[c.id()] = c;
    v1::CreateCourseResponse response;
    *response.mutable_course() = c;
    return response;
  });
}

absl::StatusOr<std::optional<v1::Course>> InMemoryTrainingStore::GetCourse(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto found = courses_.find(id);
  if (found == courses_.end()) return std::optional<v1::Course>();
  return std::optional<v1::Course>(found->second);
}

absl::StatusOr<std::vector<v1::Course>> InMemoryTrainingStore::ListCourses(int required_for,
                                                                           const PageRequest& page) {
  absl::MutexLock lock(&mu_);
  return PageOf(courses_, page, [&](const v1::Course& c) {
    return required_for == 0 || std::find(c.required_for().begin(), c.required_for().end(), required_for) !=
                                    c.required_for().end();
  });
}

// ------------------------------------------------------------------------------------ sessions, enrollments

absl::StatusOr<v1::ScheduleSessionResponse> InMemoryTrainingStore::ScheduleSession(
    const IdempotencyKey& key, const Actor&, const v1::Session& session) {
  return Idempotent<v1::ScheduleSessionResponse>(key, [&]() -> absl::StatusOr<v1::ScheduleSessionResponse> {
    if (courses_.count(session.course_id()) == 0) return NotFound("course");
    v1::Session s = session;
    s.set_id(ids_.Next());
    s.set_enrolled_count(0);
    s.set_waitlisted_count(0);
    sessions_[s.id()] = s;
    v1::ScheduleSessionResponse response;
    *response.mutable_session() = s;
    return response;
  });
}

absl::StatusOr<std::optional<v1::Session>> InMemoryTrainingStore::GetSession(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto found = sessions_.find(id);
  if (found == sessions_.end()) return std::optional<v1::Session>();
  return std::optional<v1::Session>(found->second);
}

absl::StatusOr<std::vector<v1::Enrollment>> InMemoryTrainingStore::ListSessionEnrollments(
    const std::string& session_id, const std::string& organisation_id, const PageRequest& page) {
  absl::MutexLock lock(&mu_);
  return PageOf(enrollments_, page, [&](const v1::Enrollment& e) {
    return e.session_id() == session_id &&
           (organisation_id.empty() ||
            participants_.at(e.participant_id()).organisation_id() == organisation_id);
  });
}

absl::StatusOr<std::optional<v1::Enrollment>> InMemoryTrainingStore::GetEnrollment(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto found = enrollments_.find(id);
  if (found == enrollments_.end()) return std::optional<v1::Enrollment>();
  return std::optional<v1::Enrollment>(found->second);
}

absl::StatusOr<v1::EnrollResponse> InMemoryTrainingStore::Enroll(
    const IdempotencyKey& key, const Actor&, const std::string& session_id, const std::string& participant_id,
    const training::AuthorizeEnrollment& authorize) {
  return Idempotent<v1::EnrollResponse>(key, [&]() -> absl::StatusOr<v1::EnrollResponse> {
    auto session = sessions_.find(session_id);
    if (session == sessions_.end()) return NotFound("session");
    auto participant = participants_.find(participant_id);
    if (participant == participants_.end()) return NotFound("participant");
    RETURN_IF_ERROR(authorize(session->second, participant->second));
    RETURN_IF_ERROR(training::MayEnroll(courses_.at(session->second.course_id()), participant->second));
    for (const auto& [id, e] : enrollments_) {
      if (e.session_id() == session_id && e.participant_id() == participant_id &&
          e.status() != v1::ENROLLMENT_STATUS_CANCELLED) {
        return absl::AlreadyExistsError("the participant is already enrolled or waitlisted");
      }
    }
    v1::Enrollment e;
    e.set_id(ids_.Next());
    e.set_session_id(session_id);
    e.set_participant_id(participant_id);
    e.set_status(training::PlaceFor(session->second.capacity(), session->second.enrolled_count()));
    if (e.status() == v1::ENROLLMENT_STATUS_ENROLLED) {
      session->second.set_enrolled_count(session->second.enrolled_count() + 1);
    } else {
      e.set_waitlist_position(++waitlist_tails_[session_id]);
      session->second.set_waitlisted_count(session->second.waitlisted_count() + 1);
    }
    enrollments_[e.id()] = e;
    v1::EnrollResponse response;
    *response.mutable_enrollment() = e;
    return response;
  });
}

absl::StatusOr<v1::CancelEnrollmentResponse> InMemoryTrainingStore::CancelEnrollment(
    const IdempotencyKey& key, const Actor&, const std::string& enrollment_id,
    const training::AuthorizeEnrollment& authorize) {
  return Idempotent<v1::CancelEnrollmentResponse>(key, [&]() -> absl::StatusOr<v1::CancelEnrollmentResponse> {
    auto found = enrollments_.find(enrollment_id);
    if (found == enrollments_.end()) return NotFound("enrollment");
    v1::Enrollment& e = found->second;
    v1::Session& session = sessions_.at(e.session_id());
    RETURN_IF_ERROR(authorize(session, participants_.at(e.participant_id())));
    if (e.status() == v1::ENROLLMENT_STATUS_CANCELLED) {
      return absl::FailedPreconditionError("the enrollment is already cancelled");
    }
    if (e.attendance_recorded() || e.assessed()) {
      return absl::FailedPreconditionError("attendance or assessment is recorded; it cannot be cancelled");
    }
    v1::CancelEnrollmentResponse response;
    if (e.status() == v1::ENROLLMENT_STATUS_WAITLISTED) {
      session.set_waitlisted_count(session.waitlisted_count() - 1);
    } else {
      session.set_enrolled_count(session.enrolled_count() - 1);
      v1::Enrollment* next = nullptr;
      for (auto& [id, other] : enrollments_) {
        if (other.session_id() == e.session_id() && other.status() == v1::ENROLLMENT_STATUS_WAITLISTED &&
            (next == nullptr || other.waitlist_position() < next->waitlist_position())) {
          next = &other;
        }
      }
      if (next != nullptr) {
        next->set_status(v1::ENROLLMENT_STATUS_ENROLLED);
        next->set_waitlist_position(0);
        session.set_enrolled_count(session.enrolled_count() + 1);
        session.set_waitlisted_count(session.waitlisted_count() - 1);
        *response.mutable_promoted() = *next;
      }
    }
    e.set_status(v1::ENROLLMENT_STATUS_CANCELLED);
    e.set_waitlist_position(0);
    *response.mutable_enrollment() = e;
    return response;
  });
}

template <typename Response, typename Apply>
absl::StatusOr<Response> InMemoryTrainingStore::RecordResult(const IdempotencyKey& key, const Actor& actor,
                                                             const std::string& enrollment_id,
                                                             absl::string_view what,
                                                             const training::AuthorizeEnrollment& authorize,
                                                             Apply apply) {
  return Idempotent<Response>(key, [&]() -> absl::StatusOr<Response> {
    auto found = enrollments_.find(enrollment_id);
    if (found == enrollments_.end()) return NotFound("enrollment");
    v1::Enrollment& e = found->second;
    const v1::Session& session = sessions_.at(e.session_id());
    RETURN_IF_ERROR(authorize(session, participants_.at(e.participant_id())));
    if (e.status() != v1::ENROLLMENT_STATUS_ENROLLED) {
      return absl::FailedPreconditionError(
          absl::StrCat("only an enrollment holding a place has its ", what, " recorded"));
    }
    if (!e.certification_id().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the certificate is issued; the ", what, " can no longer change"));
    }
    if (!e.renewed_certification_id().empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the enrollment renewed a certificate as its refresher; the ", what, " can no longer change"));
    }
    RETURN_IF_ERROR(training::MayRecordResults(FromProtoTimestamp(session.starts_at()), actor.at));
    apply(e);
    Response response;
    const v1::Course& course = courses_.at(session.course_id());
    if (training::CertificationEarned(e.attended(), e.assessed(), e.score(), course.pass_mark())) {
      StoredCertification stored;
      v1::Certification& c = stored.certification;
      c.set_id(ids_.Next());
      c.set_participant_id(e.participant_id());
      c.set_course_id(course.id());
      c.set_course_code(course.code());
      c.set_enrollment_id(e.id());
      const absl::CivilDay issued = ShanghaiDay(FromProtoTimestamp(session.starts_at()));
      c.set_issued_on(absl::FormatCivilTime(issued));
      c.set_expires_on(absl::FormatCivilTime(training::AddMonths(issued, course.validity_months())));
      stored.validity_months = course.validity_months();
      certifications_[c.id()] = stored;
      e.set_certification_id(c.id());
      *response.mutable_certification() = WithStatus(stored, ShanghaiDay(actor.at));
    }
    *response.mutable_enrollment() = e;
    return response;
  });
}

absl::StatusOr<v1::RecordAttendanceResponse> InMemoryTrainingStore::RecordAttendance(
    const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id, bool attended,
    const training::AuthorizeEnrollment& authorize) {
  return RecordResult<v1::RecordAttendanceResponse>(key, actor, enrollment_id, "attendance", authorize,
                                                    [attended](v1::Enrollment& e) {
                                                      e.set_attendance_recorded(true);
                                                      e.set_attended(attended);
                                                    });
}

absl::StatusOr<v1::RecordAssessmentResponse> InMemoryTrainingStore::RecordAssessment(
    const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id, int score,
    const training::AuthorizeEnrollment& authorize) {
  return RecordResult<v1::RecordAssessmentResponse>(key, actor, enrollment_id, "score", authorize,
                                                    [score](v1::Enrollment& e) {
                                                      e.set_assessed(true);
                                                      e.set_score(score);
                                                    });
}

// ------------------------------------------------------------------------------------------- certifications

absl::StatusOr<std::optional<v1::Certification>> InMemoryTrainingStore::GetCertification(
    const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto found = certifications_.find(id);
  if (found == certifications_.end()) return std::optional<v1::Certification>();
  return std::optional<v1::Certification>(WithStatus(found->second, ShanghaiDay(clock_.Now())));
}

absl::StatusOr<std::vector<v1::Certification>> InMemoryTrainingStore::ListCertifications(
    const std::string& participant_id, const PageRequest& page) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Certification> out;
  for (const StoredCertification& stored : PageOf(certifications_, page, [&](const StoredCertification& s) {
         return s.certification.participant_id() == participant_id;
       })) {
    out.push_back(WithStatus(stored, ShanghaiDay(clock_.Now())));
  }
  return out;
}

absl::StatusOr<v1::RenewCertificationResponse> InMemoryTrainingStore::RenewCertification(
    const IdempotencyKey& key, const Actor& actor, const std::string& certification_id,
    absl::CivilDay renewed_on, const std::string& refresher_enrollment_id,
    const training::AuthorizeParticipant& authorize) {
  return Idempotent<v1::RenewCertificationResponse>(
      key, [&]() -> absl::StatusOr<v1::RenewCertificationResponse> {
        auto found = certifications_.find(certification_id);
        if (found == certifications_.end()) return NotFound("certification");
        if (!authorize(participants_.at(found->second.certification.participant_id())).ok()) {
          return NotFound("certification");
        }
        RETURN_IF_ERROR(training::MayRenew(found->second.revoked));
        v1::Certification& c = found->second.certification;
        auto refresher = enrollments_.find(refresher_enrollment_id);
        if (refresher == enrollments_.end()) return NotFound("refresher enrollment");
        const v1::Session& session = sessions_.at(refresher->second.session_id());
        RETURN_IF_ERROR(training::CheckRefresher(
            {refresher->second.participant_id(), session.course_id(),
             refresher->second.attendance_recorded() && refresher->second.attended(),
             !refresher->second.certification_id().empty(), refresher->second.renewed_certification_id(),
             ShanghaiDay(FromProtoTimestamp(session.starts_at()))},
            {c.id(), c.participant_id(), c.course_id()}, renewed_on));
        c.set_renewed_by_enrollment_id(refresher_enrollment_id);
        refresher->second.set_renewed_certification_id(c.id());
        c.set_expires_on(absl::FormatCivilTime(
            training::RenewedExpiry(DayOf(c.expires_on()), renewed_on, found->second.validity_months)));
        v1::RenewCertificationResponse response;
        *response.mutable_certification() = WithStatus(found->second, ShanghaiDay(actor.at));
        return response;
      });
}

absl::StatusOr<v1::RevokeCertificationResponse> InMemoryTrainingStore::RevokeCertification(
    const IdempotencyKey& key, const Actor& actor, const std::string& certification_id,
    const std::string& reason, const training::AuthorizeParticipant& authorize) {
  return Idempotent<v1::RevokeCertificationResponse>(
      key, [&]() -> absl::StatusOr<v1::RevokeCertificationResponse> {
        auto found = certifications_.find(certification_id);
        if (found == certifications_.end()) return NotFound("certification");
        if (!authorize(participants_.at(found->second.certification.participant_id())).ok()) {
          return NotFound("certification");
        }
        RETURN_IF_ERROR(training::MayRevoke(found->second.revoked));
        found->second.revoked = true;
        found->second.certification.set_revocation_reason(reason);
        v1::RevokeCertificationResponse response;
        *response.mutable_certification() = WithStatus(found->second, ShanghaiDay(actor.at));
        return response;
      });
}

absl::StatusOr<int> InMemoryTrainingStore::WriteDueExpiryEvents(absl::CivilDay) { return 0; }

// -------------------------------------------------------------------------------------------- qualification

absl::StatusOr<training::QualificationFacts> InMemoryTrainingStore::LoadQualificationFacts(
    const std::vector<std::string>& participant_ids, int activity) {
  absl::MutexLock lock(&mu_);
  training::QualificationFacts facts;
  for (const auto& [id, c] : courses_) {
    if (std::find(c.required_for().begin(), c.required_for().end(), activity) != c.required_for().end()) {
      facts.required.push_back({c.id(), c.code()});
    }
  }
  for (const std::string& id : participant_ids) {
    auto found = participants_.find(id);
    if (found == participants_.end()) continue;
    const v1::Participant& p = found->second;
    training::ParticipantStanding s;
    s.id = p.id();
    s.organisation_id = p.organisation_id();
    s.home_division_code = p.home_division_code();
    s.kind = p.kind();
    s.stage = p.stage();
    if (p.has_suspension()) s.suspension = p.suspension().reason();
    s.background_status = p.background_check().status();
    if (!p.background_check().checked_on().empty())
      s.background_checked_on = DayOf(p.background_check().checked_on());
    if (!p.background_check().expires_on().empty())
      s.background_expires_on = DayOf(p.background_check().expires_on());
    facts.participants[id] = s;
    for (const auto& [cid, stored] : certifications_) {
      const v1::Certification& c = stored.certification;
      if (c.participant_id() != id) continue;
      facts.certifications[id].push_back(
          {c.course_id(), DayOf(c.issued_on()), DayOf(c.expires_on()), stored.revoked});
    }
    for (const auto& [qid, q] : qualifications_) {
      if (q.organisation_id() == p.organisation_id()) {
        facts.organisations[q.organisation_id()].push_back(
            {q.organisation_id(), DayOf(q.assessed_on()), DayOf(q.expires_on())});
      }
    }
  }
  return facts;
}

absl::StatusOr<std::vector<training::OrganisationStanding>> InMemoryTrainingStore::LoadOrganisationStanding(
    const std::string& organisation_id) {
  absl::MutexLock lock(&mu_);
  std::vector<training::OrganisationStanding> out;
  for (const auto& [id, q] : qualifications_) {
    if (q.organisation_id() == organisation_id) {
      out.push_back({organisation_id, DayOf(q.assessed_on()), DayOf(q.expires_on())});
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------- organisations

absl::StatusOr<v1::RecordOrganisationQualificationResponse>
InMemoryTrainingStore::RecordOrganisationQualification(const IdempotencyKey& key, const Actor&,
                                                       const v1::OrganisationQualification& qualification) {
  return Idempotent<v1::RecordOrganisationQualificationResponse>(
      key, [&]() -> absl::StatusOr<v1::RecordOrganisationQualificationResponse> {
        v1::OrganisationQualification q = qualification;
        q.set_id(ids_.Next());
        qualifications_[q.id()] = q;
        v1::RecordOrganisationQualificationResponse response;
        *response.mutable_qualification() = q;
        return response;
      });
}

absl::StatusOr<std::vector<v1::OrganisationQualification>>
InMemoryTrainingStore::ListOrganisationQualifications(const std::string& organisation_id,
                                                      const PageRequest& page) {
  absl::MutexLock lock(&mu_);
  return PageOf(qualifications_, page, [&](const v1::OrganisationQualification& q) {
    return q.organisation_id() == organisation_id;
  });
}

absl::StatusOr<v1::RecordOrganisationTrainingResponse> InMemoryTrainingStore::RecordOrganisationTraining(
    const IdempotencyKey& key, const Actor&, const v1::OrganisationTraining& training) {
  return Idempotent<v1::RecordOrganisationTrainingResponse>(
      key, [&]() -> absl::StatusOr<v1::RecordOrganisationTrainingResponse> {
        v1::OrganisationTraining t = training;
        t.set_id(ids_.Next());
        trainings_[t.id()] = t;
        v1::RecordOrganisationTrainingResponse response;
        *response.mutable_training() = t;
        return response;
      });
}

// ------------------------------------------------------------------------------------------------- hours

absl::StatusOr<training::TrainingHours> InMemoryTrainingStore::ParticipantHours(
    const std::string& participant_id, absl::CivilDay from, absl::CivilDay to) {
  absl::MutexLock lock(&mu_);
  training::TrainingHours hours;
  for (const auto& [id, e] : enrollments_) {
    if (e.participant_id() != participant_id || e.status() != v1::ENROLLMENT_STATUS_ENROLLED ||
        !e.attended()) {
      continue;
    }
    const v1::Session& s = sessions_.at(e.session_id());
    const absl::CivilDay day = ShanghaiDay(FromProtoTimestamp(s.starts_at()));
    if (day < from || day > to) continue;
    hours.session_hours += courses_.at(s.course_id()).hours();
    ++hours.sessions_attended;
  }
  return hours;
}

absl::StatusOr<training::TrainingHours> InMemoryTrainingStore::OrganisationHours(
    const std::string& organisation_id, absl::CivilDay from, absl::CivilDay to) {
  absl::MutexLock lock(&mu_);
  training::TrainingHours hours;
  for (const auto& [id, t] : trainings_) {
    const absl::CivilDay day = DayOf(t.held_on());
    if (t.organisation_id() == organisation_id && day >= from && day <= to) {
      hours.organisation_training_hours += t.hours();
    }
  }
  return hours;
}

}  // namespace shouhu::testing
