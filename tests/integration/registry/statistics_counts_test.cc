// The statistics' counts (migration 0045) against real MariaDB and the real registry over loopback gRPC:
// after randomized intake, roster imports, case changes, re-referrals, county transfers and moves home, and
// after 16 callers changing one county at once, the counts give what counting the rows gives
// (CountStatisticsFromRows, the queries GetStatistics ran before the counts); and the migration's backfill
// counts existing rows the same.
#include <atomic>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/migrations.h"
#include "services/registry/statistics_count_store.h"
#include "shouhu/registry/v1/roster_service.grpc.pb.h"
#include "tests/integration/registry/registry_writers.h"
#include "tests/support/resident_ids.h"
#include "tests/support/roster_fixture_rows.h"

namespace shouhu::registry::testing {
namespace {

using Registry = v1::RegistryService::Stub;

// Statistics as text, so a mismatch shows both answers whole.
std::string Describe(const Statistics& s) {
  std::string out;
  for (const auto& row : s.by_county) {
    absl::StrAppend(&out, "county ", row.county_code, " status ", row.status, ": ", row.children, "\n");
  }
  for (const auto& [category, n] : s.by_category) absl::StrAppend(&out, "category ", category, ": ", n, "\n");
  for (const auto& [risk, n] : s.by_risk) absl::StrAppend(&out, "risk ", risk, ": ", n, "\n");
  return out;
}

std::string Describe(const absl::StatusOr<Statistics>& s) {
  return s.ok() ? Describe(*s) : s.status().ToString();
}

// The prefixes the counts answer for (a county or shorter), and a township's, which reads the rows.
const std::vector<std::string> kCountedPrefixes = {"", "53", "532329", "64", "640105", "532329101"};

class StatisticsCountsTest : public RegistryWritersTest {
 protected:
  // The counted statistics (the store's GetStatistics) and the rows counted afresh, for one prefix.
  void ExpectCountsEqualRows(const std::string& prefix) {
    absl::StatusOr<Statistics> counted = module_->store().GetStatistics(prefix);
    absl::StatusOr<Statistics> from_rows = db::ReadOne<Statistics>(
        database_->pool(), [&](db::Session& s) { return CountStatisticsFromRows(s, prefix); });
    ASSERT_TRUE(counted.ok()) << counted.status();
    ASSERT_TRUE(from_rows.ok()) << from_rows.status();
    EXPECT_EQ(Describe(counted), Describe(from_rows)) << "prefix '" << prefix << "'";
  }

