#include "deploy/local/demo/training_demo.h"

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/clock.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "shouhu/training/v1/training.grpc.pb.h"

namespace shouhu {
namespace {

namespace v1 = ::shouhu::training::v1;
using Stub = v1::TrainingService::Stub;

struct County {
  std::string code;      // GB/T 2260 county code
  std::string township;  // a township (9 digits) of it, for volunteers' homes
  std::string name;
  std::string ngo;  // the partner NGO's organisation id
  std::string ngo_name;
  std::string credit_code;  // 统一社会信用代码 (demo values)
  bool lapsed;              // whether the NGO's qualification has run out
};

const std::vector<County>& Counties() {
  static const std::vector<County> counties = {
      {"532329", "532329101", "武定县", "ngo-wuding-sunshine", "武定县阳光社会工作服务中心",
       "52532329MJD000001A", false},
      {"640105", "640105001", "西夏区", "ngo-xixia-harbour", "银川市西夏区港湾社会工作服务中心",
       "52640105MJD000002B", false},
      {"330723", "330723001", "武义县", "ngo-wuyi-companion", "武义县同行社会工作服务社",
       "52330723MJD000003C", true},
      {"331081", "331081001", "温岭市", "ngo-wenling-seedling", "温岭市幼苗社会工作服务中心",
       "52331081MJD000004D", false},
  };
  return counties;
}

class Seeder {
 public:
  Seeder(const std::shared_ptr<grpc::Channel>& channel, const PrincipalSigner& signer)
      : stub_(v1::TrainingService::NewStub(channel)), signer_(signer) {
    principal_.set_subject("demo-seed");
    principal_.set_organisation_id("demo-civil-affairs");
    principal_.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
    principal_.add_roles(common::v1::ROLE_TRAINER);
    for (const County& c : Counties()) principal_.add_jurisdictions(c.code);
  }

  template <typename Request, typename Response>
  absl::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    signer_.Attach(principal_, context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return FromGrpcStatus((stub_.get()->*method)(&context, request, response));
  }

  absl::StatusOr<v1::Course> Course(const std::string& code, const std::string& title, int hours,
                                    std::vector<v1::Topic> topics, std::vector<v1::Activity> required_for,
                                    int validity_months, std::vector<v1::ParticipantKind> audiences = {}) {
    v1::CreateCourseRequest request;
    request.set_request_id(absl::StrCat("demo-course-", code));
    v1::Course* c = request.mutable_course();
    c->set_code(code);
    c->set_title(title);
    c->set_hours(hours);
    for (auto t : topics) c->add_topics(t);
    for (auto a : required_for) c->add_required_for(a);
    for (auto a : audiences) c->add_audiences(a);
    c->set_pass_mark(60);
    c->set_validity_months(validity_months);
    v1::CreateCourseResponse response;
    RETURN_IF_ERROR(Call(&Stub::CreateCourse, request, &response));
    return response.course();
  }

  absl::StatusOr<v1::Participant> Person(const std::string& key, v1::ParticipantKind kind,
                                         const County& county, const std::string& name,
                                         std::vector<std::string> languages,
                                         const std::string& household = "") {
    v1::RegisterParticipantRequest request;
    request.set_request_id(absl::StrCat("demo-person-", key));
    v1::Participant* p = request.mutable_participant();
    p->set_kind(kind);
    p->set_organisation_id(county.ngo);
    p->set_home_division_code(county.township);
    p->set_display_name(name);
    for (auto& l : languages) p->add_languages(l);
    p->add_skills(kind == v1::PARTICIPANT_KIND_CAREGIVER ? "家庭照护" : "儿童陪伴");
    p->set_weekend_available(kind == v1::PARTICIPANT_KIND_VOLUNTEER);
    p->set_registry_household_id(household);
    v1::RegisterParticipantResponse response;
    RETURN_IF_ERROR(Call(&Stub::RegisterParticipant, request, &response));
    return response.participant();
  }

