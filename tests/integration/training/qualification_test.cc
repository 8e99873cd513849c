// The qualification API as the visits and allowance services use it: every reason, the batch form, scoping,
// organisations, renewal and revocation.
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "shouhu/training/v1/events.pb.h"
#include "tests/integration/training/training_test_fixture.h"

namespace shouhu::training {
namespace {

class QualificationTest : public TrainingTest {
 protected:
  v1::QualificationResult Check(const std::string& participant_id, const std::string& date,
                                v1::Activity activity = v1::ACTIVITY_HOME_VISIT) {
    v1::CheckQualificationRequest request;
    request.set_participant_id(participant_id);
    request.set_activity(activity);
    request.set_date(date);
    v1::CheckQualificationResponse response;
    grpc::Status status = Call(&Stub::CheckQualification, System(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.result();
  }
  static std::vector<v1::QualificationReason> Reasons(const v1::QualificationResult& r) {
    std::vector<v1::QualificationReason> out;
    for (const auto& reason : r.reasons()) out.push_back(reason.reason());
    return out;
  }
};

using R = std::vector<v1::QualificationReason>;

TEST_F(QualificationTest, CertifiedActiveAndCleared_Qualified) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Participant p = QualifiedVolunteerBase();
  Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
  v1::QualificationResult result = Check(p.id(), "2025-06-07");
  EXPECT_TRUE(result.qualified());
  EXPECT_EQ(Reasons(result), R{});
  // An activity the course is not required for needs nothing more.
  EXPECT_TRUE(Check(p.id(), "2025-06-07", v1::ACTIVITY_TRAINING_OTHERS).qualified());
}

TEST_F(QualificationTest, NoCertificate_MissingCourseNamed) {
  CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Participant p = QualifiedVolunteerBase();
  v1::QualificationResult result = Check(p.id(), "2025-06-07");
  EXPECT_FALSE(result.qualified());
  ASSERT_EQ(Reasons(result), R{v1::QUALIFICATION_REASON_MISSING_COURSE});
  EXPECT_EQ(result.reasons(0).course_code(), "SAFE-101");
}

TEST_F(QualificationTest, AfterExpiryDay_CertificationExpired) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, /*validity_months=*/6);
  v1::Participant p = QualifiedVolunteerBase();
  Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));  // valid until 2025-09-07 inclusive
  EXPECT_TRUE(Check(p.id(), "2025-09-07").qualified());
  EXPECT_EQ(Reasons(Check(p.id(), "2025-09-08")), R{v1::QUALIFICATION_REASON_CERTIFICATION_EXPIRED});
}

TEST_F(QualificationTest, Revoked_CertificationRevokedWithEvent) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Participant p = QualifiedVolunteerBase();
  v1::Certification cert = Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
  v1::RevokeCertificationRequest revoke;
  revoke.set_request_id("revoke");
  revoke.set_certification_id(cert.id());
  revoke.set_reason("家访中违反安全规范");
  v1::RevokeCertificationResponse revoked;
  ASSERT_TRUE(Call(&Stub::RevokeCertification, Officer(), revoke, &revoked).ok());
  EXPECT_EQ(revoked.certification().status(), v1::CERTIFICATION_STATUS_REVOKED);
  EXPECT_EQ(Reasons(Check(p.id(), "2025-06-07")), R{v1::QUALIFICATION_REASON_CERTIFICATION_REVOKED});
  revoke.set_request_id("revoke-again");
  EXPECT_EQ(Call(&Stub::RevokeCertification, Officer(), revoke, &revoked).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  revoke.set_request_id("no-reason");
  revoke.set_reason("");
  EXPECT_EQ(Call(&Stub::RevokeCertification, Officer(), revoke, &revoked).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  int revocations = 0;
  for (const auto& e : Events()) revocations += e.type() == "shouhu.training.v1.CertificationRevoked";
  EXPECT_EQ(revocations, 1);
}

TEST_F(QualificationTest, BackgroundCheck_EachStatus_DisqualifiesWhateverTheTraining) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Participant p = QualifiedVolunteerBase();
  Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
  RecordCheck(p.id(), v1::BACKGROUND_CHECK_STATUS_PENDING, "", "");
  EXPECT_EQ(Reasons(Check(p.id(), "2025-06-07")), R{v1::QUALIFICATION_REASON_BACKGROUND_CHECK_NOT_CLEARED});
  RecordCheck(p.id(), v1::BACKGROUND_CHECK_STATUS_FAILED, "2025-03-01", "");
  EXPECT_EQ(Reasons(Check(p.id(), "2025-06-07")), R{v1::QUALIFICATION_REASON_BACKGROUND_CHECK_FAILED});
  RecordCheck(p.id(), v1::BACKGROUND_CHECK_STATUS_CLEARED, "2025-01-01", "2025-06-01");
  EXPECT_EQ(Reasons(Check(p.id(), "2025-06-07")), R{v1::QUALIFICATION_REASON_BACKGROUND_CHECK_EXPIRED});
  EXPECT_TRUE(Check(p.id(), "2025-05-31").qualified());
}

