// Reads of children: scoping, masking, the access log, search, statistics, divisions.
#include <algorithm>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;

v1::GetChildRequest GetChildRequest(const std::string& child_id) {
  v1::GetChildRequest r;
  r.set_child_id(child_id);
  r.set_purpose("weekend home visit preparation");
  return r;
}

TEST_F(RegistryTest, GetChild_LogsTheReadBeforeAnswering_AndAuditorsSeeIt) {
  ASSERT_OK_AND_ASSIGN(auto referral, Submit(wuding_caseworker_,
                                             Referral("r1", "张小明", "2015-06-07", "532329201506071232")));
  ASSERT_OK_AND_ASSIGN(v1::Case c, Accept(wuding_officer_, "a1", referral.referral_id()));
  const int64_t before = Count(kAccessLogEntries);

  ASSERT_OK_AND_ASSIGN(auto as_caseworker, Call(&v1::RegistryService::Stub::GetChild, wuding_caseworker_,
                                                GetChildRequest(c.child_id())));
  EXPECT_EQ(Count(kAccessLogEntries), before + 1);  // durable by the time the answer arrived
  EXPECT_EQ(as_caseworker.child().name(), "张小明");
  EXPECT_EQ(as_caseworker.child().resident_id(), "532329********1232");
  EXPECT_EQ(as_caseworker.child().guardians_size(), 2);
  EXPECT_EQ(as_caseworker.child().household().village_code(), kWudingVillage);
  EXPECT_EQ(as_caseworker.child().case_status(), v1::CASE_STATUS_VERIFYING);

  ASSERT_OK_AND_ASSIGN(auto as_officer, Call(&v1::RegistryService::Stub::GetChild, wuding_officer_,
                                             GetChildRequest(c.child_id())));
  EXPECT_EQ(as_officer.child().resident_id(), "532329201506071232");

  v1::ListAccessLogRequest list;
  list.set_record_id(c.child_id());
  ASSERT_OK_AND_ASSIGN(auto log, Call(&v1::RegistryService::Stub::ListAccessLog, auditor_, list));
  ASSERT_EQ(log.entries_size(), 2);
  EXPECT_EQ(log.entries(0).subject(), "caseworker-1");
  EXPECT_EQ(log.entries(0).purpose(), "weekend home visit preparation");
  EXPECT_NE(log.entries(0).fields().find("resident_id_masked"), std::string::npos);
  EXPECT_EQ(log.entries(1).subject(), "officer-wuding");
  EXPECT_EQ(log.entries(1).method(), "GetChild");
  EXPECT_THAT(Call(&v1::RegistryService::Stub::ListAccessLog, wuding_officer_, list),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RegistryTest, GetChild_OtherCountyOrOrganisation_IsNotFound_AndLogsNothing) {
  v1::Case c = RegisterChild("1", "李娜");
  const int64_t before = Count(kAccessLogEntries);
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetChild, xixia_officer_, GetChildRequest(c.child_id())),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      Call(&v1::RegistryService::Stub::GetChild, other_ngo_caseworker_, GetChildRequest(c.child_id())),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetChild, volunteer_, GetChildRequest(c.child_id())),
              StatusIs(absl::StatusCode::kPermissionDenied));
  auto no_purpose = GetChildRequest(c.child_id());
  no_purpose.clear_purpose();
  auto missing = Call(&v1::RegistryService::Stub::GetChild, wuding_officer_, no_purpose);
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(missing.status()), "purpose");
  // A purpose must mean something: spaces alone (ASCII or the ideographic U+3000) are refused too.
  for (const char* blank : {"   ", "\t ", "\xE3\x80\x80\xE3\x80\x80"}) {
    auto spaces = GetChildRequest(c.child_id());
    spaces.set_purpose(blank);
    auto refused = Call(&v1::RegistryService::Stub::GetChild, wuding_officer_, spaces);
    EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(FieldOf(refused.status()), "purpose");
  }
  EXPECT_EQ(Count(kAccessLogEntries), before);
}

