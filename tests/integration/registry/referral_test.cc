// Referral intake and triage against a real MariaDB through a real gRPC server.
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/integration/registry/registry_fixture.h"
#include "tests/support/resident_ids.h"

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
      {"child.name", [](auto& r) { r.mutable_child()->set_name("\u3000"); }},  // an ideographic space
      {"child.name", [](auto& r) { r.mutable_child()->set_name("  "); }},
      {"child.name", [](auto& r) { r.mutable_child()->set_name("李\t娜"); }},
      {"guardians[0].name", [](auto& r) { r.mutable_guardians(0)->set_name("张\n三"); }},
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
  // A name with a middle dot, as Uyghur and other names are written, is a name.
  EXPECT_OK(Submit(wuding_caseworker_, Referral("dot", "阿依古丽·买买提")).status());
}

TEST_F(RegistryTest, SubmitReferral_VillageOutsideJurisdiction_IsNotFound) {
  // A village outside the caller's jurisdiction does not exist for them (it was PERMISSION_DENIED).
  EXPECT_THAT(Submit(wuding_caseworker_, Referral("r1", "李娜", "2015-06-07", "", kXixiaVillage)),
              StatusIs(absl::StatusCode::kNotFound));
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

TEST_F(RegistryTest, SubmitReferral_RetriedAfterTheReferralWasAccepted_ReturnsTheFirstAnswer) {
  const auto request = Referral("r1", "张小明", "2015-06-07", "532329201506071232");
  ASSERT_OK_AND_ASSIGN(v1::Referral first, Submit(wuding_caseworker_, request));
  ASSERT_OK(Accept(wuding_officer_, "a1", first.referral_id()));
  // It returned the referral as it is now (ACCEPTED, with the case id): a retry gets the first answer.
  ASSERT_OK_AND_ASSIGN(v1::Referral again, Submit(wuding_caseworker_, request));
  EXPECT_EQ(again.status(), v1::REFERRAL_STATUS_PENDING);
  EXPECT_TRUE(again.case_id().empty());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(again.child().resident_id(), "532329********1232");  // refilled from the request, then masked
  ASSERT_OK_AND_ASSIGN(v1::Referral as_officer, Submit(wuding_officer_, [&] {
                         auto r = request;
                         r.set_request_id("r2");
                         return r;
                       }()));
  ASSERT_OK_AND_ASSIGN(v1::Referral officer_again, Submit(wuding_officer_, [&] {
                         auto r = request;
                         r.set_request_id("r2");
                         return r;
                       }()));
  EXPECT_EQ(officer_again.child().resident_id(), "532329201506071232");
  EXPECT_EQ(officer_again.referral_id(), as_officer.referral_id());
  // The kept answers hold no resident id, in clear or masked.
  EXPECT_EQ(Count("idempotency_records WHERE response LIKE '%532329201506071232%'"), 0);
  EXPECT_EQ(Count("idempotency_records WHERE response LIKE '%********%'"), 0);
  EXPECT_EQ(Count("referrals"), 2);
}

TEST_F(RegistryTest, StoredReferral_WrittenAsAV1ReferralBefore_ReadsBackUnchanged) {
  // Until the store had its own message, `details` held a serialized v1.Referral: the submission's
  // particulars with the resident id cleared, and the matches the edge had set.
  const v1::SubmitReferralRequest submitted = Referral("old", "张小明");
  v1::Referral old;
  old.set_source(submitted.source());
  *old.mutable_child() = submitted.child();
  old.mutable_child()->clear_resident_id();
  *old.mutable_household() = submitted.household();
  *old.mutable_guardians() = submitted.guardians();
  old.add_categories(v1::CHILD_CATEGORY_LEFT_BEHIND);
  old.add_categories(v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED);
  old.set_reason(submitted.reason());
  old.set_observed_risk(submitted.observed_risk());
  old.add_possible_duplicate_child_ids("01JOLDDUPLICATE00000000000");
  const std::string id = ids_->Next();
  ASSERT_OK(database_->pool().Autocommit([&](db::Session& s) {
    return s
        .Execute(
            "INSERT INTO referrals (id, status, referring_org, assigned_org, submitted_by, source, "
            "village_code, "
            "details, possible_duplicates, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {id, int64_t{v1::REFERRAL_STATUS_PENDING}, std::string("ngo-wuding"), std::string("ngo-wuding"),
             std::string("caseworker-1"), int64_t{old.source()}, std::string(kWudingVillage),
             old.SerializeAsString(), std::string(), std::string("2026-11-30 08:00:00.000000")})
        .status();
  }));

  v1::GetReferralRequest get;
  get.set_referral_id(id);
  ASSERT_OK_AND_ASSIGN(auto read, Call(&v1::RegistryService::Stub::GetReferral, wuding_officer_, get));
  const v1::Referral& r = read.referral();
  EXPECT_EQ(r.source(), old.source());
  EXPECT_EQ(r.child().SerializeAsString(), old.child().SerializeAsString());
  EXPECT_EQ(r.household().SerializeAsString(), old.household().SerializeAsString());
  ASSERT_EQ(r.guardians_size(), 2);
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(r.guardians(i).SerializeAsString(), old.guardians(i).SerializeAsString());
  EXPECT_EQ(std::vector<int>(r.categories().begin(), r.categories().end()),
            std::vector<int>(old.categories().begin(), old.categories().end()));
  EXPECT_EQ(r.reason(), old.reason());
  EXPECT_EQ(r.observed_risk(), old.observed_risk());
  // What lives in columns comes from the columns, not from the old copy in `details`.
  EXPECT_TRUE(r.possible_duplicate_child_ids().empty());
  EXPECT_EQ(r.status(), v1::REFERRAL_STATUS_PENDING);
  EXPECT_FALSE(r.has_decided_at());

  // A referral written now reads back the same particulars.
  ASSERT_OK_AND_ASSIGN(v1::Referral fresh, Submit(wuding_caseworker_, submitted));
  get.set_referral_id(fresh.referral_id());
  ASSERT_OK_AND_ASSIGN(auto again, Call(&v1::RegistryService::Stub::GetReferral, wuding_caseworker_, get));
  EXPECT_EQ(again.referral().SerializeAsString(), fresh.SerializeAsString());
}

