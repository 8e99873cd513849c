// Transfers of a case between counties, against real MariaDB over loopback gRPC: until accepted the
// receiving county sees the request, not the case; after it, the case and child live in the new county and
// the sending county no longer sees them; history stays; the event carries both village codes; accept and
// cancel race to one winner.
#include <thread>

#include "shouhu/registry/v1/events.pb.h"
#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Coop = v1::CaseCooperationService::Stub;

class CooperationTransferTest : public RegistryTest {
 protected:
  static v1::RequestCountyTransferRequest Move(const std::string& request_id, const std::string& case_id,
                                               const std::string& to_village = kXixiaVillage) {
    v1::RequestCountyTransferRequest r;
    r.set_request_id(request_id);
    r.set_case_id(case_id);
    r.set_to_village_code(to_village);
    r.set_reason("随务工父母迁居银川，就读当地小学");
    return r;
  }

  template <typename Request>
  static Request Decide(const std::string& request_id, const std::string& transfer_id,
                        const std::string& reason = "") {
    Request r;
    r.set_request_id(request_id);
    r.set_transfer_id(transfer_id);
    if constexpr (!std::is_same_v<Request, v1::AcceptCountyTransferRequest>) r.set_reason(reason);
    return r;
  }

  absl::Status SeesCase(const Principal& as, const std::string& case_id) {
    v1::GetCaseRequest r;
    r.set_purpose("case review");
    r.set_case_id(case_id);
    return Call(&v1::RegistryService::Stub::GetCase, as, r).status();
  }

  absl::Status SeesChild(const Principal& as, const std::string& child_id) {
    v1::GetChildRequest r;
    r.set_child_id(child_id);
    r.set_purpose("核实转移");
    return Call(&v1::RegistryService::Stub::GetChild, as, r).status();
  }

  int Listed(const Principal& as, v1::Direction direction, const std::string& prefix) {
    v1::ListCountyTransfersRequest r;
    r.set_direction(direction);
    r.set_division_prefix(prefix);
    auto listed = Cooperate(&Coop::ListCountyTransfers, as, r);
    EXPECT_TRUE(listed.ok()) << listed.status();
    return listed.ok() ? listed->transfers_size() : -1;
  }
};

