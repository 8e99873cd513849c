// The case lifecycle, its history and its events.
#include "absl/strings/match.h"
#include "shouhu/registry/v1/events.pb.h"
#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;

TEST_F(RegistryTest, CaseLifecycle_FullRun_KeepsHistoryAndPublishesEventsInOrder) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_EQ(c.status(), v1::CASE_STATUS_VERIFYING);

  ASSERT_OK(Call(&v1::RegistryService::Stub::CompleteVerification, wuding_caseworker_,
                 WithCase<v1::CompleteVerificationRequest>("v1", c.case_id())));
  auto risk = WithCase<v1::SetRiskLevelRequest>("k1", c.case_id());
  risk.set_risk_level(v1::RISK_LEVEL_EXTREME);
  risk.set_reason("祖母住院，孩子独自在家");
  ASSERT_OK(Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_caseworker_, risk));
  auto care = WithCase<v1::ChangeCareArrangementRequest>("c1", c.case_id());
  care.mutable_care_arrangement()->set_type(v1::CARE_ARRANGEMENT_TYPE_BOARDING_SCHOOL);
  care.mutable_care_arrangement()->set_caregiver("武定县民族中学");
  care.mutable_care_arrangement()->set_effective_date("2026-09-01");
  care.set_reason("寄宿就读，周末由社工探访");
  ASSERT_OK(Call(&v1::RegistryService::Stub::ChangeCareArrangement, wuding_officer_, care));
  auto transfer = WithCase<v1::TransferCaseRequest>("t1", c.case_id());
  transfer.set_to_organisation_id("ngo-other");
  transfer.set_to_caseworker_id("caseworker-2");
  transfer.set_reason("转介至学校所在地社工站");
  ASSERT_OK(Call(&v1::RegistryService::Stub::TransferCase, wuding_officer_, transfer));
  auto close = WithCase<v1::CloseCaseRequest>("x1", c.case_id());
  close.set_reason("父母返乡，监护恢复");
  ASSERT_OK(Call(&v1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  auto reopen = WithCase<v1::ReopenCaseRequest>("o1", c.case_id());
  reopen.set_reason("父亲再次外出务工");
  ASSERT_OK_AND_ASSIGN(auto reopened, Call(&v1::RegistryService::Stub::ReopenCase, wuding_officer_, reopen));

  const v1::Case& now = reopened.case_();
  EXPECT_EQ(now.status(), v1::CASE_STATUS_ACTIVE);
  EXPECT_EQ(now.organisation_id(), "ngo-other");
  EXPECT_EQ(now.risk_level(), v1::RISK_LEVEL_EXTREME);
  EXPECT_EQ(now.care_arrangement().type(), v1::CARE_ARRANGEMENT_TYPE_BOARDING_SCHOOL);
  std::vector<std::string> actions;
  for (const auto& h : now.history()) actions.push_back(h.action());
  EXPECT_EQ(actions, (std::vector<std::string>{"accepted", "verified", "risk_changed", "care_changed",
                                               "transferred", "closed", "reopened"}));

  std::vector<std::string> types;
  int64_t previous = 0;
  for (const auto& e : Events()) {
    types.push_back(e.type());
    EXPECT_GT(e.sequence(), previous);
    previous = e.sequence();
    EXPECT_EQ(e.aggregate_id(), c.case_id());
  }
  EXPECT_EQ(types, (std::vector<std::string>{
                       "shouhu.registry.v1.CaseAccepted", "shouhu.registry.v1.CaseVerified",
                       "shouhu.registry.v1.RiskLevelChanged", "shouhu.registry.v1.CareArrangementChanged",
                       "shouhu.registry.v1.CaseTransferred", "shouhu.registry.v1.CaseClosed",
                       "shouhu.registry.v1.CaseReopened"}));
}

// A reason at its limit (1,000 characters: a county's long 情况说明) is kept whole after what changed, for
// every change that writes one into the history (it failed at the INSERT: INVALID_ARGUMENT naming no field).
TEST_F(RegistryTest, ReasonsOfTheirFullLength_KeptWholeInTheHistory) {
  std::string reason;
  for (int i = 0; i < 1000; ++i) reason += "情";
  v1::Case c = RegisterChild("1", "李娜");
  auto risk = WithCase<v1::SetRiskLevelRequest>("k1", c.case_id());
  risk.set_risk_level(v1::RISK_LEVEL_EXTREME);
  risk.set_reason(reason);
  ASSERT_OK(Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_caseworker_, risk));
  auto care = WithCase<v1::ChangeCareArrangementRequest>("c1", c.case_id());
  care.mutable_care_arrangement()->set_type(v1::CARE_ARRANGEMENT_TYPE_CHILD_WELFARE_INSTITUTION);
  care.mutable_care_arrangement()->set_caregiver("楚雄州儿童福利院");
  care.mutable_care_arrangement()->set_effective_date("2026-09-01");
  care.set_reason(reason);
  ASSERT_OK(Call(&v1::RegistryService::Stub::ChangeCareArrangement, wuding_officer_, care));
  auto transfer = WithCase<v1::TransferCaseRequest>("t1", c.case_id());
  transfer.set_to_organisation_id(std::string(64, 'n'));
  transfer.set_to_caseworker_id("caseworker-2");
  transfer.set_reason(reason);
  ASSERT_OK_AND_ASSIGN(auto moved, Call(&v1::RegistryService::Stub::TransferCase, wuding_officer_, transfer));
  v1::GetCaseRequest get;
  get.set_purpose("case review");
  get.set_case_id(c.case_id());
  ASSERT_OK_AND_ASSIGN(auto read, Call(&v1::RegistryService::Stub::GetCase, wuding_officer_, get));
  ASSERT_EQ(read.case_().history_size(), 4);
  for (int i = 1; i < 4; ++i) {
    const std::string& detail = read.case_().history(i).detail();
    EXPECT_TRUE(absl::EndsWith(detail, reason)) << read.case_().history(i).action();
  }

  ASSERT_OK_AND_ASSIGN(auto referral, Submit(wuding_caseworker_, Referral("r2", "王芳")));
  v1::TransferReferralRequest hand_over;
  hand_over.set_request_id("t2");
  hand_over.set_referral_id(referral.referral_id());
  hand_over.set_to_organisation_id(std::string(64, 'm'));
  hand_over.set_reason(reason);
  ASSERT_OK(Call(&v1::RegistryService::Stub::TransferReferral, wuding_caseworker_, hand_over));
  EXPECT_EQ(Count("referral_history WHERE action = 'transferred'"), 1);
}