  absl::Status Stage(const std::string& key, const std::string& id, v1::VolunteerStage stage) {
    v1::ChangeVolunteerStageRequest request;
    request.set_request_id(absl::StrCat("demo-stage-", key, "-", stage));
    request.set_participant_id(id);
    request.set_stage(stage);
    v1::ChangeVolunteerStageResponse response;
    return Call(&Stub::ChangeVolunteerStage, request, &response);
  }

  absl::Status Check(const std::string& key, const std::string& id, v1::BackgroundCheckStatus status) {
    v1::RecordBackgroundCheckRequest request;
    request.set_request_id(absl::StrCat("demo-check-", key, "-", status));
    request.set_participant_id(id);
    request.mutable_background_check()->set_status(status);
    if (status == v1::BACKGROUND_CHECK_STATUS_CLEARED) {
      request.mutable_background_check()->set_checked_on("2026-08-01");
      request.mutable_background_check()->set_expires_on("2029-08-01");
    }
    v1::RecordBackgroundCheckResponse response;
    return Call(&Stub::RecordBackgroundCheck, request, &response);
  }

  absl::StatusOr<v1::Session> Session(const std::string& key, const v1::Course& course, const County& county,
                                      absl::CivilDay day) {
    v1::ScheduleSessionRequest request;
    request.set_request_id(absl::StrCat("demo-session-", key));
    v1::Session* s = request.mutable_session();
    s->set_course_id(course.id());
    s->set_organisation_id(county.ngo);
    s->set_division_code(county.code);
    s->set_location(absl::StrCat(county.name, "社会工作服务站"));
    s->set_trainer("省儿童福利培训讲师团");
    const absl::Time start =
        absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 9, 0, 0), ShanghaiTimeZone());
    *s->mutable_starts_at() =
        google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(start));
    *s->mutable_ends_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(start) +
                                                                                 course.hours() * 3600);
    s->set_capacity(20);
    v1::ScheduleSessionResponse response;
    RETURN_IF_ERROR(Call(&Stub::ScheduleSession, request, &response));
    return response.session();
  }

  // Enrolls; when `pass`, records attendance and a passing score (which issues the certificate).
  absl::Status Train(const std::string& key, const v1::Session& session, const std::string& participant_id,
                     bool pass) {
    v1::EnrollRequest enroll;
    enroll.set_request_id(absl::StrCat("demo-enroll-", key));
    enroll.set_session_id(session.id());
    enroll.set_participant_id(participant_id);
    v1::EnrollResponse enrolled;
    RETURN_IF_ERROR(Call(&Stub::Enroll, enroll, &enrolled));
    if (!pass || enrolled.enrollment().status() != v1::ENROLLMENT_STATUS_ENROLLED) return absl::OkStatus();
    v1::RecordAttendanceRequest attendance;
    attendance.set_request_id(absl::StrCat("demo-attend-", key));
    attendance.set_enrollment_id(enrolled.enrollment().id());
    attendance.set_attended(true);
    v1::RecordAttendanceResponse attended;
    RETURN_IF_ERROR(Call(&Stub::RecordAttendance, attendance, &attended));
    v1::RecordAssessmentRequest assessment;
    assessment.set_request_id(absl::StrCat("demo-assess-", key));
    assessment.set_enrollment_id(enrolled.enrollment().id());
    assessment.set_score(85);
    v1::RecordAssessmentResponse assessed;
    return Call(&Stub::RecordAssessment, assessment, &assessed);
  }

  absl::Status Organisation(const County& county) {
    v1::RecordOrganisationQualificationRequest request;
    request.set_request_id(absl::StrCat("demo-orgq-", county.ngo));
    v1::OrganisationQualification* q = request.mutable_qualification();
    q->set_organisation_id(county.ngo);
    q->set_organisation_name(county.ngo_name);
    q->set_division_code(county.code);
    q->set_registration_number(county.credit_code);
    q->set_grade(county.lapsed ? v1::ASSESSMENT_GRADE_3A : v1::ASSESSMENT_GRADE_4A);
    q->set_assessed_by(absl::StrCat(county.name, "民政局"));
    q->set_assessed_on(county.lapsed ? "2023-07-01" : "2025-07-01");
    q->set_expires_on(county.lapsed ? "2026-06-30" : "2028-06-30");
    v1::RecordOrganisationQualificationResponse response;
    RETURN_IF_ERROR(Call(&Stub::RecordOrganisationQualification, request, &response));
    v1::RecordOrganisationTrainingRequest training;
    training.set_request_id(absl::StrCat("demo-orgt-", county.ngo));
    v1::OrganisationTraining* t = training.mutable_training();
    t->set_organisation_id(county.ngo);
    t->set_division_code(county.code);
    t->set_title("政府购买儿童关爱服务项目技术培训");
    t->set_hours(8);
    t->set_held_on("2026-07-15");
    t->set_provided_by(absl::StrCat(county.name, "民政局"));
    t->set_attendees(6);
    v1::RecordOrganisationTrainingResponse recorded;
    return Call(&Stub::RecordOrganisationTraining, training, &recorded);
  }

 private:
  std::unique_ptr<Stub> stub_;
  const PrincipalSigner& signer_;
  Principal principal_;
};

}  // namespace