TEST_F(RegistryTest, SubmitReferral_SameRequestConcurrently_WritesOnceAndEveryCallerGetsTheFirstAnswer) {
  constexpr int kCallers = 8;
  const auto request = Referral("same", "张小明", "2015-06-07", "532329201506071232");
  std::vector<absl::StatusOr<v1::Referral>> answers(kCallers, absl::UnknownError("not run"));
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] { answers[i] = Submit(wuding_caseworker_, request); });
  }
  for (auto& c : callers) c.join();
  for (const auto& answer : answers) {
    ASSERT_OK(answer);
    EXPECT_EQ(answer->SerializeAsString(), answers[0]->SerializeAsString());
  }
  EXPECT_EQ(Count("referrals"), 1);
  EXPECT_EQ(Count("referral_history"), 1);
  EXPECT_EQ(Count("idempotency_records"), 1);
}

TEST_F(RegistryTest, SubmitReferral_SameRequestIdWithOtherContent_IsRejected) {
  ASSERT_OK(Submit(wuding_caseworker_, Referral("r1", "李娜")));
  auto other = Submit(wuding_caseworker_, Referral("r1", "李娜娜"));
  EXPECT_THAT(other, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(other.status()), "request_id");
  EXPECT_EQ(Count("referrals"), 1);
}

TEST_F(RegistryTest, SubmitReferral_KnownResidentId_LinksTheRegisteredChildForThoseWhoseScopeHoldsIt) {
  ASSERT_OK_AND_ASSIGN(
      auto first, Submit(wuding_caseworker_, Referral("r1", "张小明", "2015-06-07", "532329201506071232")));
  ASSERT_OK_AND_ASSIGN(v1::Case c, Accept(wuding_officer_, "a1", first.referral_id()));
  ASSERT_OK_AND_ASSIGN(
      auto second, Submit(wuding_caseworker_, Referral("r2", "张晓明", "2015-06-07", "532329201506071232")));
  EXPECT_EQ(second.linked_child_id(), c.child_id());
  EXPECT_TRUE(second.possible_duplicate_child_ids().empty());
  // Another organisation in the same county does not hold the child's case: it is not told the child's id
  // (it was before), though the link is kept on its referral.
  ASSERT_OK_AND_ASSIGN(auto other, Submit(other_ngo_caseworker_,
                                          Referral("r3", "张晓明", "2015-06-07", "532329201506071232")));
  EXPECT_TRUE(other.linked_child_id().empty());
  EXPECT_TRUE(other.possible_duplicate_child_ids().empty());
  EXPECT_EQ(Count("referrals WHERE linked_child_id IS NOT NULL"), 2);
  v1::GetReferralRequest get;
  get.set_referral_id(other.referral_id());
  ASSERT_OK_AND_ASSIGN(auto as_officer, Call(&v1::RegistryService::Stub::GetReferral, wuding_officer_, get));
  EXPECT_EQ(as_officer.referral().linked_child_id(), c.child_id());
}