TEST_F(RegistryTest, SearchChildren_PaginatesInAStableOrder_AndFilters) {
  std::vector<std::string> case_ids;
  for (int i = 0; i < 5; ++i)
    case_ids.push_back(RegisterChild(std::to_string(i), "儿童" + std::to_string(i)).case_id());
  RegisterChild("x", "宁夏儿童", kXixiaVillage);
  auto risk = v1::SetRiskLevelRequest();
  risk.set_request_id("k");
  risk.set_case_id(case_ids[2]);
  risk.set_risk_level(v1::RISK_LEVEL_EXTREME);
  risk.set_reason("x");
  ASSERT_OK(Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_officer_, risk));

  v1::SearchChildrenRequest search;
  search.set_purpose("monthly review");
  search.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    ASSERT_OK_AND_ASSIGN(auto result,
                         Call(&v1::RegistryService::Stub::SearchChildren, wuding_officer_, search));
    for (const auto& c : result.children()) seen.push_back(c.child_id());
    if (result.next_page_token().empty()) break;
    search.set_page_token(result.next_page_token());
  }
  ASSERT_EQ(seen.size(), 5u);  // Wuding's five, not Xixia's
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 5u);

  v1::SearchChildrenRequest extreme;
  extreme.set_purpose("risk review");
  extreme.set_risk_level(v1::RISK_LEVEL_EXTREME);
  ASSERT_OK_AND_ASSIGN(auto found,
                       Call(&v1::RegistryService::Stub::SearchChildren, wuding_officer_, extreme));
  ASSERT_EQ(found.children_size(), 1);
  EXPECT_EQ(found.children(0).current_case_id(), case_ids[2]);
  EXPECT_EQ(found.children(0).resident_id(), "");  // summaries carry no resident id

  v1::SearchChildrenRequest orphans;
  orphans.set_purpose("x");
  orphans.set_category(v1::CHILD_CATEGORY_ORPHAN);
  ASSERT_OK_AND_ASSIGN(auto none, Call(&v1::RegistryService::Stub::SearchChildren, wuding_officer_, orphans));
  EXPECT_EQ(none.children_size(), 0);

  v1::SearchChildrenRequest elsewhere;
  elsewhere.set_purpose("x");
  elsewhere.set_division_prefix("640105");
  EXPECT_THAT(Call(&v1::RegistryService::Stub::SearchChildren, wuding_officer_, elsewhere),
              StatusIs(absl::StatusCode::kNotFound));
  // Every child returned was logged: 5 on the pages, 1 for the risk filter.
  EXPECT_EQ(Count(kAccessLogEntries + " WHERE method = 'SearchChildren'"), 6);
}

TEST_F(RegistryTest, SearchChildren_ByCategory_FindsEveryChildWhoseListHoldsIt_ByCountyAndByVillage) {
  // Categories listed first, second and alone; one child without the category; one in another county.
  auto register_with = [&](const std::string& tag, const std::string& birth_date,
                           std::vector<v1::ChildCategory> categories,
                           const std::string& village = kWudingVillage) -> std::string {
    auto request = Referral("submit-" + tag, "儿童" + tag, birth_date, "", village);
    request.clear_categories();
    for (auto category : categories) request.add_categories(category);
    const Principal& officer = village == kWudingVillage ? wuding_officer_ : xixia_officer_;
    auto referral = Submit(officer, request);
    EXPECT_TRUE(referral.ok()) << referral.status();
    if (!referral.ok()) return "";
    auto accepted = Accept(officer, "accept-" + tag, referral->referral_id());
    EXPECT_TRUE(accepted.ok()) << accepted.status();
    return accepted.ok() ? accepted->child_id() : "";
  };
  const std::string first =
      register_with("a", "2014-01-01", {v1::CHILD_CATEGORY_ORPHAN, v1::CHILD_CATEGORY_LEFT_BEHIND});
  const std::string second =
      register_with("b", "2014-02-02", {v1::CHILD_CATEGORY_LEFT_BEHIND, v1::CHILD_CATEGORY_ORPHAN});
  const std::string alone = register_with("c", "2014-03-03", {v1::CHILD_CATEGORY_ORPHAN});
  register_with("d", "2014-04-04", {v1::CHILD_CATEGORY_LEFT_BEHIND, v1::CHILD_CATEGORY_DISABILITY});
  register_with("e", "2014-05-05", {v1::CHILD_CATEGORY_ORPHAN}, kXixiaVillage);

  auto orphans_in = [&](const std::string& prefix, const Principal& as) {
    v1::SearchChildrenRequest search;
    search.set_purpose("orphan review");
    search.set_category(v1::CHILD_CATEGORY_ORPHAN);
    search.set_division_prefix(prefix);
    auto found = Call(&v1::RegistryService::Stub::SearchChildren, as, search);
    EXPECT_TRUE(found.ok()) << found.status();
    std::set<std::string> ids;
    if (found.ok()) {
      for (const auto& c : found->children()) ids.insert(c.child_id());
    }
    return ids;
  };
  const std::set<std::string> expected = {first, second, alone};
  EXPECT_EQ(orphans_in("532329", wuding_officer_), expected);        // the county, in id order
  EXPECT_EQ(orphans_in(kWudingVillage, wuding_officer_), expected);  // one village
  const Principal yunnan = shouhu::testing::MakePrincipal("officer-yunnan", "yunnan-civil-affairs",
                                                          common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"53"});
  EXPECT_EQ(orphans_in("53", yunnan), expected);  // wider than a county: by village code
}

