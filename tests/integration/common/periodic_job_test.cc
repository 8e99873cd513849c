// Periodic jobs across replicas: each period runs exactly once however many replicas race for it, a crashed
// claimant's run is taken over once its lease has run out, and a failed run is tried again.
#include "common/periodic_job.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace shouhu {
namespace {

using ::shouhu::testing::TestDatabase;

const absl::Time kStart = absl::FromCivil(absl::CivilSecond(2026, 3, 8, 0, 0, 0), absl::UTCTimeZone());

// How often each period's work ran, across every replica.
class RunLog {
 public:
  void Add(absl::Time period_start) {
    absl::MutexLock lock(&mu_);
    ++runs_[period_start];
  }
  std::map<absl::Time, int> runs() {
    absl::MutexLock lock(&mu_);
    return runs_;
  }

 private:
  absl::Mutex mu_;
  std::map<absl::Time, int> runs_;
};

TEST(PeriodicJob, ReplicasRacingForTheSamePeriods_RunEachPeriodExactlyOnce) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  ManualClock clock(kStart);
  RunLog log;
  constexpr int kReplicas = 4;
  constexpr int kPeriods = 12;
  // Each replica with its own pool, as separate processes would have.
  std::vector<std::unique_ptr<db::Pool>> pools;
  std::vector<std::unique_ptr<PeriodicJob>> jobs;
  for (int r = 0; r < kReplicas; ++r) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<db::Pool> pool, db::Pool::Open(database->config()));
    jobs.push_back(std::make_unique<PeriodicJob>(*pool, clock, "test.sweep",
                                                 Schedule::Every(absl::Minutes(1)), absl::Minutes(10),
                                                 absl::StrCat("replica-", r), [&log](const PeriodicRun& run) {
                                                   log.Add(run.period_start);
                                                   return absl::OkStatus();
                                                 }));
    pools.push_back(std::move(pool));
  }
  for (int period = 0; period < kPeriods; ++period) {
    // Every replica polls three times within the period, all at once.
    for (int poll = 0; poll < 3; ++poll) {
      clock.Set(kStart + absl::Minutes(period) + absl::Seconds(10 + 15 * poll));
      std::atomic<int> ran{0};
      std::vector<std::thread> threads;
      for (auto& job : jobs) {
        threads.emplace_back([&] {
          absl::StatusOr<std::optional<PeriodicRun>> run = job->RunDue();
          EXPECT_OK(run.status());
          if (run.ok() && *run) ++ran;
        });
      }
      for (auto& t : threads) t.join();
      EXPECT_EQ(ran.load(), poll == 0 ? 1 : 0) << "period " << period << " poll " << poll;
    }
  }
  std::map<absl::Time, int> runs = log.runs();
  ASSERT_EQ(runs.size(), static_cast<size_t>(kPeriods));
  for (int period = 0; period < kPeriods; ++period) {
    EXPECT_EQ(runs[kStart + absl::Minutes(period)], 1) << "period " << period;
  }
  EXPECT_EQ(database->Count("periodic_runs"), kPeriods);
}

TEST(PeriodicJob, ClaimantCrashes_RunTakenOverAfterItsLease_EvenInALaterPeriod) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  ManualClock clock(kStart + absl::Hours(9));
  RunLog log;
  absl::Notification crashed;
  absl::Notification release;
  // Replica A claims the day and then hangs, as a process that died mid-run leaves its claim.
  PeriodicJob a(database->pool(), clock, "test.daily", Schedule::Daily(absl::UTCTimeZone()), absl::Hours(1),
                "a", [&](const PeriodicRun&) {
                  crashed.Notify();
                  release.WaitForNotification();
                  return absl::OkStatus();
                });
  std::vector<PeriodicRun> b_runs;
  PeriodicJob b(database->pool(), clock, "test.daily", Schedule::Daily(absl::UTCTimeZone()), absl::Hours(1),
                "b", [&](const PeriodicRun& run) {
                  log.Add(run.period_start);
                  b_runs.push_back(run);
                  return absl::OkStatus();
                });
  absl::StatusOr<std::optional<PeriodicRun>> a_result;
  std::thread a_thread([&] { a_result = a.RunDue(); });
  crashed.WaitForNotification();

  // Within the lease the day is A's.
  clock.Set(kStart + absl::Hours(9) + absl::Minutes(59));
  ASSERT_OK_AND_ASSIGN(std::optional<PeriodicRun> early, b.RunDue());
  EXPECT_FALSE(early.has_value());

  // The lease ran out the next day: B first takes over the abandoned day, then runs its own day.
  clock.Set(kStart + absl::Hours(24 + 2));
  ASSERT_OK_AND_ASSIGN(std::optional<PeriodicRun> takeover, b.RunDue());
  ASSERT_TRUE(takeover.has_value());
  EXPECT_EQ(takeover->period_start, kStart);
  EXPECT_EQ(takeover->attempt, 2);
  ASSERT_OK_AND_ASSIGN(std::optional<PeriodicRun> today, b.RunDue());
  ASSERT_TRUE(today.has_value());
  EXPECT_EQ(today->period_start, kStart + absl::Hours(24));
  ASSERT_OK_AND_ASSIGN(std::optional<PeriodicRun> nothing, b.RunDue());
  EXPECT_FALSE(nothing.has_value());

  // A wakes up: its claim is gone, so it finishes nothing.
  release.Notify();
  a_thread.join();
  EXPECT_EQ(a_result.status().code(), absl::StatusCode::kAborted);
  std::map<absl::Time, int> runs = log.runs();
  EXPECT_EQ(runs[kStart], 1);
  EXPECT_EQ(runs[kStart + absl::Hours(24)], 1);
}

TEST(PeriodicJob, WorkFails_ClaimReleasedAndTriedAgainAtOnce) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  ManualClock clock(kStart);
  int attempts = 0;
  PeriodicJob job(database->pool(), clock, "test.flaky", Schedule::Every(absl::Hours(1)), absl::Hours(1), "a",
                  [&](const PeriodicRun&) {
                    return ++attempts == 1 ? absl::UnavailableError("database went away") : absl::OkStatus();
                  });
  EXPECT_EQ(job.RunDue().status().code(), absl::StatusCode::kUnavailable);
  clock.Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(std::optional<PeriodicRun> retried, job.RunDue());
  ASSERT_TRUE(retried.has_value());
  EXPECT_EQ(retried->attempt, 2);
  ASSERT_OK_AND_ASSIGN(std::optional<PeriodicRun> done, job.RunDue());
  EXPECT_FALSE(done.has_value());
  EXPECT_EQ(attempts, 2);
}

}  // namespace
}  // namespace shouhu