TEST_F(RegistryTest, SubmitReferral_ResidentIdRegisteredInAnotherCounty_LeaksNothingAndReachesTheOwner) {
  const Principal xixia_ngo = shouhu::testing::MakePrincipal("caseworker-x", "ngo-xixia",
                                                             common::v1::ROLE_NGO_CASEWORKER, {"640105"});
  ASSERT_OK_AND_ASSIGN(auto original, Submit(wuding_caseworker_,
                                             Referral("r1", "张小明", "2015-06-07", "532329201506071232")));
  ASSERT_OK_AND_ASSIGN(v1::Case c, Accept(wuding_officer_, "a1", original.referral_id()));

  // Xixia submits about the same resident id: it was told the Wuding child's id.
  ASSERT_OK_AND_ASSIGN(auto elsewhere, Submit(xixia_ngo, Referral("x1", "张小明", "2015-06-07",
                                                                  "532329201506071232", kXixiaVillage)));
  EXPECT_TRUE(elsewhere.linked_child_id().empty());
  EXPECT_TRUE(elsewhere.possible_duplicate_child_ids().empty());
  // The duplicate is detected and kept on the referral, privately.
  EXPECT_EQ(Count("referrals WHERE linked_child_id = '" + c.child_id() + "' AND linked_village_code = '" +
                  std::string(kWudingVillage) + "'"),
            1);
  v1::GetReferralRequest get;
  get.set_referral_id(elsewhere.referral_id());
  ASSERT_OK_AND_ASSIGN(auto as_xixia, Call(&v1::RegistryService::Stub::GetReferral, xixia_officer_, get));
  EXPECT_TRUE(as_xixia.referral().linked_child_id().empty());

  // The Xixia officer cannot accept it, and the refusal names nothing of Wuding's (it named the case id).
  auto refused = Accept(xixia_officer_, "x-a1", elsewhere.referral_id());
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  const std::string message(refused.status().message());
  for (const std::string& secret :
       {c.case_id(), c.child_id(), std::string("532329"), std::string("ngo-wuding")}) {
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
  }
  EXPECT_EQ(Count("cases"), 1);
  EXPECT_EQ(Count("children"), 1);

  // Wuding, which holds the child, sees the incoming duplicate with the link, and may read it.
  v1::ListReferralsRequest incoming;
  incoming.set_incoming_duplicates(true);
  ASSERT_OK_AND_ASSIGN(auto wuding_incoming,
                       Call(&v1::RegistryService::Stub::ListReferrals, wuding_officer_, incoming));
  ASSERT_EQ(wuding_incoming.referrals_size(), 1);
  EXPECT_EQ(wuding_incoming.referrals(0).referral_id(), elsewhere.referral_id());
  EXPECT_EQ(wuding_incoming.referrals(0).linked_child_id(), c.child_id());
  ASSERT_OK_AND_ASSIGN(auto as_owner, Call(&v1::RegistryService::Stub::GetReferral, wuding_officer_, get));
  EXPECT_EQ(as_owner.referral().linked_child_id(), c.child_id());
  // The organisation holding the case sees it too; another organisation of the county does not.
  ASSERT_OK_AND_ASSIGN(auto holder,
                       Call(&v1::RegistryService::Stub::ListReferrals, wuding_caseworker_, incoming));
  EXPECT_EQ(holder.referrals_size(), 1);
  ASSERT_OK_AND_ASSIGN(auto bystander,
                       Call(&v1::RegistryService::Stub::ListReferrals, other_ngo_caseworker_, incoming));
  EXPECT_EQ(bystander.referrals_size(), 0);
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetReferral, other_ngo_caseworker_, get),
              StatusIs(absl::StatusCode::kNotFound));
  // Xixia's own incoming list holds nothing of Wuding's.
  ASSERT_OK_AND_ASSIGN(auto xixia_incoming,
                       Call(&v1::RegistryService::Stub::ListReferrals, xixia_officer_, incoming));
  EXPECT_EQ(xixia_incoming.referrals_size(), 0);
  // The owner's ordinary list is still about its own households.
  ASSERT_OK_AND_ASSIGN(auto wuding_own, Call(&v1::RegistryService::Stub::ListReferrals, wuding_officer_,
                                             v1::ListReferralsRequest()));
  ASSERT_EQ(wuding_own.referrals_size(), 1);
  EXPECT_EQ(wuding_own.referrals(0).referral_id(), original.referral_id());
}