TEST_F(QualificationTest, SuspendedVolunteer_NotActive) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Participant p = QualifiedVolunteerBase();
  Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
  MoveTo(p.id(), v1::VOLUNTEER_STAGE_SUSPENDED);
  EXPECT_EQ(Reasons(Check(p.id(), "2025-06-07")), R{v1::QUALIFICATION_REASON_NOT_ACTIVE});
}

TEST_F(QualificationTest, Organisation_LapsedRecord_ReportedForOrganisationAndItsPeople) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Participant p = QualifiedVolunteerBase();
  Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));

  v1::CheckQualificationRequest org;
  org.set_organisation_id("ngo-wuding");
  org.set_activity(v1::ACTIVITY_HOME_VISIT);
  org.set_date("2025-06-07");
  v1::CheckQualificationResponse answer;
  ASSERT_TRUE(Call(&Stub::CheckQualification, System(), org, &answer).ok());
  EXPECT_EQ(Reasons(answer.result()), R{v1::QUALIFICATION_REASON_ORGANISATION_NOT_ASSESSED});

  v1::RecordOrganisationQualificationRequest record;
  record.set_request_id("q1");
  v1::OrganisationQualification* q = record.mutable_qualification();
  q->set_organisation_id("ngo-wuding");
  q->set_organisation_name("武定县阳光社工服务中心");
  q->set_division_code("532329");
  q->set_registration_number("52532329MJ0000001X");
  q->set_grade(v1::ASSESSMENT_GRADE_4A);
  q->set_assessed_by("武定县民政局");
  q->set_assessed_on("2023-01-01");
  q->set_expires_on("2025-06-01");
  v1::RecordOrganisationQualificationResponse recorded;
  ASSERT_TRUE(Call(&Stub::RecordOrganisationQualification, Officer(), record, &recorded).ok());
  // An NGO cannot grade itself.
  EXPECT_EQ(Call(&Stub::RecordOrganisationQualification, NgoAdmin(), record, &recorded).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  EXPECT_TRUE(Check(p.id(), "2025-05-31").qualified());
  ASSERT_TRUE(Call(&Stub::CheckQualification, System(), org, &answer).ok());
  EXPECT_EQ(Reasons(answer.result()), R{v1::QUALIFICATION_REASON_ORGANISATION_QUALIFICATION_LAPSED});
  EXPECT_EQ(Reasons(Check(p.id(), "2025-06-07")),
            R{v1::QUALIFICATION_REASON_ORGANISATION_QUALIFICATION_LAPSED});

  record.set_request_id("q2");
  q->set_assessed_on("2025-05-20");
  q->set_expires_on("2028-05-20");
  ASSERT_TRUE(Call(&Stub::RecordOrganisationQualification, Officer(), record, &recorded).ok());
  ASSERT_TRUE(Call(&Stub::CheckQualification, System(), org, &answer).ok());
  EXPECT_TRUE(answer.result().qualified());
}

