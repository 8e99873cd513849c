// The county search's category rows (migration 0047) against real MariaDB and the real registry over
// loopback gRPC: after randomized intake, re-referrals, regrades, roster imports and county transfers, and
// after 16 callers registering and moving children at once, a category-filtered search of a county or a
// township, alone or with a case status or grade (led by the category's rows or by the case index, whichever
// the county's counts say is smaller), pages through exactly the children whose own category list holds the
// category and whose current case passes the filter (what FIND_IN_SET on children.categories answers, the
// filter the search used before 0047), in id order; and the migration's backfill writes the rows of the
// children registered before it.
#include <atomic>
#include <map>
#include <random>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/migrations.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "tests/integration/registry/registry_writers.h"
#include "tests/support/resident_ids.h"
#include "tests/support/roster_fixture_rows.h"

namespace shouhu::registry::testing {
namespace {

// A village of Wuding in another township than kWudingVillage's (高桥村, 猫街镇).
constexpr char kWudingOtherTownship[] = "532329102201";

// Counties and townships: a township's prefix takes the county's rows and tests the village on each.
const std::vector<std::string> kSearchedPrefixes = {"532329", "532329101", "532329102", "640105"};

constexpr v1::ChildCategory kAllCategories[] = {
    v1::CHILD_CATEGORY_LEFT_BEHIND, v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED,
    v1::CHILD_CATEGORY_ORPHAN,      v1::CHILD_CATEGORY_IN_DISTRESS,
    v1::CHILD_CATEGORY_DISABILITY,  v1::CHILD_CATEGORY_BOARDING_STUDENT};

// The case filters searched with each category: none, each case status, each grade, and a grade with active
// cases. With a case filter the category's rows or the case index lead, whichever set is the smaller in the
// county (the counts), so as the writers change the counts the same search takes either path.
struct CaseFilter {
  v1::CaseStatus status;
  v1::RiskLevel risk;
};
constexpr CaseFilter kCaseFilters[] = {{v1::CASE_STATUS_UNSPECIFIED, v1::RISK_LEVEL_UNSPECIFIED},
                                       {v1::CASE_STATUS_VERIFYING, v1::RISK_LEVEL_UNSPECIFIED},
                                       {v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_UNSPECIFIED},
                                       {v1::CASE_STATUS_CLOSED, v1::RISK_LEVEL_UNSPECIFIED},
                                       {v1::CASE_STATUS_UNSPECIFIED, v1::RISK_LEVEL_LOW},
                                       {v1::CASE_STATUS_UNSPECIFIED, v1::RISK_LEVEL_MEDIUM},
                                       {v1::CASE_STATUS_UNSPECIFIED, v1::RISK_LEVEL_HIGH},
                                       {v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_LOW},
                                       {v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_HIGH}};

// The ids the store's search returns for a category (and case filters, if given) under `prefix`, paging
// `page` children at a time.
absl::StatusOr<std::vector<std::string>> Searched(RegistryStore& store, const std::string& prefix,
                                                  v1::ChildCategory category, CaseFilter cases, int page) {
  std::vector<std::string> ids;
  ChildFilter filter;
  filter.division_prefix = prefix;
  filter.category = category;
  filter.case_status = cases.status;
  filter.risk_level = cases.risk;
  filter.limit = page;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<v1::Child> children, store.SearchChildren(filter));
    for (const v1::Child& c : children) ids.push_back(c.child_id());
    if (children.size() < static_cast<size_t>(page)) return ids;
    filter.after_id = children.back().child_id();
  }
}

