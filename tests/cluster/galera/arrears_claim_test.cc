// Back pay (补发) claimed through two nodes of the Galera cluster at once: two allowance replicas, one on
// node 1 and one on node 2, claim the same enrolment's arrears at the same moment, many times. On one server
// the enrolment's row lock orders the two claims; across nodes nothing is locked, and certification must make
// one of them lose (monthly_arrears' (enrolment, month, attempt) key, the case standing both write) and its
// retry find nothing owed. Each month is claimed once: one arrears application per enrolment, never two.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/allowance/allowance_store.h"
#include "services/allowance/monthly_roster_store.h"
#include "tests/cluster/galera/galera_fixture.h"
#include "tests/support/status_matchers.h"

namespace shouhu::allowance {
namespace {

using GaleraArrearsTest = ::shouhu::testing::GaleraTest;

constexpr int64_t kPaidFen = 60'000;
constexpr int64_t kRaisedFen = 65'000;

// An enrolment of kPaidFen a month whose `months` roster lines were paid, then raised to kRaisedFen from the
// first of them: written straight into the database (as the roster bench does), through node 1.
absl::Status SeedPaidThenRaised(db::Pool& pool, const std::string& program, const std::string& enrolment,
                                const std::string& child, const std::vector<absl::CivilMonth>& months,
                                absl::Time approved_at) {
  const std::string at = ToSqlTimestamp(approved_at);
  return pool.Transaction([&](db::Session& tx) -> absl::Status {
    RETURN_IF_ERROR(
        tx.Execute(
              "INSERT INTO applications (id, program_id, child_id, division_code, organisation_id, type,"
              " amount_fen, reason, evidence_report_id, state, applicant, year, submitted_at, decided_at)"
              " VALUES (?, ?, ?, '532329101001', 'ngo', 5, ?, 'galera', '', 3, 'caseworker', ?, ?, ?)",
              {enrolment, program, child, kPaidFen, int64_t{ShanghaiDay(approved_at).year()}, at, at})
            .status());
    for (const absl::CivilMonth month : months) {
      const std::string day = absl::FormatCivilTime(absl::CivilDay(month));
      // 26 characters, as every id: 19 of the program's or enrolment's, a letter, the month as YYYYMM.
      const std::string yyyymm = absl::StrFormat("%04d%02d", month.year(), month.month());
      const std::string cycle = absl::StrCat(program.substr(0, 19), "C", yyyymm);
      const std::string payment = absl::StrCat(enrolment.substr(0, 19), "P", yyyymm);
      RETURN_IF_ERROR(
          tx.Execute("INSERT INTO monthly_roster_lines (cycle_id, enrolment_id, program_id, month,"
                     " child_id, division_code, kind, outcome, amount_fen, payable_child_id,"
                     " payment_id) VALUES (?, ?, ?, ?, ?, '532329101001', 2, 0, ?, ?, ?)",
                     {cycle, enrolment, program, day, child, kPaidFen, child, payment})
              .status());
      RETURN_IF_ERROR(tx.Execute("INSERT INTO living_allowance_months_paid (child_id, month, enrolment_id,"
                                 " payment_id, claimed_at) VALUES (?, ?, ?, ?, ?)",
                                 {child, day, enrolment, payment, at})
                          .status());
    }
    return tx
        .Execute(
            "INSERT INTO monthly_amount_changes (enrolment_id, seq, from_month, amount_fen,"
            " previous_amount_fen, reason, changed_by, changed_at) VALUES (?, 1, ?, ?, ?, '省里调标', "
            "'admin', ?)",
            {enrolment, absl::FormatCivilTime(absl::CivilDay(months.front())), kRaisedFen, kPaidFen, at})
        .status();
  });
}

TEST_F(GaleraArrearsTest, TwoReplicasOnTwoNodesClaimAtOnce_EachMonthClaimedOnce) {
  ASSERT_OK(MigrateOnNode1(AllowanceMigrations()));
  const std::string migrated =
      "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
      " AND table_name = 'monthly_arrears'";
  for (int node = 2; node <= 3; ++node) ASSERT_EQ(EventuallyOn(node, migrated, 1), 1) << "node " << node;

  std::unique_ptr<db::Pool> one = PoolOn(1, 2);
  std::unique_ptr<db::Pool> two = PoolOn(2, 2);
  SystemClock clock;
  IdGenerator ids_one(clock), ids_two(clock);
  MariaDbAllowanceStore core_one(*one, ids_one, VerificationSample(0, 0), 0);
  MariaDbAllowanceStore core_two(*two, ids_two, VerificationSample(0, 0), 1);
  MonthlyRosterStore replica_one(*one, ids_one, core_one, VerificationSample(0, 0));
  MonthlyRosterStore replica_two(*two, ids_two, core_two, VerificationSample(0, 0));

  // Two paid months of one year, which one claim takes (a claim holds one year's months).
  absl::Time approved_at = clock.Now() - absl::Hours(24 * 70);
  if (absl::CivilMonth(ShanghaiDay(approved_at)).month() == 11) approved_at -= absl::Hours(24 * 31);
  const absl::CivilMonth first(ShanghaiDay(approved_at));
  const std::vector<absl::CivilMonth> paid = {first + 1, first + 2};
  const std::string program = ids_one.Next();
  ASSERT_OK(one->Transaction([&](db::Session& tx) -> absl::Status {
    const int year = static_cast<int>(ShanghaiDay(clock.Now()).year());
    RETURN_IF_ERROR(
        tx.Execute("INSERT INTO programs (id, name, plan, target_group, jurisdiction,"
                   " operator_organisation_id, funder_organisation_id, budget_fen, period_start,"
                   " period_end, allowed_types, eligible_categories, per_payment_cap_fen,"
                   " per_child_year_cap_fen, second_approval_threshold_fen, state, proposed_by,"
                   " proposed_at) VALUES (?, 'galera', 'galera', 'galera', '532329', 'ngo', 'bureau',"
                   " 100000000, ?, ?, '5', '2,3', 200000, 5000000, 1000000, 4, 'admin', ?)",
                   {program, absl::StrCat(year - 1, "-01-01"), absl::StrCat(year + 1, "-12-31"),
                    ToSqlTimestamp(approved_at)})
            .status());
    return tx
        .Execute("INSERT INTO program_balances (program_id, budget_fen, unallocated_fen) VALUES (?, ?, ?)",
                 {program, int64_t{100'000'000}, int64_t{100'000'000}})
        .status();
  }));

  constexpr int kRaces = 30;
  const int64_t conflicts_before = CertificationConflicts();
  std::vector<std::string> enrolments;
  for (int race = 0; race < kRaces; ++race) {
    const std::string enrolment = ids_one.Next();
    const std::string child = ids_one.Next();
    enrolments.push_back(enrolment);
    ASSERT_OK(SeedPaidThenRaised(*one, program, enrolment, child, paid, approved_at));
    ASSERT_EQ(EventuallyOn(2,
                           absl::StrCat("SELECT COUNT(*) FROM monthly_amount_changes WHERE enrolment_id = '",
                                        enrolment, "'"),
                           1),
              1);
    std::atomic<int> ready{0};
    absl::StatusOr<v1::ClaimMonthlyArrearsResponse> claimed[2] = {absl::UnknownError("not run"),
                                                                  absl::UnknownError("not run")};
    std::vector<std::thread> replicas;
    for (int r = 0; r < 2; ++r) {
      replicas.emplace_back([&, r] {
        MonthlyRosterStore& store = r == 0 ? replica_one : replica_two;
        const IdempotencyKey key{"shouhu.allowance.v1.AllowanceService/ClaimMonthlyArrears", "admin",
                                 absl::StrCat("claim-", race, "-", r), absl::StrCat("hash-", r)};
        const Actor actor{"admin", "ngo", clock.Now()};
        ++ready;
        while (ready.load() < 2) {
        }
        claimed[r] = store.ClaimMonthlyArrears(key, actor, enrolment, 0, "省民政厅通知，补发差额",
                                               [](const v1::Program&) { return absl::OkStatus(); });
      });
    }
    for (std::thread& t : replicas) t.join();
    int granted = 0;
    for (int r = 0; r < 2; ++r) {
      if (claimed[r].ok()) {
        ++granted;
        EXPECT_EQ(claimed[r]->application().amount_fen(), 2 * (kRaisedFen - kPaidFen)) << "race " << race;
        EXPECT_EQ(claimed[r]->months_size(), 2) << "race " << race;
      } else {
        EXPECT_EQ(claimed[r].status().code(), absl::StatusCode::kFailedPrecondition)
            << "race " << race << ": " << claimed[r].status();
        EXPECT_TRUE(absl::StrContains(claimed[r].status().message(), "nothing owed")) << claimed[r].status();
      }
    }
    EXPECT_EQ(granted, 1) << "race " << race;
  }
  // Seen the same on the third node: two claimed months and one arrears application per enrolment.
  for (const std::string& enrolment : enrolments) {
    EXPECT_EQ(
        EventuallyOn(
            3, absl::StrCat("SELECT COUNT(*) FROM monthly_arrears WHERE enrolment_id = '", enrolment, "'"),
            2),
        2)
        << enrolment;
  }
  EXPECT_EQ(EventuallyOn(3,
                         absl::StrCat("SELECT COUNT(*) FROM applications WHERE type = 6 AND program_id = '",
                                      program, "'"),
                         kRaces),
            kRaces);
  std::printf("certification conflicts over %d races: %lld\n", kRaces,
              static_cast<long long>(CertificationConflicts() - conflicts_before));
}

}  // namespace
}  // namespace shouhu::allowance