// Renewed after it lapsed: a new period from the renewal day, so the days it had lapsed stay uncovered (the
// renewal used to move only the expiry, and the person read as qualified between expiry and refresher).
TEST_F(QualificationTest, RenewCertification_AfterExpiry_NewPeriodFromTheRenewalDay_LapseNotCovered) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, 6);
  v1::Participant p = QualifiedVolunteerBase();
  v1::Certification cert = Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));  // to 2025-09-07
  clock_->Set(absl::FromCivil(absl::CivilSecond(2025, 10, 1, 18, 0, 0), ShanghaiTimeZone()));
  const v1::Enrollment october = Attend(course.id(), p.id(), absl::CivilDay(2025, 10, 1));
  v1::RenewCertificationRequest renew;
  renew.set_request_id("renew");
  renew.set_certification_id(cert.id());
  renew.set_renewed_on("2025-10-01");
  renew.set_refresher_enrollment_id(october.id());
  v1::RenewCertificationResponse renewed;
  ASSERT_TRUE(Call(&Stub::RenewCertification, Trainer(), renew, &renewed).ok());
  EXPECT_EQ(renewed.certification().issued_on(), "2025-10-01");
  EXPECT_EQ(renewed.certification().expires_on(), "2026-04-01");
  EXPECT_FALSE(Check(p.id(), "2025-09-08").qualified());
  EXPECT_FALSE(Check(p.id(), "2025-09-30").qualified());
  EXPECT_TRUE(Check(p.id(), "2025-10-01").qualified());
  EXPECT_TRUE(Check(p.id(), "2026-03-31").qualified());
  EXPECT_EQ(Reasons(Check(p.id(), "2026-04-01")), R{v1::QUALIFICATION_REASON_CERTIFICATION_EXPIRED});

  // Renewed before running out: the new period follows on, from the same issue day.
  clock_->Set(absl::FromCivil(absl::CivilSecond(2026, 3, 1, 18, 0, 0), ShanghaiTimeZone()));
  const v1::Enrollment march = Attend(course.id(), p.id(), absl::CivilDay(2026, 3, 1));
  renew.set_request_id("renew-early");
  renew.set_renewed_on("2026-03-01");
  renew.set_refresher_enrollment_id(march.id());
  ASSERT_TRUE(Call(&Stub::RenewCertification, Trainer(), renew, &renewed).ok());
  EXPECT_EQ(renewed.certification().issued_on(), "2025-10-01");
  EXPECT_EQ(renewed.certification().expires_on(), "2026-10-01");
  EXPECT_TRUE(Check(p.id(), "2026-04-01").qualified());

  // The first renewal retried (a lost answer): its first answer, and nothing renewed again.
  renew.set_request_id("renew");
  renew.set_renewed_on("2025-10-01");
  renew.set_refresher_enrollment_id(october.id());
  ASSERT_TRUE(Call(&Stub::RenewCertification, Trainer(), renew, &renewed).ok());
  EXPECT_EQ(renewed.certification().issued_on(), "2025-10-01");
  EXPECT_EQ(renewed.certification().expires_on(), "2026-04-01");
  // The last refresher entered again under another request id (a second trainer, an app that lost its id):
  // ALREADY_EXISTS, not a second period the holder never earned.
  renew.set_request_id("renew-early-again");
  renew.set_renewed_on("2026-03-01");
  renew.set_refresher_enrollment_id(march.id());
  EXPECT_EQ(Call(&Stub::RenewCertification, Trainer(), renew, &renewed).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  int renewals = 0;
  for (const auto& e : Events()) {
    v1::CertificationIssued issued;
    renewals += e.payload().UnpackTo(&issued) && issued.renewal();
  }
  EXPECT_EQ(renewals, 2);
  v1::GetCertificationRequest get;
  get.set_certification_id(cert.id());
  v1::GetCertificationResponse got;
  ASSERT_TRUE(Call(&Stub::GetCertification, Officer(), get, &got).ok());
  EXPECT_EQ(got.certification().expires_on(), "2026-10-01");
  EXPECT_EQ(got.certification().renewed_by_enrollment_id(), march.id());
}

