// Mandatory reports (强制报告) and reintegration outcomes, against real MariaDB over loopback gRPC: the
// first-response deadline follows the urgency and overdue reports are listed; the reporter is sealed, shown
// to the county only as an institution kind, unsealed for auditors alone; the reporter reads feedback on
// their own reports only; follow-ups due are listed by each case's latest outcome.
#include "absl/strings/match.h"
#include "common/timestamps.h"
#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Coop = v1::CaseCooperationService::Stub;

class CooperationReportTest : public RegistryTest {
 protected:
  CooperationReportTest() {
    // Immediate danger is overdue as soon as it is filed; anything else has a day. No clock is advanced.
    report_deadlines_.immediate_danger = absl::Microseconds(1);
    report_deadlines_.other = absl::Hours(24);
  }

  const Principal school_ = shouhu::testing::MakePrincipal("nurse-zhang", "wuding-no1-school",
                                                           common::v1::ROLE_MANDATED_REPORTER, {"532329"});
  const Principal hospital_ = shouhu::testing::MakePrincipal("doctor-li", "wuding-hospital",
                                                             common::v1::ROLE_MANDATED_REPORTER, {"532329"});

  static v1::FileMandatoryReportRequest Report(const std::string& request_id, v1::ReportUrgency urgency,
                                               const std::string& village = kWudingVillage) {
    v1::FileMandatoryReportRequest r;
    r.set_request_id(request_id);
    r.set_institution_kind(v1::INSTITUTION_KIND_SCHOOL);
    r.set_village_code(village);
    r.set_child_name("王小明");
    r.set_harm_kind(v1::HARM_KIND_PHYSICAL_ABUSE);
    r.set_description("学生手臂多处淤青，称被继父殴打");
    r.set_urgency(urgency);
    return r;
  }

  template <typename Request>
  static Request OnReport(const std::string& request_id, const std::string& report_id) {
    Request r;
    r.set_request_id(request_id);
    r.set_report_id(report_id);
    return r;
  }

  std::vector<std::string> Overdue(const Principal& as) {
    v1::ListOverdueMandatoryReportsRequest r;
    r.set_division_prefix("532329");
    auto listed = Cooperate(&Coop::ListOverdueMandatoryReports, as, r);
    EXPECT_TRUE(listed.ok()) << listed.status();
    std::vector<std::string> ids;
    if (listed.ok())
      for (const auto& report : listed->reports()) ids.push_back(report.report_id());
    return ids;
  }
};