  void ExpectCountsEqualRows() {
    for (const std::string& prefix : kCountedPrefixes) ExpectCountsEqualRows(prefix);
  }
};

TEST_F(StatisticsCountsTest, RandomizedChanges_CountsEqualTheRowsCountedAfresh_AfterEveryStep) {
  const uint32_t seed = 20261202;
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937 random(seed);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<uint32_t>(n)); };
  const std::vector<std::string> villages = {kWudingVillage, kWudingVillage2, kXixiaVillage};
  const std::vector<std::vector<v1::ChildCategory>> category_lists = {
      {v1::CHILD_CATEGORY_LEFT_BEHIND},
      {v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED, v1::CHILD_CATEGORY_ORPHAN},
      {v1::CHILD_CATEGORY_ORPHAN},
      {v1::CHILD_CATEGORY_LEFT_BEHIND, v1::CHILD_CATEGORY_IN_DISTRESS}};
  struct Child {
    std::string resident_id;
    std::string village;
  };
  std::vector<Child> children;
  std::vector<Tracked> cases;
  std::map<std::string, int> done;  // steps that changed something, by kind
  int roster_row = 1;
  for (int step = 0; step < 70; ++step) {
    const std::string tag = absl::StrCat(step);
    const int kind = step < 4 ? 0 : pick(9);
    const v1::RiskLevel risk = static_cast<v1::RiskLevel>(1 + pick(4));
    absl::Status status;
    if (kind == 0) {  // a new child referred and accepted
      const std::string village = villages[pick(3)];
      const std::string resident_id = shouhu::testing::ResidentIdNumber(
          village.substr(0, 6), "20150607", 2 * static_cast<int>(children.size()) + 1);
      absl::StatusOr<v1::Case> accepted = Refer(tag, village, resident_id, category_lists[pick(4)], risk);
      status = accepted.status();
      if (accepted.ok()) {
        children.push_back({resident_id, village});
        cases.push_back({accepted->case_id(), village.substr(0, 6)});
      }
      EXPECT_OK(status) << "step " << step;
      done["refer"] += status.ok();
    } else if (kind == 1) {  // a roster chunk of Wuding, some of its rows seen before (matched)
      std::vector<v1::RosterRow> rows;
      const int count = 1 + pick(4);
      if (roster_row > 1) rows.push_back(shouhu::testing::RosterRowNumber(roster_row - 1, kWudingVillage2));
      for (int i = 0; i < count; ++i) {
        v1::RosterRow row = shouhu::testing::RosterRowNumber(500 + roster_row++, kWudingVillage2);
        if (pick(2) == 0) row.add_categories(v1::CHILD_CATEGORY_DISABILITY);
        rows.push_back(row);
      }
      absl::StatusOr<v1::ImportRosterResponse> imported = ImportRows("import-" + tag, rows);
      status = imported.status();
      EXPECT_OK(status) << "step " << step;
      done["roster"] += status.ok() && imported->created() > 0;
    } else if (kind == 2 && !children.empty()) {  // a child referred again: a new case retires the last
      const Child& child = children[static_cast<size_t>(pick(static_cast<int>(children.size())))];
      absl::StatusOr<v1::Case> accepted =
          Refer(tag, child.village, child.resident_id, category_lists[0], risk);
      status = accepted.status();
      if (accepted.ok()) cases.push_back({accepted->case_id(), accepted->village_code().substr(0, 6)});
      EXPECT_TRUE(AcceptableRefusal(status)) << status << " at step " << step;
      done["refer again"] += status.ok();
    } else if (kind == 3 && !cases.empty()) {  // a county transfer
      Tracked& c = cases[static_cast<size_t>(pick(static_cast<int>(cases.size())))];
      status = MoveCounty(tag, c);
      EXPECT_TRUE(AcceptableRefusal(status)) << status << " at step " << step;
      done["transfer"] += status.ok();
    } else if (kind == 8 && !cases.empty()) {  // the child moved home inside the county
      const Tracked& c = cases[static_cast<size_t>(pick(static_cast<int>(cases.size())))];
      status = MoveHome(tag, c, pick(2) == 0);
      EXPECT_TRUE(AcceptableRefusal(status)) << status << " at step " << step;
      done["move home"] += status.ok();
    } else if (kind >= 4 && kind < 8 && !cases.empty()) {  // the lifecycle and the risk grade
      const Tracked& c = cases[static_cast<size_t>(pick(static_cast<int>(cases.size())))];
      status = ChangeCase(kind - 4, tag, c, risk);
      EXPECT_TRUE(AcceptableRefusal(status)) << status << " at step " << step;
      done[absl::StrCat("change ", kind)] += status.ok();
    }
    ExpectCountsEqualRows();
    if (HasFailure()) return;
  }
  // Every kind of writer ran at least once (so the equalities above covered each).
  for (const char* kind : {"refer", "roster", "refer again", "transfer", "change 4", "change 5", "change 6",
                           "change 7", "move home"}) {
    EXPECT_GT(done[kind], 0) << kind;
  }
  // And the answer through the edge is the counted one.
  ASSERT_OK_AND_ASSIGN(auto answer, Call(&Registry::GetStatistics, auditor_, v1::GetStatisticsRequest()));
  ASSERT_OK_AND_ASSIGN(Statistics from_rows, db::ReadOne<Statistics>(database_->pool(), [](db::Session& s) {
                         return CountStatisticsFromRows(s, "53");
                       }));
  int64_t children_in_yunnan = 0, answered = 0;
  for (const auto& row : from_rows.by_county) children_in_yunnan += row.children;
  for (const auto& row : answer.by_county()) answered += row.children();
  EXPECT_EQ(answered, children_in_yunnan);
  EXPECT_EQ(answer.by_county_size(), static_cast<int>(from_rows.by_county.size()));
}