// A refresher not yet held (a trainer entering the planned date ahead of time) or dated before the
// certificate was issued renews nothing: INVALID_ARGUMENT naming renewed_on, and the certificate, its
// coverage and the events are as they were.
TEST_F(QualificationTest,
       RenewCertification_RefresherStillAheadOrBeforeTheIssue_InvalidArgumentNothingWritten) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, 6);
  v1::Participant p = QualifiedVolunteerBase();
  v1::Certification cert = Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));  // to 2025-09-07
  clock_->Set(absl::FromCivil(absl::CivilSecond(2025, 8, 20, 10, 0, 0), ShanghaiTimeZone()));
  // A refresher attended the day before the certificate's session (its own day is the one renewed_on names).
  const v1::Enrollment before = Attend(course.id(), p.id(), absl::CivilDay(2025, 3, 7));
  const size_t events_before = Events().size();
  v1::RenewCertificationRequest renew;
  renew.set_certification_id(cert.id());
  renew.set_refresher_enrollment_id(before.id());
  v1::RenewCertificationResponse renewed;
  for (const char* day : {"2025-08-21", "2025-09-15", "2025-03-07"}) {
    renew.set_request_id(absl::StrCat("renew-", day));
    renew.set_renewed_on(day);
    const grpc::Status status = Call(&Stub::RenewCertification, Trainer(), renew, &renewed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << day;
    EXPECT_EQ(FieldOfGrpcStatus(status), "renewed_on") << day;
  }
  v1::GetCertificationRequest get;
  get.set_certification_id(cert.id());
  v1::GetCertificationResponse got;
  ASSERT_TRUE(Call(&Stub::GetCertification, Officer(), get, &got).ok());
  EXPECT_EQ(got.certification().issued_on(), "2025-03-08");
  EXPECT_EQ(got.certification().expires_on(), "2025-09-08");
  EXPECT_EQ(Events().size(), events_before);
  EXPECT_EQ(Reasons(Check(p.id(), "2025-09-15")), R{v1::QUALIFICATION_REASON_CERTIFICATION_EXPIRED});
}

