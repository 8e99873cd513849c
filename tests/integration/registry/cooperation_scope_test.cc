// The scope table of CaseCooperationService: for every method, a caller with the method's role but outside
// the record's scope (another county, another organisation) is answered NOT_FOUND, or an empty list, and
// nothing is written. The table must name every method the proto declares, so a new method fails here until
// its row is added.
#include <set>

#include "google/protobuf/descriptor.h"
#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::registry::testing {
namespace {

using Coop = v1::CaseCooperationService::Stub;

class CooperationScopeTest : public RegistryTest {
 protected:
  const Principal school_ = shouhu::testing::MakePrincipal("teacher-1", "wuding-school",
                                                           common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal reporter_ = shouhu::testing::MakePrincipal("nurse-zhang", "wuding-no1-school",
                                                             common::v1::ROLE_MANDATED_REPORTER, {"532329"});
  const Principal xixia_reporter_ = shouhu::testing::MakePrincipal(
      "nurse-ma", "xixia-school", common::v1::ROLE_MANDATED_REPORTER, {"640105"});
  const Principal third_county_officer_ = shouhu::testing::MakePrincipal(
      "officer-jinhua", "wuyi-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"330723"});
  const Principal xixia_auditor_ =
      shouhu::testing::MakePrincipal("auditor-nx", "nx-audit", common::v1::ROLE_AUDITOR, {"64"});

  std::vector<int64_t> Written() {
    std::vector<int64_t> counts;
    for (const char* table :
         {"consents", "service_referrals", "county_transfers", "mandatory_reports", "reintegration_outcomes",
          "pii_access_reads", "pii_access_records_by_week", "case_history"}) {
      counts.push_back(Count(table));
    }
    return counts;
  }
};

// Items a call returned: 1 for a single record, the size of a list.
template <typename Response>
absl::StatusOr<int> One(const absl::StatusOr<Response>& r) {
  if (!r.ok()) return r.status();
  return 1;
}

TEST_F(CooperationScopeTest, EveryMethod_OutOfScopeCaller_IsNotFoundOrEmptyAndWritesNothing) {
  v1::Case c = RegisterChild("1", "李娜");
  v1::RecordConsentRequest consent;
  consent.set_request_id("c1");
  consent.set_case_id(c.case_id());
  consent.mutable_consenter()->set_kind(v1::CONSENTER_KIND_GUARDIAN);
  consent.mutable_consenter()->set_relationship(v1::GUARDIAN_RELATIONSHIP_FATHER);
  consent.set_recipient_organisation_id("wuding-school");
  consent.set_purpose(v1::SHARING_PURPOSE_SCHOOL_REENROLMENT);
  consent.set_valid_until("2099-12-31");
  ASSERT_OK_AND_ASSIGN(auto recorded, Cooperate(&Coop::RecordConsent, wuding_caseworker_, consent));
  v1::CreateServiceReferralRequest referral;
  referral.set_request_id("s1");
  referral.set_case_id(c.case_id());
  referral.set_to_organisation_id("wuding-school");
  referral.set_service(v1::SHARING_PURPOSE_SCHOOL_REENROLMENT);
  referral.set_due_date("2099-01-01");
  referral.set_note("复学");
  ASSERT_OK_AND_ASSIGN(auto sent, Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, referral));
  const std::string referral_id = sent.service_referral().service_referral_id();
  v1::RequestCountyTransferRequest move;
  move.set_request_id("t1");
  move.set_case_id(c.case_id());
  move.set_to_village_code(kXixiaVillage);
  move.set_reason("随父母迁居");
  ASSERT_OK_AND_ASSIGN(auto requested, Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, move));
  const std::string transfer_id = requested.transfer().transfer_id();
  v1::FileMandatoryReportRequest report;
  report.set_request_id("f1");
  report.set_institution_kind(v1::INSTITUTION_KIND_SCHOOL);
  report.set_village_code(kWudingVillage);
  report.set_harm_kind(v1::HARM_KIND_NEGLECT);
  report.set_description("长期无人照看");
  report.set_urgency(v1::REPORT_URGENCY_IMMEDIATE_DANGER);
  ASSERT_OK_AND_ASSIGN(auto filed, Cooperate(&Coop::FileMandatoryReport, reporter_, report));
  const std::string report_id = filed.report().report_id();
  v1::RecordReintegrationOutcomeRequest outcome;
  outcome.set_request_id("o1");
  outcome.set_case_id(c.case_id());
  outcome.set_outcome(v1::REINTEGRATION_OUTCOME_KIND_FAMILY_REUNIFIED);
  outcome.set_follow_up_date(absl::FormatCivilTime(ShanghaiDay(clock_.Now())));
  ASSERT_OK(Cooperate(&Coop::RecordReintegrationOutcome, wuding_caseworker_, outcome));