TEST_F(RegistryTest, CaseEvents_CarryTheirPayload) {
  v1::Case c = RegisterChild("1", "李娜");
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  v1::CaseAccepted accepted;
  ASSERT_TRUE(events[0].payload().UnpackTo(&accepted));
  EXPECT_EQ(accepted.case_id(), c.case_id());
  EXPECT_EQ(accepted.child_id(), c.child_id());
  EXPECT_EQ(accepted.village_code(), kWudingVillage);
  EXPECT_EQ(accepted.risk_level(), v1::RISK_LEVEL_HIGH);
}

TEST_F(RegistryTest, IllegalTransitions_AreFailedPreconditionAndChangeNothing) {
  v1::Case c = RegisterChild("1", "李娜");
  EXPECT_THAT(Call(&v1::RegistryService::Stub::ReopenCase, wuding_officer_,
                   [&] {
                     auto r = WithCase<v1::ReopenCaseRequest>("o1", c.case_id());
                     r.set_reason("x");
                     return r;
                   }()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto close = WithCase<v1::CloseCaseRequest>("x1", c.case_id());
  close.set_reason("核实后不符合条件");
  ASSERT_OK(Call(&v1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  close.set_request_id("x2");
  EXPECT_THAT(Call(&v1::RegistryService::Stub::CloseCase, wuding_officer_, close),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Call(&v1::RegistryService::Stub::CompleteVerification, wuding_officer_,
                   WithCase<v1::CompleteVerificationRequest>("v1", c.case_id())),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto risk = WithCase<v1::SetRiskLevelRequest>("k1", c.case_id());
  risk.set_risk_level(v1::RISK_LEVEL_LOW);
  risk.set_reason("x");
  EXPECT_THAT(Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_officer_, risk),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Count("case_history"), 2);  // accepted, closed
  EXPECT_EQ(Count("outbox_events"), 2);
}

TEST_F(RegistryTest, CaseChanges_RetriedWithSameRequestId_ApplyOnce) {
  v1::Case c = RegisterChild("1", "李娜");
  auto risk = WithCase<v1::SetRiskLevelRequest>("k1", c.case_id());
  risk.set_risk_level(v1::RISK_LEVEL_EXTREME);
  risk.set_reason("独自在家");
  ASSERT_OK(Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_officer_, risk));
  ASSERT_OK(Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_officer_, risk));
  EXPECT_EQ(Count("case_history WHERE action = 'risk_changed'"), 1);
  risk.set_risk_level(v1::RISK_LEVEL_LOW);
  EXPECT_THAT(Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_officer_, risk),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RegistryTest, Case_OutsideJurisdictionOrOrganisation_IsNotFoundForReadsAndChanges) {
  v1::Case c = RegisterChild("1", "李娜");
  v1::GetCaseRequest get;
  get.set_purpose("case review");
  get.set_case_id(c.case_id());
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetCase, xixia_officer_, get),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetCase, other_ngo_caseworker_, get),
              StatusIs(absl::StatusCode::kNotFound));
  auto close = WithCase<v1::CloseCaseRequest>("x1", c.case_id());
  close.set_reason("x");
  EXPECT_THAT(Call(&v1::RegistryService::Stub::CloseCase, xixia_officer_, close),
              StatusIs(absl::StatusCode::kNotFound));
  // Closing is the county's; the other organisation's caseworker cannot even change the risk of a case it
  // does not hold.
  auto risk = WithCase<v1::SetRiskLevelRequest>("r1", c.case_id());
  risk.set_risk_level(v1::RISK_LEVEL_LOW);
  risk.set_reason("x");
  EXPECT_THAT(Call(&v1::RegistryService::Stub::SetRiskLevel, other_ngo_caseworker_, risk),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto mine, Call(&v1::RegistryService::Stub::GetCase, wuding_caseworker_, get));
  EXPECT_EQ(mine.case_().status(), v1::CASE_STATUS_VERIFYING);
}

