// Referral intake and triage against a real MariaDB through a real gRPC server.
#include <thread>

#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;

TEST_F(RegistryTest, SubmitReferral_Valid_IsPendingAndResidentIdMaskedForCaseworker) {
  ASSERT_OK_AND_ASSIGN(
      v1::Referral referral,
      Submit(wuding_caseworker_, Referral("r1", "张小明", "2015-06-07", "532329201506071232")));
  EXPECT_EQ(referral.status(), v1::REFERRAL_STATUS_PENDING);
  EXPECT_EQ(referral.referring_organisation_id(), "ngo-wuding");
  EXPECT_EQ(referral.child().name(), "张小明");
  EXPECT_EQ(referral.child().resident_id(), "532329********1232");
  EXPECT_EQ(referral.guardians_size(), 2);
  EXPECT_EQ(referral.household().village_code(), kWudingVillage);

  v1::GetReferralRequest get;
  get.set_referral_id(referral.referral_id());
  ASSERT_OK_AND_ASSIGN(auto as_officer, Call(&v1::RegistryService::Stub::GetReferral, wuding_officer_, get));
  EXPECT_EQ(as_officer.referral().child().resident_id(), "532329201506071232");
  // Stored sealed: the plain number is nowhere in the table.
  EXPECT_EQ(Count("referrals WHERE resident_id_sealed LIKE '%532329201506071232%'"), 0);
  EXPECT_EQ(Count("referrals WHERE resident_id_sealed IS NOT NULL"), 1);
}

struct BadInput {
  const char* field;
  std::function<void(v1::SubmitReferralRequest&)> spoil;
};

TEST_F(RegistryTest, SubmitReferral_BadInput_NamesTheFieldAndWritesNothing) {
  const std::vector<BadInput> cases = {
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"source", [](auto& r) { r.set_source(v1::REFERRAL_SOURCE_UNSPECIFIED); }},
      {"child.name", [](auto& r) { r.mutable_child()->clear_name(); }},
      {"child.name", [](auto& r) { r.mutable_child()->set_name("李\x01娜"); }},
      {"child.sex", [](auto& r) { r.mutable_child()->set_sex(v1::SEX_UNSPECIFIED); }},
      {"child.birth_date", [](auto& r) { r.mutable_child()->set_birth_date("2015-02-30"); }},
      {"child.birth_date", [](auto& r) { r.mutable_child()->set_birth_date("1990-01-01"); }},
      {"child.resident_id", [](auto& r) { r.mutable_child()->set_resident_id("532329201506071233"); }},
      {"child.resident_id", [](auto& r) { r.mutable_child()->set_resident_id("331081202008150013"); }},
      {"household.village_code", [](auto& r) { r.mutable_household()->set_village_code("532329"); }},
      {"household.village_code", [](auto& r) { r.mutable_household()->set_village_code("532329999999"); }},
      {"household.longitude", [](auto& r) { r.mutable_household()->clear_longitude(); }},
      {"guardians[1].status",
       [](auto& r) { r.mutable_guardians(1)->set_status(v1::GUARDIAN_STATUS_UNSPECIFIED); }},
      {"categories", [](auto& r) { r.clear_categories(); }},
      {"categories[1]", [](auto& r) { r.add_categories(v1::CHILD_CATEGORY_LEFT_BEHIND); }},
      {"reason", [](auto& r) { r.clear_reason(); }},
      {"observed_risk", [](auto& r) { r.set_observed_risk(v1::RISK_LEVEL_UNSPECIFIED); }},
  };
  for (const auto& c : cases) {
    v1::SubmitReferralRequest request = Referral("bad", "李娜");
    c.spoil(request);
    auto result = Submit(wuding_caseworker_, request);
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_EQ(FieldOf(result.status()), c.field);
  }
  EXPECT_EQ(Count("referrals"), 0);
  EXPECT_EQ(Count("idempotency_records"), 0);
}