TEST_F(StatisticsCountsTest, SixteenCallersChangingOneCounty_CountsEqualTheRowsCountedAfresh) {
  // Every caller writes Wuding's counts at once: new children (callers t and t+8 refer the same child in the
  // same round: one registration wins, the other accept rolls back), roster chunks, and regrades, closures
  // and reopenings of four shared children's first cases racing with those children's re-referral, whose
  // accept retires the case being regraded (it must subtract the grade the case has when it retires it). A
  // count change lost to a concurrent one, applied from a stale read, or left behind by a transaction that
  // rolled back shows as a difference from the rows counted afresh.
  std::vector<Tracked> shared;
  std::vector<std::string> shared_ids;
  for (int i = 0; i < 4; ++i) {
    shared_ids.push_back(shouhu::testing::ResidentIdNumber("532329", "20150607", 901 + 2 * i));
    ASSERT_OK_AND_ASSIGN(v1::Case c, Refer(absl::StrCat("shared", i), kWudingVillage, shared_ids.back(),
                                           {v1::CHILD_CATEGORY_LEFT_BEHIND}, v1::RISK_LEVEL_MEDIUM));
    shared.push_back({c.case_id(), "532329"});
  }
  constexpr int kCallers = 16, kRounds = 20;
  std::atomic<int> referred_again{0};
  const std::vector<std::string> unexpected = RaceWriters(kCallers, kRounds, [&](int t, int round) {
    const std::string tag = absl::StrCat("t", t, "r", round);
    const size_t which = static_cast<size_t>((t + round) % 4);
    const v1::RiskLevel risk = static_cast<v1::RiskLevel>(1 + (t * 3 + round) % 4);
    absl::Status status;
    switch ((t + round) % 6) {
      case 0: {
        const int sequence = 2 * (100 + (t % 8) * kRounds + round) + 1;
        status = Refer(tag, t % 2 == 0 ? kWudingVillage : kWudingVillage2,
                       shouhu::testing::ResidentIdNumber("532329", "20150607", sequence),
                       {v1::CHILD_CATEGORY_ORPHAN}, v1::RISK_LEVEL_HIGH)
                     .status();
        break;
      }
      case 1: {
        std::vector<v1::RosterRow> rows;
        for (int i = 0; i < 3; ++i) {
          rows.push_back(shouhu::testing::RosterRowNumber(2000 + (t * kRounds + round) * 3 + i));
        }
        status = ImportRows("import-" + tag, rows).status();
        break;
      }
      case 2:
      case 5:
        status = ChangeCase(0, tag, shared[which], risk);
        break;
      case 3:
        status = ChangeCase(t % 2 == 0 ? 2 : 3, tag, shared[which], risk);  // close, or reopen
        break;
      default: {
        // The children whose cases the closures above reach ((t + round) % 6 == 3: cases 1 and 3).
        const size_t child = static_cast<size_t>((t + round + 1) % 4);
        status =
            Refer(tag, kWudingVillage, shared_ids[child], {v1::CHILD_CATEGORY_LEFT_BEHIND}, risk).status();
        referred_again += status.ok();
      }
    }
    return status;
  });
  for (int t = 0; t < kCallers; ++t) EXPECT_EQ(unexpected[static_cast<size_t>(t)], "") << "caller " << t;
  EXPECT_GT(referred_again.load(), 0) << "no shared child was referred again: the race above did not run";
  ExpectCountsEqualRows();
  // The county's counts are spread over several slots (one per transaction, by hash).
  EXPECT_GT(Count("(SELECT DISTINCT slot FROM case_counts WHERE county_code = '532329') AS slots"), 1);
}