TEST_F(RegistryTest, UnsetTimes_AreAbsentOnTheWireAndNullInTheTable) {
  // A pending referral reported decided_at 1970-01-01 from every read and from a retried submit.
  const auto request = Referral("r1", "李娜");
  ASSERT_OK_AND_ASSIGN(v1::Referral pending, Submit(wuding_caseworker_, request));
  EXPECT_FALSE(pending.has_decided_at());
  EXPECT_TRUE(pending.has_submitted_at());
  ASSERT_OK_AND_ASSIGN(v1::Referral retried, Submit(wuding_caseworker_, request));
  EXPECT_FALSE(retried.has_decided_at());
  v1::GetReferralRequest get;
  get.set_referral_id(pending.referral_id());
  ASSERT_OK_AND_ASSIGN(auto got, Call(&v1::RegistryService::Stub::GetReferral, wuding_officer_, get));
  EXPECT_FALSE(got.referral().has_decided_at());
  ASSERT_OK_AND_ASSIGN(auto listed, Call(&v1::RegistryService::Stub::ListReferrals, wuding_officer_,
                                         v1::ListReferralsRequest()));
  ASSERT_EQ(listed.referrals_size(), 1);
  EXPECT_FALSE(listed.referrals(0).has_decided_at());
  EXPECT_EQ(Count("referrals WHERE decided_at IS NULL"), 1);

  // Every open case reported closed_at 1970, and SetRiskLevel wrote 1970 into cases.closed_at.
  ASSERT_OK_AND_ASSIGN(v1::Case opened, Accept(wuding_officer_, "a1", pending.referral_id()));
  EXPECT_FALSE(opened.has_closed_at());
  v1::GetCaseRequest get_case;
  get_case.set_purpose("case review");
  get_case.set_case_id(opened.case_id());
  ASSERT_OK_AND_ASSIGN(auto case_now, Call(&v1::RegistryService::Stub::GetCase, wuding_officer_, get_case));
  EXPECT_FALSE(case_now.case_().has_closed_at());
  v1::SetRiskLevelRequest risk;
  risk.set_request_id("k1");
  risk.set_case_id(opened.case_id());
  risk.set_risk_level(v1::RISK_LEVEL_EXTREME);
  risk.set_reason("祖母住院");
  ASSERT_OK_AND_ASSIGN(auto risky, Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_officer_, risk));
  EXPECT_FALSE(risky.case_().has_closed_at());
  EXPECT_EQ(Count("cases WHERE closed_at IS NULL"), 1);
  ASSERT_OK_AND_ASSIGN(got, Call(&v1::RegistryService::Stub::GetReferral, wuding_officer_, get));
  EXPECT_TRUE(got.referral().has_decided_at());
  EXPECT_EQ(Count("referrals WHERE decided_at IS NULL"), 0);
}

