// Consents and service referrals out, against real MariaDB over loopback gRPC: no consent → nothing is
// referred; the receiver sees what the consent covers and the access log names the consent; a withdrawn
// consent blocks the receiver's read and new referrals; every step of the referral and every guard.
#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Coop = v1::CaseCooperationService::Stub;

class CooperationReferralTest : public RegistryTest {
 protected:
  // A school of the same county that receives referrals; not the case's organisation.
  const Principal school_ = shouhu::testing::MakePrincipal("teacher-1", "wuding-school",
                                                           common::v1::ROLE_NGO_CASEWORKER, {"532329"});

  static v1::RecordConsentRequest Consent(const std::string& request_id, const std::string& case_id,
                                          v1::ConsenterKind kind = v1::CONSENTER_KIND_GUARDIAN) {
    v1::RecordConsentRequest r;
    r.set_request_id(request_id);
    r.set_case_id(case_id);
    r.mutable_consenter()->set_kind(kind);
    if (kind == v1::CONSENTER_KIND_GUARDIAN) {
      r.mutable_consenter()->set_relationship(v1::GUARDIAN_RELATIONSHIP_GRANDPARENT);
    }
    r.set_recipient_organisation_id("wuding-school");
    r.set_purpose(v1::SHARING_PURPOSE_SCHOOL_REENROLMENT);
    r.set_valid_until("2099-12-31");
    return r;
  }

  static v1::CreateServiceReferralRequest Referral(const std::string& request_id,
                                                   const std::string& case_id) {
    v1::CreateServiceReferralRequest r;
    r.set_request_id(request_id);
    r.set_case_id(case_id);
    r.set_to_organisation_id("wuding-school");
    r.set_service(v1::SHARING_PURPOSE_SCHOOL_REENROLMENT);
    r.set_due_date("2099-01-15");
    r.set_note("协助孩子返校复学");
    return r;
  }

  absl::StatusOr<v1::GetServiceReferralResponse> Read(const Principal& as, const std::string& id) {
    v1::GetServiceReferralRequest r;
    r.set_service_referral_id(id);
    r.set_purpose("安排复学");
    return Cooperate(&Coop::GetServiceReferral, as, r);
  }

  template <typename Request>
  static Request Step(const std::string& request_id, const std::string& id) {
    Request r;
    r.set_request_id(request_id);
    r.set_service_referral_id(id);
    return r;
  }
};

TEST_F(CooperationReferralTest, CreateServiceReferral_NoConsent_FailedPreconditionNamingItAndNothingWritten) {
  v1::Case c = RegisterChild("1", "李娜");
  auto sent = Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, Referral("r1", c.case_id()));
  EXPECT_THAT(sent, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(sent.status().message().find("consent for wuding-school"), absl::string_view::npos)
      << sent.status();
  EXPECT_NE(sent.status().message().find("missing"), absl::string_view::npos);
  EXPECT_EQ(Count("service_referrals"), 0);

  // A consent for another purpose does not cover it either.
  auto medical = Consent("c1", c.case_id());
  medical.set_purpose(v1::SHARING_PURPOSE_MEDICAL);
  ASSERT_OK(Cooperate(&Coop::RecordConsent, wuding_caseworker_, medical));
  EXPECT_THAT(Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, Referral("r2", c.case_id())),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Count("service_referrals"), 0);
}

TEST_F(CooperationReferralTest, RecordConsent_ChildUnder14Alone_InvalidArgumentOnConsenterAndNothingWritten) {
  v1::Case c = RegisterChild("1", "李娜");  // born 2014
  auto alone = Cooperate(&Coop::RecordConsent, wuding_caseworker_,
                         Consent("c1", c.case_id(), v1::CONSENTER_KIND_CHILD));
  EXPECT_THAT(alone, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(alone.status()), "consenter.kind");
  EXPECT_EQ(Count("consents"), 0);
}

