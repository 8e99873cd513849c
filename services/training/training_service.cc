#include "services/training/training_service.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/event_stream.h"
#include "common/grpc_status.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"
#include "services/training/qualification.h"

namespace shouhu::training {
namespace {

using common::v1::ROLE_AUDITOR;
using common::v1::ROLE_CHILD_WELFARE_DIRECTOR;
using common::v1::ROLE_CIVIL_AFFAIRS_OFFICER;
using common::v1::ROLE_NGO_ADMIN;
using common::v1::ROLE_NGO_CASEWORKER;
using common::v1::ROLE_SYSTEM;
using common::v1::ROLE_TRAINER;
using common::v1::ROLE_VOLUNTEER;

constexpr absl::string_view kMethodPrefix = "shouhu.training.v1.TrainingService/";
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
constexpr int kMaxBatch = 1000;

// Everyone who may read training records in their scope.
#define TRAINING_READERS                                                                         \
  {                                                                                              \
    ROLE_NGO_ADMIN, ROLE_NGO_CASEWORKER, ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_TRAINER, ROLE_AUDITOR, \
        ROLE_CHILD_WELFARE_DIRECTOR, ROLE_SYSTEM                                                 \
  }

// NGO staff and volunteers see their own organisation's people only; government roles see their jurisdiction.
bool OrganisationBound(const Principal& p) {
  return HasAnyRole(p, {ROLE_NGO_ADMIN, ROLE_NGO_CASEWORKER, ROLE_VOLUNTEER}) &&
         !HasAnyRole(p, {ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_AUDITOR, ROLE_SYSTEM});
}

bool InScope(const Principal& p, const std::string& organisation_id, const std::string& division_code) {
  if (HasRole(p, ROLE_SYSTEM)) return true;
  if (!InJurisdiction(p, division_code)) return false;
  return !OrganisationBound(p) || p.organisation_id() == organisation_id;
}

IdempotencyKey KeyFor(absl::string_view method, const Principal& p, const std::string& request_id,
                      const google::protobuf::Message& request) {
  return IdempotencyKey{absl::StrCat(kMethodPrefix, method), p.subject(), request_id, RequestHash(request)};
}

absl::Status ValidateId(const std::string& id, absl::string_view field) {
  if (id.empty()) return InvalidField(field, "is required");
  if (!IsWellFormedId(id)) return InvalidField(field, "is not a well-formed id");
  return absl::OkStatus();
}

// Organisation and registry references: ids of other systems, ASCII letters, digits, '-' and '_'.
absl::Status ValidateReference(const std::string& ref, absl::string_view field, bool required) {
  if (ref.empty()) return required ? InvalidField(field, "is required") : absl::OkStatus();
  if (ref.size() > 64) return InvalidField(field, "must be at most 64 characters");
  for (char c : ref) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return InvalidField(field, "may hold only letters, digits, '-' and '_'");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTexts(const google::protobuf::RepeatedPtrField<std::string>& texts,
                           absl::string_view field) {
  if (texts.size() > 20) return InvalidField(field, "at most 20 entries");
  for (int i = 0; i < texts.size(); ++i) {
    RETURN_IF_ERROR(ValidateText(texts[i], absl::StrCat(field, "[", i, "]"), 1, 50));
  }
  return absl::OkStatus();
}

template <typename Enum>
absl::Status ValidateEnum(int value, bool (*is_valid)(int), absl::string_view field) {
  if (value == 0 || !is_valid(value)) return InvalidField(field, "must be one of the defined values");
  return absl::OkStatus();
}

absl::StatusOr<Page> PageOf(int page_size, const std::string& page_token) {
  if (page_size < 0) return InvalidField("page_size", "must not be negative");
  if (!page_token.empty() && !IsWellFormedId(page_token)) return InvalidField("page_token", "is not valid");
  Page page;
  page.after_id = page_token;
  page.limit = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  return page;
}

template <typename T>
std::string NextToken(const std::vector<T>& items, const Page& page) {
  return static_cast<int>(items.size()) == page.limit ? items.back().id() : "";
}

absl::Status ValidateDay(const std::string& text, absl::string_view field, bool required) {
  if (text.empty()) return required ? InvalidField(field, "is required") : absl::OkStatus();
  return ParseDay(text, field).status();
}

// Between 1970 and 9999, as MariaDB's DATETIME holds it.
bool ValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() > 0 && t.seconds() <= google::protobuf::util::TimeUtil::kTimestampMaxSeconds &&
         t.nanos() >= 0 && t.nanos() < 1000000000;
}

}  // namespace

absl::StatusOr<Principal> TrainingService::Authorize(const grpc::ServerContextBase& context,
                                                     std::initializer_list<Role> roles) const {
  ASSIGN_OR_RETURN(Principal principal, verifier_.Verify(context));
  if (!HasAnyRole(principal, roles))
    return absl::PermissionDeniedError("the caller's roles do not allow this");
  return principal;
}

absl::StatusOr<v1::Participant> TrainingService::ScopedParticipant(const Principal& principal,
                                                                   const std::string& id,
                                                                   absl::string_view field) {
  RETURN_IF_ERROR(ValidateId(id, field));
  ASSIGN_OR_RETURN(v1::Participant p, store_.GetParticipant(id));
  if (!InScope(principal, p.organisation_id(), p.home_division_code())) {
    return absl::NotFoundError("participant not found");
  }
  return p;
}

absl::StatusOr<v1::Session> TrainingService::ScopedSession(const Principal& principal, const std::string& id,
                                                           absl::string_view field) {
  RETURN_IF_ERROR(ValidateId(id, field));
  ASSIGN_OR_RETURN(v1::Session s, store_.GetSession(id));
  // Sessions are open to every organisation in the jurisdiction: government-run training is for all partners.
  if (!HasRole(principal, ROLE_SYSTEM) && !InJurisdiction(principal, s.division_code())) {
    return absl::NotFoundError("session not found");
  }
  return s;
}

absl::StatusOr<v1::Enrollment> TrainingService::ScopedEnrollment(const Principal& principal,
                                                                 const std::string& id,
                                                                 absl::string_view field) {
  RETURN_IF_ERROR(ValidateId(id, field));
  ASSIGN_OR_RETURN(v1::Enrollment e, store_.GetEnrollment(id));
  absl::StatusOr<v1::Session> session = ScopedSession(principal, e.session_id(), field);
  absl::StatusOr<v1::Participant> participant = ScopedParticipant(principal, e.participant_id(), field);
  // A trainer of the session, or someone who may see the participant.
  const bool trainer_in_scope =
      session.ok() &&
      HasAnyRole(principal, {ROLE_TRAINER, ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_AUDITOR, ROLE_SYSTEM});
  if (!trainer_in_scope && !(session.ok() && participant.ok()))
    return absl::NotFoundError("enrollment not found");
  return e;
}

absl::StatusOr<v1::Certification> TrainingService::ScopedCertification(const Principal& principal,
                                                                       const std::string& id,
                                                                       absl::string_view field) {
  RETURN_IF_ERROR(ValidateId(id, field));
  ASSIGN_OR_RETURN(v1::Certification c, store_.GetCertification(id));
  if (!ScopedParticipant(principal, c.participant_id(), field).ok()) {
    return absl::NotFoundError("certification not found");
  }
  return c;
}

// ---------------------------------------------------------------------------------------------- participants

grpc::ServerUnaryReactor* TrainingService::RegisterParticipant(grpc::CallbackServerContext* context,
                                                               const v1::RegisterParticipantRequest* request,
                                                               v1::RegisterParticipantResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, {ROLE_NGO_ADMIN, ROLE_CIVIL_AFFAIRS_OFFICER}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    const v1::Participant& p = request->participant();
    RETURN_IF_ERROR(
        ValidateEnum<v1::ParticipantKind>(p.kind(), v1::ParticipantKind_IsValid, "participant.kind"));
    RETURN_IF_ERROR(ValidateReference(p.organisation_id(), "participant.organisation_id", true));
    RETURN_IF_ERROR(ValidateDivisionCode(p.home_division_code(), "participant.home_division_code"));
    RETURN_IF_ERROR(ValidateText(p.display_name(), "participant.display_name", 1, 100));
    RETURN_IF_ERROR(ValidateTexts(p.languages(), "participant.languages"));
    RETURN_IF_ERROR(ValidateTexts(p.skills(), "participant.skills"));
    RETURN_IF_ERROR(ValidateReference(p.registry_child_id(), "participant.registry_child_id", false));
    RETURN_IF_ERROR(ValidateReference(p.registry_household_id(), "participant.registry_household_id", false));
    if (p.kind() == v1::PARTICIPANT_KIND_CAREGIVER && p.registry_child_id().empty() &&
        p.registry_household_id().empty()) {
      return InvalidField("participant.registry_child_id",
                          "a caregiver is linked to a registry child or household");
    }
    if (!p.supervisor_id().empty()) {
      RETURN_IF_ERROR(ValidateId(p.supervisor_id(), "participant.supervisor_id"));
      absl::StatusOr<v1::Participant> supervisor =
          ScopedParticipant(principal, p.supervisor_id(), "participant.supervisor_id");
      if (supervisor.status().code() == absl::StatusCode::kNotFound) {
        return InvalidField("participant.supervisor_id", "names no participant in your scope");
      }
      RETURN_IF_ERROR(supervisor.status());
    }
    if (!InScope(principal, p.organisation_id(), p.home_division_code())) {
      return absl::PermissionDeniedError("the participant would lie outside the caller's scope");
    }
    ASSIGN_OR_RETURN(*response->mutable_participant(),
                     store_.RegisterParticipant(
                         KeyFor("RegisterParticipant", principal, request->request_id(), *request), p));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::GetParticipant(grpc::CallbackServerContext* context,
                                                          const v1::GetParticipantRequest* request,
                                                          v1::GetParticipantResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, TRAINING_READERS));
    ASSIGN_OR_RETURN(*response->mutable_participant(),
                     ScopedParticipant(principal, request->participant_id(), "participant_id"));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ListParticipants(grpc::CallbackServerContext* context,
                                                            const v1::ListParticipantsRequest* request,
                                                            v1::ListParticipantsResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, TRAINING_READERS));
    ParticipantFilter filter;
    filter.division_prefix = request->division_prefix();
    if (filter.division_prefix.empty()) {
      if (principal.jurisdictions_size() != 1) {
        return InvalidField("division_prefix", "is required when the caller has several jurisdictions");
      }
      filter.division_prefix = principal.jurisdictions(0);
    }
    RETURN_IF_ERROR(ValidateDivisionCode(filter.division_prefix, "division_prefix"));
    if (!HasRole(principal, ROLE_SYSTEM) && !InJurisdiction(principal, filter.division_prefix)) {
      return InvalidField("division_prefix", "lies outside the caller's jurisdiction");
    }
    RETURN_IF_ERROR(ValidateReference(request->organisation_id(), "organisation_id", false));
    filter.organisation_id = request->organisation_id();
    if (OrganisationBound(principal)) {
      if (!filter.organisation_id.empty() && filter.organisation_id != principal.organisation_id()) {
        return absl::OkStatus();  // another organisation's people: none visible
      }
      filter.organisation_id = principal.organisation_id();
    }
    if (request->kind() != 0 && !v1::ParticipantKind_IsValid(request->kind())) {
      return InvalidField("kind", "must be one of the defined values");
    }
    if (request->stage() != 0 && !v1::VolunteerStage_IsValid(request->stage())) {
      return InvalidField("stage", "must be one of the defined values");
    }
    filter.kind = request->kind();
    filter.stage = request->stage();
    ASSIGN_OR_RETURN(Page page, PageOf(request->page_size(), request->page_token()));
    filter.after_id = page.after_id;
    filter.limit = page.limit;
    ASSIGN_OR_RETURN(std::vector<v1::Participant> people, store_.ListParticipants(filter));
    response->set_next_page_token(NextToken(people, page));
    for (auto& p : people) *response->add_participants() = std::move(p);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ChangeVolunteerStage(
    grpc::CallbackServerContext* context, const v1::ChangeVolunteerStageRequest* request,
    v1::ChangeVolunteerStageResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, {ROLE_NGO_ADMIN, ROLE_CIVIL_AFFAIRS_OFFICER}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    RETURN_IF_ERROR(ValidateEnum<v1::VolunteerStage>(request->stage(), v1::VolunteerStage_IsValid, "stage"));
    if (!request->reason().empty()) RETURN_IF_ERROR(ValidateText(request->reason(), "reason", 1, 500));
    RETURN_IF_ERROR(ScopedParticipant(principal, request->participant_id(), "participant_id").status());
    ASSIGN_OR_RETURN(*response->mutable_participant(),
                     store_.ChangeVolunteerStage(
                         KeyFor("ChangeVolunteerStage", principal, request->request_id(), *request),
                         request->participant_id(), request->stage(), request->reason()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::RecordBackgroundCheck(
    grpc::CallbackServerContext* context, const v1::RecordBackgroundCheckRequest* request,
    v1::RecordBackgroundCheckResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, {ROLE_NGO_ADMIN, ROLE_CIVIL_AFFAIRS_OFFICER}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    const v1::BackgroundCheck& check = request->background_check();
    RETURN_IF_ERROR(ValidateEnum<v1::BackgroundCheckStatus>(check.status(), v1::BackgroundCheckStatus_IsValid,
                                                            "background_check.status"));
    const bool decided = check.status() == v1::BACKGROUND_CHECK_STATUS_CLEARED ||
                         check.status() == v1::BACKGROUND_CHECK_STATUS_FAILED;
    RETURN_IF_ERROR(ValidateDay(check.checked_on(), "background_check.checked_on", decided));
    RETURN_IF_ERROR(ValidateDay(check.expires_on(), "background_check.expires_on",
                                check.status() == v1::BACKGROUND_CHECK_STATUS_CLEARED));
    if (!check.checked_on().empty() && !check.expires_on().empty() &&
        check.expires_on() <= check.checked_on()) {
      return InvalidField("background_check.expires_on", "must be after checked_on");
    }
    RETURN_IF_ERROR(ScopedParticipant(principal, request->participant_id(), "participant_id").status());
    ASSIGN_OR_RETURN(*response->mutable_participant(),
                     store_.RecordBackgroundCheck(
                         KeyFor("RecordBackgroundCheck", principal, request->request_id(), *request),
                         request->participant_id(), check));
    return absl::OkStatus();
  });
}

// --------------------------------------------------------------------------------------------------- courses

grpc::ServerUnaryReactor* TrainingService::CreateCourse(grpc::CallbackServerContext* context,
                                                        const v1::CreateCourseRequest* request,
                                                        v1::CreateCourseResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     Authorize(*context, {ROLE_TRAINER, ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_NGO_ADMIN}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    const v1::Course& c = request->course();
    if (c.code().empty() || c.code().size() > 32)
      return InvalidField("course.code", "must be 1 to 32 characters");
    for (char ch : c.code()) {
      if (!absl::ascii_isupper(static_cast<unsigned char>(ch)) &&
          !absl::ascii_isdigit(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') {
        return InvalidField("course.code", "may hold only upper-case letters, digits, '-' and '_'");
      }
    }
    RETURN_IF_ERROR(ValidateText(c.title(), "course.title", 1, 200));
    if (c.hours() < 1 || c.hours() > 1000) return InvalidField("course.hours", "must be between 1 and 1000");
    for (int i = 0; i < c.topics_size(); ++i) {
      RETURN_IF_ERROR(
          ValidateEnum<v1::Topic>(c.topics(i), v1::Topic_IsValid, absl::StrCat("course.topics[", i, "]")));
    }
    for (int i = 0; i < c.audiences_size(); ++i) {
      RETURN_IF_ERROR(ValidateEnum<v1::ParticipantKind>(c.audiences(i), v1::ParticipantKind_IsValid,
                                                        absl::StrCat("course.audiences[", i, "]")));
    }
    for (int i = 0; i < c.required_for_size(); ++i) {
      RETURN_IF_ERROR(ValidateEnum<v1::Activity>(c.required_for(i), v1::Activity_IsValid,
                                                 absl::StrCat("course.required_for[", i, "]")));
    }
    if (c.pass_mark() < 0 || c.pass_mark() > 100) return InvalidField("course.pass_mark", "must be 0 to 100");
    if (c.validity_months() < 1 || c.validity_months() > 120) {
      return InvalidField("course.validity_months", "must be 1 to 120");
    }
    ASSIGN_OR_RETURN(
        *response->mutable_course(),
        store_.CreateCourse(KeyFor("CreateCourse", principal, request->request_id(), *request), c));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::GetCourse(grpc::CallbackServerContext* context,
                                                     const v1::GetCourseRequest* request,
                                                     v1::GetCourseResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    RETURN_IF_ERROR(Authorize(*context, TRAINING_READERS).status());
    RETURN_IF_ERROR(ValidateId(request->course_id(), "course_id"));
    ASSIGN_OR_RETURN(*response->mutable_course(), store_.GetCourse(request->course_id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ListCourses(grpc::CallbackServerContext* context,
                                                       const v1::ListCoursesRequest* request,
                                                       v1::ListCoursesResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    RETURN_IF_ERROR(Authorize(*context, TRAINING_READERS).status());
    if (request->required_for() != 0 && !v1::Activity_IsValid(request->required_for())) {
      return InvalidField("required_for", "must be one of the defined values");
    }
    ASSIGN_OR_RETURN(Page page, PageOf(request->page_size(), request->page_token()));
    ASSIGN_OR_RETURN(std::vector<v1::Course> courses, store_.ListCourses(request->required_for(), page));
    response->set_next_page_token(NextToken(courses, page));
    for (auto& c : courses) *response->add_courses() = std::move(c);
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------------------------------ sessions, enrollments

grpc::ServerUnaryReactor* TrainingService::ScheduleSession(grpc::CallbackServerContext* context,
                                                           const v1::ScheduleSessionRequest* request,
                                                           v1::ScheduleSessionResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     Authorize(*context, {ROLE_TRAINER, ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_NGO_ADMIN}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    const v1::Session& s = request->session();
    RETURN_IF_ERROR(ValidateId(s.course_id(), "session.course_id"));
    RETURN_IF_ERROR(ValidateReference(s.organisation_id(), "session.organisation_id", true));
    RETURN_IF_ERROR(ValidateDivisionCode(s.division_code(), "session.division_code"));
    RETURN_IF_ERROR(ValidateText(s.location(), "session.location", 1, 200));
    RETURN_IF_ERROR(ValidateText(s.trainer(), "session.trainer", 1, 100));
    if (!s.has_starts_at() || !ValidTimestamp(s.starts_at())) {
      return InvalidField("session.starts_at", "is required");
    }
    if (!s.has_ends_at() || !ValidTimestamp(s.ends_at()) || s.ends_at() <= s.starts_at()) {
      return InvalidField("session.ends_at", "must be after starts_at");
    }
    if (s.capacity() < 1 || s.capacity() > 10000)
      return InvalidField("session.capacity", "must be 1 to 10000");
    if (!InScope(principal, s.organisation_id(), s.division_code())) {
      return absl::PermissionDeniedError("the session would lie outside the caller's scope");
    }
    ASSIGN_OR_RETURN(
        *response->mutable_session(),
        store_.ScheduleSession(KeyFor("ScheduleSession", principal, request->request_id(), *request), s));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::GetSession(grpc::CallbackServerContext* context,
                                                      const v1::GetSessionRequest* request,
                                                      v1::GetSessionResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, TRAINING_READERS));
    ASSIGN_OR_RETURN(*response->mutable_session(),
                     ScopedSession(principal, request->session_id(), "session_id"));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ListSessionEnrollments(
    grpc::CallbackServerContext* context, const v1::ListSessionEnrollmentsRequest* request,
    v1::ListSessionEnrollmentsResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, {ROLE_TRAINER, ROLE_CIVIL_AFFAIRS_OFFICER,
                                                               ROLE_NGO_ADMIN, ROLE_AUDITOR, ROLE_SYSTEM}));
    RETURN_IF_ERROR(ScopedSession(principal, request->session_id(), "session_id").status());
    ASSIGN_OR_RETURN(Page page, PageOf(request->page_size(), request->page_token()));
    ASSIGN_OR_RETURN(std::vector<v1::Enrollment> enrollments,
                     store_.ListSessionEnrollments(request->session_id(), page));
    response->set_next_page_token(NextToken(enrollments, page));
    for (auto& e : enrollments) *response->add_enrollments() = std::move(e);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::Enroll(grpc::CallbackServerContext* context,
                                                  const v1::EnrollRequest* request,
                                                  v1::EnrollResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     Authorize(*context, {ROLE_NGO_ADMIN, ROLE_TRAINER, ROLE_CIVIL_AFFAIRS_OFFICER}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    RETURN_IF_ERROR(ValidateId(request->session_id(), "session_id"));
    RETURN_IF_ERROR(ValidateId(request->participant_id(), "participant_id"));
    ASSIGN_OR_RETURN(v1::Session session, ScopedSession(principal, request->session_id(), "session_id"));
    ASSIGN_OR_RETURN(v1::Participant participant,
                     ScopedParticipant(principal, request->participant_id(), "participant_id"));
    ASSIGN_OR_RETURN(v1::Course course, store_.GetCourse(session.course_id()));
    if (course.audiences_size() > 0 && std::find(course.audiences().begin(), course.audiences().end(),
                                                 participant.kind()) == course.audiences().end()) {
      return absl::FailedPreconditionError("the course is not meant for this kind of participant");
    }
    if (participant.stage() == v1::VOLUNTEER_STAGE_LEFT) {
      return absl::FailedPreconditionError("the volunteer has left");
    }
    ASSIGN_OR_RETURN(EnrollmentOutcome outcome,
                     store_.Enroll(KeyFor("Enroll", principal, request->request_id(), *request),
                                   request->session_id(), request->participant_id()));
    *response->mutable_enrollment() = std::move(outcome.enrollment);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::CancelEnrollment(grpc::CallbackServerContext* context,
                                                            const v1::CancelEnrollmentRequest* request,
                                                            v1::CancelEnrollmentResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     Authorize(*context, {ROLE_NGO_ADMIN, ROLE_TRAINER, ROLE_CIVIL_AFFAIRS_OFFICER}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    RETURN_IF_ERROR(ScopedEnrollment(principal, request->enrollment_id(), "enrollment_id").status());
    ASSIGN_OR_RETURN(
        EnrollmentOutcome outcome,
        store_.CancelEnrollment(KeyFor("CancelEnrollment", principal, request->request_id(), *request),
                                request->enrollment_id()));
    *response->mutable_enrollment() = std::move(outcome.enrollment);
    if (outcome.promoted) *response->mutable_promoted() = std::move(*outcome.promoted);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::RecordAttendance(grpc::CallbackServerContext* context,
                                                            const v1::RecordAttendanceRequest* request,
                                                            v1::RecordAttendanceResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     Authorize(*context, {ROLE_TRAINER, ROLE_NGO_ADMIN, ROLE_CIVIL_AFFAIRS_OFFICER}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    RETURN_IF_ERROR(ScopedEnrollment(principal, request->enrollment_id(), "enrollment_id").status());
    ASSIGN_OR_RETURN(
        EnrollmentOutcome outcome,
        store_.RecordAttendance(KeyFor("RecordAttendance", principal, request->request_id(), *request),
                                request->enrollment_id(), request->attended()));
    *response->mutable_enrollment() = std::move(outcome.enrollment);
    if (outcome.certification) *response->mutable_certification() = std::move(*outcome.certification);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::RecordAssessment(grpc::CallbackServerContext* context,
                                                            const v1::RecordAssessmentRequest* request,
                                                            v1::RecordAssessmentResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     Authorize(*context, {ROLE_TRAINER, ROLE_NGO_ADMIN, ROLE_CIVIL_AFFAIRS_OFFICER}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    if (request->score() < 0 || request->score() > 100) return InvalidField("score", "must be 0 to 100");
    RETURN_IF_ERROR(ScopedEnrollment(principal, request->enrollment_id(), "enrollment_id").status());
    ASSIGN_OR_RETURN(
        EnrollmentOutcome outcome,
        store_.RecordAssessment(KeyFor("RecordAssessment", principal, request->request_id(), *request),
                                request->enrollment_id(), request->score()));
    *response->mutable_enrollment() = std::move(outcome.enrollment);
    if (outcome.certification) *response->mutable_certification() = std::move(*outcome.certification);
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------------------------------------- certifications

grpc::ServerUnaryReactor* TrainingService::GetCertification(grpc::CallbackServerContext* context,
                                                            const v1::GetCertificationRequest* request,
                                                            v1::GetCertificationResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, TRAINING_READERS));
    ASSIGN_OR_RETURN(*response->mutable_certification(),
                     ScopedCertification(principal, request->certification_id(), "certification_id"));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ListCertifications(grpc::CallbackServerContext* context,
                                                              const v1::ListCertificationsRequest* request,
                                                              v1::ListCertificationsResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, TRAINING_READERS));
    RETURN_IF_ERROR(ScopedParticipant(principal, request->participant_id(), "participant_id").status());
    ASSIGN_OR_RETURN(Page page, PageOf(request->page_size(), request->page_token()));
    ASSIGN_OR_RETURN(std::vector<v1::Certification> certs,
                     store_.ListCertifications(request->participant_id(), page));
    response->set_next_page_token(NextToken(certs, page));
    for (auto& c : certs) *response->add_certifications() = std::move(c);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::RenewCertification(grpc::CallbackServerContext* context,
                                                              const v1::RenewCertificationRequest* request,
                                                              v1::RenewCertificationResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     Authorize(*context, {ROLE_TRAINER, ROLE_NGO_ADMIN, ROLE_CIVIL_AFFAIRS_OFFICER}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    RETURN_IF_ERROR(ValidateDay(request->renewed_on(), "renewed_on", true));
    ASSIGN_OR_RETURN(absl::CivilDay renewed_on, ParseDay(request->renewed_on(), "renewed_on"));
    RETURN_IF_ERROR(ScopedCertification(principal, request->certification_id(), "certification_id").status());
    ASSIGN_OR_RETURN(
        *response->mutable_certification(),
        store_.RenewCertification(KeyFor("RenewCertification", principal, request->request_id(), *request),
                                  request->certification_id(), renewed_on));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::RevokeCertification(grpc::CallbackServerContext* context,
                                                               const v1::RevokeCertificationRequest* request,
                                                               v1::RevokeCertificationResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     Authorize(*context, {ROLE_TRAINER, ROLE_NGO_ADMIN, ROLE_CIVIL_AFFAIRS_OFFICER}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    RETURN_IF_ERROR(ValidateText(request->reason(), "reason", 1, 500));
    RETURN_IF_ERROR(ScopedCertification(principal, request->certification_id(), "certification_id").status());
    ASSIGN_OR_RETURN(
        *response->mutable_certification(),
        store_.RevokeCertification(KeyFor("RevokeCertification", principal, request->request_id(), *request),
                                   request->certification_id(), request->reason()));
    return absl::OkStatus();
  });
}

// -------------------------------------------------------------------------------------------- qualification

grpc::ServerUnaryReactor* TrainingService::CheckQualification(grpc::CallbackServerContext* context,
                                                              const v1::CheckQualificationRequest* request,
                                                              v1::CheckQualificationResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, TRAINING_READERS));
    RETURN_IF_ERROR(ValidateEnum<v1::Activity>(request->activity(), v1::Activity_IsValid, "activity"));
    RETURN_IF_ERROR(ValidateDay(request->date(), "date", true));
    ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(request->date(), "date"));
    switch (request->subject_case()) {
      case v1::CheckQualificationRequest::kParticipantId: {
        RETURN_IF_ERROR(ValidateId(request->participant_id(), "participant_id"));
        ASSIGN_OR_RETURN(QualificationFacts facts,
                         store_.LoadQualificationFacts({request->participant_id()}, request->activity()));
        auto found = facts.participants.find(request->participant_id());
        if (found == facts.participants.end() ||
            !InScope(principal, found->second.organisation_id, found->second.home_division_code)) {
          return absl::NotFoundError("participant not found");
        }
        *response->mutable_result() =
            EvaluateParticipant(facts, request->participant_id(), request->activity(), day);
        return absl::OkStatus();
      }
      case v1::CheckQualificationRequest::kOrganisationId: {
        RETURN_IF_ERROR(ValidateReference(request->organisation_id(), "organisation_id", true));
        if (OrganisationBound(principal) && principal.organisation_id() != request->organisation_id()) {
          return absl::NotFoundError("organisation not found");
        }
        ASSIGN_OR_RETURN(std::vector<OrganisationStanding> records,
                         store_.LoadOrganisationStanding(request->organisation_id()));
        *response->mutable_result() = EvaluateOrganisation(request->organisation_id(), records, day);
        return absl::OkStatus();
      }
      default:
        return InvalidField("participant_id", "a participant or an organisation is required");
    }
  });
}

grpc::ServerUnaryReactor* TrainingService::BatchCheckQualification(
    grpc::CallbackServerContext* context, const v1::BatchCheckQualificationRequest* request,
    v1::BatchCheckQualificationResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, TRAINING_READERS));
    if (request->participant_ids_size() == 0) return InvalidField("participant_ids", "is required");
    if (request->participant_ids_size() > kMaxBatch) {
      return InvalidField("participant_ids", "at most 1000 participants at once");
    }
    for (int i = 0; i < request->participant_ids_size(); ++i) {
      RETURN_IF_ERROR(ValidateId(request->participant_ids(i), absl::StrCat("participant_ids[", i, "]")));
    }
    RETURN_IF_ERROR(ValidateEnum<v1::Activity>(request->activity(), v1::Activity_IsValid, "activity"));
    RETURN_IF_ERROR(ValidateDay(request->date(), "date", true));
    ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(request->date(), "date"));
    std::vector<std::string> ids(request->participant_ids().begin(), request->participant_ids().end());
    ASSIGN_OR_RETURN(QualificationFacts facts, store_.LoadQualificationFacts(ids, request->activity()));
    // Outside the caller's scope is indistinguishable from unknown.
    for (auto it = facts.participants.begin(); it != facts.participants.end();) {
      it = InScope(principal, it->second.organisation_id, it->second.home_division_code)
               ? std::next(it)
               : facts.participants.erase(it);
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
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, {ROLE_CIVIL_AFFAIRS_OFFICER}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    const v1::OrganisationQualification& q = request->qualification();
    RETURN_IF_ERROR(ValidateReference(q.organisation_id(), "qualification.organisation_id", true));
    RETURN_IF_ERROR(ValidateText(q.organisation_name(), "qualification.organisation_name", 1, 200));
    RETURN_IF_ERROR(ValidateDivisionCode(q.division_code(), "qualification.division_code"));
    // 统一社会信用代码: the 18-character unified social credit code.
    if (q.registration_number().size() != 18) {
      return InvalidField("qualification.registration_number", "must be 18 characters");
    }
    for (char c : q.registration_number()) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
          !absl::ascii_isupper(static_cast<unsigned char>(c))) {
        return InvalidField("qualification.registration_number",
                            "may hold only digits and upper-case letters");
      }
    }
    RETURN_IF_ERROR(
        ValidateEnum<v1::AssessmentGrade>(q.grade(), v1::AssessmentGrade_IsValid, "qualification.grade"));
    RETURN_IF_ERROR(ValidateText(q.assessed_by(), "qualification.assessed_by", 1, 200));
    RETURN_IF_ERROR(ValidateDay(q.assessed_on(), "qualification.assessed_on", true));
    RETURN_IF_ERROR(ValidateDay(q.expires_on(), "qualification.expires_on", true));
    if (q.expires_on() <= q.assessed_on())
      return InvalidField("qualification.expires_on", "must be after assessed_on");
    if (!InScope(principal, q.organisation_id(), q.division_code())) {
      return absl::PermissionDeniedError("the organisation lies outside the caller's jurisdiction");
    }
    ASSIGN_OR_RETURN(
        *response->mutable_qualification(),
        store_.RecordOrganisationQualification(
            KeyFor("RecordOrganisationQualification", principal, request->request_id(), *request), q));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::ListOrganisationQualifications(
    grpc::CallbackServerContext* context, const v1::ListOrganisationQualificationsRequest* request,
    v1::ListOrganisationQualificationsResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, TRAINING_READERS));
    RETURN_IF_ERROR(ValidateReference(request->organisation_id(), "organisation_id", true));
    if (OrganisationBound(principal) && principal.organisation_id() != request->organisation_id()) {
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(Page page, PageOf(request->page_size(), request->page_token()));
    ASSIGN_OR_RETURN(std::vector<v1::OrganisationQualification> records,
                     store_.ListOrganisationQualifications(request->organisation_id(), page));
    response->set_next_page_token(NextToken(records, page));
    for (auto& r : records) {
      if (HasRole(principal, ROLE_SYSTEM) || InJurisdiction(principal, r.division_code())) {
        *response->add_qualifications() = std::move(r);
      }
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::RecordOrganisationTraining(
    grpc::CallbackServerContext* context, const v1::RecordOrganisationTrainingRequest* request,
    v1::RecordOrganisationTrainingResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, {ROLE_CIVIL_AFFAIRS_OFFICER, ROLE_TRAINER}));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    const v1::OrganisationTraining& t = request->training();
    RETURN_IF_ERROR(ValidateReference(t.organisation_id(), "training.organisation_id", true));
    RETURN_IF_ERROR(ValidateDivisionCode(t.division_code(), "training.division_code"));
    RETURN_IF_ERROR(ValidateText(t.title(), "training.title", 1, 200));
    if (t.hours() < 1 || t.hours() > 1000)
      return InvalidField("training.hours", "must be between 1 and 1000");
    RETURN_IF_ERROR(ValidateDay(t.held_on(), "training.held_on", true));
    RETURN_IF_ERROR(ValidateText(t.provided_by(), "training.provided_by", 1, 200));
    if (t.attendees() < 0 || t.attendees() > 10000)
      return InvalidField("training.attendees", "must be 0 to 10000");
    if (!HasRole(principal, ROLE_SYSTEM) && !InJurisdiction(principal, t.division_code())) {
      return absl::PermissionDeniedError("the organisation lies outside the caller's jurisdiction");
    }
    ASSIGN_OR_RETURN(
        *response->mutable_training(),
        store_.RecordOrganisationTraining(
            KeyFor("RecordOrganisationTraining", principal, request->request_id(), *request), t));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TrainingService::GetTrainingHours(grpc::CallbackServerContext* context,
                                                            const v1::GetTrainingHoursRequest* request,
                                                            v1::GetTrainingHoursResponse* response) {
  return workers_.Serve(context, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, Authorize(*context, TRAINING_READERS));
    RETURN_IF_ERROR(ValidateDay(request->from_date(), "from_date", true));
    RETURN_IF_ERROR(ValidateDay(request->to_date(), "to_date", true));
    ASSIGN_OR_RETURN(absl::CivilDay from, ParseDay(request->from_date(), "from_date"));
    ASSIGN_OR_RETURN(absl::CivilDay to, ParseDay(request->to_date(), "to_date"));
    if (to < from) return InvalidField("to_date", "must not be before from_date");
    TrainingHours hours;
    switch (request->subject_case()) {
      case v1::GetTrainingHoursRequest::kParticipantId: {
        RETURN_IF_ERROR(ScopedParticipant(principal, request->participant_id(), "participant_id").status());
        ASSIGN_OR_RETURN(hours, store_.ParticipantHours(request->participant_id(), from, to));
        break;
      }
      case v1::GetTrainingHoursRequest::kOrganisationId: {
        RETURN_IF_ERROR(ValidateReference(request->organisation_id(), "organisation_id", true));
        if (OrganisationBound(principal) && principal.organisation_id() != request->organisation_id()) {
          return absl::NotFoundError("organisation not found");
        }
        ASSIGN_OR_RETURN(hours, store_.OrganisationHours(request->organisation_id(), from, to));
        break;
      }
      default:
        return InvalidField("participant_id", "a participant or an organisation is required");
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
  return ServeEventStream<v1::StreamEventsResponse>(context, request->after_sequence(), outbox_.feed(), [&] {
    return Authorize(*context, {ROLE_SYSTEM, ROLE_AUDITOR}).status();
  });
}

}  // namespace shouhu::training