// A renewal rests on a recorded refresher: the holder's own enrollment in a session of the certificate's
// course, attended, on the day it names. Anything else renews nothing (the certificate and the events are as
// they were); the refresher that renewed is then final: its attendance cannot be turned to absent under the
// renewal, nor a score added that would issue a second certificate from the same session.
TEST_F(QualificationTest, RenewCertification_RestsOnTheHoldersAttendedRefresher_ThenItsResultsAreFinal) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, 6);
  v1::Course other = CreateCourse("PFA-201", {v1::ACTIVITY_GROUP_ACTIVITY}, 6);
  v1::Participant p = QualifiedVolunteerBase();
  v1::Participant q = QualifiedVolunteerBase();
  v1::Certification cert = Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));  // to 2025-09-08
  clock_->Set(absl::FromCivil(absl::CivilSecond(2025, 8, 20, 18, 0, 0), ShanghaiTimeZone()));
  const absl::CivilDay day(2025, 8, 20);
  const v1::Session refresher_session = Schedule(course.id(), day);
  const v1::Enrollment theirs = Attend(refresher_session, q.id());
  const v1::Enrollment other_course = Attend(other.id(), p.id(), day);
  const v1::Enrollment no_attendance = EnrollIn(refresher_session.id(), p.id());
  const v1::Certification retaken = Certify(course.id(), p.id(), day);
  const size_t events_before = Events().size();

  v1::RenewCertificationRequest renew;
  renew.set_certification_id(cert.id());
  renew.set_renewed_on("2025-08-20");
  v1::RenewCertificationResponse renewed;
  const struct {
    std::string refresher;
    grpc::StatusCode code;
  } cases[] = {
      {"", grpc::StatusCode::INVALID_ARGUMENT},
      {"01JD0000000000000000000099", grpc::StatusCode::NOT_FOUND},
      {theirs.id(), grpc::StatusCode::FAILED_PRECONDITION},
      {other_course.id(), grpc::StatusCode::FAILED_PRECONDITION},
      {no_attendance.id(), grpc::StatusCode::FAILED_PRECONDITION},
      {retaken.enrollment_id(), grpc::StatusCode::FAILED_PRECONDITION},
  };
  int n = 0;
  for (const auto& c : cases) {
    renew.set_request_id(absl::StrCat("renew-bad-", ++n));
    renew.set_refresher_enrollment_id(c.refresher);
    const grpc::Status status = Call(&Stub::RenewCertification, Trainer(), renew, &renewed);
    EXPECT_EQ(status.error_code(), c.code) << c.refresher << ": " << status.error_message();
  }
  // Absent, recorded as such: no refresher either.
  v1::RecordAttendanceRequest absent;
  absent.set_request_id("absent");
  absent.set_enrollment_id(no_attendance.id());
  absent.set_attended(false);
  v1::RecordAttendanceResponse recorded;
  ASSERT_TRUE(Call(&Stub::RecordAttendance, Trainer(), absent, &recorded).ok());
  renew.set_request_id("renew-absent");
  renew.set_refresher_enrollment_id(no_attendance.id());
  EXPECT_EQ(Call(&Stub::RenewCertification, Trainer(), renew, &renewed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::GetCertificationRequest get;
  get.set_certification_id(cert.id());
  v1::GetCertificationResponse got;
  ASSERT_TRUE(Call(&Stub::GetCertification, Officer(), get, &got).ok());
  EXPECT_EQ(got.certification().expires_on(), "2025-09-08");
  EXPECT_EQ(got.certification().renewed_by_enrollment_id(), "");
  EXPECT_EQ(Events().size(), events_before);

  // Attended now (a correction), it renews; and its results are final from then on.
  v1::RecordAttendanceRequest present = absent;
  present.set_request_id("present");
  present.set_attended(true);
  ASSERT_TRUE(Call(&Stub::RecordAttendance, Trainer(), present, &recorded).ok());
  renew.set_request_id("renew-good");
  ASSERT_TRUE(Call(&Stub::RenewCertification, Trainer(), renew, &renewed).ok());
  EXPECT_EQ(renewed.certification().expires_on(), "2026-03-08");
  EXPECT_EQ(renewed.certification().renewed_by_enrollment_id(), no_attendance.id());
  absent.set_request_id("absent-after");
  EXPECT_EQ(Call(&Stub::RecordAttendance, Trainer(), absent, &recorded).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::RecordAssessmentRequest score;
  score.set_request_id("score-after");
  score.set_enrollment_id(no_attendance.id());
  score.set_score(95);
  v1::RecordAssessmentResponse assessed;
  EXPECT_EQ(Call(&Stub::RecordAssessment, Trainer(), score, &assessed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(database_->Count("certifications"), 2);
}

// The refresher's attendance corrected to absent while a renewal resting on it waits for its row: the renewal
// reads the corrected attendance under the lock and is refused (read without it, the renewal saw "attended"
// and committed on a refresher the holder had missed).
TEST_F(QualificationTest, RenewCertification_AttendanceTurnedAbsentWhileTheRenewalWaits_Refused) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT}, 6);
  v1::Participant p = QualifiedVolunteerBase();
  v1::Certification cert = Certify(course.id(), p.id(), absl::CivilDay(2025, 3, 8));
  clock_->Set(absl::FromCivil(absl::CivilSecond(2025, 8, 20, 18, 0, 0), ShanghaiTimeZone()));
  const v1::Enrollment refresher = Attend(course.id(), p.id(), absl::CivilDay(2025, 8, 20));
  absl::Notification locked;
  absl::Notification release;
  std::thread trainer([&] {
    EXPECT_OK(database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
      RETURN_IF_ERROR(
          tx.Query("SELECT id FROM enrollments WHERE id = ? FOR UPDATE", {refresher.id()}).status());
      RETURN_IF_ERROR(
          tx.Execute("UPDATE enrollments SET attended = 0 WHERE id = ?", {refresher.id()}).status());
      locked.Notify();
      release.WaitForNotification();
      return absl::OkStatus();
    }));
  });
  locked.WaitForNotification();
  grpc::Status status;
  std::thread renewal([&] {
    v1::RenewCertificationRequest renew;
    renew.set_request_id("renew");
    renew.set_certification_id(cert.id());
    renew.set_renewed_on("2025-08-20");
    renew.set_refresher_enrollment_id(refresher.id());
    v1::RenewCertificationResponse renewed;
    status = Call(&Stub::RenewCertification, Trainer(), renew, &renewed);
  });
  // Time for the renewal to reach the row's lock; not an assertion: it is refused whenever it gets there.
  absl::SleepFor(absl::Milliseconds(500));
  release.Notify();
  trainer.join();
  renewal.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  v1::GetCertificationRequest get;
  get.set_certification_id(cert.id());
  v1::GetCertificationResponse got;
  ASSERT_TRUE(Call(&Stub::GetCertification, Officer(), get, &got).ok());
  EXPECT_EQ(got.certification().expires_on(), "2025-09-08");
}