TEST_F(CooperationReferralTest, RecordConsent_OtherOrganisationsCase_NotFoundAndNothingWritten) {
  v1::Case c = RegisterChild("1", "李娜");
  EXPECT_THAT(Cooperate(&Coop::RecordConsent, other_ngo_caseworker_, Consent("c1", c.case_id())),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Cooperate(&Coop::RecordConsent, xixia_officer_, Consent("c1", c.case_id())),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Count("consents"), 0);
}

TEST_F(CooperationReferralTest, ServiceReferral_FullRun_ReceiverSeesCoveredDataAndTheLogNamesTheConsent) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_OK_AND_ASSIGN(auto consent,
                       Cooperate(&Coop::RecordConsent, wuding_caseworker_, Consent("c1", c.case_id())));
  EXPECT_EQ(consent.consent().child_id(), c.child_id());
  ASSERT_OK_AND_ASSIGN(
      auto sent, Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, Referral("r1", c.case_id())));
  const v1::ServiceReferral& r = sent.service_referral();
  EXPECT_EQ(r.status(), v1::SERVICE_REFERRAL_STATUS_SENT);
  EXPECT_EQ(r.consent_id(), consent.consent().consent_id());
  EXPECT_EQ(r.from_organisation_id(), "ngo-wuding");
  EXPECT_FALSE(r.has_child());

  // The receiver sees the child as the consent covers it; the sender is not sent the child this way.
  ASSERT_OK_AND_ASSIGN(auto received, Read(school_, r.service_referral_id()));
  EXPECT_EQ(received.service_referral().child().name(), "李娜");
  EXPECT_EQ(received.service_referral().child().village_code(), kWudingVillage);
  ASSERT_OK_AND_ASSIGN(auto as_sender, Read(wuding_caseworker_, r.service_referral_id()));
  EXPECT_FALSE(as_sender.service_referral().has_child());
  EXPECT_THAT(Read(other_ngo_caseworker_, r.service_referral_id()), StatusIs(absl::StatusCode::kNotFound));

  v1::ListAccessLogRequest log;
  log.set_record_id(c.child_id());
  log.set_division_prefix("532329");
  ASSERT_OK_AND_ASSIGN(auto entries, Call(&v1::RegistryService::Stub::ListAccessLog, auditor_, log));
  int shared = 0;
  for (const auto& e : entries.entries()) {
    if (e.method() != "GetServiceReferral") continue;
    ++shared;
    EXPECT_EQ(e.subject(), "teacher-1");
    EXPECT_EQ(e.organisation_id(), "wuding-school");
    EXPECT_EQ(e.consent_id(), consent.consent().consent_id());
  }
  EXPECT_EQ(shared, 1);

  // Out of order, and the wrong side: refused.
  EXPECT_THAT(Cooperate(&Coop::RecordServiceOutcome, school_,
                        [&] {
                          auto o = Step<v1::RecordServiceOutcomeRequest>("o0", r.service_referral_id());
                          o.set_outcome("已复学");
                          return o;
                        }()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Cooperate(&Coop::AcceptServiceReferral, wuding_caseworker_,
                        Step<v1::AcceptServiceReferralRequest>("a0", r.service_referral_id())),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Cooperate(&Coop::AcceptServiceReferral, other_ngo_caseworker_,
                        Step<v1::AcceptServiceReferralRequest>("a0", r.service_referral_id())),
              StatusIs(absl::StatusCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(auto accepted,
                       Cooperate(&Coop::AcceptServiceReferral, school_,
                                 Step<v1::AcceptServiceReferralRequest>("a1", r.service_referral_id())));
  EXPECT_EQ(accepted.service_referral().status(), v1::SERVICE_REFERRAL_STATUS_ACCEPTED);
  auto reject = Step<v1::RejectServiceReferralRequest>("x1", r.service_referral_id());
  reject.set_reason("名额已满");
  EXPECT_THAT(Cooperate(&Coop::RejectServiceReferral, school_, reject),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto outcome = Step<v1::RecordServiceOutcomeRequest>("o1", r.service_referral_id());
  outcome.set_outcome("已于12月返校就读五年级");
  ASSERT_OK_AND_ASSIGN(auto done, Cooperate(&Coop::RecordServiceOutcome, school_, outcome));
  EXPECT_EQ(done.service_referral().status(), v1::SERVICE_REFERRAL_STATUS_COMPLETED);
  EXPECT_EQ(done.service_referral().outcome(), "已于12月返校就读五年级");
  EXPECT_TRUE(done.service_referral().has_completed_at());
  // Completed, the referral is the receiver's record; the child's data is no longer shown to it (nor logged).
  ASSERT_OK_AND_ASSIGN(auto after, Read(school_, r.service_referral_id()));
  EXPECT_FALSE(after.service_referral().has_child());
  EXPECT_EQ(after.service_referral().status(), v1::SERVICE_REFERRAL_STATUS_COMPLETED);

  // Retrying a step returns its first answer, even now that the referral has moved on.
  ASSERT_OK_AND_ASSIGN(auto again,
                       Cooperate(&Coop::AcceptServiceReferral, school_,
                                 Step<v1::AcceptServiceReferralRequest>("a1", r.service_referral_id())));
  EXPECT_EQ(again.service_referral().status(), v1::SERVICE_REFERRAL_STATUS_ACCEPTED);

  v1::ListServiceReferralsRequest incoming;
  incoming.set_direction(v1::DIRECTION_INCOMING);
  ASSERT_OK_AND_ASSIGN(auto inbox, Cooperate(&Coop::ListServiceReferrals, school_, incoming));
  ASSERT_EQ(inbox.service_referrals_size(), 1);
  EXPECT_FALSE(inbox.service_referrals(0).has_child());
  v1::ListServiceReferralsRequest outgoing;
  outgoing.set_direction(v1::DIRECTION_OUTGOING);
  ASSERT_OK_AND_ASSIGN(auto outbox, Cooperate(&Coop::ListServiceReferrals, other_ngo_caseworker_, outgoing));
  EXPECT_EQ(outbox.service_referrals_size(), 0);
}

TEST_F(CooperationReferralTest,
       WithdrawnConsent_BlocksTheReceiversReadAndNewReferrals_WithdrawalIsIdempotent) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_OK_AND_ASSIGN(auto consent,
                       Cooperate(&Coop::RecordConsent, wuding_caseworker_, Consent("c1", c.case_id())));
  ASSERT_OK_AND_ASSIGN(
      auto sent, Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, Referral("r1", c.case_id())));
  const std::string id = sent.service_referral().service_referral_id();
  ASSERT_OK(Read(school_, id));

  v1::WithdrawConsentRequest withdraw;
  withdraw.set_request_id("w1");
  withdraw.set_consent_id(consent.consent().consent_id());
  withdraw.set_reason("监护人撤回同意");
  ASSERT_OK_AND_ASSIGN(auto withdrawn, Cooperate(&Coop::WithdrawConsent, wuding_caseworker_, withdraw));
  EXPECT_TRUE(withdrawn.consent().has_withdrawn_at());
  withdraw.set_request_id("w2");  // a second withdrawal changes nothing
  ASSERT_OK_AND_ASSIGN(auto twice, Cooperate(&Coop::WithdrawConsent, wuding_caseworker_, withdraw));
  EXPECT_EQ(twice.consent().withdrawn_at().seconds(), withdrawn.consent().withdrawn_at().seconds());
  EXPECT_EQ(twice.consent().withdrawn_at().nanos(), withdrawn.consent().withdrawn_at().nanos());
  EXPECT_EQ(Count("consents"), 1);  // never deleted

  auto read = Read(school_, id);
  EXPECT_THAT(read, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(read.status().message().find("consent"), absl::string_view::npos);
  auto again = Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, Referral("r2", c.case_id()));
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(again.status().message().find("withdrawn or expired"), absl::string_view::npos);
  EXPECT_EQ(Count("service_referrals"), 1);

  v1::ListConsentsRequest list;
  list.set_case_id(c.case_id());
  ASSERT_OK_AND_ASSIGN(auto consents, Cooperate(&Coop::ListConsents, auditor_, list));
  ASSERT_EQ(consents.consents_size(), 1);
  EXPECT_EQ(consents.consents(0).withdrawal_reason(), "监护人撤回同意");
}

TEST_F(CooperationReferralTest, CreateServiceReferral_Retried_ReturnsTheFirstAnswer_OtherContentRefused) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_OK(Cooperate(&Coop::RecordConsent, wuding_caseworker_, Consent("c1", c.case_id())));
  ASSERT_OK_AND_ASSIGN(
      auto first, Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, Referral("r1", c.case_id())));
  ASSERT_OK_AND_ASSIGN(
      auto retry, Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, Referral("r1", c.case_id())));
  EXPECT_EQ(retry.service_referral().service_referral_id(), first.service_referral().service_referral_id());
  EXPECT_EQ(Count("service_referrals"), 1);
  auto changed = Referral("r1", c.case_id());
  changed.set_note("另一份说明");
  auto refused = Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, changed);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(refused.status()), "request_id");
  EXPECT_EQ(Count("service_referrals"), 1);
}

