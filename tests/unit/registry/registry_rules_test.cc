// The registry's pure rules: the case lifecycle, duplicate names, submission checks, who sees what.
#include <gtest/gtest.h>

#include "common/method_access.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "services/registry/case_lifecycle.h"
#include "services/registry/duplicates.h"
#include "services/registry/registry_access.h"
#include "services/registry/registry_validation.h"
#include "services/registry/statistics_disclosure.h"
#include "shouhu/registry/v1/events.pb.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_server.h"
#include "tests/unit/registry/rules_actor.h"

namespace shouhu::registry {
namespace {

using ::shouhu::testing::MakePrincipal;
using ::shouhu::testing::StatusIs;

v1::Case OpenCase(v1::CaseStatus status = v1::CASE_STATUS_ACTIVE) {
  v1::Case c;
  c.set_case_id("01JCASE0000000000000000000");
  c.set_child_id("01JCHILD000000000000000000");
  c.set_organisation_id("ngo-a");
  c.set_caseworker_id("cw-1");
  c.set_status(status);
  c.set_risk_level(v1::RISK_LEVEL_MEDIUM);
  c.set_village_code("532329101001");
  return c;
}

using ::shouhu::registry::testing::kActor;

TEST(CaseLifecycle, Verifying_CompletesToActive_WithEventAndHistory) {
  ASSERT_OK_AND_ASSIGN(CaseChange change,
                       CompleteVerification(OpenCase(v1::CASE_STATUS_VERIFYING), kActor, "ok"));
  EXPECT_EQ(change.updated.status(), v1::CASE_STATUS_ACTIVE);
  EXPECT_EQ(change.entry.from_status(), v1::CASE_STATUS_VERIFYING);
  EXPECT_EQ(change.entry.to_status(), v1::CASE_STATUS_ACTIVE);
  EXPECT_EQ(change.entry.actor(), "officer-1");
  EXPECT_EQ(change.event->GetDescriptor()->full_name(), "shouhu.registry.v1.CaseVerified");
  EXPECT_THAT(CompleteVerification(OpenCase(v1::CASE_STATUS_ACTIVE), kActor, ""),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(CaseLifecycle, ClosedCase_AcceptsOnlyReopen) {
  ASSERT_OK_AND_ASSIGN(CaseChange closed, CloseCase(OpenCase(), kActor, "监护恢复"));
  EXPECT_EQ(closed.updated.status(), v1::CASE_STATUS_CLOSED);
  EXPECT_EQ(closed.updated.close_reason(), "监护恢复");
  const v1::Case& c = closed.updated;
  EXPECT_THAT(CloseCase(c, kActor, "again"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(TransferCase(c, kActor, "ngo-b", "cw-2", "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(SetRiskLevel(c, kActor, v1::RISK_LEVEL_HIGH, "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::CareArrangement care;
  care.set_type(v1::CARE_ARRANGEMENT_TYPE_KINSHIP_CAREGIVER);
  EXPECT_THAT(ChangeCareArrangement(c, kActor, care, "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(CaseChange reopened, ReopenCase(c, kActor, "父亲再次外出"));
  EXPECT_EQ(reopened.updated.status(), v1::CASE_STATUS_ACTIVE);
  EXPECT_FALSE(reopened.updated.has_closed_at());
  EXPECT_TRUE(reopened.updated.close_reason().empty());
  EXPECT_THAT(ReopenCase(OpenCase(), kActor, "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  // Replaced by a later case of the child: it stays closed.
  v1::Case replaced = c;
  replaced.set_replaced(true);
  EXPECT_THAT(ReopenCase(replaced, kActor, "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(CaseLifecycle, Transfer_ChangesOrganisation_AndNamesBothInTheEvent) {
  ASSERT_OK_AND_ASSIGN(CaseChange change, TransferCase(OpenCase(), kActor, "ngo-b", "cw-2", "就近服务"));
  EXPECT_EQ(change.updated.organisation_id(), "ngo-b");
  EXPECT_EQ(change.updated.caseworker_id(), "cw-2");
  const auto& event = static_cast<const v1::CaseTransferred&>(*change.event);
  EXPECT_EQ(event.from_organisation_id(), "ngo-a");
  EXPECT_EQ(event.to_organisation_id(), "ngo-b");
  EXPECT_THAT(TransferCase(OpenCase(), kActor, "ngo-a", "cw-1", "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(CaseLifecycle, RiskChange_RecordsBothLevels) {
  ASSERT_OK_AND_ASSIGN(CaseChange change, SetRiskLevel(OpenCase(), kActor, v1::RISK_LEVEL_EXTREME, "独居"));
  const auto& event = static_cast<const v1::RiskLevelChanged&>(*change.event);
  EXPECT_EQ(event.from_risk_level(), v1::RISK_LEVEL_MEDIUM);
  EXPECT_EQ(event.to_risk_level(), v1::RISK_LEVEL_EXTREME);
  EXPECT_EQ(change.updated.risk_level(), v1::RISK_LEVEL_EXTREME);
}

v1::Household Home(const std::string& village, const std::string& address) {
  v1::Household h;
  h.set_village_code(village);
  h.set_address_detail(address);
  h.set_latitude(25.53);
  h.set_longitude(102.4);
  return h;
}

TEST(CaseLifecycle, MoveHousehold_InsideTheCounty_MovesTheCaseAndNamesBothVillages) {
  const v1::Case open = OpenCase();
  const v1::Household home = Home(open.village_code(), "东岳村3组12号");
  const v1::Household to = Home("532329102201", "高桥镇新村5组8号");
  ASSERT_OK_AND_ASSIGN(CaseChange change, MoveHousehold(open, home, to, kActor, "随祖母搬家"));
  EXPECT_EQ(change.updated.village_code(), "532329102201");
  EXPECT_EQ(change.entry.action(), "household_moved");
  EXPECT_EQ(change.entry.from_status(), change.entry.to_status());
  EXPECT_EQ(change.entry.detail().find("新村"), std::string::npos) << "no address in the history";
  auto* event = dynamic_cast<v1::HouseholdMoved*>(change.event.get());
  ASSERT_NE(event, nullptr);
  EXPECT_EQ(event->from_village_code(), open.village_code());
  EXPECT_EQ(event->to_village_code(), "532329102201");
  EXPECT_EQ(event->organisation_id(), open.organisation_id());
}

TEST(CaseLifecycle, MoveHousehold_AnotherCountyClosedOrTheSameHome_IsRefused) {
  const v1::Case open = OpenCase();
  const v1::Household home = Home(open.village_code(), "东岳村3组12号");
  EXPECT_THAT(MoveHousehold(open, home, Home("640105001002", "x"), kActor, "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(MoveHousehold(OpenCase(v1::CASE_STATUS_CLOSED), home, Home("532329102201", "x"), kActor, "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // The same place to the micro-degree the registry keeps is the same home.
  v1::Household same = home;
  same.set_latitude(25.5300001);
  EXPECT_FALSE(IsAnotherHome(home, same));
  EXPECT_THAT(MoveHousehold(open, home, same, kActor, "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  same.clear_latitude();
  same.clear_longitude();
  EXPECT_TRUE(IsAnotherHome(home, same));
  same = home;
  same.set_address_detail("东岳村3组13号");
  EXPECT_TRUE(IsAnotherHome(home, same));
}

TEST(StatisticsDisclosure, RowsOfOneToFourChildrenWithheld_ZeroAndFiveKept) {
  Statistics s;
  s.by_county = {{"532329", v1::CASE_STATUS_ACTIVE, 5}, {"532329", v1::CASE_STATUS_CLOSED, 4}};
  s.by_category = {{v1::CHILD_CATEGORY_LEFT_BEHIND, 12}, {v1::CHILD_CATEGORY_STREET_CHILD, 1}};
  s.by_risk = {{v1::RISK_LEVEL_LOW, 0}, {v1::RISK_LEVEL_EXTREME, 2}};
  WithholdSmallCounts(s, kSmallestCountShown);
  ASSERT_EQ(s.by_county.size(), 1u);
  EXPECT_EQ(s.by_county[0].children, 5);
  ASSERT_EQ(s.by_category.size(), 1u);
  EXPECT_EQ(s.by_category[0].first, v1::CHILD_CATEGORY_LEFT_BEHIND);
  ASSERT_EQ(s.by_risk.size(), 1u);
  EXPECT_EQ(s.by_risk[0].first, v1::RISK_LEVEL_LOW);
  EXPECT_OK(CheckWholeCountiesOnly("532329"));
  EXPECT_OK(CheckWholeCountiesOnly("53"));
  EXPECT_THAT(CheckWholeCountiesOnly("532329101"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SimilarNames, OneCharacterApart_IsSimilar) {
  EXPECT_TRUE(SimilarNames("张小明", "张晓明"));  // one substituted
  EXPECT_TRUE(SimilarNames("李娜", "李娜娜"));    // one inserted
  EXPECT_TRUE(SimilarNames("张小明", "张小明"));
  EXPECT_TRUE(SimilarNames("Li Na", "li na"));
  EXPECT_FALSE(SimilarNames("张小明", "李小红"));
  EXPECT_FALSE(SimilarNames("王芳", "王芳芳芳"));
  EXPECT_FALSE(SimilarNames("", "王芳"));
}

TEST(PossibleDuplicates, KeepsTheSimilarNamesInTheirOrder) {
  const std::vector<DuplicateCandidate> born = {{{"c1", "532329101001", ""}, "张晓明"},
                                                {{"c2", "532329101001", "ngo-wuding"}, "李小红"},
                                                {{"c3", "532329101001", ""}, "张小明"}};
  const std::vector<ChildMatch> matches = PossibleDuplicates("张小明", born);
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[0].child_id, "c1");
  EXPECT_EQ(matches[1].child_id, "c3");
  EXPECT_TRUE(PossibleDuplicates("王芳", born).empty());
  EXPECT_TRUE(PossibleDuplicates("张小明", {}).empty());
}

TEST(PossibleDuplicates, ComparesOnlyTheFirstCandidatesInIdOrder) {
  // A batch's one statement reads every child of the village and day; only the first 50, as one
  // referral's own read did (LIMIT 50), are compared.
  std::vector<DuplicateCandidate> born;
  for (size_t i = 0; i < kMaxDuplicateCandidates; ++i) {
    born.push_back({{"c" + std::to_string(100 + i), "532329101001", ""}, "李小红"});
  }
  born.push_back({{"c999", "532329101001", ""}, "张小明"});
  EXPECT_TRUE(PossibleDuplicates("张小明", born).empty());
  born.erase(born.begin());
  ASSERT_EQ(PossibleDuplicates("张小明", born).size(), 1u);
  EXPECT_EQ(PossibleDuplicates("张小明", born)[0].child_id, "c999");
}

v1::SubmitReferralRequest Submission() {
  v1::SubmitReferralRequest r;
  r.set_request_id("r1");
  r.set_source(v1::REFERRAL_SOURCE_HOTLINE);
  r.mutable_child()->set_name("张小明");
  r.mutable_child()->set_sex(v1::SEX_MALE);
  r.mutable_child()->set_birth_date("2015-06-07");
  r.mutable_child()->set_resident_id("532329201506071232");
  r.mutable_household()->set_village_code("532329101001");
  r.add_categories(v1::CHILD_CATEGORY_STREET_CHILD);
  r.set_reason("街头流浪");
  r.set_observed_risk(v1::RISK_LEVEL_HIGH);
  return r;
}

TEST(ValidateSubmission, ResidentIdMustAgreeWithBirthDateAndSex) {
  const absl::CivilDay today(2026, 11, 23);
  EXPECT_OK(ValidateSubmission(Submission(), today));
  auto female = Submission();
  female.mutable_child()->set_sex(v1::SEX_FEMALE);
  auto result = ValidateSubmission(female, today);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(result.status()), "child.resident_id");
  auto lower_x = Submission();
  lower_x.mutable_child()->set_resident_id("53232920150607103x");
  ASSERT_OK_AND_ASSIGN(v1::Referral normalised, ValidateSubmission(lower_x, today));
  EXPECT_EQ(normalised.child().resident_id(), "53232920150607103X");
}

TEST(ValidateSubmission, SeventeenYearOld_IsAChild_EighteenIsNot) {
  auto r = Submission();
  r.mutable_child()->clear_resident_id();
  r.mutable_child()->set_birth_date("2008-11-24");
  EXPECT_OK(ValidateSubmission(r, absl::CivilDay(2026, 11, 23)));
  r.mutable_child()->set_birth_date("2008-11-23");
  EXPECT_EQ(FieldOf(ValidateSubmission(r, absl::CivilDay(2026, 11, 23)).status()), "child.birth_date");
}

TEST(AccessPolicy, NgoRolesSeeTheirOrganisationOnly_OfficersTheirWholeCounty) {
  const Principal officer =
      MakePrincipal("o", "wuding-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  const Principal ngo_a = MakePrincipal("a", "ngo-a", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal ngo_b = MakePrincipal("b", "ngo-b", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal elsewhere = MakePrincipal("x", "xixia", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"640105"});
  EXPECT_TRUE(InScope(officer, CaseScope(OpenCase())));
  EXPECT_TRUE(InScope(ngo_a, CaseScope(OpenCase())));
  EXPECT_FALSE(InScope(ngo_b, CaseScope(OpenCase())));
  EXPECT_FALSE(InScope(elsewhere, CaseScope(OpenCase())));
  EXPECT_TRUE(MaySeeFullResidentId(officer));
  EXPECT_FALSE(MaySeeFullResidentId(ngo_a));
}

TEST(AccessPolicy, TriageIsForTheAssignedOrganisation_TheReferrerStillSeesIt) {
  const Principal ngo_a = MakePrincipal("a", "ngo-a", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal ngo_b = MakePrincipal("b", "ngo-b", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal ngo_c = MakePrincipal("c", "ngo-c", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  v1::Referral referral;
  referral.mutable_household()->set_village_code("532329101001");
  referral.set_referring_organisation_id("ngo-a");
  referral.set_assigned_organisation_id("ngo-b");
  EXPECT_TRUE(CanSeeReferral(ngo_a, referral));
  EXPECT_THAT(RequireTriageScope(ngo_a, referral), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_OK(RequireTriageScope(ngo_b, referral));
  EXPECT_FALSE(CanSeeReferral(ngo_c, referral));
  EXPECT_THAT(RequireTriageScope(ngo_c, referral), StatusIs(absl::StatusCode::kNotFound));
}

TEST(MethodRoles, FromTheProto_VolunteersReadNoChildAndOnlyAuditorsReadTheAccessLog) {
  const auto method = [](const char* name) {
    return FindMethod(std::string("shouhu.registry.v1.RegistryService/") + name);
  };
  const Principal volunteer = MakePrincipal("v", "ngo-a", common::v1::ROLE_VOLUNTEER, {"532329"});
  const Principal officer = MakePrincipal("o", "wc", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  const Principal auditor = MakePrincipal("au", "audit", common::v1::ROLE_AUDITOR, {"53"});
  ASSERT_NE(method("GetChild"), nullptr);
  EXPECT_FALSE(MayCall(volunteer, *method("GetChild")));
  EXPECT_FALSE(MayCall(volunteer, *method("SubmitReferral")));
  EXPECT_TRUE(MayCall(volunteer, *method("GetDivision")));
  EXPECT_TRUE(MayCall(auditor, *method("ListAccessLog")));
  EXPECT_FALSE(MayCall(officer, *method("ListAccessLog")));
}

}  // namespace
}  // namespace shouhu::registry