// The same answer from the children's own category lists and their current cases.
absl::StatusOr<std::vector<std::string>> FromCategoryLists(db::Pool& pool, const std::string& prefix,
                                                           v1::ChildCategory category, CaseFilter cases) {
  return db::ReadOne<std::vector<std::string>>(
      pool, [&](db::Session& s) -> absl::StatusOr<std::vector<std::string>> {
        ASSIGN_OR_RETURN(
            db::Rows rows,
            s.Query("SELECT c.id FROM children c LEFT JOIN cases cs ON cs.id = c.current_case_id "
                    "WHERE c.village_code >= ? AND c.village_code < ? AND FIND_IN_SET(?, c.categories) "
                    "AND (? OR cs.status = ?) AND (? OR cs.risk_level = ?) ORDER BY c.id",
                    {prefix, DivisionPrefixEnd(prefix), absl::StrCat(static_cast<int>(category)),
                     int64_t{cases.status == v1::CASE_STATUS_UNSPECIFIED}, int64_t{cases.status},
                     int64_t{cases.risk == v1::RISK_LEVEL_UNSPECIFIED}, int64_t{cases.risk}}));
        std::vector<std::string> ids;
        for (const auto& row : rows) ids.push_back(row.String(0));
        return ids;
      });
}

// Searches every prefix, category and case filter (pages of `page`) and compares with the lists; the
// children found, by (case status, grade) (both UNSPECIFIED: the category alone).
using Found = std::map<std::pair<v1::CaseStatus, v1::RiskLevel>, int64_t>;
Found CompareSearchWithLists(RegistryStore& store, db::Pool& pool, int page) {
  Found found;
  for (const std::string& prefix : kSearchedPrefixes) {
    for (v1::ChildCategory category : kAllCategories) {
      for (CaseFilter cases : kCaseFilters) {
        absl::StatusOr<std::vector<std::string>> searched = Searched(store, prefix, category, cases, page);
        absl::StatusOr<std::vector<std::string>> listed = FromCategoryLists(pool, prefix, category, cases);
        EXPECT_OK(searched.status());
        EXPECT_OK(listed.status());
        if (!searched.ok() || !listed.ok()) return found;
        EXPECT_EQ(absl::StrJoin(*searched, " "), absl::StrJoin(*listed, " "))
            << "prefix " << prefix << ", category " << static_cast<int>(category) << ", case status "
            << static_cast<int>(cases.status) << ", grade " << static_cast<int>(cases.risk);
        found[{cases.status, cases.risk}] += static_cast<int64_t>(searched->size());
      }
    }
  }
  return found;
}

class CountyCategorySearchTest : public RegistryWritersTest {
 protected:
  Found ExpectSearchEqualsCategoryLists(int page = 2) {
    return CompareSearchWithLists(module_->store(), database_->pool(), page);
  }

  // Where a transfer takes a case: out of Wuding to Xixia, back to either township of Wuding.
  std::string Destination(const Tracked& c, bool other_township) {
    if (c.county == "532329") return kXixiaVillage;
    return other_township ? kWudingOtherTownship : kWudingVillage2;
  }
};

