#include "tests/cluster/galera/galera_fixture.h"

#include <sodium.h>

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "tests/support/status_matchers.h"

namespace shouhu::testing {
namespace {

std::string FreshName(const std::string& prefix) {
  unsigned char random[6];
  randombytes_buf(random, sizeof random);
  std::string name = prefix;
  for (unsigned char c : random) absl::StrAppend(&name, absl::Hex(c, absl::kZeroPad2));
  return name;
}

}  // namespace

void GaleraTest::SetUp() {
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

void GaleraTest::TearDown() {
  if (nodes_) (void)db::DropDatabase(nodes_->Node(1, database_));
}

std::unique_ptr<db::Pool> GaleraTest::PoolOn(int node, int size) {
  DbConfig config = nodes_->Node(node, database_);
  config.pool_size = size;
  auto pool = db::Pool::Open(config);
  EXPECT_OK(pool.status());
  return pool.ok() ? *std::move(pool) : nullptr;
}

absl::Status GaleraTest::MigrateOnNode1(const std::vector<db::Migration>& service) {
  std::unique_ptr<db::Pool> pool = PoolOn(1, 2);
  if (!pool) return absl::UnavailableError("no pool on node 1");
  std::vector<db::Migration> all = db::CommonMigrations();
  all.insert(all.end(), service.begin(), service.end());
  return db::ApplyMigrations(*pool, all);
}

absl::StatusOr<int64_t> GaleraTest::TryCountOn(int node, const std::string& query) {
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

int64_t GaleraTest::CountOn(int node, const std::string& query) {
  absl::StatusOr<int64_t> count = TryCountOn(node, query);
  EXPECT_OK(count.status()) << "node " << node;
  return count.value_or(-1);
}

int64_t GaleraTest::EventuallyOn(int node, const std::string& query, int64_t expected) {
  int64_t count = -1;
  for (int i = 0; i < 100 && (count = TryCountOn(node, query).value_or(-1)) != expected; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  return count;
}

int64_t GaleraTest::CertificationConflicts() {
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

}  // namespace shouhu::testing
