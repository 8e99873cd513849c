// The monthly roster for 100,000 eligible children: seeds one funded program with 100,000 enrolments taken
// up (children's facts as the registry gave them, a tenth of them past 18 with a school proof, a tenth with
// their case closed), then times MonthlyRosterStore::GenerateMonth on the real schema and prints it (target:
// under 60 s). A second run of the month is timed too: it writes nothing. Then the program's forecast read,
// with the month paid, before and after a raise reaching back over it for every enrolment (the arrears owed).
// No timed assertions: the figures are for the note; the test asserts only what was written and owed.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "services/allowance/allowance_store.h"
#include "services/allowance/monthly_roster_store.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace shouhu::allowance {
namespace {

constexpr int kChildren = 100'000;
constexpr int kChunk = 1'000;

// Runs `sql_head` + `rows` value tuples of `width` parameters, a chunk of rows per statement and transaction.
absl::Status InsertChunked(db::Pool& pool, const std::string& sql_head, int width, int rows,
                           const std::function<void(int, std::vector<db::Value>&)>& row) {
  const std::string tuple = absl::StrCat("(", absl::StrJoin(std::vector<std::string>(width, "?"), ", "), ")");
  for (int start = 0; start < rows; start += kChunk) {
    const int n = std::min(kChunk, rows - start);
    std::vector<db::Value> params;
    for (int i = start; i < start + n; ++i) row(i, params);
    const std::string sql = absl::StrCat(sql_head, absl::StrJoin(std::vector<std::string>(n, tuple), ", "));
    RETURN_IF_ERROR(pool.Transaction([&](db::Session& tx) { return tx.Execute(sql, params).status(); }));
  }
  return absl::OkStatus();
}

TEST(MonthlyRosterBench, HundredThousandChildren) {
  ASSERT_OK_AND_ASSIGN(auto database, testing::TestDatabase::Create(AllowanceMigrations(), 4));
  db::Pool& pool = database->pool();
  SystemClock clock;
  IdGenerator ids(clock);
  const absl::Time now = absl::Now();
  const absl::CivilMonth this_month(ShanghaiDay(now));
  const absl::CivilMonth month = this_month + 2;
  const std::string approved_at = ToSqlTimestamp(now - absl::Hours(1));
  const std::string program_id = ids.Next();

  const absl::Time seed_start = absl::Now();
  ASSERT_OK(pool.Transaction([&](db::Session& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.Execute("INSERT INTO programs (id, name, plan, target_group, jurisdiction,"
                               " operator_organisation_id, funder_organisation_id, budget_fen, period_start,"
                               " period_end, allowed_types, eligible_categories, per_payment_cap_fen,"
                               " per_child_year_cap_fen, second_approval_threshold_fen, state, proposed_by,"
                               " proposed_at) VALUES (?, 'bench', 'bench', 'bench', '53', 'ngo', 'bureau', ?,"
                               " '2026-01-01', '2030-12-31', '5', '2,3', 100000, 2000000, 0, 4, 'bench', ?)",
                               {program_id, int64_t{kChildren} * 60'000 * 24, approved_at})
                        .status());
    return tx
        .Execute("INSERT INTO program_balances (program_id, budget_fen, unallocated_fen) VALUES (?, ?, ?)",
                 {program_id, int64_t{kChildren} * 60'000 * 24, int64_t{kChildren} * 60'000 * 24})
        .status();
  }));
  std::vector<std::string> application_ids(kChildren);
  std::vector<std::string> child_ids(kChildren);
  for (int i = 0; i < kChildren; ++i) {
    application_ids[i] = ids.Next();
    child_ids[i] = ids.Next();
  }
  const int year = static_cast<int>(this_month.year());
  ASSERT_OK(InsertChunked(
      pool,
      "INSERT INTO applications (id, program_id, child_id, division_code, organisation_id, type,"
      " amount_fen, reason, evidence_report_id, state, applicant, year, submitted_at,"
      " decided_at) VALUES ",
      14, kChildren, [&](int i, std::vector<db::Value>& p) {
        for (db::Value v : std::vector<db::Value>{
                 application_ids[i], program_id, child_ids[i], absl::StrCat("5323291010", 10 + i % 90),
                 std::string("ngo"), int64_t{5}, int64_t{60'000}, std::string("bench"), std::string(""),
                 int64_t{3}, std::string("bench"), int64_t{year}, approved_at, approved_at}) {
          p.push_back(std::move(v));
        }
      }));
  ASSERT_OK(
      InsertChunked(pool,
                    "INSERT INTO living_allowance_enrolments (application_id, child_id, kind, taken_up_at)"
                    " VALUES ",
                    4, kChildren, [&](int i, std::vector<db::Value>& p) {
                      p.push_back(application_ids[i]);
                      p.push_back(child_ids[i]);
                      p.push_back(int64_t{i % 7 == 0 ? 1 : 2});
                      p.push_back(approved_at);
                    }));
  // A tenth aged out (18 last year), half of those with a school proof; a tenth with the case closed.
  const std::string adult_birth = absl::FormatCivilTime(absl::CivilDay(year - 19, 1, 1));
  const std::string child_birth = absl::FormatCivilTime(absl::CivilDay(year - 10, 6, 1));
  const std::string closed_on = absl::FormatCivilTime(ShanghaiDay(now));
  ASSERT_OK(InsertChunked(pool,
                          "INSERT INTO living_allowance_children (child_id, birth_date, is_orphan,"
                          " is_de_facto_unsupported, stopped_on, updated_at) VALUES ",
                          6, kChildren, [&](int i, std::vector<db::Value>& p) {
                            p.push_back(child_ids[i]);
                            p.push_back(i % 10 == 1 ? adult_birth : child_birth);
                            p.push_back(int64_t{i % 7 == 0 ? 1 : 0});
                            p.push_back(int64_t{1});
                            p.push_back(i % 10 == 2 ? db::Value(closed_on) : db::Value(db::Null{}));
                            p.push_back(approved_at);
                          }));
  // Their stops, as the follower keeps them (migration 0110): what the roster's readers take the days from.
  ASSERT_OK(InsertChunked(pool,
                          "INSERT INTO living_allowance_stops (child_id, stopped_on, reason, event_sequence,"
                          " recorded_at) VALUES ",
                          5, kChildren / 10, [&](int k, std::vector<db::Value>& p) {
                            p.push_back(child_ids[k * 10 + 2]);
                            p.push_back(closed_on);
                            p.push_back(std::string("case_closed"));
                            p.push_back(int64_t{k + 1});
                            p.push_back(approved_at);
                          }));
  ASSERT_OK(InsertChunked(pool,
                          "INSERT INTO school_enrolments (id, child_id, school, evidence_ref, covers_through,"
                          " recorded_by, recorded_at) VALUES ",
                          7, kChildren / 20, [&](int k, std::vector<db::Value>& p) {
                            const int i = k * 20 + 1;  // every other aged-out child
                            p.push_back(ids.Next());
                            p.push_back(child_ids[i]);
                            p.push_back(int64_t{2});
                            p.push_back(std::string("ENROL-BENCH"));
                            p.push_back(absl::FormatCivilTime(absl::CivilDay(month + 6)));
                            p.push_back(std::string("bench"));
                            p.push_back(approved_at);
                          }));
  std::printf("seeded %d enrolments in %.1f s\n", kChildren, absl::ToDoubleSeconds(absl::Now() - seed_start));

  MariaDbAllowanceStore core(pool, ids);
  MonthlyRosterStore store(pool, ids, core, VerificationSample(1, 50'000));
  const absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(GenerationResult first, store.GenerateMonth(month, absl::Now()));
  const absl::Duration generation = absl::Now() - start;
  std::printf("monthly roster: %lld lines for %lld children in %.2f s (target: under 60 s)\n",
              static_cast<long long>(first.lines_written), static_cast<long long>(first.children),
              absl::ToDoubleSeconds(generation));
  const absl::Time again_start = absl::Now();
  ASSERT_OK_AND_ASSIGN(GenerationResult again, store.GenerateMonth(month, absl::Now()));
  std::printf("second run of the month: %lld lines written in %.2f s\n",
              static_cast<long long>(again.lines_written), absl::ToDoubleSeconds(absl::Now() - again_start));

  EXPECT_EQ(first.lines_written, kChildren);
  EXPECT_EQ(again.lines_written, 0);
  EXPECT_EQ(database->Count("monthly_roster_lines"), kChildren);
  ASSERT_OK_AND_ASSIGN(std::optional<v1::MonthlyCycle> cycle,
                       [&]() -> absl::StatusOr<std::optional<v1::MonthlyCycle>> {
                         ASSIGN_OR_RETURN(std::vector<v1::MonthlyCycle> cycles, store.ListCycles(program_id));
                         if (cycles.empty()) return std::optional<v1::MonthlyCycle>();
                         return std::optional<v1::MonthlyCycle>(cycles.front());
                       }());
  ASSERT_TRUE(cycle.has_value());
  // Payable: all but the aged-out without proof (5%) and the closed (10%).
  EXPECT_EQ(cycle->payable_lines(), kChildren - kChildren / 20 - kChildren / 10);
  std::printf("payable lines: %d, total %lld fen\n", cycle->payable_lines(),
              static_cast<long long>(cycle->total_fen()));

  // The forecast of the program (the sweep's read, ReadProgramFigures), with the month's payable lines paid:
  // first with no change of amount, then after a raise to 65,000 reaching back over the month for every
  // enrolment, when it also sums the arrears owed (kArrearsOwedOfProgram) and projects the months to come at
  // the changed amounts.
  ASSERT_OK(pool.Transaction([&](db::Session& tx) -> absl::Status {
    RETURN_IF_ERROR(
        tx.Execute("UPDATE monthly_roster_lines SET payment_id = CONCAT('P', SUBSTRING(enrolment_id, 2))"
                   " WHERE cycle_id = ? AND outcome = 0",
                   {cycle->cycle_id()})
            .status());
    return tx
        .Execute(
            "INSERT INTO living_allowance_months_paid (child_id, month, enrolment_id, payment_id, claimed_at)"
            " SELECT child_id, month, enrolment_id, payment_id, ? FROM monthly_roster_lines"
            " WHERE cycle_id = ? AND outcome = 0",
            {approved_at, cycle->cycle_id()})
        .status();
  }));
  const auto forecast_read = [&](const char* what) -> ForecastInput {
    const absl::Time read_start = absl::Now();
    absl::StatusOr<std::optional<ProgramFigures>> figures =
        store.ReadProgramFigures(program_id, ShanghaiDay(now), 90);
    const absl::Duration took = absl::Now() - read_start;
    EXPECT_OK(figures);
    if (!figures.ok() || !figures->has_value()) return {};
    std::printf("forecast read, %s: %.2f s (arrears owed %lld fen)\n", what, absl::ToDoubleSeconds(took),
                static_cast<long long>((*figures)->input.arrears_owed_fen));
    return (*figures)->input;
  };
  const ForecastInput before_raise = forecast_read("no change of amount");
  EXPECT_EQ(before_raise.arrears_owed_fen, 0);
  const std::string from = absl::FormatCivilTime(absl::CivilDay(month));
  ASSERT_OK(InsertChunked(pool,
                          "INSERT INTO monthly_amount_changes (enrolment_id, seq, from_month, amount_fen,"
                          " previous_amount_fen, reason, changed_by, changed_at) VALUES ",
                          8, kChildren, [&](int i, std::vector<db::Value>& p) {
                            for (db::Value v : std::vector<db::Value>{
                                     application_ids[i], int64_t{1}, from, int64_t{65'000}, int64_t{60'000},
                                     std::string("bench"), std::string("bench"), approved_at}) {
                              p.push_back(std::move(v));
                            }
                          }));
  const ForecastInput after_raise = forecast_read("every enrolment raised over its paid month");
  EXPECT_EQ(after_raise.arrears_owed_fen, int64_t{cycle->payable_lines()} * 5'000);
}

}  // namespace
}  // namespace shouhu::allowance