TEST_F(QualificationTest, CheckQualification_BadInputAndScope) {
  v1::Participant p = QualifiedVolunteerBase();
  v1::CheckQualificationRequest request;
  request.set_participant_id(p.id());
  request.set_activity(v1::ACTIVITY_HOME_VISIT);
  request.set_date("2025-13-01");
  v1::CheckQualificationResponse response;
  EXPECT_EQ(Call(&Stub::CheckQualification, System(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_date("2025-06-07");
  request.set_activity(v1::ACTIVITY_UNSPECIFIED);
  EXPECT_EQ(Call(&Stub::CheckQualification, System(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_activity(v1::ACTIVITY_HOME_VISIT);
  Principal xixia = Make(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, "gov-xixia", {"640105"});
  EXPECT_EQ(Call(&Stub::CheckQualification, xixia, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(&Stub::CheckQualification, Make(common::v1::ROLE_FINANCE_OFFICER, "gov", {"532329"}),
                 request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.set_participant_id("01JD0000000000000000000000");
  EXPECT_EQ(Call(&Stub::CheckQualification, System(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(QualificationTest, Batch_AnswersInOrder_UnknownAndOutOfScopeAsUnknown) {
  v1::Course course = CreateCourse("SAFE-101", {v1::ACTIVITY_HOME_VISIT});
  v1::Participant qualified = QualifiedVolunteerBase();
  Certify(course.id(), qualified.id(), absl::CivilDay(2025, 3, 8));
  v1::Participant untrained = QualifiedVolunteerBase();
  const Principal xixia = Make(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, "gov-xixia", {"640105"});
  v1::Participant elsewhere = RegisterVolunteer("ngo-xixia", "640105001", &xixia);
  v1::BatchCheckQualificationRequest request;
  request.add_participant_ids(untrained.id());
  request.add_participant_ids("01JD0000000000000000000000");
  request.add_participant_ids(qualified.id());
  request.add_participant_ids(elsewhere.id());
  request.set_activity(v1::ACTIVITY_HOME_VISIT);
  request.set_date("2025-06-07");
  v1::BatchCheckQualificationResponse response;
  ASSERT_TRUE(Call(&Stub::BatchCheckQualification, Officer(), request, &response).ok());
  ASSERT_EQ(response.results_size(), 4);
  EXPECT_EQ(response.results(0).participant_id(), untrained.id());
  EXPECT_EQ(Reasons(response.results(0)), R{v1::QUALIFICATION_REASON_MISSING_COURSE});
  EXPECT_EQ(Reasons(response.results(1)), R{v1::QUALIFICATION_REASON_PARTICIPANT_UNKNOWN});
  EXPECT_TRUE(response.results(2).qualified());
  EXPECT_EQ(Reasons(response.results(3)), R{v1::QUALIFICATION_REASON_PARTICIPANT_UNKNOWN});
  // The system role sees everyone.
  ASSERT_TRUE(Call(&Stub::BatchCheckQualification, System(), request, &response).ok());
  EXPECT_EQ(Reasons(response.results(3)),
            (R{v1::QUALIFICATION_REASON_NOT_ACTIVE, v1::QUALIFICATION_REASON_BACKGROUND_CHECK_NOT_CLEARED,
               v1::QUALIFICATION_REASON_MISSING_COURSE}));
  request.add_participant_ids("bad id");
  EXPECT_EQ(Call(&Stub::BatchCheckQualification, System(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace shouhu::training
