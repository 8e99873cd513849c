#include "common/migrations.h"

#include <gtest/gtest.h>

#include <thread>

#include "absl/time/clock.h"
#include "common/db.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace shouhu {
namespace {

using ::shouhu::testing::TestDatabase;

std::vector<db::Migration> TwoVersions() {
  return {{"test", 1, "0001_notes", "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT) ENGINE=InnoDB;\n"},
          // Not idempotent on purpose: a second application would fail on the duplicate key.
          {"test", 2, "0002_seed",
           "INSERT INTO notes VALUES (1, 'first');\nINSERT INTO notes VALUES (2, 'second');\n"}};
}

TEST(ApplyMigrations, ManyReplicasStartingAtOnce_ApplyEachMigrationOnce) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  constexpr int kReplicas = 6;
  std::vector<absl::Status> results(kReplicas);
  std::vector<std::thread> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.emplace_back([&, i] {
      auto pool =
          db::Pool::Open(database->config());  // each replica its own pool, as separate processes would
      results[i] = pool.ok() ? db::ApplyMigrations(**pool, TwoVersions()) : pool.status();
    });
  }
  for (auto& t : replicas) t.join();
  for (const auto& r : results) EXPECT_OK(r);
  EXPECT_EQ(database->Count("notes"), 2);
  EXPECT_EQ(database->Count("schema_migrations WHERE component = 'test'"), 2);
}

// Migrations wait long (for another replica's, for a long statement) on connections of their own: the pool's
// connections wait for locks as configured afterwards.
TEST(ApplyMigrations, AfterwardsEveryPooledConnectionWaitsForLocksAsConfigured) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  DbConfig config = database->config();
  config.pool_size = 2;
  config.lock_wait_timeout = absl::Seconds(7);
  ASSERT_OK_AND_ASSIGN(auto pool, db::Pool::Open(config));
  ASSERT_OK(db::ApplyMigrations(*pool, TwoVersions()));
  // Both connections the migrations used, leased at once.
  ASSERT_OK_AND_ASSIGN(db::Lease first, pool->Acquire());
  ASSERT_OK_AND_ASSIGN(db::Lease second, pool->Acquire());
  for (db::Lease* lease : {&first, &second}) {
    ASSERT_OK_AND_ASSIGN(std::optional<db::Row> row,
                         (*lease)->QueryOne("SELECT @@SESSION.innodb_lock_wait_timeout"));
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ((*row).Int(0), 7);
  }
}

// A migration statement may run for minutes (an index built over a province's rows): past the I/O timeout the
// service's calls are held to, it still runs to its end and is recorded, instead of its connection being cut
// under it (UNAVAILABLE at start, the pod restarted while the ALTER goes on).
TEST(ApplyMigrations, AStatementRunningPastThePoolsIoTimeout_IsAppliedAndRecorded) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  DbConfig config = database->config();
  config.io_timeout = absl::Seconds(2);
  config.lock_wait_timeout = absl::Seconds(1);
  ASSERT_OK_AND_ASSIGN(auto pool, db::Pool::Open(config));
  ASSERT_OK(db::ApplyMigrations(
      *pool,
      {{"test", 1, "0001_slow", "DO SLEEP(3);\nCREATE TABLE slow (id INT PRIMARY KEY) ENGINE=InnoDB;\n"}}));
  EXPECT_EQ(database->Count("slow"), 0);
  EXPECT_EQ(database->Count("schema_migrations WHERE component = 'test'"), 1);
}

// A replica starting while another applies its migrations waits for it past its pool's lock wait and I/O
// timeouts, then applies only what is still missing.
TEST(ApplyMigrations, AReplicaWaitingBehindAnotherPastThePoolsTimeouts_AppliesOnceItIsDone) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  ASSERT_OK(db::ApplyMigrations(database->pool(), {TwoVersions()[0]}));
  // The other replica: the lock row held for three seconds.
  ASSERT_OK_AND_ASSIGN(db::Lease other, database->pool().Acquire());
  ASSERT_OK(other->ExecuteConstant("START TRANSACTION"));
  ASSERT_OK(other->QueryOne("SELECT id FROM schema_migration_lock WHERE id = 1 FOR UPDATE").status());
  std::thread done([&] {
    absl::SleepFor(absl::Seconds(3));
    EXPECT_OK(other->ExecuteConstant("ROLLBACK"));
  });
  DbConfig config = database->config();
  config.io_timeout = absl::Seconds(2);
  config.lock_wait_timeout = absl::Seconds(1);
  ASSERT_OK_AND_ASSIGN(auto pool, db::Pool::Open(config));
  const absl::Time start = absl::Now();
  const absl::Status applied = db::ApplyMigrations(*pool, TwoVersions());
  const absl::Duration waited = absl::Now() - start;
  done.join();
  EXPECT_OK(applied);
  EXPECT_GE(waited, absl::Seconds(2)) << "it did not wait for the lock";
  EXPECT_EQ(database->Count("notes"), 2);
  EXPECT_EQ(database->Count("schema_migrations WHERE component = 'test'"), 2);
}

TEST(ApplyMigrations, SecondRun_AppliesOnlyNewVersions) {
  auto first = TwoVersions();
  first.pop_back();
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(first));
  EXPECT_EQ(database->Count("notes"), 0);
  ASSERT_OK(db::ApplyMigrations(database->pool(), TwoVersions()));
  ASSERT_OK(db::ApplyMigrations(database->pool(), TwoVersions()));
  EXPECT_EQ(database->Count("notes"), 2);
}

TEST(ApplyMigrations, FailingStatement_IsReportedAndNotRecorded) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  std::vector<db::Migration> broken = {{"test", 1, "0001_broken", "CREATE TABLE x (id INT PRIMARY KEY;\n"}};
  absl::Status status = db::ApplyMigrations(database->pool(), broken);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find("0001_broken"), std::string::npos);
  EXPECT_EQ(database->Count("schema_migrations WHERE component = 'test'"), 0);
}

}  // namespace
}  // namespace shouhu
