#include "common/migrations.h"

#include <gtest/gtest.h>

#include <thread>

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