TEST_F(RegistryTest, SearchChildren_ByCaseFilters_PagesThroughExactlyTheMatchingChildrenInIdOrder) {
  // Within a county a filter on the case walks the county's current cases in child order (migration 0042):
  // the same children, in the same order and pages, as walking the children.
  std::vector<v1::Case> cases;
  for (int i = 0; i < 6; ++i) {
    auto referral = Submit(wuding_caseworker_, Referral(absl::StrCat("s", i), absl::StrCat("儿童", i),
                                                        absl::StrCat("2014-0", i + 1, "-01"), "",
                                                        i % 2 == 0 ? kWudingVillage : kWudingVillage2));
    ASSERT_TRUE(referral.ok()) << referral.status();
    auto accepted = Accept(wuding_officer_, absl::StrCat("a", i), referral->referral_id(),
                           i == 4 ? "ngo-other" : "ngo-wuding");
    ASSERT_TRUE(accepted.ok()) << accepted.status();
    cases.push_back(*accepted);
  }
  RegisterChild("xixia", "宁夏儿童", kXixiaVillage);  // another county: never in Wuding's answers
  for (int i : {0, 3, 5}) {
    auto risk = WithCase<v1::SetRiskLevelRequest>(absl::StrCat("k", i), cases[i].case_id());
    risk.set_risk_level(v1::RISK_LEVEL_EXTREME);
    risk.set_reason("复评");
    ASSERT_OK(Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_officer_, risk));
  }
  auto close = WithCase<v1::CloseCaseRequest>("c3", cases[3].case_id());
  close.set_reason("监护恢复");
  ASSERT_OK(Call(&v1::RegistryService::Stub::CloseCase, wuding_officer_, close));

  // Every page of a search, two at a time; the children's ids in the order the pages gave them.
  auto pages = [&](v1::SearchChildrenRequest search) {
    search.set_purpose("case review");
    search.set_page_size(2);
    std::vector<std::string> ids;
    for (int page = 0; page < 10; ++page) {
      auto result = Call(&v1::RegistryService::Stub::SearchChildren, wuding_officer_, search);
      EXPECT_TRUE(result.ok()) << result.status();
      if (!result.ok()) break;
      for (const auto& c : result->children()) ids.push_back(c.child_id());
      if (result->next_page_token().empty()) break;
      search.set_page_token(result->next_page_token());
    }
    return ids;
  };
  auto children_of = [&](std::vector<int> which) {
    std::vector<std::string> ids;
    for (int i : which) ids.push_back(cases[i].child_id());
    std::sort(ids.begin(), ids.end());
    return ids;
  };

  v1::SearchChildrenRequest extreme;
  extreme.set_risk_level(v1::RISK_LEVEL_EXTREME);
  EXPECT_EQ(pages(extreme), children_of({0, 3, 5}));
  extreme.set_division_prefix("532329101");  // a township: the cases' villages are checked too
  EXPECT_EQ(pages(extreme), children_of({0, 3, 5}));
  extreme.set_division_prefix(kWudingVillage2);  // a village: read by village, same answer
  EXPECT_EQ(pages(extreme), children_of({3, 5}));

  v1::SearchChildrenRequest closed;
  closed.set_case_status(v1::CASE_STATUS_CLOSED);
  EXPECT_EQ(pages(closed), children_of({3}));
  v1::SearchChildrenRequest verifying;
  verifying.set_case_status(v1::CASE_STATUS_VERIFYING);
  EXPECT_EQ(pages(verifying), children_of({0, 1, 2, 4, 5}));

  v1::SearchChildrenRequest other_ngo;
  other_ngo.set_organisation_id("ngo-other");
  EXPECT_EQ(pages(other_ngo), children_of({4}));

  // A case filter with a category: both must hold.
  v1::SearchChildrenRequest extreme_left_behind;
  extreme_left_behind.set_risk_level(v1::RISK_LEVEL_EXTREME);
  extreme_left_behind.set_category(v1::CHILD_CATEGORY_LEFT_BEHIND);
  EXPECT_EQ(pages(extreme_left_behind), children_of({0, 3, 5}));
  extreme_left_behind.set_category(v1::CHILD_CATEGORY_ORPHAN);
  EXPECT_TRUE(pages(extreme_left_behind).empty());

  // Several case filters at once: one leads the walk (migration 0046: the organisation, else the grade, else
  // the status) and every other must hold too, whichever leads.
  v1::SearchChildrenRequest extreme_closed;
  extreme_closed.set_risk_level(v1::RISK_LEVEL_EXTREME);
  extreme_closed.set_case_status(v1::CASE_STATUS_CLOSED);
  EXPECT_EQ(pages(extreme_closed), children_of({3}));
  v1::SearchChildrenRequest wuding_extreme_verifying;
  wuding_extreme_verifying.set_organisation_id("ngo-wuding");
  wuding_extreme_verifying.set_risk_level(v1::RISK_LEVEL_EXTREME);
  wuding_extreme_verifying.set_case_status(v1::CASE_STATUS_VERIFYING);
  EXPECT_EQ(pages(wuding_extreme_verifying), children_of({0, 5}));
  wuding_extreme_verifying.set_division_prefix("532329101");  // a township: the same walk, villages checked
  EXPECT_EQ(pages(wuding_extreme_verifying), children_of({0, 5}));
  v1::SearchChildrenRequest other_ngo_extreme;
  other_ngo_extreme.set_organisation_id("ngo-other");
  other_ngo_extreme.set_risk_level(v1::RISK_LEVEL_EXTREME);
  EXPECT_TRUE(pages(other_ngo_extreme).empty());
  v1::SearchChildrenRequest other_ngo_verifying;
  other_ngo_verifying.set_organisation_id("ngo-other");
  other_ngo_verifying.set_case_status(v1::CASE_STATUS_VERIFYING);
  EXPECT_EQ(pages(other_ngo_verifying), children_of({4}));
}