TEST_F(CountyCategorySearchTest, RandomizedWriters_CategorySearchEqualsTheChildrensOwnLists_AfterEveryStep) {
  const uint32_t seed = 20261205;
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937 random(seed);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<uint32_t>(n)); };
  const std::vector<std::string> villages = {kWudingVillage, kWudingOtherTownship, kXixiaVillage};
  const std::vector<std::vector<v1::ChildCategory>> category_lists = {
      {v1::CHILD_CATEGORY_LEFT_BEHIND},
      {v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED, v1::CHILD_CATEGORY_ORPHAN},
      {v1::CHILD_CATEGORY_ORPHAN},
      {v1::CHILD_CATEGORY_LEFT_BEHIND, v1::CHILD_CATEGORY_IN_DISTRESS, v1::CHILD_CATEGORY_BOARDING_STUDENT}};
  struct Child {
    std::string resident_id;
    std::string village;
  };
  std::vector<Child> children;
  std::vector<Tracked> cases;
  std::map<std::string, int> done;  // steps that changed something, by kind
  int roster_row = 1;
  Found found;
  for (int step = 0; step < 60; ++step) {
    const std::string tag = absl::StrCat(step);
    const int kind = step < 4 ? 0 : pick(6);
    absl::Status status;
    if (kind == 0) {  // a new child referred and accepted
      const std::string village = villages[static_cast<size_t>(pick(3))];
      const std::string resident_id = shouhu::testing::ResidentIdNumber(
          village.substr(0, 6), "20150607", 2 * static_cast<int>(children.size()) + 1);
      absl::StatusOr<v1::Case> accepted =
          Refer(tag, village, resident_id, category_lists[static_cast<size_t>(pick(4))], v1::RISK_LEVEL_LOW);
      status = accepted.status();
      if (accepted.ok()) {
        children.push_back({resident_id, village});
        cases.push_back({accepted->case_id(), village.substr(0, 6)});
      }
      EXPECT_OK(status) << "step " << step;
      done["refer"] += status.ok();
    } else if (kind == 1) {  // a roster chunk of Wuding, in two townships, some of its rows seen before
      std::vector<v1::RosterRow> rows;
      const int count = 1 + pick(4);
      if (roster_row > 1) rows.push_back(shouhu::testing::RosterRowNumber(500 + roster_row - 1));
      for (int i = 0; i < count; ++i) {
        v1::RosterRow row = shouhu::testing::RosterRowNumber(
            500 + roster_row++, pick(2) == 0 ? kWudingVillage2 : kWudingOtherTownship);
        if (pick(2) == 0) row.add_categories(v1::CHILD_CATEGORY_DISABILITY);
        rows.push_back(row);
      }
      absl::StatusOr<v1::ImportRosterResponse> imported = ImportRows("import-" + tag, rows);
      status = imported.status();
      EXPECT_OK(status) << "step " << step;
      done["roster"] += status.ok() && imported->created() > 0;
    } else if (kind == 2 && !children.empty()) {  // a child referred again (its case closed): no new rows
      const Child& child = children[static_cast<size_t>(pick(static_cast<int>(children.size())))];
      absl::StatusOr<v1::Case> accepted =
          Refer(tag, child.village, child.resident_id, category_lists[0], v1::RISK_LEVEL_MEDIUM);
      status = accepted.status();
      if (accepted.ok()) cases.push_back({accepted->case_id(), accepted->village_code().substr(0, 6)});
      EXPECT_TRUE(AcceptableRefusal(status)) << status << " at step " << step;
      done["refer again"] += status.ok();
    } else if (kind == 3 && !cases.empty()) {  // a county transfer: the child's rows move with it
      Tracked& c = cases[static_cast<size_t>(pick(static_cast<int>(cases.size())))];
      status = MoveCounty(tag, c, Destination(c, pick(2) == 0));
      EXPECT_TRUE(AcceptableRefusal(status)) << status << " at step " << step;
      done["transfer"] += status.ok();
    } else if (kind == 4 && !cases.empty()) {  // a case closed, so its child may be referred again
      const Tracked& c = cases[static_cast<size_t>(pick(static_cast<int>(cases.size())))];
      status = ChangeCase(2, tag, c, v1::RISK_LEVEL_LOW);
      EXPECT_TRUE(AcceptableRefusal(status)) << status << " at step " << step;
    } else if (kind == 5 && !cases.empty()) {  // a case regraded: the grades' counts move
      const Tracked& c = cases[static_cast<size_t>(pick(static_cast<int>(cases.size())))];
      status = ChangeCase(0, tag, c, pick(3) == 0 ? v1::RISK_LEVEL_MEDIUM : v1::RISK_LEVEL_HIGH);
      EXPECT_TRUE(AcceptableRefusal(status)) << status << " at step " << step;
      done["regrade"] += status.ok();
    }
    found = ExpectSearchEqualsCategoryLists();
    if (HasFailure()) return;
  }
  // Every kind of writer ran (so the equalities above covered each), and the searches found children.
  for (const char* kind : {"refer", "roster", "refer again", "transfer", "regrade"}) {
    EXPECT_GT(done[kind], 0) << kind;
  }
  EXPECT_GT((found[{v1::CASE_STATUS_UNSPECIFIED, v1::RISK_LEVEL_UNSPECIFIED}]), 20);
  // The category with a status found children of both an open and a closed case, and with a grade children
  // of each grade searched.
  EXPECT_GT((found[{v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_UNSPECIFIED}]), 0);
  EXPECT_GT((found[{v1::CASE_STATUS_CLOSED, v1::RISK_LEVEL_UNSPECIFIED}]), 0);
  for (v1::RiskLevel risk : {v1::RISK_LEVEL_LOW, v1::RISK_LEVEL_MEDIUM, v1::RISK_LEVEL_HIGH}) {
    EXPECT_GT((found[{v1::CASE_STATUS_UNSPECIFIED, risk}]), 0) << "grade " << static_cast<int>(risk);
  }
  // The rows are exactly one per (child, category listed): none left behind in a county a child moved from.
  EXPECT_EQ(Count("county_category_children"), Count("child_categories"));
  EXPECT_EQ(Count("county_category_children k JOIN children c ON c.id = k.child_id "
                  "WHERE k.village_code = c.village_code AND k.county_code = LEFT(c.village_code, 6)"),
            Count("child_categories"));
}

