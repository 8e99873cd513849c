// A child who moved home: MoveHousehold for an open case inside its county, and a referral accepted onto a
// registered child who has moved since their last case. Visitors are sent to where the registry says the
// child lives; before these, a child who moved inside the county was visited at the old address for good.
#include "absl/strings/match.h"
#include "shouhu/registry/v1/events.pb.h"
#include "tests/integration/registry/registry_fixture.h"
#include "tests/support/resident_ids.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Registry = v1::RegistryService::Stub;

constexpr char kNewAddress[] = "高桥镇新村5组8号";

v1::MoveHouseholdRequest MoveTo(const std::string& request_id, const std::string& case_id,
                                const std::string& village) {
  v1::MoveHouseholdRequest r;
  r.set_request_id(request_id);
  r.set_case_id(case_id);
  r.mutable_household()->set_village_code(village);
  r.mutable_household()->set_address_detail(kNewAddress);
  r.mutable_household()->set_latitude(25.61);
  r.mutable_household()->set_longitude(102.35);
  r.set_reason("祖母搬到高桥镇女儿家，孩子随迁");
  return r;
}

v1::GetChildRequest ReadChild(const std::string& child_id) {
  v1::GetChildRequest r;
  r.set_child_id(child_id);
  r.set_purpose("weekend home visit preparation");
  return r;
}

v1::SearchChildrenRequest SearchIn(const std::string& prefix) {
  v1::SearchChildrenRequest r;
  r.set_division_prefix(prefix);
  r.set_purpose("weekend home visit planning");
  return r;
}

class HouseholdMoveTest : public RegistryTest {
 protected:
  int64_t HistoryOf(const std::string& case_id) {
    return Count("case_history WHERE case_id = '" + case_id + "'");
  }

  // How many children a search of `prefix` finds, as the county officer.
  int Found(const std::string& prefix) {
    absl::StatusOr<v1::SearchChildrenResponse> found =
        Call(&Registry::SearchChildren, wuding_officer_, SearchIn(prefix));
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? found->children_size() : -1;
  }

  const Principal province_officer_ = shouhu::testing::MakePrincipal(
      "officer-province", "province-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"53", "64"});
};

TEST_F(HouseholdMoveTest, InsideTheCounty_ChildCaseSearchAndEventMoveTogether_OnceUnderRetry) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_EQ(c.village_code(), kWudingVillage);
  const auto move = MoveTo("m1", c.case_id(), kWudingOtherTownshipVillage);
  ASSERT_OK_AND_ASSIGN(auto moved, Call(&Registry::MoveHousehold, wuding_caseworker_, move));
  EXPECT_EQ(moved.case_().village_code(), kWudingOtherTownshipVillage);
  ASSERT_GT(moved.case_().history_size(), 0);
  const v1::CaseHistoryEntry& entry = *moved.case_().history().rbegin();
  EXPECT_EQ(entry.action(), "household_moved");
  EXPECT_TRUE(absl::StrContains(entry.detail(), kWudingOtherTownshipVillage)) << entry.detail();
  // Everyone who reads the case reads its history: the address is the child's record's, never the history's.
  EXPECT_FALSE(absl::StrContains(entry.detail(), "新村")) << entry.detail();

  ASSERT_OK_AND_ASSIGN(auto child, Call(&Registry::GetChild, wuding_caseworker_, ReadChild(c.child_id())));
  EXPECT_EQ(child.child().household().village_code(), kWudingOtherTownshipVillage);
  EXPECT_EQ(child.child().household().address_detail(), kNewAddress);
  EXPECT_DOUBLE_EQ(child.child().household().latitude(), 25.61);
  EXPECT_DOUBLE_EQ(child.child().household().longitude(), 102.35);
  // The search by township follows the child, and its category rows moved with them.
  EXPECT_EQ(Found("532329102"), 1);
  EXPECT_EQ(Found("532329101"), 0);
  EXPECT_EQ(Count(absl::StrCat("county_category_children WHERE child_id = '", c.child_id(),
                               "' AND village_code = '", kWudingOtherTownshipVillage, "'")),
            1);