TEST_F(RegistryTest, SubmitReferral_SimilarNameSameBirthDateAndVillage_IsFlaggedNotMerged) {
  v1::Case c = RegisterChild("1", "张小明");
  ASSERT_OK_AND_ASSIGN(auto similar, Submit(wuding_caseworker_, Referral("r2", "张晓明", "2014-03-02")));
  ASSERT_EQ(similar.possible_duplicate_child_ids_size(), 1);
  EXPECT_EQ(similar.possible_duplicate_child_ids(0), c.child_id());
  EXPECT_TRUE(similar.linked_child_id().empty());
  // Read again for triage by the organisation whose case the child is in, the flag is still there (it was
  // shown only in the submission's answer, and a triager reading the referral later registered the child
  // twice).
  v1::GetReferralRequest get;
  get.set_referral_id(similar.referral_id());
  ASSERT_OK_AND_ASSIGN(auto read, Call(&v1::RegistryService::Stub::GetReferral, wuding_caseworker_, get));
  ASSERT_EQ(read.referral().possible_duplicate_child_ids_size(), 1);
  EXPECT_EQ(read.referral().possible_duplicate_child_ids(0), c.child_id());
  v1::ListReferralsRequest list;
  list.set_division_prefix("532329");
  ASSERT_OK_AND_ASSIGN(auto listed,
                       Call(&v1::RegistryService::Stub::ListReferrals, wuding_caseworker_, list));
  bool flagged_in_list = false;
  for (const auto& r : listed.referrals()) {
    if (r.referral_id() == similar.referral_id())
      flagged_in_list = r.possible_duplicate_child_ids_size() == 1;
  }
  EXPECT_TRUE(flagged_in_list);
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

// The resident id names one child across all counties: on a layout where counties live on different
// servers (tests/cluster/spider: 532329 and 640105 on different shards) the unique key must still be one key.
TEST_F(RegistryTest, AcceptReferral_SameResidentIdInTwoCountiesConcurrently_CreatesOneChildAndOneCase) {
  const Principal xixia_ngo = shouhu::testing::MakePrincipal("caseworker-x", "ngo-xixia",
                                                             common::v1::ROLE_NGO_CASEWORKER, {"640105"});
  ASSERT_OK_AND_ASSIGN(
      auto wuding, Submit(wuding_caseworker_, Referral("r1", "张小明", "2015-06-07", "532329201506071232")));
  ASSERT_OK_AND_ASSIGN(auto xixia, Submit(xixia_ngo, Referral("x1", "张小明", "2015-06-07",
                                                              "532329201506071232", kXixiaVillage)));
  absl::Status wuding_accepted, xixia_accepted;
  std::thread wuding_accept(
      [&] { wuding_accepted = Accept(wuding_officer_, "a1", wuding.referral_id()).status(); });
  std::thread xixia_accept(
      [&] { xixia_accepted = Accept(xixia_officer_, "x-a1", xixia.referral_id()).status(); });
  wuding_accept.join();
  xixia_accept.join();
  EXPECT_EQ(wuding_accepted.ok() + xixia_accepted.ok(), 1) << wuding_accepted << " / " << xixia_accepted;
  for (const absl::Status& s : {wuding_accepted, xixia_accepted}) {
    if (!s.ok()) {
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
    }
  }
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

v1::RejectReferralRequest Rejection(const std::string& request_id, const std::string& referral_id) {
  v1::RejectReferralRequest r;
  r.set_request_id(request_id);
  r.set_referral_id(referral_id);
  r.set_reason("家庭经济状况良好，父母一方在家照护，不符合困境儿童认定");
  return r;
}

v1::TransferReferralRequest Transfer(const std::string& request_id, const std::string& referral_id,
                                     const std::string& to_organisation) {
  v1::TransferReferralRequest r;
  r.set_request_id(request_id);
  r.set_referral_id(referral_id);
  r.set_to_organisation_id(to_organisation);
  r.set_reason("对方机构在该村有驻点社工");
  return r;
}

TEST_F(RegistryTest, RejectReferral_AnsweredWithTheReferral_LogsTheReferralRead) {
  ASSERT_OK_AND_ASSIGN(
      auto referral, Submit(wuding_caseworker_, Referral("r1", "李娜", "2015-06-07", "532329201506071232")));
  const auto reject = Rejection("x1", referral.referral_id());
  ASSERT_OK_AND_ASSIGN(auto rejected,
                       Call(&v1::RegistryService::Stub::RejectReferral, wuding_officer_, reject));
  EXPECT_EQ(rejected.referral().child().name(), "李娜");
  EXPECT_EQ(rejected.referral().child().resident_id(), "532329201506071232");
  auto logged = AccessLogOf(referral.referral_id(), "RejectReferral");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].subject(), "officer-wuding");
  EXPECT_EQ(logged[0].record_type(), "referral");
  EXPECT_EQ(logged[0].fields(), "child,household,guardians,reason");
  EXPECT_EQ(logged[0].purpose(), "triage");

  // The retry is shown the first answer again: one more read, no second decision.
  ASSERT_OK_AND_ASSIGN(auto again, Call(&v1::RegistryService::Stub::RejectReferral, wuding_officer_, reject));
  EXPECT_EQ(again.SerializeAsString(), rejected.SerializeAsString());
  EXPECT_EQ(AccessLogOf(referral.referral_id(), "RejectReferral").size(), 2u);
  EXPECT_EQ(Count("referral_history WHERE action = 'rejected'"), 1);
}