TEST_F(CountyCategorySearchTest, SixteenCallersRegisteringImportingAndMoving_CategorySearchEqualsTheLists) {
  // Every caller writes at once, callers 2k and 2k+1 doing the same in the same round: accepts in Wuding's
  // two townships of the same child (one registration wins, the other links to it), roster chunks of the
  // same rows (the chunk that meets a child the other registered meanwhile goes row by row), and transfers
  // of the caller's own child back and forth between the counties. A writer that skips the rows, or writes
  // them for a registration that rolled back, shows as a difference from the lists.
  constexpr int kCallers = 16, kRounds = 8;
  std::vector<Tracked> own(kCallers);
  for (int t = 0; t < kCallers; ++t) {
    ASSERT_OK_AND_ASSIGN(
        v1::Case c,
        Refer(absl::StrCat("own", t), t % 2 == 0 ? kWudingVillage : kXixiaVillage,
              shouhu::testing::ResidentIdNumber(t % 2 == 0 ? "532329" : "640105", "20150607", 2 * t + 1),
              {v1::CHILD_CATEGORY_ORPHAN, v1::CHILD_CATEGORY_DISABILITY}, v1::RISK_LEVEL_HIGH));
    own[static_cast<size_t>(t)] = {c.case_id(), c.village_code().substr(0, 6)};
  }
  std::atomic<int> moved{0}, imported{0};
  const std::vector<std::string> unexpected = RaceWriters(kCallers, kRounds, [&](int t, int round) {
    const std::string tag = absl::StrCat("t", t, "r", round);
    absl::Status status;
    switch ((t / 2 + round) % 3) {
      case 0: {
        const int sequence = 2 * (100 + (t / 2) * kRounds + round) + 1;
        status = Refer(tag, t % 2 == 0 ? kWudingVillage : kWudingOtherTownship,
                       shouhu::testing::ResidentIdNumber("532329", "20150607", sequence),
                       {v1::CHILD_CATEGORY_IN_DISTRESS}, v1::RISK_LEVEL_HIGH)
                     .status();
        break;
      }
      case 1: {
        std::vector<v1::RosterRow> rows;
        const int first = 3000 + ((t / 2) * kRounds + round) * 4;
        for (int i = 0; i < 4; ++i) {
          v1::RosterRow row = shouhu::testing::RosterRowNumber(
              first + i, i % 2 == 0 ? kWudingVillage2 : kWudingOtherTownship);
          if (i % 2 == 1) row.add_categories(v1::CHILD_CATEGORY_BOARDING_STUDENT);
          rows.push_back(row);
        }
        absl::StatusOr<v1::ImportRosterResponse> answer = ImportRows("import-" + tag, rows);
        status = answer.status();
        imported += status.ok() && answer->created() > 0;
        break;
      }
      default: {
        Tracked& c = own[static_cast<size_t>(t)];
        status = MoveCounty(tag, c, Destination(c, round % 2 == 0));
        moved += status.ok();
      }
    }
    return status;
  });
  for (int t = 0; t < kCallers; ++t) EXPECT_EQ(unexpected[static_cast<size_t>(t)], "") << "caller " << t;
  EXPECT_GT(moved.load(), 0) << "no transfer went through: the moves above did not run";
  EXPECT_GT(imported.load(), 0) << "no roster chunk registered a child";
  EXPECT_GT((ExpectSearchEqualsCategoryLists(7)[{v1::CASE_STATUS_UNSPECIFIED, v1::RISK_LEVEL_UNSPECIFIED}]),
            40);
  EXPECT_EQ(Count("county_category_children"), Count("child_categories"));
}

