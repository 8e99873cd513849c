// The cooperation rules without a database: who may consent and what a consent covers; the service-referral,
// county-transfer and mandatory-report state machines with every guard; report deadlines; and a table of
// bad requests, each naming its field.
#include <gtest/gtest.h>

#include <functional>

#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/registry/consent_coverage.h"
#include "services/registry/cooperation_access.h"
#include "services/registry/cooperation_validation.h"
#include "services/registry/county_transfer_flow.h"
#include "services/registry/mandatory_report_flow.h"
#include "services/registry/service_referral_flow.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_server.h"
#include "tests/unit/registry/rules_actor.h"

namespace shouhu::registry {
namespace {

using ::shouhu::testing::MakePrincipal;
using ::shouhu::testing::StatusIs;

using ::shouhu::registry::testing::kActor;
const absl::CivilDay kToday(2026, 12, 1);

v1::Consenter Guardian() {
  v1::Consenter c;
  c.set_kind(v1::CONSENTER_KIND_GUARDIAN);
  c.set_relationship(v1::GUARDIAN_RELATIONSHIP_GRANDPARENT);
  return c;
}

v1::Consenter Child() {
  v1::Consenter c;
  c.set_kind(v1::CONSENTER_KIND_CHILD);
  return c;
}

TEST(Consent, AgeOn_CountsFullYears) {
  EXPECT_EQ(AgeOn(absl::CivilDay(2012, 12, 1), kToday), 14);
  EXPECT_EQ(AgeOn(absl::CivilDay(2012, 12, 2), kToday), 13);
  EXPECT_EQ(AgeOn(absl::CivilDay(2012, 11, 30), kToday), 14);
}

TEST(Consent, ChildUnder14_CannotConsentAlone_GuardianCan) {
  const absl::CivilDay thirteen(2012, 12, 2);
  const absl::Status alone = CheckConsenter(Child(), thirteen, kToday);
  EXPECT_THAT(alone, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(alone), "consenter.kind");
  EXPECT_OK(CheckConsenter(Guardian(), thirteen, kToday));
  EXPECT_OK(CheckConsenter(Child(), absl::CivilDay(2012, 12, 1), kToday));  // 14 today
}

TEST(Consent, GuardianWithoutRelationship_NamesTheField) {
  v1::Consenter g = Guardian();
  g.clear_relationship();
  EXPECT_EQ(FieldOf(CheckConsenter(g, absl::CivilDay(2015, 1, 1), kToday)), "consenter.relationship");
}

v1::Consent Consent(const std::string& id = "c1") {
  v1::Consent c;
  c.set_consent_id(id);
  c.set_recipient_organisation_id("wuding-school");
  c.set_purpose(v1::SHARING_PURPOSE_SCHOOL_REENROLMENT);
  c.set_valid_until("2026-12-31");
  return c;
}

TEST(Consent, Covers_OnlyThatOrganisationPurposeAndPeriod) {
  EXPECT_TRUE(Covers(Consent(), "wuding-school", v1::SHARING_PURPOSE_SCHOOL_REENROLMENT, kToday));
  EXPECT_TRUE(Covers(Consent(), "wuding-school", v1::SHARING_PURPOSE_SCHOOL_REENROLMENT,
                     absl::CivilDay(2026, 12, 31)));  // its last day
  EXPECT_FALSE(
      Covers(Consent(), "wuding-school", v1::SHARING_PURPOSE_SCHOOL_REENROLMENT, absl::CivilDay(2027, 1, 1)));
  EXPECT_FALSE(Covers(Consent(), "wuding-hospital", v1::SHARING_PURPOSE_SCHOOL_REENROLMENT, kToday));
  EXPECT_FALSE(Covers(Consent(), "wuding-school", v1::SHARING_PURPOSE_MEDICAL, kToday));
  v1::Consent withdrawn = Consent();
  *withdrawn.mutable_withdrawn_at() = ToProtoTimestamp(kActor.at);
  EXPECT_FALSE(Covers(withdrawn, "wuding-school", v1::SHARING_PURPOSE_SCHOOL_REENROLMENT, kToday));
}

TEST(Consent, CoveringConsent_SaysWhetherMissingOrLapsed) {
  absl::StatusOr<v1::Consent> none =
      CoveringConsent({}, "wuding-school", v1::SHARING_PURPOSE_SCHOOL_REENROLMENT, kToday);
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(none.status().message().find("missing"), absl::string_view::npos);
  v1::Consent withdrawn = Consent("old");
  *withdrawn.mutable_withdrawn_at() = ToProtoTimestamp(kActor.at);
  absl::StatusOr<v1::Consent> lapsed =
      CoveringConsent({withdrawn}, "wuding-school", v1::SHARING_PURPOSE_SCHOOL_REENROLMENT, kToday);
  EXPECT_THAT(lapsed, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(lapsed.status().message().find("withdrawn or expired"), absl::string_view::npos);
  ASSERT_OK_AND_ASSIGN(v1::Consent chosen, CoveringConsent({withdrawn, Consent("new")}, "wuding-school",
                                                           v1::SHARING_PURPOSE_SCHOOL_REENROLMENT, kToday));
  EXPECT_EQ(chosen.consent_id(), "new");
}

v1::ServiceReferral Sent() {
  v1::ServiceReferral r;
  r.set_status(v1::SERVICE_REFERRAL_STATUS_SENT);
  r.set_village_code("532329101001");
  r.set_from_organisation_id("ngo-wuding");
  r.set_to_organisation_id("wuding-school");
  return r;
}

TEST(ServiceReferralFlow, SentAcceptedCompleted_EveryStepOnce) {
  ASSERT_OK_AND_ASSIGN(v1::ServiceReferral accepted, AcceptServiceReferral(Sent(), kActor));
  EXPECT_EQ(accepted.status(), v1::SERVICE_REFERRAL_STATUS_ACCEPTED);
  EXPECT_TRUE(accepted.has_decided_at());
  EXPECT_THAT(AcceptServiceReferral(accepted, kActor), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(RejectServiceReferral(accepted, kActor, "no"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::ServiceReferral done, RecordServiceOutcome(accepted, kActor, "已复学"));
  EXPECT_EQ(done.status(), v1::SERVICE_REFERRAL_STATUS_COMPLETED);
  EXPECT_EQ(done.outcome(), "已复学");
  EXPECT_THAT(RecordServiceOutcome(done, kActor, "again"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ServiceReferralFlow, OutcomeBeforeAcceptance_OrAfterRejection_IsRefused) {
  EXPECT_THAT(RecordServiceOutcome(Sent(), kActor, "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::ServiceReferral rejected, RejectServiceReferral(Sent(), kActor, "名额已满"));
  EXPECT_EQ(rejected.status(), v1::SERVICE_REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(rejected.decision_reason(), "名额已满");
  EXPECT_THAT(AcceptServiceReferral(rejected, kActor), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(RecordServiceOutcome(rejected, kActor, "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ServiceReferralAccess, OnlyTheReceivingOrganisationAnswers) {
  const Principal school =
      MakePrincipal("teacher", "wuding-school", common::v1::ROLE_NGO_CASEWORKER, {"5323"});
  const Principal sender = MakePrincipal("cw", "ngo-wuding", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal stranger = MakePrincipal("cw", "ngo-other", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  EXPECT_OK(RequireReceiver(school, Sent()));
  EXPECT_THAT(RequireReceiver(sender, Sent()), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(RequireReceiver(stranger, Sent()), StatusIs(absl::StatusCode::kNotFound));
}

v1::CountyTransfer Requested() {
  v1::CountyTransfer t;
  t.set_status(v1::COUNTY_TRANSFER_STATUS_REQUESTED);
  t.set_from_village_code("532329101001");
  t.set_to_village_code("640105001002");
  t.set_from_organisation_id("ngo-wuding");
  return t;
}

TEST(CountyTransferFlow, EachDecisionOnlyFromRequested) {
  ASSERT_OK_AND_ASSIGN(v1::CountyTransfer accepted, AcceptCountyTransfer(Requested(), kActor));
  EXPECT_EQ(accepted.status(), v1::COUNTY_TRANSFER_STATUS_ACCEPTED);
  EXPECT_EQ(accepted.decided_by(), "officer-1");
  EXPECT_THAT(CancelCountyTransfer(accepted, kActor, "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(RejectCountyTransfer(accepted, kActor, "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::CountyTransfer cancelled, CancelCountyTransfer(Requested(), kActor, "搬回"));
  EXPECT_THAT(AcceptCountyTransfer(cancelled, kActor), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::CountyTransfer rejected, RejectCountyTransfer(Requested(), kActor, "不在本县"));
  EXPECT_THAT(AcceptCountyTransfer(rejected, kActor), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(CountyTransferFlow, DestinationInTheSameCounty_NamesTheField) {
  const absl::Status same = CheckTransferDestination("532329101001", "532329101002");
  EXPECT_THAT(same, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(same), "to_village_code");
  EXPECT_OK(CheckTransferDestination("532329101001", "640105001002"));
}

TEST(CountyTransferFlow, ReceivingOrganisation_NamedOrTheAcceptingOfficers) {
  EXPECT_EQ(ReceivingOrganisation(Requested(), kActor), "wuding-civil-affairs");
  v1::CountyTransfer named = Requested();
  named.set_to_organisation_id("ngo-xixia");
  EXPECT_EQ(ReceivingOrganisation(named, kActor), "ngo-xixia");
}

TEST(CountyTransferAccess, EachSideTakesOnlyItsOwnSteps) {
  const Principal xixia =
      MakePrincipal("o", "xixia-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"640105"});
  const Principal wuding =
      MakePrincipal("o", "wuding-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  const Principal elsewhere = MakePrincipal("o", "x", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"330723"});
  EXPECT_OK(RequireReceivingSide(xixia, Requested()));
  EXPECT_THAT(RequireReceivingSide(wuding, Requested()), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(RequireReceivingSide(elsewhere, Requested()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(RequireSendingSide(wuding, Requested()));
  EXPECT_THAT(RequireSendingSide(xixia, Requested()), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(MandatoryReportFlow, Deadline_FollowsUrgency) {
  const ReportDeadlines deadlines{absl::Hours(2), absl::Hours(24)};
  const absl::Time filed = kActor.at;
  EXPECT_EQ(FirstResponseDue(filed, v1::REPORT_URGENCY_IMMEDIATE_DANGER, deadlines), filed + absl::Hours(2));
  EXPECT_EQ(FirstResponseDue(filed, v1::REPORT_URGENCY_OTHER, deadlines), filed + absl::Hours(24));
}

TEST(MandatoryReportFlow, Overdue_OnlyWithoutFirstResponseAndPastDue) {
  v1::MandatoryReport r;
  r.set_status(v1::MANDATORY_REPORT_STATUS_FILED);
  *r.mutable_first_response_due_at() = ToProtoTimestamp(kActor.at);
  EXPECT_FALSE(IsOverdue(r, kActor.at));
  EXPECT_TRUE(IsOverdue(r, kActor.at + absl::Seconds(1)));
  r.set_status(v1::MANDATORY_REPORT_STATUS_ACKNOWLEDGED);
  EXPECT_FALSE(IsOverdue(r, kActor.at + absl::Hours(100)));
}

TEST(MandatoryReportFlow, ResolveBeforeAcknowledge_AndTwice_AreRefused) {
  v1::MandatoryReport filed;
  filed.set_status(v1::MANDATORY_REPORT_STATUS_FILED);
  const Resolution close{"", "", true, "已核实，家庭已接受帮扶"};
  EXPECT_THAT(ResolveReport(filed, kActor, close), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::MandatoryReport acknowledged, AcknowledgeReport(filed, kActor));
  EXPECT_TRUE(acknowledged.has_first_response_at());
  EXPECT_THAT(AcknowledgeReport(acknowledged, kActor), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::MandatoryReport closed, ResolveReport(acknowledged, kActor, close));
  EXPECT_EQ(closed.status(), v1::MANDATORY_REPORT_STATUS_CLOSED);
  EXPECT_EQ(closed.feedback(), close.feedback);
  EXPECT_THAT(ResolveReport(closed, kActor, close), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(
      v1::MandatoryReport linked,
      ResolveReport(acknowledged, kActor, {"", "01JCASE0000000000000000000", false, "转入个案"}));
  EXPECT_EQ(linked.status(), v1::MANDATORY_REPORT_STATUS_LINKED);
}

// ---- bad input: each case breaks one field of a valid request, which must be named.

v1::CreateServiceReferralRequest GoodReferral() {
  v1::CreateServiceReferralRequest r;
  r.set_request_id("r1");
  r.set_case_id("01JCASE0000000000000000000");
  r.set_to_organisation_id("wuding-school");
  r.set_service(v1::SHARING_PURPOSE_SCHOOL_REENROLMENT);
  r.set_due_date("2026-12-20");
  r.set_note("协助复学");
  return r;
}

TEST(CooperationValidation, CreateServiceReferral_EachBadFieldNamed) {
  EXPECT_OK(ValidateCreateServiceReferral(GoodReferral(), kToday));
  struct Case {
    const char* field;
    std::function<void(v1::CreateServiceReferralRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"case_id", [](auto& r) { r.set_case_id("nope"); }},
      {"to_organisation_id", [](auto& r) { r.set_to_organisation_id("has space"); }},
      {"service", [](auto& r) { r.set_service(v1::SHARING_PURPOSE_UNSPECIFIED); }},
      {"due_date", [](auto& r) { r.set_due_date("2026-11-30"); }},
      {"due_date", [](auto& r) { r.set_due_date("2026-02-30"); }},
      {"note", [](auto& r) { r.set_note("   "); }},
  };
  for (const auto& c : cases) {
    v1::CreateServiceReferralRequest r = GoodReferral();
    c.spoil(r);
    const absl::Status s = ValidateCreateServiceReferral(r, kToday);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_EQ(FieldOf(s), c.field);
  }
}

v1::FileMandatoryReportRequest GoodReport() {
  v1::FileMandatoryReportRequest r;
  r.set_request_id("r1");
  r.set_institution_kind(v1::INSTITUTION_KIND_SCHOOL);
  r.set_village_code("532329101001");
  r.set_harm_kind(v1::HARM_KIND_NEGLECT);
  r.set_description("学生连续一周未到校，家中无成人");
  r.set_urgency(v1::REPORT_URGENCY_OTHER);
  return r;
}

TEST(CooperationValidation, FileMandatoryReport_EachBadFieldNamed) {
  EXPECT_OK(ValidateFileMandatoryReport(GoodReport(), kToday));
  struct Case {
    const char* field;
    std::function<void(v1::FileMandatoryReportRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"institution_kind", [](auto& r) { r.set_institution_kind(v1::INSTITUTION_KIND_UNSPECIFIED); }},
      {"village_code", [](auto& r) { r.set_village_code("532329"); }},
      {"child_resident_id", [](auto& r) { r.set_child_resident_id("53232920150101000"); }},  // 17 characters
      {"harm_kind", [](auto& r) { r.set_harm_kind(static_cast<v1::HarmKind>(99)); }},
      {"description", [](auto& r) { r.clear_description(); }},
      {"urgency", [](auto& r) { r.clear_urgency(); }},
  };
  for (const auto& c : cases) {
    v1::FileMandatoryReportRequest r = GoodReport();
    c.spoil(r);
    const absl::Status s = ValidateFileMandatoryReport(r, kToday).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_EQ(FieldOf(s), c.field);
  }
}

TEST(CooperationValidation, ResolveMandatoryReport_ExactlyOneOutcome) {
  v1::ResolveMandatoryReportRequest r;
  r.set_request_id("r1");
  r.set_report_id("01JREP00000000000000000000");
  r.set_feedback("已处理");
  EXPECT_EQ(FieldOf(ValidateResolveMandatoryReport(r)), "linked_referral_id");
  r.set_close(true);
  EXPECT_OK(ValidateResolveMandatoryReport(r));
  r.set_linked_case_id("01JCASE0000000000000000000");
  EXPECT_EQ(FieldOf(ValidateResolveMandatoryReport(r)), "linked_referral_id");
}

TEST(CooperationValidation, RequestCountyTransfer_NeedsAVillageCode) {
  v1::RequestCountyTransferRequest r;
  r.set_request_id("r1");
  r.set_case_id("01JCASE0000000000000000000");
  r.set_to_village_code("640105");
  r.set_reason("随父母迁居");
  EXPECT_EQ(FieldOf(ValidateRequestCountyTransfer(r)), "to_village_code");
  r.set_to_village_code("640105001002");
  EXPECT_OK(ValidateRequestCountyTransfer(r));
}

}  // namespace
}  // namespace shouhu::registry