TEST_F(CooperationReferralTest, CreateServiceReferral_BadInput_NamesTheFieldAndWritesNothing) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_OK(Cooperate(&Coop::RecordConsent, wuding_caseworker_, Consent("c1", c.case_id())));
  struct Case {
    const char* field;
    std::function<void(v1::CreateServiceReferralRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"case_id", [](auto& r) { r.clear_case_id(); }},
      {"to_organisation_id", [](auto& r) { r.set_to_organisation_id("ngo-wuding"); }},  // its own
      {"service", [](auto& r) { r.clear_service(); }},
      {"due_date", [](auto& r) { r.set_due_date("2020-01-01"); }},
      {"note", [](auto& r) { r.clear_note(); }},
  };
  for (const auto& bad : cases) {
    auto r = Referral(std::string("bad-") + bad.field, c.case_id());
    bad.spoil(r);
    auto result = Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, r);
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument)) << bad.field;
    EXPECT_EQ(FieldOf(result.status()), bad.field);
  }
  EXPECT_EQ(Count("service_referrals"), 0);
}

TEST_F(CooperationReferralTest,
       ListServiceReferrals_DivisionPrefix_NarrowsBothDirections_AndAnOfficerOfTwoCountiesNamesOne) {
  constexpr char kSecondTownshipVillage[] = "532329102201";  // 高桥村, 高桥镇, Wuding
  v1::Case first = RegisterChild("1", "李娜");
  v1::Case second = RegisterChild("2", "王芳", kSecondTownshipVillage);
  std::vector<std::string> sent;
  for (const v1::Case* c : {&first, &second}) {
    ASSERT_OK(Cooperate(&Coop::RecordConsent, wuding_caseworker_, Consent("c" + c->case_id(), c->case_id())));
    ASSERT_OK_AND_ASSIGN(auto referral, Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_,
                                                  Referral("r" + c->case_id(), c->case_id())));
    sent.push_back(referral.service_referral().service_referral_id());
  }
  auto list = [&](const Principal& as, v1::Direction direction, const std::string& prefix) {
    v1::ListServiceReferralsRequest request;
    request.set_direction(direction);
    request.set_division_prefix(prefix);
    return Cooperate(&Coop::ListServiceReferrals, as, request);
  };
  auto ids = [](const v1::ListServiceReferralsResponse& response) {
    std::vector<std::string> out;
    for (const auto& r : response.service_referrals()) out.push_back(r.service_referral_id());
    return out;
  };

  ASSERT_OK_AND_ASSIGN(auto all_out, list(wuding_caseworker_, v1::DIRECTION_OUTGOING, ""));
  EXPECT_EQ(ids(all_out).size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto second_out, list(wuding_caseworker_, v1::DIRECTION_OUTGOING, "532329102"));
  EXPECT_EQ(ids(second_out), std::vector<std::string>{sent[1]});
  ASSERT_OK_AND_ASSIGN(auto first_in, list(school_, v1::DIRECTION_INCOMING, "532329101"));
  EXPECT_EQ(ids(first_in), std::vector<std::string>{sent[0]});
  ASSERT_OK_AND_ASSIGN(auto all_in, list(school_, v1::DIRECTION_INCOMING, ""));
  EXPECT_EQ(ids(all_in).size(), 2u);

  // Outside the caller's jurisdictions there is nothing to list; a malformed code is named.
  EXPECT_THAT(list(wuding_caseworker_, v1::DIRECTION_OUTGOING, "640105"),
              StatusIs(absl::StatusCode::kNotFound));
  for (v1::Direction direction : {v1::DIRECTION_OUTGOING, v1::DIRECTION_INCOMING}) {
    auto bad = list(school_, direction, "53x");
    EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(FieldOf(bad.status()), "division_prefix");
  }

  // An officer over two counties names the one to list: without it the request is ambiguous, not empty.
  const Principal two_counties = shouhu::testing::MakePrincipal(
      "officer-2", "prefecture-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329", "640105"});
  auto ambiguous = list(two_counties, v1::DIRECTION_OUTGOING, "");
  EXPECT_THAT(ambiguous, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(ambiguous.status()), "division_prefix");
  ASSERT_OK_AND_ASSIGN(auto wuding_out, list(two_counties, v1::DIRECTION_OUTGOING, "532329"));
  EXPECT_EQ(ids(wuding_out).size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto xixia_out, list(two_counties, v1::DIRECTION_OUTGOING, "640105"));
  EXPECT_EQ(ids(xixia_out).size(), 0u);
}