TEST(CountyCategorySearchBackfillTest, Migration0047_WritesARowPerChildAndCategory_WithItsCountyAndVillage) {
  std::vector<db::Migration> before;
  for (const db::Migration& m : RegistryMigrations()) {
    if (m.version < 47) before.push_back(m);
  }
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(before));
  // Children as a registry before 0047 left them: their list and its rows, in two counties and two
  // townships, one with no category.
  ASSERT_OK(database->pool().Autocommit([](db::Session& s) -> absl::Status {
    const std::vector<std::tuple<std::string, std::string, std::vector<int>>> children = {
        {"01JCHILD00000000000000000A", "532329101001", {1}},
        {"01JCHILD00000000000000000B", "532329102201", {1, 3}},
        {"01JCHILD00000000000000000C", "532329101002", {}},
        {"01JCHILD00000000000000000D", "532329101001", {3, 6}},
        {"01JCHILD00000000000000000E", "640105001002", {1}}};
    for (const auto& [id, village, categories] : children) {
      RETURN_IF_ERROR(
          s.Execute("INSERT INTO children (id, name, sex, birth_date, village_code, categories, "
                    "created_at, updated_at) VALUES (?, '测试', 1, '2015-06-07', ?, ?, NOW(6), NOW(6))",
                    {id, village, absl::StrJoin(categories, ",")})
              .status());
      for (int category : categories) {
        RETURN_IF_ERROR(s.Execute("INSERT INTO child_categories (child_id, category) VALUES (?, ?)",
                                  {id, int64_t{category}})
                            .status());
      }
    }
    return absl::OkStatus();
  }));
  std::vector<db::Migration> all = db::CommonMigrations();
  for (const db::Migration& m : RegistryMigrations()) all.push_back(m);
  ASSERT_OK(db::ApplyMigrations(database->pool(), all));
  EXPECT_EQ(database->Count("county_category_children"), 6);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows,
                       db::ReadOne<std::vector<std::string>>(
                           database->pool(), [](db::Session& s) -> absl::StatusOr<std::vector<std::string>> {
                             ASSIGN_OR_RETURN(
                                 db::Rows found,
                                 s.Query("SELECT CONCAT(county_code, ' ', category, ' ', child_id, ' ', "
                                         "village_code) FROM county_category_children ORDER BY 1"));
                             std::vector<std::string> out;
                             for (const auto& row : found) out.push_back(row.String(0));
                             return out;
                           }));
  EXPECT_EQ(absl::StrJoin(rows, "\n"),
            "532329 1 01JCHILD00000000000000000A 532329101001\n"
            "532329 1 01JCHILD00000000000000000B 532329102201\n"
            "532329 3 01JCHILD00000000000000000B 532329102201\n"
            "532329 3 01JCHILD00000000000000000D 532329101001\n"
            "532329 6 01JCHILD00000000000000000D 532329101001\n"
            "640105 1 01JCHILD00000000000000000E 640105001002");
}

}  // namespace
}  // namespace shouhu::registry::testing
