// The database layer on a three-node Galera cluster: migrations from replicas on every node at once, every
// service's schema fit for Galera, and certification conflicts retried by the same code that retries
// deadlocks.
#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/db.h"
#include "common/migrations.h"
#include "common/status_macros.h"
#include "services/allowance/allowance_store.h"
#include "services/registry/registry_store.h"
#include "services/training/training_store.h"
#include "services/visits/visits_store.h"
#include "tests/cluster/galera/galera_nodes.h"
#include "tests/support/status_matchers.h"

namespace shouhu {
namespace {

using ::shouhu::testing::GaleraNodes;

std::string FreshName(const std::string& prefix) {
  unsigned char random[6];
  randombytes_buf(random, sizeof random);
  std::string name = prefix;
  for (unsigned char c : random) absl::StrAppend(&name, absl::Hex(c, absl::kZeroPad2));
  return name;
}

class GaleraTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nodes = GaleraNodes::FromEnvironment();
    ASSERT_OK(nodes.status());
    nodes_ = std::make_unique<GaleraNodes>(*std::move(nodes));
    database_ = FreshName("galera_");
    // Created on node 1; CREATE DATABASE replicates to every node (total order isolation).
    ASSERT_OK(db::CreateDatabaseIfMissing(nodes_->Node(1, database_)));
    for (int node = 2; node <= nodes_->size(); ++node) {
      ASSERT_EQ(EventuallyOn(node, "SELECT 1", 1), 1) << "node " << node << " never saw the database";
    }
  }
  void TearDown() override {
    if (nodes_) (void)db::DropDatabase(nodes_->Node(1, database_));
  }
  std::unique_ptr<db::Pool> PoolOn(int node, int size = 4) {
    DbConfig config = nodes_->Node(node, database_);
    config.pool_size = size;
    auto pool = db::Pool::Open(config);
    EXPECT_OK(pool.status());
    return pool.ok() ? *std::move(pool) : nullptr;
  }
  // The first column of `query`'s first row on node `node`; an error while its replication has not caught up
  // yet (the database may not even exist there yet).
  absl::StatusOr<int64_t> TryCountOn(int node, const std::string& query) {
    DbConfig config = nodes_->Node(node, database_);
    config.pool_size = 1;
    ASSIGN_OR_RETURN(std::unique_ptr<db::Pool> pool, db::Pool::Open(config));
    int64_t count = -1;
    RETURN_IF_ERROR(pool->Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(query));
      count = row ? row->Int(0) : -1;
      return absl::OkStatus();
    }));
    return count;
  }
  int64_t CountOn(int node, const std::string& query) {
    absl::StatusOr<int64_t> count = TryCountOn(node, query);
    EXPECT_OK(count.status()) << "node " << node;
    return count.value_or(-1);
  }
  // Galera applies another node's commit a moment after it returned there: polls until node `node` answers
  // `expected` (at most 10 s) and returns its last answer.
  int64_t EventuallyOn(int node, const std::string& query, int64_t expected) {
    int64_t count = -1;
    for (int i = 0; i < 100 && (count = TryCountOn(node, query).value_or(-1)) != expected; ++i) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    return count;
  }
  int64_t CertificationConflicts() {
    int64_t total = 0;
    for (int i = 1; i <= nodes_->size(); ++i) {
      for (const char* counter : {"wsrep_local_cert_failures", "wsrep_local_bf_aborts"}) {
        auto value = nodes_->Counter(i, counter);
        EXPECT_OK(value.status());
        total += value.value_or(0);
      }
    }
    return total;
  }

  std::unique_ptr<GaleraNodes> nodes_;
  std::string database_;
};

// Not idempotent on purpose: the ALTER fails if applied twice, the INSERT would duplicate its key.
std::vector<db::Migration> NonIdempotentVersions() {
  return {{"test", 1, "0001_notes", "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT) ENGINE=InnoDB;\n"},
          {"test", 2, "0002_notes_author", "ALTER TABLE notes ADD COLUMN author VARCHAR(64) NULL;\n"},
          {"test", 3, "0003_seed", "INSERT INTO notes (id, body) VALUES (1, 'first'), (2, 'second');\n"}};
}

// A row lock (SELECT … FOR UPDATE) on one node does not hold back another node; without the certified lease
// two nodes' migrators both apply the ALTER (duplicate column) or both record a version (duplicate key).
TEST_F(GaleraTest, ApplyMigrations_ReplicasOnEveryNodeAtOnce_ApplyEachMigrationOnce) {
  constexpr int kReplicas = 9;
  std::vector<absl::Status> results(kReplicas);
  std::vector<std::thread> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.emplace_back([&, i] {
      std::unique_ptr<db::Pool> pool = PoolOn(1 + i % nodes_->size());
      results[i] = pool ? db::ApplyMigrations(*pool, NonIdempotentVersions()) : absl::InternalError("pool");
    });
  }
  for (auto& t : replicas) t.join();
  for (int i = 0; i < kReplicas; ++i) EXPECT_OK(results[i]) << "replica " << i;
  for (int node = 1; node <= nodes_->size(); ++node) {
    EXPECT_EQ(EventuallyOn(node, "SELECT COUNT(*) FROM notes", 2), 2) << "node " << node;
    EXPECT_EQ(EventuallyOn(node, "SELECT COUNT(*) FROM schema_migrations WHERE component = 'test'", 3), 3);
    EXPECT_EQ(EventuallyOn(node, "SELECT COUNT(*) FROM schema_migration_lease WHERE holder = ''", 1), 1);
  }
}