// A case handed to another organisation of the county takes its cooperation records along: the service
// referrals sent for it, its reintegration follow-ups, its open county transfer request. The organisation
// that handed it over kept reading them (the referral's note, the follow-ups' details) while the one that
// took it saw none, got no follow-up due and could not cancel the request it now owns.
TEST_F(CooperationReferralTest, TransferCase_ItsCooperationRecordsFollowTheCase) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_OK(Cooperate(&Coop::RecordConsent, wuding_caseworker_, Consent("c1", c.case_id())));
  ASSERT_OK_AND_ASSIGN(
      auto sent, Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, Referral("r1", c.case_id())));
  const std::string today = absl::FormatCivilTime(ShanghaiDay(clock_.Now()));
  v1::RecordReintegrationOutcomeRequest outcome;
  outcome.set_request_id("o1");
  outcome.set_case_id(c.case_id());
  outcome.set_outcome(v1::REINTEGRATION_OUTCOME_KIND_FAMILY_REUNIFIED);
  outcome.set_detail("返乡后与祖母同住");
  outcome.set_follow_up_date(today);
  ASSERT_OK(Cooperate(&Coop::RecordReintegrationOutcome, wuding_caseworker_, outcome));
  v1::RequestCountyTransferRequest move;
  move.set_request_id("m1");
  move.set_case_id(c.case_id());
  move.set_to_village_code(kXixiaVillage);
  move.set_reason("随务工父母迁居银川");
  ASSERT_OK_AND_ASSIGN(auto requested, Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, move));

  auto transfer = WithCase<v1::TransferCaseRequest>("t1", c.case_id());
  transfer.set_to_organisation_id("ngo-other");
  transfer.set_to_caseworker_id("caseworker-2");
  transfer.set_reason("就近服务");
  ASSERT_OK(Call(&v1::RegistryService::Stub::TransferCase, wuding_officer_, transfer));

  v1::ListServiceReferralsRequest outgoing;
  outgoing.set_direction(v1::DIRECTION_OUTGOING);
  ASSERT_OK_AND_ASSIGN(auto theirs, Cooperate(&Coop::ListServiceReferrals, wuding_caseworker_, outgoing));
  EXPECT_EQ(theirs.service_referrals_size(), 0);
  ASSERT_OK_AND_ASSIGN(auto ours, Cooperate(&Coop::ListServiceReferrals, other_ngo_caseworker_, outgoing));
  ASSERT_EQ(ours.service_referrals_size(), 1);
  EXPECT_EQ(ours.service_referrals(0).from_organisation_id(), "ngo-other");
  EXPECT_THAT(Read(wuding_caseworker_, sent.service_referral().service_referral_id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(Read(other_ngo_caseworker_, sent.service_referral().service_referral_id()).status());

  v1::ListReintegrationFollowUpsDueRequest due;
  due.set_due_by(today);
  ASSERT_OK_AND_ASSIGN(auto old_side,
                       Cooperate(&Coop::ListReintegrationFollowUpsDue, wuding_caseworker_, due));
  EXPECT_EQ(old_side.outcomes_size(), 0);
  ASSERT_OK_AND_ASSIGN(auto new_side,
                       Cooperate(&Coop::ListReintegrationFollowUpsDue, other_ngo_caseworker_, due));
  EXPECT_EQ(new_side.outcomes_size(), 1);

  v1::CancelCountyTransferRequest cancel;
  cancel.set_request_id("x1");
  cancel.set_transfer_id(requested.transfer().transfer_id());
  cancel.set_reason("孩子暂不随迁");
  EXPECT_THAT(Cooperate(&Coop::CancelCountyTransfer, wuding_caseworker_, cancel),
              StatusIs(absl::StatusCode::kNotFound));
  cancel.set_request_id("x2");
  EXPECT_OK(Cooperate(&Coop::CancelCountyTransfer, other_ngo_caseworker_, cancel).status());
}

// The same records follow the case's village: to another village of the county (MoveHousehold) and to
// another county (a county transfer), where the receiving county reads them and the sending one no longer
// does.
TEST_F(CooperationReferralTest, CaseMovesVillageOrCounty_ItsCooperationRecordsMoveWithIt) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_OK(Cooperate(&Coop::RecordConsent, wuding_caseworker_, Consent("c1", c.case_id())));
  ASSERT_OK_AND_ASSIGN(
      auto sent, Cooperate(&Coop::CreateServiceReferral, wuding_caseworker_, Referral("r1", c.case_id())));
  const std::string id = sent.service_referral().service_referral_id();
  v1::RecordReintegrationOutcomeRequest outcome;
  outcome.set_request_id("o1");
  outcome.set_case_id(c.case_id());
  outcome.set_outcome(v1::REINTEGRATION_OUTCOME_KIND_FAMILY_REUNIFIED);
  outcome.set_detail("返乡后与祖母同住");
  outcome.set_follow_up_date(absl::FormatCivilTime(ShanghaiDay(clock_.Now())));
  ASSERT_OK(Cooperate(&Coop::RecordReintegrationOutcome, wuding_caseworker_, outcome));
  const auto records_in = [&](const std::string& village) {
    return Count(absl::StrCat("service_referrals WHERE case_id = '", c.case_id(), "' AND village_code = '",
                              village, "'")) +
           Count(absl::StrCat("reintegration_outcomes WHERE case_id = '", c.case_id(),
                              "' AND village_code = '", village, "'"));
  };
  ASSERT_EQ(records_in(kWudingVillage), 2);

  v1::MoveHouseholdRequest home;
  home.set_request_id("h1");
  home.set_case_id(c.case_id());
  home.mutable_household()->set_village_code(kWudingOtherTownshipVillage);
  home.mutable_household()->set_address_detail("高桥镇新村5组8号");
  home.set_reason("随祖母搬家");
  ASSERT_OK(Call(&v1::RegistryService::Stub::MoveHousehold, wuding_caseworker_, home));
  EXPECT_EQ(records_in(kWudingOtherTownshipVillage), 2);

  v1::RequestCountyTransferRequest move;
  move.set_request_id("m1");
  move.set_case_id(c.case_id());
  move.set_to_village_code(kXixiaVillage);
  move.set_reason("随务工父母迁居银川");
  ASSERT_OK_AND_ASSIGN(auto requested, Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, move));
  v1::AcceptCountyTransferRequest accept;
  accept.set_request_id("a1");
  accept.set_transfer_id(requested.transfer().transfer_id());
  ASSERT_OK(Cooperate(&Coop::AcceptCountyTransfer, xixia_officer_, accept));
  EXPECT_EQ(records_in(kXixiaVillage), 2);
  EXPECT_THAT(Read(wuding_officer_, id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(Read(xixia_officer_, id).status());
}

}  // namespace
}  // namespace shouhu::registry::testing