absl::Status SeedTrainingDemo(const std::shared_ptr<grpc::Channel>& channel, const PrincipalSigner& signer,
                              std::vector<DemoHomeVisitor>* home_visitors) {
  Seeder seed(channel, signer);
  ASSIGN_OR_RETURN(
      v1::Course safeguarding,
      seed.Course("SAFE-101", "儿童保护基础", 6, {v1::TOPIC_CHILD_SAFEGUARDING},
                  {v1::ACTIVITY_HOME_VISIT, v1::ACTIVITY_GROUP_ACTIVITY, v1::ACTIVITY_CASE_MANAGEMENT}, 24));
  ASSIGN_OR_RETURN(v1::Course home_visit,
                   seed.Course("VISIT-201", "入户探访实务", 4, {v1::TOPIC_HOME_VISIT_PRACTICE},
                               {v1::ACTIVITY_HOME_VISIT}, 12));
  ASSIGN_OR_RETURN(v1::Course first_aid,
                   seed.Course("PFA-101", "心理急救", 6, {v1::TOPIC_PSYCHOLOGICAL_FIRST_AID},
                               {v1::ACTIVITY_CASE_MANAGEMENT}, 24));
  RETURN_IF_ERROR(seed.Course("PROTECT-102", "防拐卖与防性侵意识", 3,
                              {v1::TOPIC_ANTI_TRAFFICKING_AND_SEXUAL_ABUSE, v1::TOPIC_INTERNET_ADDICTION},
                              {v1::ACTIVITY_GROUP_ACTIVITY}, 24)
                      .status());
  RETURN_IF_ERROR(seed.Course("CASE-301", "个案访谈技巧", 8, {v1::TOPIC_CASE_INTERVIEWING},
                              {v1::ACTIVITY_CASE_MANAGEMENT}, 36)
                      .status());
  RETURN_IF_ERROR(seed.Course("TOT-401", "培训师培训", 16, {v1::TOPIC_CHILD_SAFEGUARDING},
                              {v1::ACTIVITY_TRAINING_OTHERS}, 36)
                      .status());
  ASSIGN_OR_RETURN(v1::Course parenting,
                   seed.Course("CARE-101", "监护人照护与亲职教育", 4, {v1::TOPIC_PARENTING}, {}, 24,
                               {v1::PARTICIPANT_KIND_CAREGIVER}));

  for (const County& county : Counties()) {
    const std::string& k = county.code;
    ASSIGN_OR_RETURN(v1::Session basics,
                     seed.Session(k + "-safe", safeguarding, county, absl::CivilDay(2026, 9, 5)));
    ASSIGN_OR_RETURN(v1::Session visiting,
                     seed.Session(k + "-visit", home_visit, county, absl::CivilDay(2026, 9, 6)));
    ASSIGN_OR_RETURN(v1::Session aid,
                     seed.Session(k + "-pfa", first_aid, county, absl::CivilDay(2026, 12, 12)));

    // Two active, checked, certified volunteers: qualified for home visits (where the NGO's own
    // qualification has not lapsed), two adults for a household.
    for (const auto& [key, name] : {std::pair<std::string, std::string>{"-ready", "志愿者甲"},
                                    std::pair<std::string, std::string>{"-ready2", "志愿者己"}}) {
      ASSIGN_OR_RETURN(v1::Participant ready,
                       seed.Person(k + key, v1::PARTICIPANT_KIND_VOLUNTEER, county, name, {"普通话"}));
      for (auto stage :
           {v1::VOLUNTEER_STAGE_INTERVIEWED, v1::VOLUNTEER_STAGE_IN_TRAINING, v1::VOLUNTEER_STAGE_ACTIVE}) {
        RETURN_IF_ERROR(seed.Stage(k + key, ready.id(), stage));
      }
      RETURN_IF_ERROR(seed.Check(k + key, ready.id(), v1::BACKGROUND_CHECK_STATUS_CLEARED));
      RETURN_IF_ERROR(seed.Train(k + key + "-safe", basics, ready.id(), true));
      RETURN_IF_ERROR(seed.Train(k + key + "-visit", visiting, ready.id(), true));
      if (home_visitors != nullptr) home_visitors->push_back({ready.id(), county.ngo, county.code});
    }

    // In training, check pending: enrolled in the coming psychological-first-aid session.
    ASSIGN_OR_RETURN(v1::Participant learning,
                     seed.Person(k + "-learning", v1::PARTICIPANT_KIND_VOLUNTEER, county, "志愿者乙",
                                 {"普通话", county.code == "532329" ? "彝语" : "方言"}));
    RETURN_IF_ERROR(seed.Stage(k + "-learning", learning.id(), v1::VOLUNTEER_STAGE_INTERVIEWED));
    RETURN_IF_ERROR(seed.Stage(k + "-learning", learning.id(), v1::VOLUNTEER_STAGE_IN_TRAINING));
    RETURN_IF_ERROR(seed.Check(k + "-learning", learning.id(), v1::BACKGROUND_CHECK_STATUS_PENDING));
    RETURN_IF_ERROR(seed.Train(k + "-learning-safe", basics, learning.id(), true));
    RETURN_IF_ERROR(seed.Train(k + "-learning-pfa", aid, learning.id(), false));

    // A fresh applicant.
    RETURN_IF_ERROR(
        seed.Person(k + "-applicant", v1::PARTICIPANT_KIND_VOLUNTEER, county, "申请人丙", {"普通话"})
            .status());

    // A staff social worker with continuing-education hours.
    ASSIGN_OR_RETURN(v1::Participant worker, seed.Person(k + "-worker", v1::PARTICIPANT_KIND_SOCIAL_WORKER,
                                                         county, "社工丁", {"普通话"}));
    RETURN_IF_ERROR(seed.Check(k + "-worker", worker.id(), v1::BACKGROUND_CHECK_STATUS_CLEARED));
    RETURN_IF_ERROR(seed.Train(k + "-worker-safe", basics, worker.id(), true));

    RETURN_IF_ERROR(seed.Organisation(county));
  }

  // A grandmother caring for a left-behind child in Wuding, trained in parenting.
  const County& wuding = Counties().front();
  ASSIGN_OR_RETURN(v1::Participant grandmother,
                   seed.Person("532329-caregiver", v1::PARTICIPANT_KIND_CAREGIVER, wuding, "照护人戊",
                               {"彝语"}, "demo-household-532329-1"));
  ASSIGN_OR_RETURN(v1::Session care,
                   seed.Session("532329-care", parenting, wuding, absl::CivilDay(2026, 10, 10)));
  RETURN_IF_ERROR(seed.Train("532329-caregiver-care", care, grandmother.id(), true));
  return absl::OkStatus();
}

}  // namespace shouhu