TEST_F(RegistryTest, TransferReferral_AnsweredWithTheReferral_LogsTheReferralRead) {
  ASSERT_OK_AND_ASSIGN(auto referral, Submit(wuding_caseworker_, Referral("r1", "李娜")));
  const auto transfer = Transfer("t1", referral.referral_id(), "ngo-other");
  ASSERT_OK_AND_ASSIGN(auto moved,
                       Call(&v1::RegistryService::Stub::TransferReferral, wuding_caseworker_, transfer));
  EXPECT_EQ(moved.referral().child().name(), "李娜");
  auto logged = AccessLogOf(referral.referral_id(), "TransferReferral");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].subject(), "caseworker-1");
  EXPECT_EQ(logged[0].organisation_id(), "ngo-wuding");
  EXPECT_EQ(logged[0].record_type(), "referral");
  EXPECT_EQ(logged[0].fields(), "child,household,guardians,reason");

  // The referring organisation still sees it, so its retry is the first answer, read and logged again.
  ASSERT_OK(Call(&v1::RegistryService::Stub::TransferReferral, wuding_caseworker_, transfer));
  EXPECT_EQ(AccessLogOf(referral.referral_id(), "TransferReferral").size(), 2u);
  EXPECT_EQ(Count("referral_history WHERE action = 'transferred'"), 1);
}

TEST_F(RegistryTest, TransferReferral_RetryOnceItLeftTheCallersOrganisation_IsNotFoundAndShowsNothing) {
  // The county refers the child and hands triage to ngo-wuding, which hands it on: ngo-wuding neither made
  // the referral nor triages it any more.
  ASSERT_OK_AND_ASSIGN(auto referral,
                       Submit(wuding_officer_, Referral("r1", "李娜", "2015-06-07", "532329201506071232")));
  ASSERT_OK(Call(&v1::RegistryService::Stub::TransferReferral, wuding_officer_,
                 Transfer("t1", referral.referral_id(), "ngo-wuding")));
  const auto onward = Transfer("t2", referral.referral_id(), "ngo-other");
  ASSERT_OK_AND_ASSIGN(auto moved,
                       Call(&v1::RegistryService::Stub::TransferReferral, wuding_caseworker_, onward));
  EXPECT_EQ(moved.referral().child().name(), "李娜");  // shown while they still triaged it
  v1::GetReferralRequest get;
  get.set_referral_id(referral.referral_id());
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetReferral, wuding_caseworker_, get),
              StatusIs(absl::StatusCode::kNotFound));
  const size_t logged = AccessLogOf(referral.referral_id(), "TransferReferral").size();

  EXPECT_THAT(Call(&v1::RegistryService::Stub::TransferReferral, wuding_caseworker_, onward),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(AccessLogOf(referral.referral_id(), "TransferReferral").size(), logged);
  EXPECT_EQ(Count("referral_history WHERE action = 'transferred'"), 2);
}

