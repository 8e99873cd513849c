#include "services/training/training_service.h"

#include "absl/strings/str_cat.h"
#include "common/event_stream.h"
#include "common/grpc_status.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/training/qualification.h"
#include "services/training/training_access.h"
#include "services/training/training_validation.h"

namespace shouhu::training {
namespace {

template <typename T>
std::string IdOf(const T& record) {
  return record.id();
}

// A Get's absent record is the edge's NOT_FOUND.
template <typename T>
absl::StatusOr<T> Found(absl::StatusOr<std::optional<T>> read, absl::string_view what) {
  if (!read.ok()) return read.status();
  if (!*read) return absl::NotFoundError(absl::StrCat(what, " not found"));
  return **read;
}

}  // namespace

absl::StatusOr<v1::Participant> TrainingService::ScopedParticipant(const Principal& principal,
                                                                   const std::string& id) {
  ASSIGN_OR_RETURN(v1::Participant p, Found(store_.GetParticipant(id), "participant"));
  RETURN_IF_ERROR(RequireParticipant(principal, p));
  return p;
}

absl::StatusOr<v1::Session> TrainingService::ScopedSession(const Principal& principal,
                                                           const std::string& id) {
  ASSIGN_OR_RETURN(v1::Session s, Found(store_.GetSession(id), "session"));
  RETURN_IF_ERROR(RequireSession(principal, s));
  return s;
}

absl::StatusOr<v1::Enrollment> TrainingService::ScopedEnrollment(const Principal& principal,
                                                                 const std::string& id) {
  ASSIGN_OR_RETURN(v1::Enrollment e, Found(store_.GetEnrollment(id), "enrollment"));
  ASSIGN_OR_RETURN(v1::Session s, Found(store_.GetSession(e.session_id()), "enrollment"));
  ASSIGN_OR_RETURN(v1::Participant p, Found(store_.GetParticipant(e.participant_id()), "enrollment"));
  RETURN_IF_ERROR(RequireEnrollment(principal, s, p));
  return e;
}

absl::StatusOr<v1::Certification> TrainingService::ScopedCertification(const Principal& principal,
                                                                       const std::string& id) {
  ASSIGN_OR_RETURN(v1::Certification c, Found(store_.GetCertification(id), "certification"));
  ASSIGN_OR_RETURN(v1::Participant holder, Found(store_.GetParticipant(c.participant_id()), "certification"));
  RETURN_IF_ERROR(RequireCertification(principal, holder));
  return c;
}

// ---------------------------------------------------------------------------------------------- participants

grpc::ServerUnaryReactor* TrainingService::RegisterParticipant(grpc::CallbackServerContext* context,
                                                               const v1::RegisterParticipantRequest* request,
                                                               v1::RegisterParticipantResponse* response) {
  return edge_.Unary(context, "RegisterParticipant", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateRegisterParticipant(*request));
    const v1::Participant& p = request->participant();
    RETURN_IF_ERROR(RequireMayPlace(principal, ScopeOf(p)));
    if (!p.supervisor_id().empty()) {
      absl::StatusOr<v1::Participant> supervisor = ScopedParticipant(principal, p.supervisor_id());
      if (supervisor.status().code() == absl::StatusCode::kNotFound) {
        return InvalidField("participant.supervisor_id", "names no participant in your scope");
      }
      RETURN_IF_ERROR(supervisor.status());
    }
    ASSIGN_OR_RETURN(*response, store_.RegisterParticipant(edge_.Key("RegisterParticipant", principal,
                                                                     request->request_id(), *request),
                                                           ActorOf(principal, clock_.Now()), p));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::GetParticipant(grpc::CallbackServerContext* context,
                                                          const v1::GetParticipantRequest* request,
                                                          v1::GetParticipantResponse* response) {
  return edge_.Unary(context, "GetParticipant", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(request->participant_id(), "participant_id"));
    ASSIGN_OR_RETURN(*response->mutable_participant(),
                     ScopedParticipant(principal, request->participant_id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ListParticipants(grpc::CallbackServerContext* context,
                                                            const v1::ListParticipantsRequest* request,
                                                            v1::ListParticipantsResponse* response) {
  return edge_.Unary(context, "ListParticipants", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateListParticipants(*request));
    ParticipantFilter filter;
    ASSIGN_OR_RETURN(filter.page, ReadPageRequest(request->page_size(), request->page_token()));
    ASSIGN_OR_RETURN(filter.division_prefix, ScopedDivisionPrefix(principal, request->division_prefix()));
    ASSIGN_OR_RETURN(filter.organisation_id, ScopedOrganisation(principal, request->organisation_id()));
    filter.kind = request->kind();
    filter.stage = request->stage();
    ASSIGN_OR_RETURN(std::vector<v1::Participant> people, store_.ListParticipants(filter));
    response->set_next_page_token(NextPageToken(people, filter.page.limit, IdOf<v1::Participant>));
    for (auto& p : people) *response->add_participants() = std::move(p);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ChangeVolunteerStage(
    grpc::CallbackServerContext* context, const v1::ChangeVolunteerStageRequest* request,
    v1::ChangeVolunteerStageResponse* response) {
  return edge_.Unary(context, "ChangeVolunteerStage", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateChangeVolunteerStage(*request));
    ASSIGN_OR_RETURN(
        *response,
        store_.ChangeVolunteerStage(
            edge_.Key("ChangeVolunteerStage", principal, request->request_id(), *request),
            ActorOf(principal, clock_.Now()), request->participant_id(), request->stage(), request->reason(),
            [&](const v1::Participant& p) { return RequireParticipant(principal, p); }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::RecordBackgroundCheck(
    grpc::CallbackServerContext* context, const v1::RecordBackgroundCheckRequest* request,
    v1::RecordBackgroundCheckResponse* response) {
  return edge_.Unary(context, "RecordBackgroundCheck", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordBackgroundCheck(*request, ShanghaiDay(clock_.Now())));
    ASSIGN_OR_RETURN(*response,
                     store_.RecordBackgroundCheck(
                         edge_.Key("RecordBackgroundCheck", principal, request->request_id(), *request),
                         ActorOf(principal, clock_.Now()), request->participant_id(),
                         request->background_check(), [&](const v1::Participant& p) -> absl::Status {
                           RETURN_IF_ERROR(RequireParticipant(principal, p));
                           return RequireMayReplaceCheck(principal, p, request->background_check());
                         }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::SuspendParticipant(grpc::CallbackServerContext* context,
                                                              const v1::SuspendParticipantRequest* request,
                                                              v1::SuspendParticipantResponse* response) {
  return edge_.Unary(context, "SuspendParticipant", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateSuspendParticipant(*request));
    const SuspensionCommand command{request->reason(), request->reference(), "",
                                    SuspensionAuthorityOf(principal)};
    ASSIGN_OR_RETURN(*response,
                     store_.SuspendParticipant(
                         edge_.Key("SuspendParticipant", principal, request->request_id(), *request),
                         ActorOf(principal, clock_.Now()), request->participant_id(), command,
                         [&](const v1::Participant& p) { return RequireParticipant(principal, p); }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ReinstateParticipant(
    grpc::CallbackServerContext* context, const v1::ReinstateParticipantRequest* request,
    v1::ReinstateParticipantResponse* response) {
  return edge_.Unary(context, "ReinstateParticipant", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateReinstateParticipant(*request));
    const SuspensionCommand command{request->reason(), request->reference(), request->hold_reference(),
                                    SuspensionAuthorityOf(principal)};
    ASSIGN_OR_RETURN(*response,
                     store_.ReinstateParticipant(
                         edge_.Key("ReinstateParticipant", principal, request->request_id(), *request),
                         ActorOf(principal, clock_.Now()), request->participant_id(), command,
                         [&](const v1::Participant& p) { return RequireParticipant(principal, p); }));
    return absl::OkStatus();
  });
}

// --------------------------------------------------------------------------------------------------- courses

grpc::ServerUnaryReactor* TrainingService::CreateCourse(grpc::CallbackServerContext* context,
                                                        const v1::CreateCourseRequest* request,
                                                        v1::CreateCourseResponse* response) {
  return edge_.Unary(context, "CreateCourse", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateCreateCourse(*request));
    RETURN_IF_ERROR(RequireMayRequireCourse(principal, request->course()));
    ASSIGN_OR_RETURN(
        *response, store_.CreateCourse(edge_.Key("CreateCourse", principal, request->request_id(), *request),
                                       ActorOf(principal, clock_.Now()), request->course()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::GetCourse(grpc::CallbackServerContext* context,
                                                     const v1::GetCourseRequest* request,
                                                     v1::GetCourseResponse* response) {
  // Courses are a shared catalogue, not scoped: every training reader sees them all.
  return edge_.Unary(context, "GetCourse", [=](const Principal&) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(request->course_id(), "course_id"));
    ASSIGN_OR_RETURN(*response->mutable_course(), Found(store_.GetCourse(request->course_id()), "course"));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ListCourses(grpc::CallbackServerContext* context,
                                                       const v1::ListCoursesRequest* request,
                                                       v1::ListCoursesResponse* response) {
  return edge_.Unary(context, "ListCourses", [=](const Principal&) -> absl::Status {
    RETURN_IF_ERROR(ValidateListCourses(*request));
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(request->page_size(), request->page_token()));
    ASSIGN_OR_RETURN(std::vector<v1::Course> courses, store_.ListCourses(request->required_for(), page));
    response->set_next_page_token(NextPageToken(courses, page.limit, IdOf<v1::Course>));
    for (auto& c : courses) *response->add_courses() = std::move(c);
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------------------------------ sessions, enrollments

grpc::ServerUnaryReactor* TrainingService::ScheduleSession(grpc::CallbackServerContext* context,
                                                           const v1::ScheduleSessionRequest* request,
                                                           v1::ScheduleSessionResponse* response) {
  return edge_.Unary(context, "ScheduleSession", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateScheduleSession(*request));
    const v1::Session& s = request->session();
    RETURN_IF_ERROR(RequireMayPlace(principal, {s.division_code(), s.organisation_id()}));
    ASSIGN_OR_RETURN(*response, store_.ScheduleSession(
                                    edge_.Key("ScheduleSession", principal, request->request_id(), *request),
                                    ActorOf(principal, clock_.Now()), s));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::GetSession(grpc::CallbackServerContext* context,
                                                      const v1::GetSessionRequest* request,
                                                      v1::GetSessionResponse* response) {
  return edge_.Unary(context, "GetSession", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(request->session_id(), "session_id"));
    ASSIGN_OR_RETURN(*response->mutable_session(), ScopedSession(principal, request->session_id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ListSessionEnrollments(
    grpc::CallbackServerContext* context, const v1::ListSessionEnrollmentsRequest* request,
    v1::ListSessionEnrollmentsResponse* response) {
  return edge_.Unary(context, "ListSessionEnrollments", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(request->session_id(), "session_id"));
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(request->page_size(), request->page_token()));
    RETURN_IF_ERROR(ScopedSession(principal, request->session_id()).status());
    // The session is open to the whole jurisdiction; NGO staff see only their own people enrolled in it.
    ASSIGN_OR_RETURN(std::string organisation, ScopedOrganisation(principal, ""));
    ASSIGN_OR_RETURN(std::vector<v1::Enrollment> enrollments,
                     store_.ListSessionEnrollments(request->session_id(), organisation, page));
    response->set_next_page_token(NextPageToken(enrollments, page.limit, IdOf<v1::Enrollment>));
    for (auto& e : enrollments) *response->add_enrollments() = std::move(e);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::Enroll(grpc::CallbackServerContext* context,
                                                  const v1::EnrollRequest* request,
                                                  v1::EnrollResponse* response) {
  return edge_.Unary(context, "Enroll", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateEnroll(*request));
    ASSIGN_OR_RETURN(
        *response,
        store_.Enroll(edge_.Key("Enroll", principal, request->request_id(), *request),
                      ActorOf(principal, clock_.Now()), request->session_id(), request->participant_id(),
                      [&](const v1::Session& s, const v1::Participant& p) -> absl::Status {
                        RETURN_IF_ERROR(RequireSession(principal, s));
                        return RequireParticipant(principal, p);
                      }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::CancelEnrollment(grpc::CallbackServerContext* context,
                                                            const v1::CancelEnrollmentRequest* request,
                                                            v1::CancelEnrollmentResponse* response) {
  return edge_.Unary(context, "CancelEnrollment", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateCancelEnrollment(*request));
    ASSIGN_OR_RETURN(*response, store_.CancelEnrollment(
                                    edge_.Key("CancelEnrollment", principal, request->request_id(), *request),
                                    ActorOf(principal, clock_.Now()), request->enrollment_id(),
                                    [&](const v1::Session& s, const v1::Participant& p) {
                                      return RequireEnrollment(principal, s, p);
                                    }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::RecordAttendance(grpc::CallbackServerContext* context,
                                                            const v1::RecordAttendanceRequest* request,
                                                            v1::RecordAttendanceResponse* response) {
  return edge_.Unary(context, "RecordAttendance", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordAttendance(*request));
    ASSIGN_OR_RETURN(*response, store_.RecordAttendance(
                                    edge_.Key("RecordAttendance", principal, request->request_id(), *request),
                                    ActorOf(principal, clock_.Now()), request->enrollment_id(),
                                    request->attended(), [&](const v1::Session& s, const v1::Participant& p) {
                                      return RequireEnrollment(principal, s, p);
                                    }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::RecordAssessment(grpc::CallbackServerContext* context,
                                                            const v1::RecordAssessmentRequest* request,
                                                            v1::RecordAssessmentResponse* response) {
  return edge_.Unary(context, "RecordAssessment", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordAssessment(*request));
    ASSIGN_OR_RETURN(*response, store_.RecordAssessment(
                                    edge_.Key("RecordAssessment", principal, request->request_id(), *request),
                                    ActorOf(principal, clock_.Now()), request->enrollment_id(),
                                    request->score(), [&](const v1::Session& s, const v1::Participant& p) {
                                      return RequireEnrollment(principal, s, p);
                                    }));
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------------------------------------- certifications

grpc::ServerUnaryReactor* TrainingService::GetCertification(grpc::CallbackServerContext* context,
                                                            const v1::GetCertificationRequest* request,
                                                            v1::GetCertificationResponse* response) {
  return edge_.Unary(context, "GetCertification", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(request->certification_id(), "certification_id"));
    ASSIGN_OR_RETURN(*response->mutable_certification(),
                     ScopedCertification(principal, request->certification_id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ListCertifications(grpc::CallbackServerContext* context,
                                                              const v1::ListCertificationsRequest* request,
                                                              v1::ListCertificationsResponse* response) {
  return edge_.Unary(context, "ListCertifications", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(request->participant_id(), "participant_id"));
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(request->page_size(), request->page_token()));
    RETURN_IF_ERROR(ScopedParticipant(principal, request->participant_id()).status());
    ASSIGN_OR_RETURN(std::vector<v1::Certification> certs,
                     store_.ListCertifications(request->participant_id(), page));
    response->set_next_page_token(NextPageToken(certs, page.limit, IdOf<v1::Certification>));
    for (auto& c : certs) *response->add_certifications() = std::move(c);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::RenewCertification(grpc::CallbackServerContext* context,
                                                              const v1::RenewCertificationRequest* request,
                                                              v1::RenewCertificationResponse* response) {
  return edge_.Unary(context, "RenewCertification", [=](const Principal& principal) -> absl::Status {
    ASSIGN_OR_RETURN(absl::CivilDay renewed_on,
                     ValidateRenewCertification(*request, ShanghaiDay(clock_.Now())));
    ASSIGN_OR_RETURN(
        *response,
        store_.RenewCertification(edge_.Key("RenewCertification", principal, request->request_id(), *request),
                                  ActorOf(principal, clock_.Now()), request->certification_id(), renewed_on,
                                  request->refresher_enrollment_id(), [&](const v1::Participant& holder) {
                                    return RequireCertification(principal, holder);
                                  }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::RevokeCertification(grpc::CallbackServerContext* context,
                                                               const v1::RevokeCertificationRequest* request,
                                                               v1::RevokeCertificationResponse* response) {
  return edge_.Unary(context, "RevokeCertification", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateRevokeCertification(*request));
    ASSIGN_OR_RETURN(
        *response,
        store_.RevokeCertification(
            edge_.Key("RevokeCertification", principal, request->request_id(), *request),
            ActorOf(principal, clock_.Now()), request->certification_id(), request->reason(),
            [&](const v1::Participant& holder) { return RequireCertification(principal, holder); }));
    return absl::OkStatus();
  });
}

// -------------------------------------------------------------------------------------------- qualification

grpc::ServerUnaryReactor* TrainingService::CheckQualification(grpc::CallbackServerContext* context,
                                                              const v1::CheckQualificationRequest* request,
                                                              v1::CheckQualificationResponse* response) {
  return edge_.Unary(context, "CheckQualification", [=](const Principal& principal) -> absl::Status {
    ASSIGN_OR_RETURN(absl::CivilDay day, ValidateCheckQualification(*request));
    if (request->subject_case() == v1::CheckQualificationRequest::kParticipantId) {
      ASSIGN_OR_RETURN(QualificationFacts facts,
                       store_.LoadQualificationFacts({request->participant_id()}, request->activity()));
      auto found = facts.participants.find(request->participant_id());
      if (found == facts.participants.end() || !InScope(principal, ScopeOf(found->second))) {
        return absl::NotFoundError("participant not found");
      }
      *response->mutable_result() =
          EvaluateParticipant(facts, request->participant_id(), request->activity(), day);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::string organisation, ScopedOrganisation(principal, request->organisation_id()));
    ASSIGN_OR_RETURN(std::vector<OrganisationStanding> records,
                     store_.LoadOrganisationStanding(organisation));
    *response->mutable_result() = EvaluateOrganisation(organisation, records, day);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::BatchCheckQualification(
    grpc::CallbackServerContext* context, const v1::BatchCheckQualificationRequest* request,
    v1::BatchCheckQualificationResponse* response) {
  return edge_.Unary(context, "BatchCheckQualification", [=](const Principal& principal) -> absl::Status {
    ASSIGN_OR_RETURN(absl::CivilDay day, ValidateBatchCheckQualification(*request));
    std::vector<std::string> ids(request->participant_ids().begin(), request->participant_ids().end());
    ASSIGN_OR_RETURN(QualificationFacts facts, store_.LoadQualificationFacts(ids, request->activity()));
    // Outside the caller's scope is indistinguishable from unknown.
    for (auto it = facts.participants.begin(); it != facts.participants.end();) {
      it = InScope(principal, ScopeOf(it->second)) ? std::next(it) : facts.participants.erase(it);
    }
    for (const std::string& id : ids) {
      *response->add_results() = EvaluateParticipant(facts, id, request->activity(), day);
    }
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------------------------------------- organisations

grpc::ServerUnaryReactor* TrainingService::RecordOrganisationQualification(
    grpc::CallbackServerContext* context, const v1::RecordOrganisationQualificationRequest* request,
    v1::RecordOrganisationQualificationResponse* response) {
  return edge_.Unary(context, "RecordOrganisationQualification",
                     [=](const Principal& principal) -> absl::Status {
                       RETURN_IF_ERROR(ValidateRecordOrganisationQualification(*request));
                       const v1::OrganisationQualification& q = request->qualification();
                       RETURN_IF_ERROR(RequireMayPlace(principal, {q.division_code(), q.organisation_id()}));
                       ASSIGN_OR_RETURN(*response, store_.RecordOrganisationQualification(
                                                       edge_.Key("RecordOrganisationQualification", principal,
                                                                 request->request_id(), *request),
                                                       ActorOf(principal, clock_.Now()), q));
                       return absl::OkStatus();
                     });
}

grpc::ServerUnaryReactor* TrainingService::ListOrganisationQualifications(
    grpc::CallbackServerContext* context, const v1::ListOrganisationQualificationsRequest* request,
    v1::ListOrganisationQualificationsResponse* response) {
  return edge_.Unary(
      context, "ListOrganisationQualifications", [=](const Principal& principal) -> absl::Status {
        RETURN_IF_ERROR(ValidateListOrganisationQualifications(*request));
        ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(request->page_size(), request->page_token()));
        ASSIGN_OR_RETURN(std::string organisation, ScopedOrganisation(principal, request->organisation_id()));
        ASSIGN_OR_RETURN(std::vector<v1::OrganisationQualification> records,
                         store_.ListOrganisationQualifications(organisation, page));
        response->set_next_page_token(
            NextPageToken(records, page.limit, IdOf<v1::OrganisationQualification>));
        for (auto& r : records) {
          if (CanSeeOrganisationRecord(principal, r)) *response->add_qualifications() = std::move(r);
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TrainingService::RecordOrganisationTraining(
    grpc::CallbackServerContext* context, const v1::RecordOrganisationTrainingRequest* request,
    v1::RecordOrganisationTrainingResponse* response) {
  return edge_.Unary(context, "RecordOrganisationTraining", [=](const Principal& principal) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordOrganisationTraining(*request));
    const v1::OrganisationTraining& t = request->training();
    RETURN_IF_ERROR(RequireMayPlace(principal, {t.division_code(), t.organisation_id()}));
    ASSIGN_OR_RETURN(*response,
                     store_.RecordOrganisationTraining(
                         edge_.Key("RecordOrganisationTraining", principal, request->request_id(), *request),
                         ActorOf(principal, clock_.Now()), t));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::GetTrainingHours(grpc::CallbackServerContext* context,
                                                            const v1::GetTrainingHoursRequest* request,
                                                            v1::GetTrainingHoursResponse* response) {
  return edge_.Unary(context, "GetTrainingHours", [=](const Principal& principal) -> absl::Status {
    ASSIGN_OR_RETURN(Period period, ValidateGetTrainingHours(*request));
    TrainingHours hours;
    if (request->subject_case() == v1::GetTrainingHoursRequest::kParticipantId) {
      RETURN_IF_ERROR(ScopedParticipant(principal, request->participant_id()).status());
      ASSIGN_OR_RETURN(hours, store_.ParticipantHours(request->participant_id(), period.from, period.to));
    } else {
      ASSIGN_OR_RETURN(std::string organisation, ScopedOrganisation(principal, request->organisation_id()));
      ASSIGN_OR_RETURN(hours, store_.OrganisationHours(organisation, period.from, period.to));
    }
    response->set_session_hours(hours.session_hours);
    response->set_sessions_attended(hours.sessions_attended);
    response->set_organisation_training_hours(hours.organisation_training_hours);
    response->set_participants_trained(hours.participants_trained);
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::StreamEventsResponse>* TrainingService::StreamEvents(
    grpc::CallbackServerContext* context, const v1::StreamEventsRequest* request) {
  return ServeEventStream<v1::StreamEventsResponse>(
      context, request->after_sequence(), store_.event_feed(),
      [=] { return edge_.Admit(*context, "StreamEvents").status(); });
}

}  // namespace shouhu::training