TEST_F(RegistryTest, GetChild_ManyReadersAtOnce_EachReadIsLoggedBeforeItsAnswerArrives) {
  // The log's commit finishes each call on the log writer's thread (the read's worker has moved on): an
  // answer that left before its batch committed would find its row missing here.
  v1::Case c = RegisterChild("1", "李娜");
  constexpr int kReaders = 40;
  std::vector<int64_t> logged_when_answered(kReaders, -1);
  std::vector<absl::Status> results(kReaders, absl::UnknownError("not run"));
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&, i] {
      auto request = GetChildRequest(c.child_id());
      request.set_purpose(absl::StrCat("reader ", i));
      auto answer = Call(&v1::RegistryService::Stub::GetChild, wuding_officer_, request);
      results[i] = answer.status();
      if (answer.ok()) {
        logged_when_answered[i] = Count(absl::StrCat(kAccessLogEntries, " WHERE purpose = 'reader ", i, "'"));
      }
    });
  }
  for (auto& r : readers) r.join();
  for (int i = 0; i < kReaders; ++i) {
    ASSERT_OK(results[i]);
    EXPECT_EQ(logged_when_answered[i], 1) << "reader " << i;
  }
}

// Readers of many children at once share the log's batches, which read their children together: each is
// answered with the child it asked for (name, guardians), a child out of the caller's county or not there at
// all is NOT_FOUND and logs nothing, and every read answered is logged once.
TEST_F(RegistryTest, GetChild_ReadersOfManyChildrenAtOnce_EachGetsItsOwnChild_RefusalsLogNothing) {
  std::vector<v1::Case> wuding;
  for (int i = 0; i < 5; ++i) wuding.push_back(RegisterChild(absl::StrCat(i), absl::StrCat("武定儿童", i)));
  const v1::Case xixia = RegisterChild("x", "宁夏儿童", kXixiaVillage);
  struct Asked {
    std::string child_id;
    std::string name;  // empty: the officer may not see this child
  };
  std::vector<Asked> choices;
  for (int i = 0; i < 5; ++i) choices.push_back({wuding[i].child_id(), absl::StrCat("武定儿童", i)});
  choices.push_back({xixia.child_id(), ""});
  choices.push_back({"01JZZZZZZZZZZZZZZZZZZZZZZZ", ""});
  const int64_t before = Count(kAccessLogEntries);
  constexpr int kReaders = 56;
  std::vector<absl::StatusOr<v1::GetChildResponse>> answers(kReaders, absl::UnknownError("not run"));
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&, i] {
      auto request = GetChildRequest(choices[i % choices.size()].child_id);
      request.set_purpose(absl::StrCat("reader ", i));
      answers[i] = Call(&v1::RegistryService::Stub::GetChild, wuding_officer_, request);
    });
  }
  for (auto& r : readers) r.join();
  int answered = 0;
  for (int i = 0; i < kReaders; ++i) {
    SCOPED_TRACE(absl::StrCat("reader ", i));
    const Asked& asked = choices[i % choices.size()];
    const int64_t logged = Count(absl::StrCat(kAccessLogEntries, " WHERE purpose = 'reader ", i,
                                              "' AND record_id = '", asked.child_id, "'"));
    if (asked.name.empty()) {
      EXPECT_THAT(answers[i], StatusIs(absl::StatusCode::kNotFound));
      EXPECT_EQ(logged, 0);
      continue;
    }
    ASSERT_OK(answers[i]);
    ++answered;
    EXPECT_EQ(answers[i]->child().child_id(), asked.child_id);
    EXPECT_EQ(answers[i]->child().name(), asked.name);
    ASSERT_EQ(answers[i]->child().guardians_size(), 2);
    EXPECT_EQ(answers[i]->child().guardians(0).name(), "王秀英");  // in the order recorded
    EXPECT_EQ(answers[i]->child().guardians(1).name(), "张建国");
    EXPECT_EQ(logged, 1);
  }
  EXPECT_EQ(Count(kAccessLogEntries), before + answered);
}