TEST_F(RegistryTest, RejectReferral_RetryOnceTheCallerLeftTheJurisdiction_IsNotFound) {
  ASSERT_OK_AND_ASSIGN(
      auto referral, Submit(wuding_caseworker_, Referral("r1", "李娜", "2015-06-07", "532329201506071232")));
  const auto reject = Rejection("x1", referral.referral_id());
  ASSERT_OK(Call(&v1::RegistryService::Stub::RejectReferral, wuding_officer_, reject));
  // The same officer, posted to Xixia: their token now holds Xixia alone.
  const Principal posted_away = shouhu::testing::MakePrincipal(
      "officer-wuding", "wuding-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"640105"});
  EXPECT_THAT(Call(&v1::RegistryService::Stub::RejectReferral, posted_away, reject),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(AccessLogOf(referral.referral_id(), "RejectReferral").size(), 1u);
  EXPECT_EQ(Count("referral_history WHERE action = 'rejected'"), 1);
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

// ---- the intake's group commit (common/group_commit.h): many submissions at once share transactions and
// commits, and each keeps what it has alone.

namespace shouhu::registry::testing {

TEST_F(RegistryTest, SubmitReferral_ManyDifferentAtOnce_EachIsWrittenOnceWithItsOwnAnswer) {
  constexpr int kCallers = 48;
  std::vector<v1::SubmitReferralRequest> requests;
  for (int i = 0; i < kCallers; ++i) {
    // Every other one with a resident id: the answer shows it masked, the table keeps it sealed.
    requests.push_back(Referral(absl::StrCat("burst-", i), absl::StrCat("王小", i % 2 ? "明" : "红"),
                                absl::StrFormat("2015-06-%02d", 1 + i % 28),
                                i % 2 ? ""
                                      : ::shouhu::testing::ResidentIdNumber(
                                            "532329", absl::StrFormat("201506%02d", 1 + i % 28), 2 * i + 1)));
  }
  std::vector<absl::StatusOr<v1::Referral>> answers(kCallers, absl::UnknownError("not run"));
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] { answers[i] = Submit(wuding_caseworker_, requests[i]); });
  }
  for (auto& c : callers) c.join();
  std::set<std::string> ids;
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_OK(answers[i]);
    EXPECT_EQ(answers[i]->child().name(), requests[i].child().name());
    EXPECT_EQ(answers[i]->child().birth_date(), requests[i].child().birth_date());
    ids.insert(answers[i]->referral_id());
    // What was answered is what was written, and a retry gets the same answer back.
    v1::GetReferralRequest get;
    get.set_referral_id(answers[i]->referral_id());
    ASSERT_OK_AND_ASSIGN(auto read, Call(&v1::RegistryService::Stub::GetReferral, wuding_caseworker_, get));
    EXPECT_EQ(read.referral().SerializeAsString(), answers[i]->SerializeAsString());
    ASSERT_OK_AND_ASSIGN(v1::Referral retried, Submit(wuding_caseworker_, requests[i]));
    EXPECT_EQ(retried.SerializeAsString(), answers[i]->SerializeAsString());
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kCallers));
  EXPECT_EQ(Count("referrals"), kCallers);
  EXPECT_EQ(Count("referral_history"), kCallers);
  EXPECT_EQ(Count("idempotency_records"), kCallers);
}

TEST_F(RegistryTest, SubmitReferral_RetriesDuplicatesAndNewOnesInOneBurst_EachAnsweredAsIfAlone) {
  ASSERT_OK_AND_ASSIGN(v1::Referral first, Submit(wuding_caseworker_, Referral("earlier", "李娜")));
  // At once: retries of a committed referral, the same id with other content, one new referral sent by
  // several callers, and new ones.
  std::vector<std::pair<std::string, v1::SubmitReferralRequest>> burst;
  for (int i = 0; i < 4; ++i) burst.push_back({"retry", Referral("earlier", "李娜")});
  burst.push_back({"conflict", Referral("earlier", "李娜娜")});
  for (int i = 0; i < 4; ++i) burst.push_back({"same", Referral("same-new", "张小明")});
  for (int i = 0; i < 8; ++i)
    burst.push_back({"new", Referral(absl::StrCat("new-", i), "杨小", "2014-03-02")});
  std::vector<absl::StatusOr<v1::Referral>> answers(burst.size(), absl::UnknownError("not run"));
  std::vector<std::thread> callers;
  for (size_t i = 0; i < burst.size(); ++i) {
    callers.emplace_back([&, i] { answers[i] = Submit(wuding_caseworker_, burst[i].second); });
  }
  for (auto& c : callers) c.join();
  std::optional<std::string> same;
  for (size_t i = 0; i < burst.size(); ++i) {
    const std::string& kind = burst[i].first;
    if (kind == "conflict") {
      EXPECT_THAT(answers[i], StatusIs(absl::StatusCode::kInvalidArgument));
      EXPECT_EQ(FieldOf(answers[i].status()), "request_id");
      continue;
    }
    ASSERT_OK(answers[i]);
    if (kind == "retry") {
      EXPECT_EQ(answers[i]->SerializeAsString(), first.SerializeAsString());
    }
    if (kind == "same") {
      if (!same) same = answers[i]->SerializeAsString();
      EXPECT_EQ(answers[i]->SerializeAsString(), *same);
    }
  }
  EXPECT_EQ(Count("referrals"), 1 + 1 + 8);
  EXPECT_EQ(Count("referral_history"), 1 + 1 + 8);
  EXPECT_EQ(Count("idempotency_records"), 1 + 1 + 8);
}

}  // namespace shouhu::registry::testing

