// What each training request must hold: a table of bad inputs, each rejected INVALID_ARGUMENT naming its
// field, next to the good request it spoils.
#include "services/training/training_validation.h"

#include <gtest/gtest.h>

#include <functional>

#include "common/status_macros.h"

namespace shouhu::training {
namespace {

constexpr char kId[] = "01JD0000000000000000000001";

template <typename Request>
struct BadInput {
  std::function<void(Request&)> spoil;
  std::string field;
};

template <typename Request, typename Validate>
void ExpectEachNamesItsField(const Request& good, Validate validate,
                             const std::vector<BadInput<Request>>& cases) {
  ASSERT_TRUE(validate(good).ok()) << validate(good).message();
  for (const auto& c : cases) {
    Request request = good;
    c.spoil(request);
    absl::Status status = validate(request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(FieldOf(status), c.field);
  }
}

template <typename Request, typename Result>
std::function<absl::Status(const Request&)> StatusOf(absl::StatusOr<Result> (*validate)(const Request&)) {
  return [validate](const Request& r) { return validate(r).status(); };
}

TEST(ValidateRegisterParticipant, EachBadInputNamesItsField) {
  v1::RegisterParticipantRequest good;
  good.set_request_id("r1");
  good.mutable_participant()->set_kind(v1::PARTICIPANT_KIND_VOLUNTEER);
  good.mutable_participant()->set_organisation_id("ngo-wuding");
  good.mutable_participant()->set_home_division_code("532329101");
  good.mutable_participant()->set_display_name("张明");
  using R = v1::RegisterParticipantRequest;
  ExpectEachNamesItsField<R>(
      good, ValidateRegisterParticipant,
      {{[](R& r) { r.clear_request_id(); }, "request_id"},
       {[](R& r) { r.mutable_participant()->set_kind(v1::PARTICIPANT_KIND_UNSPECIFIED); },
        "participant.kind"},
       {[](R& r) { r.mutable_participant()->set_kind(static_cast<v1::ParticipantKind>(99)); },
        "participant.kind"},
       {[](R& r) { r.mutable_participant()->set_organisation_id("ngo wuding"); },
        "participant.organisation_id"},
       {[](R& r) { r.mutable_participant()->set_home_division_code("53232"); },
        "participant.home_division_code"},
       {[](R& r) { r.mutable_participant()->set_display_name("   "); }, "participant.display_name"},
       {[](R& r) { r.mutable_participant()->add_skills(""); }, "participant.skills[0]"},
       {[](R& r) { r.mutable_participant()->set_supervisor_id("x"); }, "participant.supervisor_id"},
       {[](R& r) { r.mutable_participant()->set_registry_household_id("a b"); },
        "participant.registry_household_id"},
       {[](R& r) { r.mutable_participant()->set_kind(v1::PARTICIPANT_KIND_CAREGIVER); },
        "participant.registry_child_id"}});
}

TEST(ValidateScheduleSession, EachBadInputNamesItsField) {
  v1::ScheduleSessionRequest good;
  good.set_request_id("s1");
  v1::Session* s = good.mutable_session();
  s->set_course_id(kId);
  s->set_organisation_id("gov-wuding");
  s->set_division_code("532329");
  s->set_location("社工站");
  s->set_trainer("王老师");
  s->mutable_starts_at()->set_seconds(1741395600);
  s->mutable_ends_at()->set_seconds(1741395600 + 3600);
  s->set_capacity(10);
  using R = v1::ScheduleSessionRequest;
  ExpectEachNamesItsField<R>(
      good, ValidateScheduleSession,
      {{[](R& r) { r.mutable_session()->set_course_id(""); }, "session.course_id"},
       {[](R& r) { r.mutable_session()->set_organisation_id(""); }, "session.organisation_id"},
       {[](R& r) { r.mutable_session()->set_division_code("5"); }, "session.division_code"},
       {[](R& r) { r.mutable_session()->set_location(""); }, "session.location"},
       {[](R& r) { r.mutable_session()->set_trainer("\t"); }, "session.trainer"},
       {[](R& r) { r.mutable_session()->clear_starts_at(); }, "session.starts_at"},
       {[](R& r) { r.mutable_session()->mutable_ends_at()->set_seconds(1741395600); }, "session.ends_at"},
       {[](R& r) { r.mutable_session()->set_capacity(0); }, "session.capacity"}});
}

TEST(ValidateCreateCourse, EachBadInputNamesItsField) {
  v1::CreateCourseRequest good;
  good.set_request_id("c1");
  v1::Course* c = good.mutable_course();
  c->set_code("SAFE-101");
  c->set_title("儿童保护");
  c->set_hours(6);
  c->set_pass_mark(60);
  c->set_validity_months(12);
  c->add_topics(v1::TOPIC_CHILD_SAFEGUARDING);
  using R = v1::CreateCourseRequest;
  ExpectEachNamesItsField<R>(
      good, ValidateCreateCourse,
      {{[](R& r) { r.mutable_course()->set_code("safe-101"); }, "course.code"},
       {[](R& r) { r.mutable_course()->set_title(""); }, "course.title"},
       {[](R& r) { r.mutable_course()->set_hours(0); }, "course.hours"},
       {[](R& r) { r.mutable_course()->add_topics(v1::TOPIC_UNSPECIFIED); }, "course.topics[1]"},
       {[](R& r) { r.mutable_course()->add_required_for(static_cast<v1::Activity>(42)); },
        "course.required_for[0]"},
       {[](R& r) { r.mutable_course()->set_pass_mark(101); }, "course.pass_mark"},
       {[](R& r) { r.mutable_course()->set_validity_months(0); }, "course.validity_months"}});
}

TEST(ValidateRecordBackgroundCheck, EachBadInputNamesItsField) {
  v1::RecordBackgroundCheckRequest good;
  good.set_request_id("b1");
  good.set_participant_id(kId);
  good.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_CLEARED);
  good.mutable_background_check()->set_checked_on("2025-02-01");
  good.mutable_background_check()->set_expires_on("2027-02-01");
  using R = v1::RecordBackgroundCheckRequest;
  const absl::CivilDay today(2025, 3, 3);
  auto validate = [today](const R& r) { return ValidateRecordBackgroundCheck(r, today); };
  ExpectEachNamesItsField<R>(
      good, validate,
      {{[](R& r) { r.set_participant_id("nope"); }, "participant_id"},
       // Checked today is a check made; tomorrow's is not made yet, whatever its status.
       {[](R& r) { r.mutable_background_check()->set_checked_on("2025-03-04"); },
        "background_check.checked_on"},
       {[](R& r) {
          r.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_FAILED);
          r.mutable_background_check()->set_checked_on("2025-03-04");
        },
        "background_check.checked_on"},
       {[](R& r) { r.mutable_background_check()->set_status(v1::BACKGROUND_CHECK_STATUS_UNSPECIFIED); },
        "background_check.status"},
       {[](R& r) { r.mutable_background_check()->set_checked_on("2025-02-30"); },
        "background_check.checked_on"},
       {[](R& r) { r.mutable_background_check()->clear_expires_on(); }, "background_check.expires_on"},
       {[](R& r) { r.mutable_background_check()->set_expires_on("2025-01-01"); },
        "background_check.expires_on"}});
  good.mutable_background_check()->set_checked_on("2025-03-03");
  EXPECT_TRUE(validate(good).ok());
}

TEST(ValidateEnrollmentChanges, EachBadInputNamesItsField) {
  v1::RecordAssessmentRequest good;
  good.set_request_id("a1");
  good.set_enrollment_id(kId);
  good.set_score(80);
  using R = v1::RecordAssessmentRequest;
  ExpectEachNamesItsField<R>(good, ValidateRecordAssessment,
                             {{[](R& r) { r.set_request_id(std::string(129, 'x')); }, "request_id"},
                              {[](R& r) { r.clear_enrollment_id(); }, "enrollment_id"},
                              {[](R& r) { r.set_score(-1); }, "score"}});
  v1::EnrollRequest enroll;
  enroll.set_request_id("e1");
  enroll.set_session_id(kId);
  enroll.set_participant_id(kId);
  using E = v1::EnrollRequest;
  ExpectEachNamesItsField<E>(enroll, ValidateEnroll,
                             {{[](E& r) { r.set_session_id("x"); }, "session_id"},
                              {[](E& r) { r.set_participant_id(""); }, "participant_id"}});
}

TEST(ValidateCertificationChanges, EachBadInputNamesItsField) {
  v1::RenewCertificationRequest renew;
  renew.set_request_id("n1");
  renew.set_certification_id(kId);
  renew.set_renewed_on("2026-03-01");
  renew.set_refresher_enrollment_id(kId);
  using N = v1::RenewCertificationRequest;
  const absl::CivilDay today(2026, 3, 1);
  ExpectEachNamesItsField<N>(
      renew, [today](const N& r) { return ValidateRenewCertification(r, today).status(); },
      {{[](N& r) { r.set_certification_id(""); }, "certification_id"},
       {[](N& r) { r.set_renewed_on("2026-3-1"); }, "renewed_on"},
       {[](N& r) { r.clear_renewed_on(); }, "renewed_on"},
       // A refresher planned for tomorrow has not happened: it renews nothing yet.
       {[](N& r) { r.set_renewed_on("2026-03-02"); }, "renewed_on"},
       {[](N& r) { r.clear_refresher_enrollment_id(); }, "refresher_enrollment_id"},
       {[](N& r) { r.set_refresher_enrollment_id("e-1"); }, "refresher_enrollment_id"}});
  const absl::StatusOr<absl::CivilDay> renewed_on = ValidateRenewCertification(renew, today);
  ASSERT_TRUE(renewed_on.ok()) << renewed_on.status();
  EXPECT_EQ(*renewed_on, today);
  v1::RevokeCertificationRequest revoke;
  revoke.set_request_id("v1");
  revoke.set_certification_id(kId);
  revoke.set_reason("违规");
  using V = v1::RevokeCertificationRequest;
  ExpectEachNamesItsField<V>(revoke, ValidateRevokeCertification,
                             {{[](V& r) { r.set_reason("\xE3\x80\x80 "); }, "reason"}});
}

TEST(ValidateQualificationQuestions, EachBadInputNamesItsField) {
  v1::CheckQualificationRequest check;
  check.set_participant_id(kId);
  check.set_activity(v1::ACTIVITY_HOME_VISIT);
  check.set_date("2025-06-07");
  using C = v1::CheckQualificationRequest;
  ExpectEachNamesItsField<C>(check, StatusOf(ValidateCheckQualification),
                             {{[](C& r) { r.clear_subject(); }, "participant_id"},
                              {[](C& r) { r.set_organisation_id(""); }, "organisation_id"},
                              {[](C& r) { r.set_activity(v1::ACTIVITY_UNSPECIFIED); }, "activity"},
                              {[](C& r) { r.set_date("2025-13-01"); }, "date"}});
  v1::BatchCheckQualificationRequest batch;
  batch.add_participant_ids(kId);
  batch.set_activity(v1::ACTIVITY_HOME_VISIT);
  batch.set_date("2025-06-07");
  using B = v1::BatchCheckQualificationRequest;
  ExpectEachNamesItsField<B>(batch, StatusOf(ValidateBatchCheckQualification),
                             {{[](B& r) { r.clear_participant_ids(); }, "participant_ids"},
                              {[](B& r) { r.add_participant_ids("bad id"); }, "participant_ids[1]"},
                              {[](B& r) {
                                 for (int i = 0; i < kMaxBatch; ++i) r.add_participant_ids(kId);
                               },
                               "participant_ids"},
                              {[](B& r) { r.clear_date(); }, "date"}});
  v1::GetTrainingHoursRequest hours;
  hours.set_organisation_id("ngo-wuding");
  hours.set_from_date("2025-01-01");
  hours.set_to_date("2025-12-31");
  using H = v1::GetTrainingHoursRequest;
  ExpectEachNamesItsField<H>(hours, StatusOf(ValidateGetTrainingHours),
                             {{[](H& r) { r.set_participant_id("x"); }, "participant_id"},
                              {[](H& r) { r.set_from_date(""); }, "from_date"},
                              {[](H& r) { r.set_to_date("2024-12-31"); }, "to_date"}});
}

TEST(ValidateOrganisationRecords, EachBadInputNamesItsField) {
  v1::RecordOrganisationQualificationRequest good;
  good.set_request_id("q1");
  v1::OrganisationQualification* q = good.mutable_qualification();
  q->set_organisation_id("ngo-wuding");
  q->set_organisation_name("武定县阳光社工服务中心");
  q->set_division_code("532329");
  q->set_registration_number("52532329MJ0000001X");
  q->set_grade(v1::ASSESSMENT_GRADE_4A);
  q->set_assessed_by("武定县民政局");
  q->set_assessed_on("2023-01-01");
  q->set_expires_on("2026-01-01");
  using Q = v1::RecordOrganisationQualificationRequest;
  ExpectEachNamesItsField<Q>(
      good, ValidateRecordOrganisationQualification,
      {{[](Q& r) { r.mutable_qualification()->set_registration_number("52532329mj0000001x"); },
        "qualification.registration_number"},
       {[](Q& r) { r.mutable_qualification()->set_registration_number("123"); },
        "qualification.registration_number"},
       {[](Q& r) { r.mutable_qualification()->set_grade(v1::ASSESSMENT_GRADE_UNSPECIFIED); },
        "qualification.grade"},
       {[](Q& r) { r.mutable_qualification()->set_expires_on("2022-12-31"); }, "qualification.expires_on"},
       {[](Q& r) { r.mutable_qualification()->set_division_code(""); }, "qualification.division_code"}});
  v1::RecordOrganisationTrainingRequest training;
  training.set_request_id("t1");
  v1::OrganisationTraining* t = training.mutable_training();
  t->set_organisation_id("ngo-wuding");
  t->set_division_code("532329");
  t->set_title("技术培训");
  t->set_hours(8);
  t->set_held_on("2025-04-01");
  t->set_provided_by("武定县民政局");
  using T = v1::RecordOrganisationTrainingRequest;
  ExpectEachNamesItsField<T>(training, ValidateRecordOrganisationTraining,
                             {{[](T& r) { r.mutable_training()->set_hours(1001); }, "training.hours"},
                              {[](T& r) { r.mutable_training()->set_attendees(-1); }, "training.attendees"},
                              {[](T& r) { r.mutable_training()->set_held_on(""); }, "training.held_on"}});
}

TEST(ValidateListFilters, UnknownEnumNamesItsField_ZeroMeansAny) {
  v1::ListParticipantsRequest list;
  EXPECT_TRUE(ValidateListParticipants(list).ok());
  list.set_stage(static_cast<v1::VolunteerStage>(77));
  EXPECT_EQ(FieldOf(ValidateListParticipants(list)), "stage");
  v1::ListCoursesRequest courses;
  courses.set_required_for(static_cast<v1::Activity>(77));
  EXPECT_EQ(FieldOf(ValidateListCourses(courses)), "required_for");
}

}  // namespace
}  // namespace shouhu::training