  std::vector<common::v1::Event> events = Events();
  ASSERT_FALSE(events.empty());
  v1::HouseholdMoved event;
  ASSERT_TRUE(events.back().payload().UnpackTo(&event)) << events.back().type();
  EXPECT_EQ(event.case_id(), c.case_id());
  EXPECT_EQ(event.child_id(), c.child_id());
  EXPECT_EQ(event.from_village_code(), kWudingVillage);
  EXPECT_EQ(event.to_village_code(), kWudingOtherTownshipVillage);
  EXPECT_EQ(event.organisation_id(), c.organisation_id());

  // A retry is answered as the first and writes nothing more.
  const int64_t history = HistoryOf(c.case_id());
  ASSERT_OK_AND_ASSIGN(auto retried, Call(&Registry::MoveHousehold, wuding_caseworker_, move));
  EXPECT_EQ(retried.SerializeAsString(), moved.SerializeAsString());
  EXPECT_EQ(HistoryOf(c.case_id()), history);
  EXPECT_EQ(Events().size(), events.size());
}

TEST_F(HouseholdMoveTest, ANewAddressInTheSameVillage_KeepsTheVillageAndRecordsTheAddress) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_OK_AND_ASSIGN(
      auto moved, Call(&Registry::MoveHousehold, wuding_officer_, MoveTo("m1", c.case_id(), kWudingVillage)));
  EXPECT_EQ(moved.case_().village_code(), kWudingVillage);
  ASSERT_OK_AND_ASSIGN(auto child, Call(&Registry::GetChild, wuding_officer_, ReadChild(c.child_id())));
  EXPECT_EQ(child.child().household().address_detail(), kNewAddress);
  v1::HouseholdMoved event;
  ASSERT_TRUE(Events().back().payload().UnpackTo(&event));
  EXPECT_EQ(event.from_village_code(), event.to_village_code());
}