TEST_F(RegistryTest, SearchChildren_TownshipOrProvincePrefix_FindsWhatTheCountyHolds) {
  const std::string first = RegisterChild("1", "李娜").child_id();
  const std::string second = RegisterChild("2", "王芳", kWudingVillage2).child_id();
  RegisterChild("x", "宁夏儿童", kXixiaVillage);
  auto ids = [&](const Principal& as, const std::string& prefix) {
    v1::SearchChildrenRequest search;
    search.set_purpose("township review");
    search.set_division_prefix(prefix);
    std::vector<std::string> found;
    auto answer = Call(&v1::RegistryService::Stub::SearchChildren, as, search);
    EXPECT_OK(answer);
    if (answer.ok()) {
      for (const auto& child : answer->children()) found.push_back(child.child_id());
    }
    return found;
  };
  const std::vector<std::string> both = {first, second};
  EXPECT_EQ(ids(wuding_officer_, "532329"), both);     // the county (its index in id order)
  EXPECT_EQ(ids(wuding_officer_, "532329101"), both);  // a township of it: the same index, filtered
  EXPECT_EQ(ids(wuding_officer_, kWudingVillage2), std::vector<std::string>{second});
  EXPECT_TRUE(ids(wuding_officer_, "532329102").empty());
  // A province's officer: a prefix shorter than a county reads by village code.
  const Principal yunnan = shouhu::testing::MakePrincipal("officer-yunnan", "yunnan-civil-affairs",
                                                          common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"53"});
  EXPECT_EQ(ids(yunnan, "53"), both);
  EXPECT_EQ(ids(yunnan, "5323"), both);
}