namespace shouhu::registry::testing {

// The duplicate check runs once for a whole group-committed batch (one statement for its resident ids, one
// for its villages and birth dates): each referral of a burst must get its own matches, not a neighbour's.
TEST_F(RegistryTest, SubmitReferral_BurstAboutDifferentRegisteredChildren_EachMatchesItsOwnChild) {
  // Registered: four children under resident ids (born 2015-06-01..04), and two without (born 2014-03-02):
  // 张小明 in the first village, 李娜 in the second.
  std::vector<std::string> resident_ids, registered;
  for (int k = 0; k < 4; ++k) {
    resident_ids.push_back(
        ::shouhu::testing::ResidentIdNumber("532329", absl::StrFormat("201506%02d", 1 + k), 101 + 2 * k));
    ASSERT_OK_AND_ASSIGN(
        auto submitted,
        Submit(wuding_officer_, Referral(absl::StrCat("reg-", k), absl::StrCat("王", k, "号"),
                                         absl::StrFormat("2015-06-%02d", 1 + k), resident_ids.back())));
    ASSERT_OK_AND_ASSIGN(v1::Case c,
                         Accept(wuding_officer_, absl::StrCat("acc-", k), submitted.referral_id()));
    registered.push_back(c.child_id());
  }
  const std::string zhang = RegisterChild("zhang", "张小明").child_id();
  const std::string li = RegisterChild("li", "李娜", kWudingVillage2).child_id();

  struct Expected {
    v1::SubmitReferralRequest request;
    std::string linked;
    std::vector<std::string> flagged;
  };
  std::vector<Expected> burst;
  for (int copy = 0; copy < 4; ++copy) {
    const auto id = [copy](const std::string& kind) { return absl::StrCat(kind, "-", copy); };
    for (int k = 0; k < 4; ++k) {
      // A registered resident id under another name: linked, and never also flagged.
      burst.push_back({Referral(id(absl::StrCat("known-", k)), "张晓明",
                                absl::StrFormat("2015-06-%02d", 1 + k), resident_ids[k]),
                       registered[k],
                       {}});
    }
    burst.push_back({Referral(id("zhang"), "张晓明", "2014-03-02"), "", {zhang}});
    burst.push_back({Referral(id("li"), "李娜娜", "2014-03-02", "", kWudingVillage2), "", {li}});
    // The same name in the other village, or the same village on another day: nothing.
    burst.push_back({Referral(id("li-elsewhere"), "李娜娜", "2014-03-02"), "", {}});
    burst.push_back({Referral(id("zhang-other-day"), "张晓明", "2014-03-03"), "", {}});
    // A resident id nobody registered: not linked, but flagged by name, village and day.
    burst.push_back({Referral(id("new-id"), "张晓明", "2014-03-02",
                              ::shouhu::testing::ResidentIdNumber("532329", "20140302", 301 + 2 * copy)),
                     "",
                     {zhang}});
  }
  std::vector<absl::StatusOr<v1::Referral>> answers(burst.size(), absl::UnknownError("not run"));
  std::vector<std::thread> callers;
  for (size_t i = 0; i < burst.size(); ++i) {
    callers.emplace_back([&, i] { answers[i] = Submit(wuding_caseworker_, burst[i].request); });
  }
  for (auto& c : callers) c.join();
  for (size_t i = 0; i < burst.size(); ++i) {
    SCOPED_TRACE(burst[i].request.request_id());
    ASSERT_OK(answers[i]);
    EXPECT_EQ(answers[i]->linked_child_id(), burst[i].linked);
    EXPECT_EQ(std::vector<std::string>(answers[i]->possible_duplicate_child_ids().begin(),
                                       answers[i]->possible_duplicate_child_ids().end()),
              burst[i].flagged);
    // As kept: the county's officer, whose scope holds every child here, reads the same matches.
    v1::GetReferralRequest get;
    get.set_referral_id(answers[i]->referral_id());
    ASSERT_OK_AND_ASSIGN(auto read, Call(&v1::RegistryService::Stub::GetReferral, wuding_officer_, get));
    EXPECT_EQ(read.referral().linked_child_id(), burst[i].linked);
    EXPECT_EQ(read.referral().possible_duplicate_child_ids_size(), static_cast<int>(burst[i].flagged.size()));
  }
  EXPECT_EQ(Count("referrals"), 4 + 2 + static_cast<int64_t>(burst.size()));
  EXPECT_EQ(Count("children"), 6);
}

}  // namespace shouhu::registry::testing
