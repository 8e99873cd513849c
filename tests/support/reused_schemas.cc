#include "tests/support/reused_schemas.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"

namespace shouhu::testing {
namespace {

// Everything a test could change about a schema's definition, a row a statement: columns, indexes, checks,
// triggers. Joined here rather than by GROUP_CONCAT on the server: MariaDB 10.11.19 once crashed (signal 11
// in ha_maria::drop_table, cleaning up a GROUP_CONCAT's temporary table it failed to create) running that
// form during tests/run, taking every test after it down.
constexpr const char* kDefinition[] = {
    "SELECT CONCAT_WS(',', table_name, column_name, column_type, is_nullable, IFNULL(column_default, '~'),"
    " extra, IFNULL(collation_name, '~')) FROM information_schema.columns WHERE table_schema = DATABASE()"
    " ORDER BY table_name, ordinal_position",
    "SELECT CONCAT_WS(',', table_name, index_name, seq_in_index, column_name, non_unique)"
    " FROM information_schema.statistics WHERE table_schema = DATABASE()"
    " ORDER BY table_name, index_name, seq_in_index",
    "SELECT CONCAT_WS(',', table_name, constraint_name, check_clause) FROM "
    "information_schema.check_constraints"
    " WHERE constraint_schema = DATABASE() ORDER BY table_name, constraint_name",
    "SELECT CONCAT_WS(',', event_object_table, trigger_name, action_statement) FROM "
    "information_schema.triggers"
    " WHERE trigger_schema = DATABASE() ORDER BY trigger_name",
};
constexpr char kTables[] =
    "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
    " AND table_type = 'BASE TABLE' ORDER BY table_name";
constexpr char kTablesWithTriggers[] =
    "SELECT DISTINCT event_object_table FROM information_schema.triggers WHERE trigger_schema = DATABASE()";
constexpr char kStoredColumns[] =
    "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?"
    " AND extra NOT LIKE '%GENERATED%' ORDER BY ordinal_position";

std::string Quoted(const std::string& identifier) { return absl::StrCat("`", identifier, "`"); }

// The schema's definition as text (tens of kilobytes for a service's tables), compared whole.
absl::StatusOr<std::string> Fingerprint(db::Session& session) {
  std::string definition;
  for (const char* part : kDefinition) {
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(part));
    for (const db::Row& row : rows) absl::StrAppend(&definition, row.String(0), ";");
    definition += "|";
  }
  if (definition.size() == std::size(kDefinition)) {
    return absl::InternalError("the schema has no definition to fingerprint");
  }
  return definition;
}

// The schemas kept by this process for their next test, by key; dropped at its exit.
class Shelf {
 public:
  static Shelf& OfThisProcess() {
    static Shelf* const shelf = new Shelf();
    return *shelf;
  }

  std::optional<ReusableSchema> Take(const std::string& key) {
    absl::MutexLock lock(&mu_);
    auto found = kept_.find(key);
    if (found == kept_.end() || found->second.empty()) return std::nullopt;
    ReusableSchema schema = std::move(found->second.back());
    found->second.pop_back();
    return schema;
  }

  void Keep(const std::string& key, ReusableSchema schema) {
    absl::MutexLock lock(&mu_);
    // Registered once a schema has been reset, so after the database driver's statics were made: handlers run
    // before the statics made ahead of them are destroyed (registered at the first Take, the drops met a
    // destroyed driver).
    if (!drop_at_exit_) {
      drop_at_exit_ = true;
      std::atexit([] { OfThisProcess().DropAll(); });
    }
    kept_[key].push_back(std::move(schema));
  }