TEST_F(RegistryTest, GetStatistics_CountsByCountyStatusAndCategory) {
  RegisterChild("1", "李娜");
  v1::Case closed = RegisterChild("2", "王芳");
  RegisterChild("3", "宁夏儿童", kXixiaVillage);
  v1::CloseCaseRequest close;
  close.set_request_id("x");
  close.set_case_id(closed.case_id());
  close.set_reason("监护恢复");
  ASSERT_OK(Call(&v1::RegistryService::Stub::CloseCase, wuding_officer_, close));

  ASSERT_OK_AND_ASSIGN(auto stats, Call(&v1::RegistryService::Stub::GetStatistics, wuding_officer_,
                                        v1::GetStatisticsRequest()));
  ASSERT_EQ(stats.by_county_size(), 2);
  EXPECT_EQ(stats.by_county(0).county_code(), "532329");
  EXPECT_EQ(stats.by_county(0).case_status(), v1::CASE_STATUS_VERIFYING);
  EXPECT_EQ(stats.by_county(0).children(), 1);
  EXPECT_EQ(stats.by_county(1).case_status(), v1::CASE_STATUS_CLOSED);
  EXPECT_EQ(stats.by_county(1).children(), 1);
  ASSERT_EQ(stats.by_category_size(), 1);
  EXPECT_EQ(stats.by_category(0).category(), v1::CHILD_CATEGORY_LEFT_BEHIND);
  EXPECT_EQ(stats.by_category(0).children(), 2);
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetStatistics, wuding_caseworker_, v1::GetStatisticsRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

// An NGO admin reads the county's children across every organisation: a count of one names a child (the
// county's one orphan below). Their statistics are of a county or wider, and rows counting fewer than five
// children are withheld; the county's officer sees every count. The admin saw all of it, by village too.
TEST_F(RegistryTest, GetStatistics_ForOrganisationStaff_WholeCountiesOnlyAndSmallCountsWithheld) {
  for (int i = 0; i < 5; ++i) RegisterChild(absl::StrCat("lb", i), absl::StrCat("儿童", i));
  v1::SubmitReferralRequest orphan = Referral("submit-orphan", "孤儿", "2013-05-05");
  orphan.add_categories(v1::CHILD_CATEGORY_ORPHAN);
  ASSERT_OK_AND_ASSIGN(v1::Referral referred, Submit(wuding_officer_, orphan));
  ASSERT_OK(Accept(wuding_officer_, "accept-orphan", referred.referral_id()).status());
  const Principal ngo_admin =
      shouhu::testing::MakePrincipal("ngo-admin-1", "ngo-wuding", common::v1::ROLE_NGO_ADMIN, {"532329"});
  using Categories = std::vector<std::pair<v1::ChildCategory, int64_t>>;
  const auto categories = [](const v1::GetStatisticsResponse& s) {
    Categories out;
    for (const auto& row : s.by_category()) out.emplace_back(row.category(), row.children());
    return out;
  };

  ASSERT_OK_AND_ASSIGN(auto officer, Call(&v1::RegistryService::Stub::GetStatistics, wuding_officer_,
                                          v1::GetStatisticsRequest()));
  EXPECT_EQ(categories(officer),
            (Categories{{v1::CHILD_CATEGORY_LEFT_BEHIND, 6}, {v1::CHILD_CATEGORY_ORPHAN, 1}}));
  EXPECT_EQ(officer.withheld_below(), 0);

  ASSERT_OK_AND_ASSIGN(
      auto admin, Call(&v1::RegistryService::Stub::GetStatistics, ngo_admin, v1::GetStatisticsRequest()));
  EXPECT_EQ(categories(admin), (Categories{{v1::CHILD_CATEGORY_LEFT_BEHIND, 6}}));
  EXPECT_EQ(admin.withheld_below(), 5);
  ASSERT_EQ(admin.by_county_size(), 1);
  EXPECT_EQ(admin.by_county(0).children(), 6);

  v1::GetStatisticsRequest village;
  village.set_division_prefix(kWudingVillage);
  absl::StatusOr<v1::GetStatisticsResponse> by_village =
      Call(&v1::RegistryService::Stub::GetStatistics, ngo_admin, village);
  EXPECT_THAT(by_village, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(absl::StrContains(by_village.status().message(), "division_prefix")) << by_village.status();
  ASSERT_OK(Call(&v1::RegistryService::Stub::GetStatistics, wuding_officer_, village).status());
}

// A service that shows a child's data it keeps itself (visits: a report, a visit history) logs the read in
// the registry's one log, naming the person it answered; the auditor reads it as the registry's own reads.
// Only services may, and only for villages of their own jurisdiction.
TEST_F(RegistryTest, RecordAccess_AServicesReadOfItsOwnData_InTheLogUnderThePerson) {
  v1::Case c = RegisterChild("1", "李娜");
  v1::RecordAccessRequest read;
  read.set_subject(wuding_caseworker_.subject());
  read.set_organisation_id("ngo-wuding");
  read.set_method("visits.GetVisitReport");
  read.set_fields("visit_report");
  read.set_purpose("周末家访准备");
  v1::AccessedChild* child = read.add_children();
  child->set_child_id(c.child_id());
  child->set_village_code(kWudingVillage);
  ASSERT_OK(Call(&v1::RegistryService::Stub::RecordAccess, system_, read));
  const std::vector<v1::AccessLogEntry> logged = AccessLogOf(c.child_id(), "visits.GetVisitReport");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].subject(), wuding_caseworker_.subject());
  EXPECT_EQ(logged[0].organisation_id(), "ngo-wuding");
  EXPECT_EQ(logged[0].record_type(), "child");
  EXPECT_EQ(logged[0].fields(), "visit_report");
  EXPECT_EQ(logged[0].purpose(), "周末家访准备");

  // A person may not write the log; a service not for a village outside its jurisdiction.
  EXPECT_THAT(Call(&v1::RegistryService::Stub::RecordAccess, wuding_officer_, read),
              StatusIs(absl::StatusCode::kPermissionDenied));
  const Principal yunnan_service =
      shouhu::testing::MakePrincipal("allowance-service", "system", common::v1::ROLE_SYSTEM, {"53"});
  child->set_village_code(kXixiaVillage);
  EXPECT_THAT(Call(&v1::RegistryService::Stub::RecordAccess, yunnan_service, read),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(AccessLogOf(c.child_id(), "visits.GetVisitReport").size(), 1u);
}

TEST_F(RegistryTest, GetStatistics_ChildrenByCurrentRiskGrade_ExactCountsInTheCallersJurisdiction) {
  // Wuding: one low, two high (one of them regraded to extreme), one medium whose case is closed (a closed
  // case is still the child's current one, graded as it was). Xixia: one high, outside Wuding's jurisdiction.
  auto register_graded = [&](const std::string& tag, const std::string& name, const std::string& birth_date,
                             v1::RiskLevel risk) -> v1::Case {
    auto referral = Submit(wuding_caseworker_, Referral("submit-" + tag, name, birth_date));
    EXPECT_TRUE(referral.ok()) << referral.status();
    if (!referral.ok()) return {};
    auto accepted = Accept(wuding_officer_, "accept-" + tag, referral->referral_id(), "ngo-wuding", risk);
    EXPECT_TRUE(accepted.ok()) << accepted.status();
    return accepted.ok() ? *accepted : v1::Case();
  };
  register_graded("low", "李娜", "2014-01-01", v1::RISK_LEVEL_LOW);
  register_graded("high", "王芳", "2014-02-02", v1::RISK_LEVEL_HIGH);
  v1::Case regraded = register_graded("regraded", "张伟", "2014-03-03", v1::RISK_LEVEL_HIGH);
  v1::Case closed = register_graded("closed", "刘洋", "2014-04-04", v1::RISK_LEVEL_MEDIUM);
  RegisterChild("xixia", "宁夏儿童", kXixiaVillage);
  ASSERT_OK(Call(&v1::RegistryService::Stub::CompleteVerification, wuding_caseworker_,
                 WithCase<v1::CompleteVerificationRequest>("v1", regraded.case_id())));
  auto risk = WithCase<v1::SetRiskLevelRequest>("k1", regraded.case_id());
  risk.set_risk_level(v1::RISK_LEVEL_EXTREME);
  risk.set_reason("祖母住院");
  ASSERT_OK(Call(&v1::RegistryService::Stub::SetRiskLevel, wuding_caseworker_, risk));
  auto close = WithCase<v1::CloseCaseRequest>("x1", closed.case_id());
  close.set_reason("监护恢复");
  ASSERT_OK(Call(&v1::RegistryService::Stub::CloseCase, wuding_officer_, close));

  using Grades = std::vector<std::pair<v1::RiskLevel, int64_t>>;
  auto grades = [&](const Principal& as) -> Grades {
    auto stats = Call(&v1::RegistryService::Stub::GetStatistics, as, v1::GetStatisticsRequest());
    EXPECT_TRUE(stats.ok()) << stats.status();
    Grades out;
    if (stats.ok()) {
      for (const auto& row : stats->by_risk()) out.emplace_back(row.risk_level(), row.children());
    }
    return out;
  };
  EXPECT_EQ(grades(wuding_officer_), (Grades{{v1::RISK_LEVEL_LOW, 1},
                                             {v1::RISK_LEVEL_MEDIUM, 1},
                                             {v1::RISK_LEVEL_HIGH, 1},
                                             {v1::RISK_LEVEL_EXTREME, 1}}));
  EXPECT_EQ(grades(xixia_officer_), (Grades{{v1::RISK_LEVEL_HIGH, 1}}));
  // Yunnan's auditor (53) reads Wuding's children, not Ningxia's.
  EXPECT_EQ(grades(auditor_), (Grades{{v1::RISK_LEVEL_LOW, 1},
                                      {v1::RISK_LEVEL_MEDIUM, 1},
                                      {v1::RISK_LEVEL_HIGH, 1},
                                      {v1::RISK_LEVEL_EXTREME, 1}}));
}

TEST_F(RegistryTest, GetStatistics_ChildReferredAgainAfterTheirCaseClosed_CountsOnceByTheNewCase) {
  // A child's earlier case stops counting once a new one is opened for them (cases.is_current): the child
  // is counted once, by the status of the case they are in now.
  ASSERT_OK_AND_ASSIGN(
      auto first, Submit(wuding_caseworker_, Referral("r1", "张小明", "2015-06-07", "532329201506071232")));
  ASSERT_OK_AND_ASSIGN(v1::Case old_case, Accept(wuding_officer_, "a1", first.referral_id()));
  v1::CloseCaseRequest close;
  close.set_request_id("x");
  close.set_case_id(old_case.case_id());
  close.set_reason("监护恢复");
  ASSERT_OK(Call(&v1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  ASSERT_OK_AND_ASSIGN(
      auto again, Submit(wuding_caseworker_, Referral("r2", "张小明", "2015-06-07", "532329201506071232")));
  ASSERT_EQ(again.linked_child_id(), old_case.child_id());
  ASSERT_OK_AND_ASSIGN(v1::Case new_case, Accept(wuding_officer_, "a2", again.referral_id()));
  ASSERT_EQ(new_case.child_id(), old_case.child_id());
  ASSERT_NE(new_case.case_id(), old_case.case_id());

  ASSERT_OK_AND_ASSIGN(auto stats, Call(&v1::RegistryService::Stub::GetStatistics, wuding_officer_,
                                        v1::GetStatisticsRequest()));
  ASSERT_EQ(stats.by_county_size(), 1);
  EXPECT_EQ(stats.by_county(0).county_code(), "532329");
  EXPECT_EQ(stats.by_county(0).case_status(), v1::CASE_STATUS_VERIFYING);
  EXPECT_EQ(stats.by_county(0).children(), 1);
  ASSERT_EQ(stats.by_category_size(), 1);
  EXPECT_EQ(stats.by_category(0).children(), 1);
  EXPECT_EQ(Count("cases WHERE is_current = 1"), 1);

  // The replaced case stays closed: reopened, the child would have two open cases, one of them outside every
  // search and count while visits planned for both.
  v1::ReopenCaseRequest reopen;
  reopen.set_request_id("o");
  reopen.set_case_id(old_case.case_id());
  reopen.set_reason("父亲再次外出");
  EXPECT_THAT(Call(&v1::RegistryService::Stub::ReopenCase, wuding_officer_, reopen),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::GetCaseRequest get;
  get.set_purpose("case review");
  get.set_case_id(old_case.case_id());
  ASSERT_OK_AND_ASSIGN(auto got, Call(&v1::RegistryService::Stub::GetCase, wuding_officer_, get));
  EXPECT_EQ(got.case_().status(), v1::CASE_STATUS_CLOSED);
  EXPECT_TRUE(got.case_().replaced());
  get.set_case_id(new_case.case_id());
  ASSERT_OK_AND_ASSIGN(got, Call(&v1::RegistryService::Stub::GetCase, wuding_officer_, get));
  EXPECT_FALSE(got.case_().replaced());
  EXPECT_EQ(Count("cases WHERE status <> 3"), 1);
  EXPECT_EQ(Count("outbox_events WHERE event_type LIKE '%CaseReopened'"), 0);
}

TEST_F(RegistryTest, Divisions_RealCountiesAndTheirTownships) {
  v1::GetDivisionRequest get;
  get.set_code("532329");
  ASSERT_OK_AND_ASSIGN(auto wuding, Call(&v1::RegistryService::Stub::GetDivision, volunteer_, get));
  EXPECT_EQ(wuding.division().name(), "武定县");
  EXPECT_EQ(wuding.division().level(), v1::DIVISION_LEVEL_COUNTY);
  EXPECT_EQ(wuding.division().parent_code(), "5323");

  v1::ListChildDivisionsRequest list;
  list.set_parent_code("532329");
  list.set_page_size(5);
  ASSERT_OK_AND_ASSIGN(auto townships,
                       Call(&v1::RegistryService::Stub::ListChildDivisions, volunteer_, list));
  ASSERT_EQ(townships.divisions_size(), 5);
  EXPECT_EQ(townships.divisions(0).code(), "532329101");
  EXPECT_EQ(townships.divisions(0).name(), "狮山镇");
  EXPECT_FALSE(townships.next_page_token().empty());

  get.set_code("532329999");
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetDivision, volunteer_, get),
              StatusIs(absl::StatusCode::kNotFound));
  get.set_code("53232");
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetDivision, volunteer_, get),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// A token may leave out the organisation (`org` is optional at the gateway). An NGO role binds its holder to
// their organisation all the same, so a caller who has none belongs to none and sees no organisation's child.
TEST_F(RegistryTest, SearchChildren_NgoCallerWithoutAnOrganisation_SeesNoChildAndLogsNothing) {
  RegisterChild("1", "李娜");
  RegisterChild("2", "王芳");
  const int64_t before = Count(kAccessLogEntries);
  v1::SearchChildrenRequest search;
  search.set_purpose("monthly review");
  for (Role role : {common::v1::ROLE_NGO_CASEWORKER, common::v1::ROLE_NGO_ADMIN}) {
    const Principal no_organisation = shouhu::testing::MakePrincipal("caseworker-9", "", role, {"532329"});
    EXPECT_THAT(Call(&v1::RegistryService::Stub::SearchChildren, no_organisation, search),
                StatusIs(absl::StatusCode::kNotFound))
        << common::v1::Role_Name(role);
  }
  EXPECT_EQ(Count(kAccessLogEntries), before);
}

// Organisation ids and subjects are the identity provider's, and its ids are case-sensitive: an NGO whose id
// differs from another's only in case is another organisation, and must see none of its children; an auditor
// asking for one subject's reads must not get another's (registry migration 0048).
TEST_F(RegistryTest, Scoping_IdsDifferingOnlyInCase_AreDifferentOrganisationsAndSubjects) {
  v1::Case c = RegisterChild("1", "李娜");  // its case is ngo-wuding's
  ASSERT_OK(Call(&v1::RegistryService::Stub::GetChild, wuding_caseworker_, GetChildRequest(c.child_id())));

  const Principal upper_case_ngo = shouhu::testing::MakePrincipal(
      "caseworker-9", "NGO-WUDING", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  v1::SearchChildrenRequest search;
  search.set_purpose("monthly review");
  ASSERT_OK_AND_ASSIGN(auto own,
                       Call(&v1::RegistryService::Stub::SearchChildren, wuding_caseworker_, search));
  EXPECT_EQ(own.children_size(), 1);
  ASSERT_OK_AND_ASSIGN(auto other, Call(&v1::RegistryService::Stub::SearchChildren, upper_case_ngo, search));
  EXPECT_EQ(other.children_size(), 0);
  EXPECT_THAT(Call(&v1::RegistryService::Stub::GetChild, upper_case_ngo, GetChildRequest(c.child_id())),
              StatusIs(absl::StatusCode::kNotFound));

  v1::ListAccessLogRequest by_subject;
  by_subject.set_subject("caseworker-1");
  ASSERT_OK_AND_ASSIGN(auto reads, Call(&v1::RegistryService::Stub::ListAccessLog, auditor_, by_subject));
  EXPECT_EQ(reads.entries_size(), 2);  // the GetChild and the search's page
  by_subject.set_subject("Caseworker-1");
  ASSERT_OK_AND_ASSIGN(auto none, Call(&v1::RegistryService::Stub::ListAccessLog, auditor_, by_subject));
  EXPECT_EQ(none.entries_size(), 0);
}

}  // namespace
}  // namespace shouhu::registry::testing