TEST_F(CooperationTransferTest, Accepted_CaseMovesCounty_BothSidesScopedRight_HistoryAndEventKept) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_OK_AND_ASSIGN(auto requested,
                       Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, Move("m1", c.case_id())));
  const v1::CountyTransfer& t = requested.transfer();
  EXPECT_EQ(t.status(), v1::COUNTY_TRANSFER_STATUS_REQUESTED);
  EXPECT_EQ(t.from_village_code(), kWudingVillage);
  EXPECT_EQ(t.to_village_code(), kXixiaVillage);

  // Until accepted: Xixia sees the request, not the case or the child.
  EXPECT_EQ(Listed(xixia_officer_, v1::DIRECTION_INCOMING, "640105"), 1);
  EXPECT_THAT(SeesCase(xixia_officer_, c.case_id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(SeesChild(xixia_officer_, c.child_id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(SeesCase(wuding_officer_, c.case_id()));
  EXPECT_EQ(Listed(wuding_officer_, v1::DIRECTION_OUTGOING, "532329"), 1);

  // The sending county cannot accept its own request.
  EXPECT_THAT(Cooperate(&Coop::AcceptCountyTransfer, wuding_officer_,
                        Decide<v1::AcceptCountyTransferRequest>("a0", t.transfer_id())),
              StatusIs(absl::StatusCode::kPermissionDenied));

  ASSERT_OK_AND_ASSIGN(auto accepted,
                       Cooperate(&Coop::AcceptCountyTransfer, xixia_officer_,
                                 Decide<v1::AcceptCountyTransferRequest>("a1", t.transfer_id())));
  EXPECT_EQ(accepted.transfer().status(), v1::COUNTY_TRANSFER_STATUS_ACCEPTED);
  EXPECT_EQ(accepted.transfer().decided_by(), "officer-xixia");

  // After: Xixia holds the case and child; Wuding no longer sees either.
  v1::GetCaseRequest get;
  get.set_purpose("case review");
  get.set_case_id(c.case_id());
  ASSERT_OK_AND_ASSIGN(auto moved, Call(&v1::RegistryService::Stub::GetCase, xixia_officer_, get));
  EXPECT_EQ(moved.case_().village_code(), kXixiaVillage);
  EXPECT_EQ(moved.case_().organisation_id(), "xixia-civil-affairs");
  std::vector<std::string> actions;
  for (const auto& h : moved.case_().history()) actions.push_back(h.action());
  EXPECT_EQ(actions, (std::vector<std::string>{"accepted", "county_moved"}));
  EXPECT_OK(SeesChild(xixia_officer_, c.child_id()));
  // The child's Wuding address and coordinates do not come along to Xixia, where they would send a visitor
  // astray; the request gave no new home, so Xixia records it (MoveHousehold).
  EXPECT_EQ(Count(absl::StrCat("children WHERE id = '", c.child_id(), "' AND village_code = '", kXixiaVillage,
                               "' AND address_detail = '' AND latitude IS NULL AND longitude IS NULL")),
            1);
  EXPECT_THAT(SeesCase(wuding_officer_, c.case_id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(SeesCase(wuding_caseworker_, c.case_id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(SeesChild(wuding_officer_, c.child_id()), StatusIs(absl::StatusCode::kNotFound));
  // Wuding keeps the record of its request.
  EXPECT_EQ(Listed(wuding_officer_, v1::DIRECTION_OUTGOING, "532329"), 1);

  int moves = 0;
  for (const auto& e : Events()) {
    if (!e.payload().Is<v1::CaseMovedCounty>()) continue;
    ++moves;
    v1::CaseMovedCounty m;
    ASSERT_TRUE(e.payload().UnpackTo(&m));
    EXPECT_EQ(m.case_id(), c.case_id());
    EXPECT_EQ(m.child_id(), c.child_id());
    EXPECT_EQ(m.from_village_code(), kWudingVillage);
    EXPECT_EQ(m.to_village_code(), kXixiaVillage);
    EXPECT_EQ(m.from_organisation_id(), "ngo-wuding");
    EXPECT_EQ(m.to_organisation_id(), "xixia-civil-affairs");
  }
  EXPECT_EQ(moves, 1);

  // A retried accept returns the first answer and moves nothing again; a cancel now is out of order.
  ASSERT_OK(Cooperate(&Coop::AcceptCountyTransfer, xixia_officer_,
                      Decide<v1::AcceptCountyTransferRequest>("a1", t.transfer_id())));
  EXPECT_THAT(Cooperate(&Coop::CancelCountyTransfer, wuding_officer_,
                        Decide<v1::CancelCountyTransferRequest>("c1", t.transfer_id(), "撤回")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  int moves_after_retry = 0;
  for (const auto& e : Events()) moves_after_retry += e.payload().Is<v1::CaseMovedCounty>() ? 1 : 0;
  EXPECT_EQ(moves_after_retry, 1);
}

TEST_F(CooperationTransferTest, Rejected_CaseStaysAndANewRequestMayFollow_OneOpenRequestAtATime) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_OK_AND_ASSIGN(auto first,
                       Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, Move("m1", c.case_id())));
  EXPECT_THAT(Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, Move("m2", c.case_id())),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(Cooperate(
      &Coop::RejectCountyTransfer, xixia_officer_,
      Decide<v1::RejectCountyTransferRequest>("x1", first.transfer().transfer_id(), "地址核实不到该儿童")));
  EXPECT_OK(SeesCase(wuding_officer_, c.case_id()));
  EXPECT_THAT(SeesCase(xixia_officer_, c.case_id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Cooperate(&Coop::AcceptCountyTransfer, xixia_officer_,
                        Decide<v1::AcceptCountyTransferRequest>("a1", first.transfer().transfer_id())),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, Move("m3", c.case_id())));
  EXPECT_EQ(Count("county_transfers"), 2);
}

// A case closed while its transfer request waits: the request is cancelled with it (it could never be
// accepted, and it held the case's one open slot in the receiving county's inbox); reopened, the case may be
// asked to move again.
TEST_F(CooperationTransferTest, CaseClosedWhileARequestWaits_TheRequestIsCancelledWithIt) {
  v1::Case c = RegisterChild("1", "李娜");
  ASSERT_OK_AND_ASSIGN(auto first,
                       Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, Move("m1", c.case_id())));
  auto close = WithCase<v1::CloseCaseRequest>("x1", c.case_id());
  close.set_reason("父母返乡，监护恢复");
  ASSERT_OK(Call(&v1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  v1::ListCountyTransfersRequest list;
  list.set_direction(v1::DIRECTION_OUTGOING);
  list.set_division_prefix("532329");
  ASSERT_OK_AND_ASSIGN(auto listed, Cooperate(&Coop::ListCountyTransfers, wuding_officer_, list));
  ASSERT_EQ(listed.transfers_size(), 1);
  EXPECT_EQ(listed.transfers(0).transfer_id(), first.transfer().transfer_id());
  EXPECT_EQ(listed.transfers(0).status(), v1::COUNTY_TRANSFER_STATUS_CANCELLED);
  EXPECT_EQ(listed.transfers(0).decided_by(), "officer-wuding");
  EXPECT_EQ(Listed(xixia_officer_, v1::DIRECTION_INCOMING, "640105"), 1);  // the record of it stays
  auto reopen = WithCase<v1::ReopenCaseRequest>("o1", c.case_id());
  reopen.set_reason("父亲再次外出务工");
  ASSERT_OK(Call(&v1::RegistryService::Stub::ReopenCase, wuding_officer_, reopen));
  EXPECT_OK(Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, Move("m2", c.case_id())));
}

TEST_F(CooperationTransferTest, Request_BadDestinationOrScope_NamesTheFieldAndWritesNothing) {
  v1::Case c = RegisterChild("1", "李娜");
  auto same_county =
      Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, Move("m1", c.case_id(), kWudingVillage2));
  EXPECT_THAT(same_county, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(same_county.status()), "to_village_code");
  auto unknown =
      Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, Move("m2", c.case_id(), "640105001999"));
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(unknown.status()), "to_village_code");
  auto no_reason = Move("m3", c.case_id());
  no_reason.clear_reason();
  EXPECT_EQ(FieldOf(Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, no_reason).status()),
            "reason");
  EXPECT_THAT(Cooperate(&Coop::RequestCountyTransfer, other_ngo_caseworker_, Move("m4", c.case_id())),
              StatusIs(absl::StatusCode::kNotFound));
  // The new home lies in the destination village, and its point has both coordinates.
  auto elsewhere = Move("m5", c.case_id());
  elsewhere.mutable_to_home()->set_village_code(kWudingVillage2);
  EXPECT_EQ(FieldOf(Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, elsewhere).status()),
            "to_home.village_code");
  auto half_a_point = Move("m6", c.case_id());
  half_a_point.mutable_to_home()->set_latitude(38.47);
  EXPECT_EQ(FieldOf(Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, half_a_point).status()),
            "to_home.longitude");
  EXPECT_EQ(Count("county_transfers"), 0);
}

// The sending county knows where the child went: the address and point it gives with the request reach the
// child's record when the receiving county accepts, so the first visit there finds the home; a decided
// request, accepted or not, holds no address any more.
TEST_F(CooperationTransferTest,
       NewHomeGivenWithTheRequest_TheChildArrivesThere_DecidedRequestsHoldNoAddress) {
  constexpr char kNewAddress[] = "西夏区怀远路街道同心苑小区5号楼2单元";
  v1::Case c = RegisterChild("1", "李娜");
  auto move = Move("m1", c.case_id());
  move.mutable_to_home()->set_address_detail(kNewAddress);
  move.mutable_to_home()->set_latitude(38.49);
  move.mutable_to_home()->set_longitude(106.13);
  ASSERT_OK_AND_ASSIGN(auto requested, Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, move));
  EXPECT_EQ(Count(absl::StrCat("county_transfers WHERE to_address_detail = '", kNewAddress, "'")), 1);
  ASSERT_OK(Cooperate(&Coop::AcceptCountyTransfer, xixia_officer_,
                      Decide<v1::AcceptCountyTransferRequest>("a1", requested.transfer().transfer_id())));
  v1::GetChildRequest get;
  get.set_child_id(c.child_id());
  get.set_purpose("安排首次家访");
  ASSERT_OK_AND_ASSIGN(auto child, Call(&v1::RegistryService::Stub::GetChild, xixia_officer_, get));
  EXPECT_EQ(child.child().household().village_code(), kXixiaVillage);
  EXPECT_EQ(child.child().household().address_detail(), kNewAddress);
  EXPECT_DOUBLE_EQ(child.child().household().latitude(), 38.49);
  EXPECT_DOUBLE_EQ(child.child().household().longitude(), 106.13);

  // Refused, or withdrawn: the address goes with the decision too.
  v1::Case other = RegisterChild("2", "王芳");
  auto refused = Move("m2", other.case_id());
  *refused.mutable_to_home() = move.to_home();
  ASSERT_OK_AND_ASSIGN(auto first, Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, refused));
  ASSERT_OK(Cooperate(
      &Coop::RejectCountyTransfer, xixia_officer_,
      Decide<v1::RejectCountyTransferRequest>("x1", first.transfer().transfer_id(), "地址核实不到该儿童")));
  auto withdrawn = refused;
  withdrawn.set_request_id("m3");
  ASSERT_OK_AND_ASSIGN(auto second, Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_, withdrawn));
  ASSERT_OK(Cooperate(
      &Coop::CancelCountyTransfer, wuding_caseworker_,
      Decide<v1::CancelCountyTransferRequest>("c1", second.transfer().transfer_id(), "家长改变主意")));
  EXPECT_EQ(Count("county_transfers"), 3);
  EXPECT_EQ(Count("county_transfers WHERE to_address_detail = '' AND to_latitude IS NULL AND "
                  "to_longitude IS NULL"),
            3);
}