 private:
  void DropAll() {
    absl::MutexLock lock(&mu_);
    for (auto& [key, schemas] : kept_) {
      for (const ReusableSchema& schema : schemas) {
        DbConfig seed = schema.config;
        seed.database = schema.shape.seed_database;
        (void)db::DropDatabase(seed);
        (void)db::DropDatabase(schema.config);
      }
    }
    kept_.clear();
  }

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::vector<ReusableSchema>> kept_ ABSL_GUARDED_BY(mu_);
  bool drop_at_exit_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

bool ReuseSchemas() {
  return EnvOr("SHOUHU_TEST_DB_FRESH", "") != "1" && EnvOr("SHOUHU_TEST_DB_AFTER_MIGRATIONS", "").empty();
}

std::string SchemaKey(const DbConfig& config, const std::vector<db::Migration>& migrations) {
  std::string key = absl::StrCat(config.socket, "|", config.host, ":", config.port, "|", config.user);
  for (const db::Migration& m : migrations) {
    absl::StrAppend(&key, "|", m.component, "/", m.version, "/", m.name, "/", m.sql.size(), "/",
                    std::hash<std::string>()(m.sql));
  }
  return key;
}

std::optional<ReusableSchema> TakeKeptSchema(const std::string& key) {
  return Shelf::OfThisProcess().Take(key);
}

absl::StatusOr<SchemaShape> ReadShape(db::Session& session, const DbConfig& config) {
  SchemaShape shape;
  ASSIGN_OR_RETURN(shape.fingerprint, Fingerprint(session));
  ASSIGN_OR_RETURN(db::Rows tables, session.Query(kTables));
  ASSIGN_OR_RETURN(db::Rows triggered, session.Query(kTablesWithTriggers));
  for (const db::Row& t : triggered) shape.truncated.push_back(t.String(0));
  shape.seed_database = absl::StrCat(config.database, "_seed");
  for (const db::Row& t : tables) {
    const std::string table = t.String(0);
    shape.tables.push_back(table);
    // Table names come from information_schema, never from input.
    ASSIGN_OR_RETURN(std::optional<db::Row> any,
                     session.QueryOne(absl::StrCat("SELECT 1 FROM ", Quoted(table), " LIMIT 1")));
    if (!any) continue;
    ASSIGN_OR_RETURN(db::Rows columns, session.Query(kStoredColumns, {table}));
    std::vector<std::string> names;
    for (const db::Row& c : columns) names.push_back(Quoted(c.String(0)));
    shape.seeded.push_back({table, absl::StrJoin(names, ", ")});
  }
  if (!shape.seeded.empty()) {
    DbConfig seed = config;
    seed.database = shape.seed_database;
    RETURN_IF_ERROR(db::CreateDatabaseIfMissing(seed));
    for (const SchemaShape::Seeded& s : shape.seeded) {
      RETURN_IF_ERROR(session.ExecuteConstant(absl::StrCat("CREATE TABLE ", Quoted(shape.seed_database), ".",
                                                           Quoted(s.table), " AS SELECT ", s.columns,
                                                           " FROM ", Quoted(s.table))));
    }
  }
  return shape;
}

absl::Status ResetAndKeep(const std::string& key, ReusableSchema schema) {
  DbConfig one = schema.config;
  one.pool_size = 1;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<db::Pool> pool, db::Pool::Open(one));
    RETURN_IF_ERROR(pool->Autocommit([&](db::Session& session) -> absl::Status {
      ASSIGN_OR_RETURN(std::string fingerprint, Fingerprint(session));
      ASSIGN_OR_RETURN(db::Rows tables, session.Query(kTables));
      std::vector<std::string> now;
      for (const db::Row& t : tables) now.push_back(t.String(0));
      if (fingerprint != schema.shape.fingerprint || now != schema.shape.tables) {
        return absl::FailedPreconditionError("the test changed the schema's definition");
      }
      for (const std::string& table : schema.shape.truncated) {
        RETURN_IF_ERROR(session.ExecuteConstant(absl::StrCat("TRUNCATE TABLE ", Quoted(table))));
      }
      RETURN_IF_ERROR(session.ExecuteConstant("START TRANSACTION"));
      const std::vector<std::string>& truncated = schema.shape.truncated;
      for (const std::string& table : schema.shape.tables) {
        if (std::find(truncated.begin(), truncated.end(), table) != truncated.end()) continue;
        RETURN_IF_ERROR(session.ExecuteConstant(absl::StrCat("DELETE FROM ", Quoted(table))));
      }
      for (const SchemaShape::Seeded& s : schema.shape.seeded) {
        RETURN_IF_ERROR(session.ExecuteConstant(
            absl::StrCat("INSERT INTO ", Quoted(s.table), " (", s.columns, ") SELECT ", s.columns, " FROM ",
                         Quoted(schema.shape.seed_database), ".", Quoted(s.table))));
      }
      return session.ExecuteConstant("COMMIT");
    }));
  }
  Shelf::OfThisProcess().Keep(key, std::move(schema));
  return absl::OkStatus();
}

}  // namespace shouhu::testing
