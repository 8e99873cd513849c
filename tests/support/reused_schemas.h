// Migrated test schemas, kept by a test process for its next test instead of dropped. A fresh schema costs
// its CREATE DATABASE, every migration (a service's are 40-60 statements of DDL, each writing and syncing
// table files) and a DROP DATABASE at the end: most of a short integration test's second, and most of the
// suite's time in CI. Emptied instead (DELETE, one transaction) and given back its migrations' own rows, the
// schema is as a fresh one for the next test that asks for the same migrations on the same server.
//
// A schema is reused only when its definition is still the one its migrations made (its columns, indexes,
// checks and triggers, compared whole): a test that renamed a table away or dropped a check leaves it to be
// dropped as before. SHOUHU_TEST_DB_FRESH=1 (or SHOUHU_TEST_DB_AFTER_MIGRATIONS, whose program reshapes the
// schema) turns reuse off. What is kept is dropped when the process exits normally.
#ifndef SHOUHU_TESTS_SUPPORT_REUSED_SCHEMAS_H_
#define SHOUHU_TESTS_SUPPORT_REUSED_SCHEMAS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config.h"
#include "common/db.h"
#include "common/migrations.h"

namespace shouhu::testing {

// What a schema must be put back to: read once, right after its migrations.
struct SchemaShape {
  std::string fingerprint;
  std::vector<std::string> tables;
  // Tables DELETE cannot empty (a trigger refuses it: the allowance ledger's), emptied by TRUNCATE.
  std::vector<std::string> truncated;
  // Tables the migrations put rows in (schema_migrations, seeded rows), with the columns to copy back.
  struct Seeded {
    std::string table;
    std::string columns;  // "`a`, `b`": the stored ones, not generated
  };
  std::vector<Seeded> seeded;
  std::string seed_database;  // where the seeded rows are kept: "<schema>_seed"
};

struct ReusableSchema {
  DbConfig config;  // its database named
  SchemaShape shape;
};

// Whether this process reuses schemas (not when SHOUHU_TEST_DB_FRESH=1 or SHOUHU_TEST_DB_AFTER_MIGRATIONS).
bool ReuseSchemas();

// What identifies "the same migrations on the same server": `config`'s server and each migration's name,
// version and text.
std::string SchemaKey(const DbConfig& config, const std::vector<db::Migration>& migrations);

// A kept schema for `key`, taken off the shelf; nullopt when there is none.
std::optional<ReusableSchema> TakeKeptSchema(const std::string& key);

// Reads the shape of the freshly migrated schema `session` is on, and keeps its seeded rows aside.
absl::StatusOr<SchemaShape> ReadShape(db::Session& session, const DbConfig& config);

// Empties `schema` and puts its seeded rows back, then keeps it for `key`. An error (its shape changed, a
// statement failed) leaves it unkept: the caller drops it.
absl::Status ResetAndKeep(const std::string& key, ReusableSchema schema);

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_REUSED_SCHEMAS_H_