TEST_F(CooperationTransferTest, AcceptAndCancel_Concurrently_ExactlyOneWins) {
  for (int round = 0; round < 8; ++round) {
    const std::string tag = std::to_string(round);
    v1::Case c = RegisterChild(tag, "李娜" + tag);
    ASSERT_OK_AND_ASSIGN(auto requested, Cooperate(&Coop::RequestCountyTransfer, wuding_caseworker_,
                                                   Move("m" + tag, c.case_id())));
    const std::string id = requested.transfer().transfer_id();
    absl::Status accepted, cancelled;
    std::thread accept([&] {
      accepted = Cooperate(&Coop::AcceptCountyTransfer, xixia_officer_,
                           Decide<v1::AcceptCountyTransferRequest>("a" + tag, id))
                     .status();
    });
    std::thread cancel([&] {
      cancelled = Cooperate(&Coop::CancelCountyTransfer, wuding_officer_,
                            Decide<v1::CancelCountyTransferRequest>("c" + tag, id, "家长改变主意"))
                      .status();
    });
    accept.join();
    cancel.join();
    ASSERT_NE(accepted.ok(), cancelled.ok()) << "accept: " << accepted << " cancel: " << cancelled;
    const absl::Status& loser = accepted.ok() ? cancelled : accepted;
    EXPECT_THAT(loser, StatusIs(absl::StatusCode::kFailedPrecondition));
    // The case is where the winner left it.
    if (accepted.ok()) {
      EXPECT_OK(SeesCase(xixia_officer_, c.case_id()));
      EXPECT_THAT(SeesCase(wuding_officer_, c.case_id()), StatusIs(absl::StatusCode::kNotFound));
    } else {
      EXPECT_OK(SeesCase(wuding_officer_, c.case_id()));
      EXPECT_THAT(SeesCase(xixia_officer_, c.case_id()), StatusIs(absl::StatusCode::kNotFound));
    }
  }
}

}  // namespace
}  // namespace shouhu::registry::testing