TEST_F(RegistryTest, SubmitReferral_VillageOutsideJurisdiction_IsDenied) {
  EXPECT_THAT(Submit(wuding_caseworker_, Referral("r1", "李娜", "2015-06-07", "", kXixiaVillage)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Count("referrals"), 0);
}

TEST_F(RegistryTest, SubmitReferral_VolunteerOrUnsignedCaller_IsRefused) {
  EXPECT_THAT(Submit(volunteer_, Referral("r1", "李娜")), StatusIs(absl::StatusCode::kPermissionDenied));
  v1::SubmitReferralResponse response;
  grpc::ClientContext unsigned_context;
  EXPECT_EQ(stub_->SubmitReferral(&unsigned_context, Referral("r1", "李娜"), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Signed with a key that is not the gateway's, under the gateway's key id.
  PrincipalSigner forger(::shouhu::testing::ForgedKey(), clock_);
  grpc::ClientContext forged;
  forger.Attach(wuding_officer_, forged);
  EXPECT_EQ(stub_->SubmitReferral(&forged, Referral("r1", "李娜"), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Count("referrals"), 0);
}

TEST_F(RegistryTest, SubmitReferral_RetryWithSameRequestId_ReturnsTheFirstReferralAndWritesOnce) {
  ASSERT_OK_AND_ASSIGN(v1::Referral first, Submit(wuding_caseworker_, Referral("r1", "李娜")));
  ASSERT_OK_AND_ASSIGN(v1::Referral again, Submit(wuding_caseworker_, Referral("r1", "李娜")));
  EXPECT_EQ(first.referral_id(), again.referral_id());
  EXPECT_EQ(Count("referrals"), 1);
}

TEST_F(RegistryTest, SubmitReferral_SameRequestIdWithOtherContent_IsRejected) {
  ASSERT_OK(Submit(wuding_caseworker_, Referral("r1", "李娜")));
  auto other = Submit(wuding_caseworker_, Referral("r1", "李娜娜"));
  EXPECT_THAT(other, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(other.status()), "request_id");
  EXPECT_EQ(Count("referrals"), 1);
}

TEST_F(RegistryTest, SubmitReferral_KnownResidentId_LinksTheRegisteredChild) {
  ASSERT_OK_AND_ASSIGN(
      auto first, Submit(wuding_caseworker_, Referral("r1", "张小明", "2015-06-07", "532329201506071232")));
  ASSERT_OK_AND_ASSIGN(v1::Case c, Accept(wuding_officer_, "a1", first.referral_id()));
  ASSERT_OK_AND_ASSIGN(auto second, Submit(other_ngo_caseworker_,
                                           Referral("r2", "张晓明", "2015-06-07", "532329201506071232")));
  EXPECT_EQ(second.linked_child_id(), c.child_id());
  EXPECT_TRUE(second.possible_duplicate_child_ids().empty());
}

TEST_F(RegistryTest, SubmitReferral_SimilarNameSameBirthDateAndVillage_IsFlaggedNotMerged) {
  v1::Case c = RegisterChild("1", "张小明");
  ASSERT_OK_AND_ASSIGN(auto similar, Submit(wuding_caseworker_, Referral("r2", "张晓明", "2014-03-02")));
  ASSERT_EQ(similar.possible_duplicate_child_ids_size(), 1);
  EXPECT_EQ(similar.possible_duplicate_child_ids(0), c.child_id());
  EXPECT_TRUE(similar.linked_child_id().empty());
  // Another village, or a different name, is not flagged.
  ASSERT_OK_AND_ASSIGN(auto elsewhere, Submit(wuding_caseworker_,
                                              Referral("r3", "张晓明", "2014-03-02", "", kWudingVillage2)));
  EXPECT_TRUE(elsewhere.possible_duplicate_child_ids().empty());
  ASSERT_OK_AND_ASSIGN(auto different, Submit(wuding_caseworker_, Referral("r4", "李娜", "2014-03-02")));
  EXPECT_TRUE(different.possible_duplicate_child_ids().empty());
  // The triager may accept the flagged one as the same child: no second child row.
  v1::AcceptReferralRequest accept;
  accept.set_request_id("a2");
  accept.set_referral_id(similar.referral_id());
  accept.set_organisation_id("ngo-wuding");
  accept.set_caseworker_id("caseworker-1");
  accept.set_risk_level(v1::RISK_LEVEL_MEDIUM);
  accept.set_existing_child_id(c.child_id());
  // The child still has an open case: the duplicate must be handled on that case, not opened twice.
  EXPECT_THAT(Call(&v1::RegistryService::Stub::AcceptReferral, wuding_officer_, accept),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Count("children"), 1);
}

TEST_F(RegistryTest, AcceptReferral_SameResidentIdConcurrently_CreatesOneChildAndOneOpenCase) {
  constexpr int kReferrals = 8;
  std::vector<std::string> referral_ids(kReferrals);
  std::vector<std::thread> submitters;
  for (int i = 0; i < kReferrals; ++i) {
    submitters.emplace_back([&, i] {
      auto r = Submit(wuding_caseworker_,
                      Referral("r" + std::to_string(i), "张小明", "2015-06-07", "532329201506071232"));
      ASSERT_OK(r);
      referral_ids[i] = r->referral_id();
    });
  }
  for (auto& t : submitters) t.join();
  EXPECT_EQ(Count("referrals"), kReferrals);

  std::vector<absl::Status> results(kReferrals);
  std::vector<std::thread> acceptors;
  for (int i = 0; i < kReferrals; ++i) {
    acceptors.emplace_back(
        [&, i] { results[i] = Accept(wuding_officer_, "a" + std::to_string(i), referral_ids[i]).status(); });
  }
  for (auto& t : acceptors) t.join();
  int accepted = 0;
  for (const auto& s : results) {
    if (s.ok()) {
      ++accepted;
    } else {
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
    }
  }
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(Count("children"), 1);
  EXPECT_EQ(Count("cases"), 1);
}

TEST_F(RegistryTest, AcceptReferral_Retry_ReturnsSameCaseAndPublishesOneEvent) {
  ASSERT_OK_AND_ASSIGN(auto referral, Submit(wuding_caseworker_, Referral("r1", "李娜")));
  ASSERT_OK_AND_ASSIGN(v1::Case first, Accept(wuding_officer_, "a1", referral.referral_id()));
  ASSERT_OK_AND_ASSIGN(v1::Case again, Accept(wuding_officer_, "a1", referral.referral_id()));
  EXPECT_EQ(first.case_id(), again.case_id());
  EXPECT_EQ(first.status(), v1::CASE_STATUS_VERIFYING);
  EXPECT_EQ(Count("cases"), 1);
  EXPECT_EQ(Count("outbox_events"), 1);
  // A different request id on the decided referral is a conflict, not a second case.
  EXPECT_THAT(Accept(wuding_officer_, "a2", referral.referral_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(RegistryTest, RejectReferral_RequiresReason_ThenCannotBeAccepted) {
  ASSERT_OK_AND_ASSIGN(auto referral, Submit(wuding_caseworker_, Referral("r1", "李娜")));
  v1::RejectReferralRequest reject;
  reject.set_request_id("x1");
  reject.set_referral_id(referral.referral_id());
  auto no_reason = Call(&v1::RegistryService::Stub::RejectReferral, wuding_officer_, reject);
  EXPECT_THAT(no_reason, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(no_reason.status()), "reason");
  reject.set_reason("家庭经济状况良好，父母一方在家照护，不符合困境儿童认定");
  ASSERT_OK_AND_ASSIGN(auto rejected,
                       Call(&v1::RegistryService::Stub::RejectReferral, wuding_officer_, reject));
  EXPECT_EQ(rejected.referral().status(), v1::REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(rejected.referral().decision_reason(), reject.reason());
  EXPECT_THAT(Accept(wuding_officer_, "a1", referral.referral_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Count("children"), 0);
}

TEST_F(RegistryTest, TransferReferral_MovesTriageToTheOtherOrganisation) {
  ASSERT_OK_AND_ASSIGN(auto referral, Submit(wuding_caseworker_, Referral("r1", "李娜")));
  v1::TransferReferralRequest transfer;
  transfer.set_request_id("t1");
  transfer.set_referral_id(referral.referral_id());
  transfer.set_to_organisation_id("ngo-other");
  transfer.set_reason("对方机构在该村有驻点社工");
  ASSERT_OK_AND_ASSIGN(auto moved,
                       Call(&v1::RegistryService::Stub::TransferReferral, wuding_caseworker_, transfer));
  EXPECT_EQ(moved.referral().assigned_organisation_id(), "ngo-other");
  // The referring organisation still sees it but no longer triages it; the new one does.
  EXPECT_THAT(Accept(wuding_caseworker_, "a1", referral.referral_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_OK(Accept(other_ngo_caseworker_, "a2", referral.referral_id(), "ngo-other"));
  EXPECT_EQ(Count("referral_history WHERE action = 'transferred'"), 1);
}

TEST_F(RegistryTest, Referral_OutsideJurisdictionOrOrganisation_IsNotFound) {
  ASSERT_OK_AND_ASSIGN(auto referral, Submit(wuding_caseworker_, Referral("r1", "李娜")));
  v1::GetReferralRequest get;
  get.set_referral_id(referral.referral_id());
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetReferral, xixia_officer_, get),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetReferral, other_ngo_caseworker_, get),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Accept(xixia_officer_, "a1", referral.referral_id()), StatusIs(absl::StatusCode::kNotFound));
  v1::ListReferralsRequest list;
  ASSERT_OK_AND_ASSIGN(auto mine, Call(&v1::RegistryService::Stub::ListReferrals, wuding_caseworker_, list));
  EXPECT_EQ(mine.referrals_size(), 1);
  ASSERT_OK_AND_ASSIGN(auto theirs,
                       Call(&v1::RegistryService::Stub::ListReferrals, other_ngo_caseworker_, list));
  EXPECT_EQ(theirs.referrals_size(), 0);
}

}  // namespace
}  // namespace shouhu::registry::testing
