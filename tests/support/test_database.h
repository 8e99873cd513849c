// A throwaway schema on the test MariaDB that tests/run starts (SHOUHU_TEST_DB_SOCKET or
// SHOUHU_TEST_DB_HOST/PORT): created with a unique name, migrated, and emptied for the process's next test
// (reused_schemas.h) or dropped when the test ends. Each test has its own while it runs, so tests do not see
// each other's rows and can run in parallel.
// SHOUHU_TEST_DB_AFTER_MIGRATIONS, when set, names a program run with the new schema's name once its
// migrations are applied (tests/cluster/spider/shard-registry turns the registry's largest tables into Spider
// tables over two shards), so the same suites run unchanged against another layout.
#ifndef SHOUHU_TESTS_SUPPORT_TEST_DATABASE_H_
#define SHOUHU_TESTS_SUPPORT_TEST_DATABASE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config.h"
#include "common/db.h"
#include "common/migrations.h"
#include "tests/support/reused_schemas.h"

namespace shouhu::testing {

// The test server's connection settings, without a database name.
DbConfig TestDbConfig();
// The same, unless SHOUHU_TEST_DB_SOCKET_<COMPONENT> (or _PORT_<COMPONENT>) names another server for that
// component's schema: the cluster runs (tests/cluster/galera/run) put each service on a different Galera
// node that way, e.g. SHOUHU_TEST_DB_SOCKET_ALLOWANCE.
DbConfig TestDbConfigFor(const std::string& component);

class TestDatabase {
 public:
  // Creates the schema and applies common's migrations plus `migrations`, on the server TestDbConfigFor names
  // for the first migration's component.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(const std::vector<db::Migration>& migrations,
                                                              int pool_size = 8);
  ~TestDatabase();

  db::Pool& pool() { return *pool_; }
  const DbConfig& config() const { return config_; }
  // Rows in `table` (a constant name chosen by the test).
  int64_t Count(const std::string& table);

 private:
  TestDatabase(DbConfig config, std::unique_ptr<db::Pool> pool, std::string key,
               std::optional<SchemaShape> shape)
      : config_(std::move(config)), pool_(std::move(pool)), key_(std::move(key)), shape_(std::move(shape)) {}
  DbConfig config_;
  std::unique_ptr<db::Pool> pool_;
  // Where it is kept for the next test, and what it is put back to; no shape: dropped.
  std::string key_;
  std::optional<SchemaShape> shape_;
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_TEST_DATABASE_H_