TEST(StatisticsCountsBackfillTest, Migration0045_CountsTheExistingRows_AsTheRowsCountThem) {
  std::vector<db::Migration> before;
  for (const db::Migration& m : RegistryMigrations()) {
    if (m.version < 45) before.push_back(m);
  }
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(before));
  // Rows as the registry left them before 0045, in two provinces: children with one, two or no categories,
  // one without a case, one whose earlier case was retired, closed and graded cases.
  ASSERT_OK(database->pool().Autocommit([](db::Session& s) -> absl::Status {
    const std::vector<std::tuple<std::string, std::string, std::string>> children = {
        {"01JCHILD00000000000000000A", "532329101001", "1"},
        {"01JCHILD00000000000000000B", "532329101002", "1,3"},
        {"01JCHILD00000000000000000C", "532329101001", ""},
        {"01JCHILD00000000000000000D", "532329101001", "2"},
        {"01JCHILD00000000000000000E", "640105001002", "1"},
        {"01JCHILD00000000000000000F", "640105001002", "1,3"}};
    for (const auto& [id, village, categories] : children) {
      RETURN_IF_ERROR(
          s.Execute("INSERT INTO children (id, name, sex, birth_date, village_code, categories, "
                    "created_at, updated_at) VALUES (?, '测试', 1, '2015-06-07', ?, ?, NOW(6), NOW(6))",
                    {id, village, categories})
              .status());
    }
    // (case, child, status, risk, current)
    const std::vector<std::tuple<std::string, std::string, int64_t, int64_t, int64_t>> cases = {
        {"01JCASE000000000000000000A", "01JCHILD00000000000000000A", 2, 3, 1},
        {"01JCASE000000000000000000B", "01JCHILD00000000000000000B", 3, 1, 0},  // retired
        {"01JCASE000000000000000000C", "01JCHILD00000000000000000B", 1, 4, 1},
        {"01JCASE000000000000000000D", "01JCHILD00000000000000000D", 3, 2, 1},  // closed, still current
        {"01JCASE000000000000000000E", "01JCHILD00000000000000000E", 2, 3, 1}};
    for (const auto& [id, child, status, risk, current] : cases) {
      RETURN_IF_ERROR(s.Execute("INSERT INTO cases (id, child_id, organisation_id, caseworker_id, status, "
                                "risk_level, village_code, opened_at, updated_at, is_current) "
                                "SELECT ?, id, 'ngo-wuding', 'cw', ?, ?, village_code, NOW(6), NOW(6), ? "
                                "FROM children WHERE id = ?",
                                {id, status, risk, current, child})
                          .status());
    }
    return absl::OkStatus();
  }));
  std::vector<db::Migration> all = db::CommonMigrations();
  for (const db::Migration& m : RegistryMigrations()) all.push_back(m);
  ASSERT_OK(db::ApplyMigrations(database->pool(), all));
  for (const std::string prefix : {"", "53", "532329", "64", "640105"}) {
    ASSERT_OK_AND_ASSIGN(Statistics counted, db::ReadOne<Statistics>(database->pool(), [&](db::Session& s) {
                           return ReadCountedStatistics(s, prefix);
                         }));
    ASSERT_OK_AND_ASSIGN(Statistics from_rows, db::ReadOne<Statistics>(database->pool(), [&](db::Session& s) {
                           return CountStatisticsFromRows(s, prefix);
                         }));
    EXPECT_EQ(Describe(counted), Describe(from_rows)) << "prefix '" << prefix << "'";
  }
  // And what that is, for Wuding: A active, B verifying, C with no case, D closed.
  ASSERT_OK_AND_ASSIGN(Statistics wuding, db::ReadOne<Statistics>(database->pool(), [&](db::Session& s) {
                         return ReadCountedStatistics(s, "532329");
                       }));
  EXPECT_EQ(Describe(wuding),
            "county 532329 status 0: 1\ncounty 532329 status 1: 1\ncounty 532329 status 2: 1\n"
            "county 532329 status 3: 1\ncategory 1: 2\ncategory 2: 1\ncategory 3: 1\n"
            "risk 0: 1\nrisk 2: 1\nrisk 3: 1\nrisk 4: 1\n");
}

}  // namespace
}  // namespace shouhu::registry::testing