TEST_F(CooperationReportTest, File_DeadlineFollowsUrgency_OverdueListedUntilTheFirstResponse) {
  ASSERT_OK_AND_ASSIGN(auto urgent, Cooperate(&Coop::FileMandatoryReport, school_,
                                              Report("f1", v1::REPORT_URGENCY_IMMEDIATE_DANGER)));
  ASSERT_OK_AND_ASSIGN(
      auto routine, Cooperate(&Coop::FileMandatoryReport, school_, Report("f2", v1::REPORT_URGENCY_OTHER)));
  const v1::MandatoryReport& u = urgent.report();
  EXPECT_EQ(u.status(), v1::MANDATORY_REPORT_STATUS_FILED);
  EXPECT_EQ(FromProtoTimestamp(u.first_response_due_at()) - FromProtoTimestamp(u.filed_at()),
            absl::Microseconds(1));
  EXPECT_EQ(FromProtoTimestamp(routine.report().first_response_due_at()) -
                FromProtoTimestamp(routine.report().filed_at()),
            absl::Hours(24));

  EXPECT_EQ(Overdue(wuding_officer_), std::vector<std::string>{u.report_id()});

  ASSERT_OK_AND_ASSIGN(auto acknowledged,
                       Cooperate(&Coop::AcknowledgeMandatoryReport, wuding_officer_,
                                 OnReport<v1::AcknowledgeMandatoryReportRequest>("k1", u.report_id())));
  EXPECT_EQ(acknowledged.report().status(), v1::MANDATORY_REPORT_STATUS_ACKNOWLEDGED);
  EXPECT_TRUE(acknowledged.report().has_first_response_at());
  EXPECT_TRUE(Overdue(wuding_officer_).empty());
  // Acknowledged once; the retry returns the first answer, a new request is out of order.
  ASSERT_OK(Cooperate(&Coop::AcknowledgeMandatoryReport, wuding_officer_,
                      OnReport<v1::AcknowledgeMandatoryReportRequest>("k1", u.report_id())));
  EXPECT_THAT(Cooperate(&Coop::AcknowledgeMandatoryReport, wuding_officer_,
                        OnReport<v1::AcknowledgeMandatoryReportRequest>("k2", u.report_id())),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Another county neither sees nor answers it.
  EXPECT_THAT(Cooperate(&Coop::AcknowledgeMandatoryReport, xixia_officer_,
                        OnReport<v1::AcknowledgeMandatoryReportRequest>("k3", routine.report().report_id())),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CooperationReportTest, Reporter_IsSealed_ShownAsInstitutionKind_UnsealedForAuditorsOnly) {
  ASSERT_OK_AND_ASSIGN(
      auto filed, Cooperate(&Coop::FileMandatoryReport, school_, Report("f1", v1::REPORT_URGENCY_OTHER)));
  const std::string id = filed.report().report_id();
  EXPECT_FALSE(absl::StrContains(filed.report().DebugString(), "nurse-zhang"));

  v1::GetMandatoryReportRequest get;
  get.set_report_id(id);
  ASSERT_OK_AND_ASSIGN(auto seen, Cooperate(&Coop::GetMandatoryReport, wuding_officer_, get));
  EXPECT_EQ(seen.report().institution_kind(), v1::INSTITUTION_KIND_SCHOOL);
  EXPECT_FALSE(absl::StrContains(seen.report().DebugString(), "nurse-zhang"));
  EXPECT_FALSE(absl::StrContains(seen.report().DebugString(), "wuding-no1-school"));

  v1::UnsealMandatoryReporterRequest unseal;
  unseal.set_report_id(id);
  unseal.set_purpose("审计强制报告处置");
  EXPECT_THAT(Cooperate(&Coop::UnsealMandatoryReporter, wuding_officer_, unseal),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Cooperate(&Coop::UnsealMandatoryReporter, wuding_caseworker_, unseal),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(auto reporter, Cooperate(&Coop::UnsealMandatoryReporter, auditor_, unseal));
  EXPECT_EQ(reporter.reporter_subject(), "nurse-zhang");
  EXPECT_EQ(reporter.reporter_organisation_id(), "wuding-no1-school");

  v1::ListAccessLogRequest log;
  log.set_record_id(id);
  log.set_division_prefix("532329");
  ASSERT_OK_AND_ASSIGN(auto entries, Call(&v1::RegistryService::Stub::ListAccessLog, auditor_, log));
  int unsealed = 0;
  for (const auto& e : entries.entries()) unsealed += e.method() == "UnsealMandatoryReporter" ? 1 : 0;
  EXPECT_EQ(unsealed, 1);
}

TEST_F(CooperationReportTest, Reporter_ReadsFeedbackOnOwnReportsOnly) {
  ASSERT_OK_AND_ASSIGN(
      auto filed, Cooperate(&Coop::FileMandatoryReport, school_, Report("f1", v1::REPORT_URGENCY_OTHER)));
  const std::string id = filed.report().report_id();
  auto resolve = OnReport<v1::ResolveMandatoryReportRequest>("r0", id);
  resolve.set_close(true);
  resolve.set_feedback("已上门核实，已联系派出所和妇联介入");
  EXPECT_THAT(Cooperate(&Coop::ResolveMandatoryReport, wuding_officer_, resolve),
              StatusIs(absl::StatusCode::kFailedPrecondition));  // before the first response
  ASSERT_OK(Cooperate(&Coop::AcknowledgeMandatoryReport, wuding_officer_,
                      OnReport<v1::AcknowledgeMandatoryReportRequest>("k1", id)));
  resolve.set_request_id("r1");
  ASSERT_OK_AND_ASSIGN(auto closed, Cooperate(&Coop::ResolveMandatoryReport, wuding_officer_, resolve));
  EXPECT_EQ(closed.report().status(), v1::MANDATORY_REPORT_STATUS_CLOSED);

  ASSERT_OK_AND_ASSIGN(
      auto mine, Cooperate(&Coop::ListMyMandatoryReports, school_, v1::ListMyMandatoryReportsRequest()));
  ASSERT_EQ(mine.reports_size(), 1);
  EXPECT_EQ(mine.reports(0).report_id(), id);
  EXPECT_EQ(mine.reports(0).status(), v1::MANDATORY_REPORT_STATUS_CLOSED);
  EXPECT_EQ(mine.reports(0).feedback(), "已上门核实，已联系派出所和妇联介入");
  ASSERT_OK_AND_ASSIGN(
      auto theirs, Cooperate(&Coop::ListMyMandatoryReports, hospital_, v1::ListMyMandatoryReportsRequest()));
  EXPECT_EQ(theirs.reports_size(), 0);
}

TEST_F(CooperationReportTest, Resolve_LinksToACaseInScopeOnly) {
  v1::Case wuding_case = RegisterChild("1", "王小明");
  v1::Case xixia_case = RegisterChild("2", "马丽", kXixiaVillage);
  ASSERT_OK_AND_ASSIGN(
      auto filed, Cooperate(&Coop::FileMandatoryReport, school_, Report("f1", v1::REPORT_URGENCY_OTHER)));
  const std::string id = filed.report().report_id();
  ASSERT_OK(Cooperate(&Coop::AcknowledgeMandatoryReport, wuding_officer_,
                      OnReport<v1::AcknowledgeMandatoryReportRequest>("k1", id)));
  auto elsewhere = OnReport<v1::ResolveMandatoryReportRequest>("r1", id);
  elsewhere.set_linked_case_id(xixia_case.case_id());
  elsewhere.set_feedback("已纳入个案管理");
  EXPECT_THAT(Cooperate(&Coop::ResolveMandatoryReport, wuding_officer_, elsewhere),
              StatusIs(absl::StatusCode::kNotFound));
  auto linked = OnReport<v1::ResolveMandatoryReportRequest>("r2", id);
  linked.set_linked_case_id(wuding_case.case_id());
  linked.set_feedback("已纳入个案管理");
  ASSERT_OK_AND_ASSIGN(auto resolved, Cooperate(&Coop::ResolveMandatoryReport, wuding_officer_, linked));
  EXPECT_EQ(resolved.report().status(), v1::MANDATORY_REPORT_STATUS_LINKED);
  EXPECT_EQ(resolved.report().linked_case_id(), wuding_case.case_id());
}

TEST_F(CooperationReportTest, AcknowledgeMandatoryReport_AnsweredWithTheReport_LogsTheReportRead) {
  ASSERT_OK_AND_ASSIGN(
      auto filed, Cooperate(&Coop::FileMandatoryReport, school_, Report("f1", v1::REPORT_URGENCY_OTHER)));
  const std::string id = filed.report().report_id();
  const auto acknowledge = OnReport<v1::AcknowledgeMandatoryReportRequest>("k1", id);
  ASSERT_OK_AND_ASSIGN(auto acknowledged,
                       Cooperate(&Coop::AcknowledgeMandatoryReport, wuding_officer_, acknowledge));
  EXPECT_EQ(acknowledged.report().child_name(), "王小明");
  auto logged = AccessLogOf(id, "AcknowledgeMandatoryReport");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].subject(), "officer-wuding");
  EXPECT_EQ(logged[0].record_type(), "report");
  EXPECT_EQ(logged[0].fields(), "child_name,description");

  // The retry is shown the first answer again: one more read, no second acknowledgement.
  ASSERT_OK_AND_ASSIGN(auto again,
                       Cooperate(&Coop::AcknowledgeMandatoryReport, wuding_officer_, acknowledge));
  EXPECT_EQ(again.SerializeAsString(), acknowledged.SerializeAsString());
  EXPECT_EQ(AccessLogOf(id, "AcknowledgeMandatoryReport").size(), 2u);
}

TEST_F(CooperationReportTest, ResolveMandatoryReport_AnsweredWithTheReport_LogsTheReportRead) {
  ASSERT_OK_AND_ASSIGN(
      auto filed, Cooperate(&Coop::FileMandatoryReport, school_, Report("f1", v1::REPORT_URGENCY_OTHER)));
  const std::string id = filed.report().report_id();
  ASSERT_OK(Cooperate(&Coop::AcknowledgeMandatoryReport, wuding_officer_,
                      OnReport<v1::AcknowledgeMandatoryReportRequest>("k1", id)));
  auto resolve = OnReport<v1::ResolveMandatoryReportRequest>("r1", id);
  resolve.set_close(true);
  resolve.set_feedback("已上门核实，已联系派出所和妇联介入");
  ASSERT_OK_AND_ASSIGN(auto closed, Cooperate(&Coop::ResolveMandatoryReport, wuding_officer_, resolve));
  EXPECT_EQ(closed.report().description(), "学生手臂多处淤青，称被继父殴打");
  auto logged = AccessLogOf(id, "ResolveMandatoryReport");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].subject(), "officer-wuding");
  EXPECT_EQ(logged[0].record_type(), "report");
  EXPECT_EQ(logged[0].fields(), "child_name,description");
}