TEST_F(HouseholdMoveTest, AnotherCountyClosedCaseOrTheSameHome_FailedPreconditionAndNothingWritten) {
  v1::Case c = RegisterChild("1", "李娜");
  const int64_t history = HistoryOf(c.case_id());
  const size_t events = Events().size();
  // Even a caller whose jurisdiction holds both counties: the other county takes the case by a transfer.
  absl::StatusOr<v1::MoveHouseholdResponse> elsewhere =
      Call(&Registry::MoveHousehold, province_officer_, MoveTo("m1", c.case_id(), kXixiaVillage));
  EXPECT_THAT(elsewhere, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StrContains(elsewhere.status().message(), "county transfer")) << elsewhere.status();

  // Where the registry has the child already (the referral's address and coordinates).
  v1::MoveHouseholdRequest same = MoveTo("m2", c.case_id(), kWudingVillage);
  same.mutable_household()->set_address_detail("东岳村3组12号");
  same.mutable_household()->set_latitude(25.53);
  same.mutable_household()->set_longitude(102.40);
  EXPECT_THAT(Call(&Registry::MoveHousehold, wuding_officer_, same),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  auto close = WithCase<v1::CloseCaseRequest>("x1", c.case_id());
  close.set_reason("监护恢复");
  ASSERT_OK(Call(&Registry::CloseCase, wuding_officer_, close));
  EXPECT_THAT(Call(&Registry::MoveHousehold, wuding_officer_, MoveTo("m3", c.case_id(), kWudingVillage2)),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  EXPECT_EQ(HistoryOf(c.case_id()), history + 1);  // the closure's
  EXPECT_EQ(Events().size(), events + 1);
  EXPECT_EQ(Count(absl::StrCat("children WHERE village_code = '", kWudingVillage,
                               "' AND address_detail = '东岳村3组12号'")),
            1);
}

TEST_F(HouseholdMoveTest, BadInputOrOutOfScope_NamesTheFieldOrIsNotFound_AndNothingWritten) {
  v1::Case c = RegisterChild("1", "李娜");
  const int64_t history = HistoryOf(c.case_id());
  struct Bad {
    std::function<void(v1::MoveHouseholdRequest&)> spoil;
    std::string field;
  };
  const std::vector<Bad> bad = {
      {[](auto& r) { r.mutable_household()->set_village_code("5323291010"); }, "household.village_code"},
      {[](auto& r) { r.mutable_household()->set_village_code("532329101999"); }, "household.village_code"},
      {[](auto& r) { r.mutable_household()->clear_longitude(); }, "household.longitude"},
      {[](auto& r) { r.mutable_household()->set_latitude(91); }, "household.latitude"},
      {[](auto& r) { r.mutable_household()->set_address_detail(std::string(256, 'x')); },
       "household.address_detail"},
      {[](auto& r) { r.set_reason(""); }, "reason"},
      {[](auto& r) { r.set_case_id("not-an-id"); }, "case_id"},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    v1::MoveHouseholdRequest r = MoveTo(absl::StrCat("b", i), c.case_id(), kWudingVillage2);
    bad[i].spoil(r);
    absl::StatusOr<v1::MoveHouseholdResponse> answer = Call(&Registry::MoveHousehold, wuding_officer_, r);
    EXPECT_THAT(answer, StatusIs(absl::StatusCode::kInvalidArgument)) << bad[i].field;
    EXPECT_TRUE(absl::StrContains(answer.status().message(), bad[i].field)) << answer.status();
  }
  // Another organisation's caseworker, and another county's officer, are told of no such case.
  EXPECT_THAT(
      Call(&Registry::MoveHousehold, other_ngo_caseworker_, MoveTo("o1", c.case_id(), kWudingVillage2)),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Call(&Registry::MoveHousehold, xixia_officer_, MoveTo("o2", c.case_id(), kXixiaVillage)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(HistoryOf(c.case_id()), history);
  EXPECT_EQ(Count(absl::StrCat("cases WHERE village_code = '", kWudingVillage, "'")), 1);
}

// A child whose case closed, referred again from where they live now: the new case opens there, and the
// child's record says so. It opened in the old village, with the old address, before.
TEST_F(HouseholdMoveTest, ReferredAgainFromANewHome_TheNewCaseAndTheChildAreThere) {
  const std::string resident_id = shouhu::testing::ResidentIdNumber("532329", "20140302", 7);
  ASSERT_OK_AND_ASSIGN(v1::Referral first, Submit(wuding_officer_, Referral("s1", "李娜", "2014-03-02",
                                                                            resident_id, kWudingVillage)));
  ASSERT_OK_AND_ASSIGN(v1::Case old_case, Accept(wuding_officer_, "a1", first.referral_id()));
  auto close = WithCase<v1::CloseCaseRequest>("x1", old_case.case_id());
  close.set_reason("父母返乡");
  ASSERT_OK(Call(&Registry::CloseCase, wuding_officer_, close));

  v1::SubmitReferralRequest again =
      Referral("s2", "李娜", "2014-03-02", resident_id, kWudingOtherTownshipVillage);
  again.mutable_household()->set_address_detail(kNewAddress);
  again.mutable_household()->clear_latitude();
  again.mutable_household()->clear_longitude();
  ASSERT_OK_AND_ASSIGN(v1::Referral second, Submit(wuding_officer_, again));
  ASSERT_EQ(second.linked_child_id(), old_case.child_id());
  ASSERT_OK_AND_ASSIGN(v1::Case new_case, Accept(wuding_officer_, "a2", second.referral_id()));
  EXPECT_EQ(new_case.child_id(), old_case.child_id());
  EXPECT_EQ(new_case.village_code(), kWudingOtherTownshipVillage);

  ASSERT_OK_AND_ASSIGN(auto child,
                       Call(&Registry::GetChild, wuding_officer_, ReadChild(old_case.child_id())));
  EXPECT_EQ(child.child().household().village_code(), kWudingOtherTownshipVillage);
  EXPECT_EQ(child.child().household().address_detail(), kNewAddress);
  EXPECT_FALSE(child.child().household().has_latitude());
  EXPECT_EQ(Found("532329102"), 1);
  EXPECT_EQ(Found("532329101"), 0);
  v1::CaseAccepted accepted;
  ASSERT_TRUE(Events().back().payload().UnpackTo(&accepted));
  EXPECT_EQ(accepted.village_code(), kWudingOtherTownshipVillage);
  // The closed case stays where its work was done.
  v1::GetCaseRequest get;
  get.set_purpose("case review");
  get.set_case_id(old_case.case_id());
  ASSERT_OK_AND_ASSIGN(auto closed, Call(&Registry::GetCase, wuding_officer_, get));
  EXPECT_EQ(closed.case_().village_code(), kWudingVillage);
}

}  // namespace
}  // namespace shouhu::registry::testing
