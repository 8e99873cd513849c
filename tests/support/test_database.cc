#include "tests/support/test_database.h"

#include <sodium.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

extern char** environ;

namespace shouhu::testing {
namespace {

// Runs SHOUHU_TEST_DB_AFTER_MIGRATIONS (if set) with the schema's name; its own output goes to the test's.
absl::Status RunAfterMigrations(const std::string& database) {
  const std::string program = EnvOr("SHOUHU_TEST_DB_AFTER_MIGRATIONS", "");
  if (program.empty()) return absl::OkStatus();
  std::string name = database;
  char* argv[] = {const_cast<char*>(program.c_str()), name.data(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, environ) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot start ", program));
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(program, " failed for ", database));
  }
  return absl::OkStatus();
}

}  // namespace

DbConfig TestDbConfig() {
  DbConfig config;
  config.socket = EnvOr("SHOUHU_TEST_DB_SOCKET", "");
  config.host = EnvOr("SHOUHU_TEST_DB_HOST", "127.0.0.1");
  int port = 3306;
  (void)absl::SimpleAtoi(EnvOr("SHOUHU_TEST_DB_PORT", "3306"), &port);
  config.port = port;
  config.user = EnvOr("SHOUHU_TEST_DB_USER", "root");
  config.password = EnvOr("SHOUHU_TEST_DB_PASSWORD", "");
  return config;
}

DbConfig TestDbConfigFor(const std::string& component) {
  DbConfig config = TestDbConfig();
  if (component.empty()) return config;
  const std::string suffix = absl::AsciiStrToUpper(component);
  const std::string socket = EnvOr(absl::StrCat("SHOUHU_TEST_DB_SOCKET_", suffix).c_str(), "");
  const std::string port = EnvOr(absl::StrCat("SHOUHU_TEST_DB_PORT_", suffix).c_str(), "");
  if (!socket.empty()) config.socket = socket;
  if (!port.empty()) {
    int value = 0;
    if (absl::SimpleAtoi(port, &value)) config.port = value;
    if (socket.empty()) config.socket.clear();  // a TCP endpoint of its own
  }
  return config;
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(
    const std::vector<db::Migration>& migrations, int pool_size) {
  DbConfig config = TestDbConfigFor(migrations.empty() ? "" : migrations.front().component);
  config.pool_size = pool_size;
  std::vector<db::Migration> all = db::CommonMigrations();
  all.insert(all.end(), migrations.begin(), migrations.end());
  const bool reuse = ReuseSchemas();
  const std::string key = reuse ? SchemaKey(config, all) : "";
  if (reuse) {
    if (std::optional<ReusableSchema> kept = TakeKeptSchema(key)) {
      kept->config.pool_size = pool_size;
      ASSIGN_OR_RETURN(std::unique_ptr<db::Pool> pool, db::Pool::Open(kept->config));
      return std::unique_ptr<TestDatabase>(
          new TestDatabase(std::move(kept->config), std::move(pool), key, std::move(kept->shape)));
    }
  }
  unsigned char random[6];
  randombytes_buf(random, sizeof random);
  config.database = absl::StrCat("test_", getpid(), "_");
  for (unsigned char c : random) absl::StrAppend(&config.database, absl::Hex(c, absl::kZeroPad2));
  RETURN_IF_ERROR(db::CreateDatabaseIfMissing(config));
  ASSIGN_OR_RETURN(std::unique_ptr<db::Pool> pool, db::Pool::Open(config));
  RETURN_IF_ERROR(db::ApplyMigrations(*pool, all));
  RETURN_IF_ERROR(RunAfterMigrations(config.database));
  std::optional<SchemaShape> shape;
  if (reuse) {
    absl::StatusOr<SchemaShape> read =
        db::ReadOne<SchemaShape>(*pool, [&](db::Session& session) { return ReadShape(session, config); });
    if (read.ok()) shape = *std::move(read);  // otherwise dropped at the end, as before
  }
  return std::unique_ptr<TestDatabase>(
      new TestDatabase(std::move(config), std::move(pool), key, std::move(shape)));
}

TestDatabase::~TestDatabase() {
  pool_.reset();
  if (shape_ && ResetAndKeep(key_, {config_, *shape_}).ok()) return;
  if (shape_ && !shape_->seeded.empty()) {
    DbConfig seed = config_;
    seed.database = shape_->seed_database;
    (void)db::DropDatabase(seed);
  }
  (void)db::DropDatabase(config_);
}

int64_t TestDatabase::Count(const std::string& table) {
  int64_t count = -1;
  (void)pool_->Autocommit([&](db::Session& session) -> absl::Status {
    // The table name is a constant from the test, never input.
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     session.QueryOne(absl::StrCat("SELECT COUNT(*) FROM ", table)));
    count = row ? row->Int(0) : -1;
    return absl::OkStatus();
  });
  return count;
}

}  // namespace shouhu::testing