// A case's care arrangement (the caregiver's name) and history (why its risk changed) are the child's
// personal data: GetCase is logged under the child, with who and why, as GetChild is. It was answered with
// no log, and without a purpose.
TEST_F(RegistryTest, GetCase_LoggedUnderTheChildWithItsPurpose_ABlankPurposeIsRefused) {
  v1::Case c = RegisterChild("1", "李娜");
  v1::GetCaseRequest get;
  get.set_case_id(c.case_id());
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetCase, wuding_caseworker_, get),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(AccessLogOf(c.child_id(), "GetCase").empty());
  get.set_purpose("周末家访准备");
  ASSERT_OK(Call(&v1::RegistryService::Stub::GetCase, wuding_caseworker_, get));
  const std::vector<v1::AccessLogEntry> logged = AccessLogOf(c.child_id(), "GetCase");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].subject(), wuding_caseworker_.subject());
  EXPECT_EQ(logged[0].purpose(), "周末家访准备");
  EXPECT_EQ(logged[0].fields(), "case,care_arrangement,history");
}

// A change is answered with the case as changed, its history (others' reasons) and care arrangement
// included: that answer is a read of the child, logged as GetCase's is; its retry, answered again, too. A
// refused change shows nothing and logs nothing.
TEST_F(RegistryTest, CaseChangeAnswers_LoggedAsReadsOfTheChild) {
  v1::Case c = RegisterChild("1", "李娜");
  auto risk = WithCase<v1::SetRiskLevelRequest>("k1", c.case_id());
  risk.set_risk_level(v1::RISK_LEVEL_EXTREME);
  risk.set_reason("祖母住院，孩子独自在家");
  ASSERT_OK(Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_caseworker_, risk));
  std::vector<v1::AccessLogEntry> logged = AccessLogOf(c.child_id(), "SetRiskLevel");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].subject(), wuding_caseworker_.subject());
  EXPECT_EQ(logged[0].fields(), "case,care_arrangement,history");
  EXPECT_FALSE(logged[0].purpose().empty());
  ASSERT_OK(Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_caseworker_, risk));
  EXPECT_EQ(AccessLogOf(c.child_id(), "SetRiskLevel").size(), 2u);

  auto close = WithCase<v1::CloseCaseRequest>("x1", c.case_id());
  close.set_reason("监护恢复");
  ASSERT_OK(Call(&v1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  EXPECT_EQ(AccessLogOf(c.child_id(), "CloseCase").size(), 1u);
  close.set_request_id("x2");
  EXPECT_THAT(Call(&v1::RegistryService::Stub::CloseCase, wuding_officer_, close),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(AccessLogOf(c.child_id(), "CloseCase").size(), 1u);
}

TEST_F(RegistryTest, TransferCase_UnsignedWithEmptyBody_IsUnauthenticatedBeforeAnyValidation) {
  // It answered INVALID_ARGUMENT `to_organisation_id` before: validation ran before authentication.
  grpc::ClientContext unsigned_context;
  v1::TransferCaseResponse response;
  EXPECT_EQ(stub_->TransferCase(&unsigned_context, v1::TransferCaseRequest(), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RegistryTest, StreamEvents_ResumesAfterASequence_AndIsForSystemCallersOnly) {
  RegisterChild("1", "李娜");
  RegisterChild("2", "王芳");
  auto all = Events();
  ASSERT_EQ(all.size(), 2u);
  v1::StreamEventsRequest request;
  request.set_after_sequence(all[0].sequence());
  auto context = principals_.Context(system_);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  auto reader = stub_->StreamEvents(context.get(), request);
  v1::StreamEventsResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.event().event_id(), all[1].event_id());
  (void)reader->Finish();

  auto denied_context = principals_.Context(wuding_caseworker_);
  auto denied = stub_->StreamEvents(denied_context.get(), request);
  EXPECT_FALSE(denied->Read(&response));
  EXPECT_EQ(denied->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// The stream is the whole region's case events (child, village, organisation, risk), unscoped: for the
// services that follow it, never for a person, whose reads are scoped to their jurisdiction.
TEST_F(RegistryTest, StreamEvents_CountyAuditor_IsRefusedAndGetsNoEventOfAnotherCounty) {
  RegisterChild("x", "马丽", kXixiaVillage);
  const Principal wuding_auditor =
      shouhu::testing::MakePrincipal("auditor-wuding", "wuding-audit", common::v1::ROLE_AUDITOR, {"532329"});
  auto context = principals_.Context(wuding_auditor);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(700));
  auto reader = stub_->StreamEvents(context.get(), v1::StreamEventsRequest());
  v1::StreamEventsResponse response;
  int delivered = 0;
  while (reader->Read(&response)) ++delivered;
  EXPECT_EQ(delivered, 0);
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace shouhu::registry::testing
