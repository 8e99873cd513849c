// Triage as pure rules: what may be accepted, rejected or transferred and why, and what a triager is told
// about a child outside their scope (nothing).
#include "services/registry/triage.h"

#include <gtest/gtest.h>

#include "common/status_macros.h"
#include "services/registry/registry_access.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_server.h"
#include "tests/unit/registry/rules_actor.h"

namespace shouhu::registry {
namespace {

using ::shouhu::testing::MakePrincipal;
using ::shouhu::testing::StatusIs;

using ::shouhu::registry::testing::kActor;

v1::Referral Pending() {
  v1::Referral r;
  r.set_referral_id("01JREFERRAL000000000000000");
  r.set_status(v1::REFERRAL_STATUS_PENDING);
  r.set_referring_organisation_id("ngo-a");
  r.set_assigned_organisation_id("ngo-a");
  r.mutable_household()->set_village_code("532329101001");
  return r;
}

TEST(Triage, Reject_DecidesWithReasonAndTime_OnlyOnce) {
  ASSERT_OK_AND_ASSIGN(ReferralChange change, RejectReferral(Pending(), kActor, "不符合认定条件"));
  EXPECT_EQ(change.updated.status(), v1::REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(change.updated.decision_reason(), "不符合认定条件");
  EXPECT_TRUE(change.updated.has_decided_at());
  EXPECT_EQ(change.action, "rejected");
  EXPECT_THAT(RejectReferral(change.updated, kActor, "again"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(AcceptReferral(change.updated, kActor, "01JCASE0000000000000000000"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(Triage, Transfer_MovesTriageButLeavesItUndecided) {
  ASSERT_OK_AND_ASSIGN(ReferralChange change, TransferReferral(Pending(), kActor, "ngo-b", "驻点社工"));
  EXPECT_EQ(change.updated.assigned_organisation_id(), "ngo-b");
  EXPECT_EQ(change.updated.status(), v1::REFERRAL_STATUS_PENDING);
  EXPECT_FALSE(change.updated.has_decided_at());
  EXPECT_EQ(change.detail, "ngo-a -> ngo-b: 驻点社工");
  EXPECT_THAT(TransferReferral(Pending(), kActor, "ngo-a", "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(Triage, Accept_RecordsTheCaseAndTheDecisionTime) {
  ASSERT_OK_AND_ASSIGN(ReferralChange change,
                       AcceptReferral(Pending(), kActor, "01JCASE0000000000000000000"));
  EXPECT_EQ(change.updated.status(), v1::REFERRAL_STATUS_ACCEPTED);
  EXPECT_EQ(change.updated.case_id(), "01JCASE0000000000000000000");
  EXPECT_TRUE(change.updated.has_decided_at());
}

TEST(Triage, ChildToAcceptOnto_TheTriagersChoiceMustBeAMatch) {
  ReferralRecord record{Pending(), ChildMatch{"01JLINKED00000000000000000", "640105001002", "ngo-x"}, {}};
  ASSERT_OK_AND_ASSIGN(auto linked, ChildToAcceptOnto(record, ""));
  EXPECT_EQ(linked, "01JLINKED00000000000000000");
  auto other = ChildToAcceptOnto(record, "01JOTHER000000000000000000");
  EXPECT_THAT(other, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(other.status()), "existing_child_id");
  record.linked.reset();
  ASSERT_OK_AND_ASSIGN(auto none, ChildToAcceptOnto(record, ""));
  EXPECT_FALSE(none.has_value());
}

TEST(Triage, CheckAcceptOnto_NamesNothingOutsideTheTriagersScope) {
  const Principal wuding =
      MakePrincipal("o", "wuding-ca", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  const Principal ngo_b = MakePrincipal("b", "ngo-b", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  RegisteredChild xixia_child{"01JCHILDX00000000000000000", "640105001002", "ngo-x",
                              "01JCASEX000000000000000000", v1::CASE_STATUS_ACTIVE};
  absl::Status elsewhere = CheckAcceptOnto(wuding, xixia_child);
  EXPECT_THAT(elsewhere, StatusIs(absl::StatusCode::kFailedPrecondition));
  for (const char* secret : {"01JCHILDX", "01JCASEX", "640105", "ngo-x"}) {
    EXPECT_EQ(elsewhere.message().find(secret), absl::string_view::npos) << elsewhere.message();
  }
  xixia_child.current_case_status = v1::CASE_STATUS_CLOSED;
  EXPECT_THAT(CheckAcceptOnto(wuding, xixia_child), StatusIs(absl::StatusCode::kFailedPrecondition));

  RegisteredChild own{"01JCHILD000000000000000000", "532329101001", "ngo-a", "01JCASE0000000000000000000",
                      v1::CASE_STATUS_ACTIVE};
  absl::Status open = CheckAcceptOnto(wuding, own);
  EXPECT_THAT(open, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(open.message().find("01JCASE0000000000000000000"), absl::string_view::npos);
  absl::Status other_org = CheckAcceptOnto(ngo_b, own);
  EXPECT_THAT(other_org, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(other_org.message().find("01JCASE"), absl::string_view::npos);
  own.current_case_status = v1::CASE_STATUS_CLOSED;
  EXPECT_OK(CheckAcceptOnto(wuding, own));
}

TEST(ReferralAsSeenBy, MatchesOnlyWhereTheReadersScopeHoldsThem) {
  const Principal wuding =
      MakePrincipal("o", "wuding-ca", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  const Principal xixia = MakePrincipal("x", "xixia-ca", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"640105"});
  const Principal ngo_a = MakePrincipal("a", "ngo-a", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  v1::Referral in_xixia = Pending();
  in_xixia.mutable_household()->set_village_code("640105001002");
  ReferralRecord record{in_xixia, ChildMatch{"01JCHILD000000000000000000", "532329101001", "ngo-b"}, {}};
  EXPECT_TRUE(ReferralAsSeenBy(xixia, record).linked_child_id().empty());
  EXPECT_EQ(ReferralAsSeenBy(wuding, record).linked_child_id(), "01JCHILD000000000000000000");
  EXPECT_TRUE(ReferralAsSeenBy(ngo_a, record).linked_child_id().empty());
  EXPECT_TRUE(CanSeeReferral(wuding, record));  // routed to the jurisdiction holding the child
  EXPECT_EQ(ReferralAccessVillage(wuding, record), "532329101001");  // logged where Wuding's auditors look
  EXPECT_EQ(ReferralAccessVillage(xixia, record), "640105001002");
  EXPECT_FALSE(CanSeeReferral(ngo_a, record));
  ReferralRecord flagged{Pending(), std::nullopt, {{"01JDUP00000000000000000000", "532329101001", ""}}};
  EXPECT_EQ(ReferralAsSeenBy(wuding, flagged).possible_duplicate_child_ids_size(), 1);
  EXPECT_EQ(ReferralAsSeenBy(ngo_a, flagged).possible_duplicate_child_ids_size(), 0);  // whose it is: unknown
}

}  // namespace
}  // namespace shouhu::registry