TEST_F(CooperationReportTest, AcknowledgeMandatoryReport_RetryOnceTheCallerLeftTheJurisdiction_IsNotFound) {
  ASSERT_OK_AND_ASSIGN(
      auto filed, Cooperate(&Coop::FileMandatoryReport, school_, Report("f1", v1::REPORT_URGENCY_OTHER)));
  const std::string id = filed.report().report_id();
  const auto acknowledge = OnReport<v1::AcknowledgeMandatoryReportRequest>("k1", id);
  ASSERT_OK(Cooperate(&Coop::AcknowledgeMandatoryReport, wuding_officer_, acknowledge));
  // The same officer, posted to Xixia: their token now holds Xixia alone.
  const Principal posted_away = shouhu::testing::MakePrincipal(
      "officer-wuding", "wuding-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"640105"});
  EXPECT_THAT(Cooperate(&Coop::AcknowledgeMandatoryReport, posted_away, acknowledge),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CooperationReportTest, File_BadInputOrOutsideJurisdiction_NamesTheFieldAndWritesNothing) {
  auto unknown = Report("f1", v1::REPORT_URGENCY_OTHER, "532329101999");
  auto result = Cooperate(&Coop::FileMandatoryReport, school_, unknown);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(result.status()), "village_code");
  EXPECT_THAT(
      Cooperate(&Coop::FileMandatoryReport, school_, Report("f2", v1::REPORT_URGENCY_OTHER, kXixiaVillage)),
      StatusIs(absl::StatusCode::kNotFound));
  auto bad_id = Report("f3", v1::REPORT_URGENCY_OTHER);
  bad_id.set_child_resident_id("53232920140302123");
  auto bad = Cooperate(&Coop::FileMandatoryReport, school_, bad_id);
  EXPECT_EQ(FieldOf(bad.status()), "child_resident_id");
  EXPECT_FALSE(absl::StrContains(bad.status().message(), "53232920140302123"));
  EXPECT_THAT(Cooperate(&Coop::FileMandatoryReport, wuding_officer_, Report("f4", v1::REPORT_URGENCY_OTHER)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Count("mandatory_reports"), 0);
}

TEST_F(CooperationReportTest, Reintegration_FollowUpsDue_ByEachCasesLatestOutcome) {
  v1::Case first = RegisterChild("1", "李娜");
  v1::Case second = RegisterChild("2", "张伟");
  const std::string today = absl::FormatCivilTime(ShanghaiDay(clock_.Now()));
  auto record = [&](const std::string& request_id, const v1::Case& c, v1::ReintegrationOutcomeKind kind,
                    const std::string& follow_up) {
    v1::RecordReintegrationOutcomeRequest r;
    r.set_request_id(request_id);
    r.set_case_id(c.case_id());
    r.set_outcome(kind);
    r.set_detail("返乡后情况");
    r.set_follow_up_date(follow_up);
    return Cooperate(&Coop::RecordReintegrationOutcome, wuding_caseworker_, r);
  };
  ASSERT_OK(record("o1", first, v1::REINTEGRATION_OUTCOME_KIND_FAMILY_REUNIFIED, today));
  ASSERT_OK(record("o2", second, v1::REINTEGRATION_OUTCOME_KIND_IN_SCHOOL, today));
  ASSERT_OK(record("o3", second, v1::REINTEGRATION_OUTCOME_KIND_IN_TRAINING, "2099-03-01"));  // replaces o2
  auto past = record("o4", first, v1::REINTEGRATION_OUTCOME_KIND_EMPLOYED, "2020-01-01");
  EXPECT_EQ(FieldOf(past.status()), "follow_up_date");

  v1::ListReintegrationFollowUpsDueRequest due;
  due.set_due_by(today);
  ASSERT_OK_AND_ASSIGN(auto listed, Cooperate(&Coop::ListReintegrationFollowUpsDue, wuding_caseworker_, due));
  ASSERT_EQ(listed.outcomes_size(), 1);
  EXPECT_EQ(listed.outcomes(0).case_id(), first.case_id());
  EXPECT_EQ(listed.outcomes(0).outcome(), v1::REINTEGRATION_OUTCOME_KIND_FAMILY_REUNIFIED);
  ASSERT_OK_AND_ASSIGN(auto others,
                       Cooperate(&Coop::ListReintegrationFollowUpsDue, other_ngo_caseworker_, due));
  EXPECT_EQ(others.outcomes_size(), 0);
}

}  // namespace
}  // namespace shouhu::registry::testing