  const auto before = Written();
  const std::vector<std::pair<std::string, std::function<absl::StatusOr<int>()>>> rows = {
      {"RecordConsent",
       [&] {
         consent.set_request_id("oos");
         return One(Cooperate(&Coop::RecordConsent, xixia_officer_, consent));
       }},
      {"WithdrawConsent",
       [&] {
         v1::WithdrawConsentRequest r;
         r.set_request_id("oos");
         r.set_consent_id(recorded.consent().consent_id());
         r.set_reason("撤回");
         return One(Cooperate(&Coop::WithdrawConsent, other_ngo_caseworker_, r));
       }},
      {"ListConsents",
       [&] {
         v1::ListConsentsRequest r;
         r.set_case_id(c.case_id());
         return One(Cooperate(&Coop::ListConsents, xixia_officer_, r));
       }},
      {"CreateServiceReferral",
       [&] {
         referral.set_request_id("oos");
         return One(Cooperate(&Coop::CreateServiceReferral, other_ngo_caseworker_, referral));
       }},
      {"GetServiceReferral",
       [&] {
         v1::GetServiceReferralRequest r;
         r.set_service_referral_id(referral_id);
         r.set_purpose("查看");
         return One(Cooperate(&Coop::GetServiceReferral, other_ngo_caseworker_, r));
       }},
      {"ListServiceReferrals",
       [&]() -> absl::StatusOr<int> {
         v1::ListServiceReferralsRequest r;
         r.set_direction(v1::DIRECTION_OUTGOING);
         auto listed = Cooperate(&Coop::ListServiceReferrals, other_ngo_caseworker_, r);
         if (!listed.ok()) return listed.status();
         r.set_direction(v1::DIRECTION_INCOMING);
         auto incoming = Cooperate(&Coop::ListServiceReferrals, xixia_officer_, r);
         if (!incoming.ok()) return incoming.status();
         return listed->service_referrals_size() + incoming->service_referrals_size();
       }},
      {"AcceptServiceReferral",
       [&] {
         v1::AcceptServiceReferralRequest r;
         r.set_request_id("oos");
         r.set_service_referral_id(referral_id);
         return One(Cooperate(&Coop::AcceptServiceReferral, other_ngo_caseworker_, r));
       }},
      {"RejectServiceReferral",
       [&] {
         v1::RejectServiceReferralRequest r;
         r.set_request_id("oos");
         r.set_service_referral_id(referral_id);
         r.set_reason("不接收");
         return One(Cooperate(&Coop::RejectServiceReferral, other_ngo_caseworker_, r));
       }},
      {"RecordServiceOutcome",
       [&] {
         v1::RecordServiceOutcomeRequest r;
         r.set_request_id("oos");
         r.set_service_referral_id(referral_id);
         r.set_outcome("完成");
         return One(Cooperate(&Coop::RecordServiceOutcome, other_ngo_caseworker_, r));
       }},
      {"RequestCountyTransfer",
       [&] {
         move.set_request_id("oos");
         return One(Cooperate(&Coop::RequestCountyTransfer, other_ngo_caseworker_, move));
       }},
      {"AcceptCountyTransfer",
       [&] {
         v1::AcceptCountyTransferRequest r;
         r.set_request_id("oos");
         r.set_transfer_id(transfer_id);
         return One(Cooperate(&Coop::AcceptCountyTransfer, third_county_officer_, r));
       }},
      {"RejectCountyTransfer",
       [&] {
         v1::RejectCountyTransferRequest r;
         r.set_request_id("oos");
         r.set_transfer_id(transfer_id);
         r.set_reason("拒绝");
         return One(Cooperate(&Coop::RejectCountyTransfer, third_county_officer_, r));
       }},
      {"CancelCountyTransfer",
       [&] {
         v1::CancelCountyTransferRequest r;
         r.set_request_id("oos");
         r.set_transfer_id(transfer_id);
         r.set_reason("撤回");
         return One(Cooperate(&Coop::CancelCountyTransfer, other_ngo_caseworker_, r));
       }},
      {"ListCountyTransfers",
       [&]() -> absl::StatusOr<int> {
         v1::ListCountyTransfersRequest r;
         r.set_direction(v1::DIRECTION_INCOMING);
         auto listed = Cooperate(&Coop::ListCountyTransfers, third_county_officer_, r);
         if (!listed.ok()) return listed.status();
         r.set_direction(v1::DIRECTION_OUTGOING);
         auto outgoing = Cooperate(&Coop::ListCountyTransfers, other_ngo_caseworker_, r);
         if (!outgoing.ok()) return outgoing.status();
         return listed->transfers_size() + outgoing->transfers_size();
       }},
      {"FileMandatoryReport",
       [&] {
         report.set_request_id("oos");
         return One(Cooperate(&Coop::FileMandatoryReport, xixia_reporter_, report));
       }},
      {"GetMandatoryReport",
       [&] {
         v1::GetMandatoryReportRequest r;
         r.set_report_id(report_id);
         return One(Cooperate(&Coop::GetMandatoryReport, xixia_officer_, r));
       }},
      {"AcknowledgeMandatoryReport",
       [&] {
         v1::AcknowledgeMandatoryReportRequest r;
         r.set_request_id("oos");
         r.set_report_id(report_id);
         return One(Cooperate(&Coop::AcknowledgeMandatoryReport, xixia_officer_, r));
       }},
      {"ResolveMandatoryReport",
       [&] {
         v1::ResolveMandatoryReportRequest r;
         r.set_request_id("oos");
         r.set_report_id(report_id);
         r.set_close(true);
         r.set_feedback("已处理");
         return One(Cooperate(&Coop::ResolveMandatoryReport, xixia_officer_, r));
       }},
      {"ListOverdueMandatoryReports",
       [&]() -> absl::StatusOr<int> {
         auto listed = Cooperate(&Coop::ListOverdueMandatoryReports, xixia_officer_,
                                 v1::ListOverdueMandatoryReportsRequest());
         if (!listed.ok()) return listed.status();
         return listed->reports_size();
       }},
      {"ListMyMandatoryReports",
       [&]() -> absl::StatusOr<int> {
         auto listed =
             Cooperate(&Coop::ListMyMandatoryReports, xixia_reporter_, v1::ListMyMandatoryReportsRequest());
         if (!listed.ok()) return listed.status();
         return listed->reports_size();
       }},
      {"UnsealMandatoryReporter",
       [&] {
         v1::UnsealMandatoryReporterRequest r;
         r.set_report_id(report_id);
         r.set_purpose("审计");
         return One(Cooperate(&Coop::UnsealMandatoryReporter, xixia_auditor_, r));
       }},
      {"RecordReintegrationOutcome",
       [&] {
         outcome.set_request_id("oos");
         return One(Cooperate(&Coop::RecordReintegrationOutcome, other_ngo_caseworker_, outcome));
       }},
      {"ListReintegrationFollowUpsDue",
       [&]() -> absl::StatusOr<int> {
         v1::ListReintegrationFollowUpsDueRequest r;
         r.set_due_by("2099-12-31");
         auto listed = Cooperate(&Coop::ListReintegrationFollowUpsDue, other_ngo_caseworker_, r);
         if (!listed.ok()) return listed.status();
         return listed->outcomes_size();
       }},
  };

  std::set<std::string> covered;
  for (const auto& [method, call] : rows) {
    covered.insert(method);
    absl::StatusOr<int> result = call();
    if (result.ok()) {
      EXPECT_EQ(*result, 0) << method << " showed records outside the caller's scope";
    } else {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound) << method << ": " << result.status();
    }
  }
  EXPECT_EQ(Written(), before);

  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(kCooperationServiceName);
  ASSERT_NE(service, nullptr);
  std::set<std::string> declared;
  for (int m = 0; m < service->method_count(); ++m) declared.insert(service->method(m)->name());
  EXPECT_EQ(covered, declared);
}

}  // namespace
}  // namespace shouhu::registry::testing