// Every service's migrations apply on the cluster (DDL as total order isolation, the ledger's triggers), and
// every table has a primary key: Galera replicates rows by key, and a keyless table's rows cannot be.
TEST_F(GaleraTest, EveryServicesMigrations_ApplyOnTheClusterAndEveryTableHasAPrimaryKey) {
  // Each service its own schema, as deployed; applied through node 2.
  const std::vector<std::pair<std::string, std::vector<db::Migration>>> services = {
      {"registry", RegistryMigrations()},
      {"visits", VisitsMigrations()},
      {"allowance", AllowanceMigrations()},
      {"training", TrainingMigrations()}};
  for (const auto& [service, migrations] : services) {
    DbConfig config = nodes_->Node(2, absl::StrCat(database_, "_", service));
    config.pool_size = 2;
    ASSERT_OK(db::CreateDatabaseIfMissing(config));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<db::Pool> pool, db::Pool::Open(config));
    std::vector<db::Migration> all = db::CommonMigrations();
    all.insert(all.end(), migrations.begin(), migrations.end());
    absl::Status applied = db::ApplyMigrations(*pool, all);
    EXPECT_OK(applied) << service;
  }
  const std::string tables =
      absl::StrCat("SELECT COUNT(*) FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA LIKE '", database_,
                   "\\_%' AND t.TABLE_TYPE = 'BASE TABLE'");
  const std::string keyless = absl::StrCat(
      tables,
      " AND NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c WHERE c.TABLE_SCHEMA = "
      "t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY')");
  const std::string not_innodb = absl::StrCat(tables, " AND t.ENGINE <> 'InnoDB'");
  const int64_t on_node_2 = CountOn(2, tables);
  std::printf("%lld tables in the four services' schemas\n", static_cast<long long>(on_node_2));
  EXPECT_GT(on_node_2, 60);
  for (int node = 1; node <= nodes_->size(); ++node) {
    EXPECT_EQ(EventuallyOn(node, tables, on_node_2), on_node_2)
        << "node " << node << " lacks the replicated schema";
    EXPECT_EQ(CountOn(node, keyless), 0) << "node " << node;
    EXPECT_EQ(CountOn(node, not_innodb), 0) << "node " << node;
  }
  for (const auto& [service, migrations] : services) {
    (void)db::DropDatabase(nodes_->Node(1, absl::StrCat(database_, "_", service)));
  }
}

// Two nodes read-modify-write one row. Their conflicts surface as certification failures (or brute-force
// aborts of the local transaction), which MariaDB reports as ER_LOCK_DEADLOCK: Pool::Transaction retries them
// and every increment lands exactly once, on every node.
TEST_F(GaleraTest, Transaction_TwoNodesUpdatingOneRow_ConflictsAreRetriedAndEveryUpdateLands) {
  {
    std::unique_ptr<db::Pool> pool = PoolOn(1, 1);
    ASSERT_OK(pool->Autocommit([](db::Session& s) -> absl::Status {
      RETURN_IF_ERROR(s.ExecuteConstant("CREATE TABLE counter (id INT PRIMARY KEY, n BIGINT NOT NULL)"));
      return s.ExecuteConstant("INSERT INTO counter VALUES (1, 0)");
    }));
  }
  ASSERT_EQ(EventuallyOn(2, "SELECT COUNT(*) FROM counter", 1), 1) << "node 2 never saw the counter row";
  const int64_t conflicts_before = CertificationConflicts();
  constexpr int kThreadsPerNode = 4;
  constexpr int kUpdatesPerThread = 40;
  std::unique_ptr<db::Pool> one = PoolOn(1, kThreadsPerNode);
  std::unique_ptr<db::Pool> two = PoolOn(2, kThreadsPerNode);
  std::atomic<int> failed{0};
  absl::Mutex mu;
  absl::Status first_failure;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreadsPerNode; ++t) {
    db::Pool& pool = t % 2 == 0 ? *one : *two;
    threads.emplace_back([&pool, &failed, &mu, &first_failure] {
      for (int i = 0; i < kUpdatesPerThread; ++i) {
        absl::Status s = pool.Transaction(
            [](db::Session& session) -> absl::Status {
              ASSIGN_OR_RETURN(std::optional<db::Row> row,
                               session.QueryOne("SELECT n FROM counter WHERE id = 1 FOR UPDATE"));
              if (!row) return absl::NotFoundError("counter");
              return session.Execute("UPDATE counter SET n = ? WHERE id = 1", {row->Int(0) + 1}).status();
            },
            /*max_attempts=*/50);
        if (!s.ok() && failed++ == 0) {
          absl::MutexLock lock(&mu);
          first_failure = s;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const int64_t conflicts = CertificationConflicts() - conflicts_before;
  std::printf(
      "certification conflicts (cert failures + brute-force aborts, all nodes): %lld for %d updates\n",
      static_cast<long long>(conflicts), 2 * kThreadsPerNode * kUpdatesPerThread);
  EXPECT_EQ(failed.load(), 0) << "the first: " << first_failure;
  ASSERT_GT(conflicts, 0) << "the two nodes never conflicted: the test did not race";
  for (int node = 1; node <= nodes_->size(); ++node) {
    EXPECT_EQ(
        EventuallyOn(node, "SELECT n FROM counter WHERE id = 1", 2 * kThreadsPerNode * kUpdatesPerThread),
        2 * kThreadsPerNode * kUpdatesPerThread)
        << "node " << node;
  }
}

}  // namespace
}  // namespace shouhu
