// The test schemas a process keeps for its next test (tests/support/reused_schemas.h): what the next test
// finds must be what a freshly migrated schema holds, and a schema a test reshaped must not be handed on.
#include "tests/support/reused_schemas.h"

#include <gtest/gtest.h>

#include <string>

#include "common/db.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace shouhu {
namespace {

using ::shouhu::testing::TestDatabase;

// A seeded table with a generated column, and a table whose rows a trigger forbids deleting (as the
// allowance ledger's).
std::vector<db::Migration> Notes() {
  return {{"reuse_test", 1, "0001_notes",
           "CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(64) NOT NULL,"
           " body_length INT AS (CHAR_LENGTH(body)) STORED,"
           " CONSTRAINT notes_body_not_empty CHECK (body <> '')) ENGINE=InnoDB;\n"
           "INSERT INTO notes (id, body) VALUES (1, 'seeded');\n"
           "CREATE TABLE entries (id INT PRIMARY KEY) ENGINE=InnoDB;\n"
           "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries FOR EACH ROW"
           " SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'entries are append-only';\n"}};
}

int64_t SchemasNamed(TestDatabase& database, const std::string& name) {
  int64_t count = -1;
  EXPECT_OK(database.pool().Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::optional<db::Row> row,
        session.QueryOne("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", {name}));
    count = row->Int(0);
    return absl::OkStatus();
  }));
  return count;
}

absl::Status Apply(TestDatabase& database, const std::string& statement) {
  return database.pool().Autocommit([&](db::Session& session) { return session.ExecuteConstant(statement); });
}

TEST(ReusedSchemas, NextTestFindsTheSchemaAsItsMigrationsLeftIt) {
  if (!testing::ReuseSchemas()) GTEST_SKIP() << "schemas are not reused in this run";
  std::string name;
  {
    ASSERT_OK_AND_ASSIGN(auto first, TestDatabase::Create(Notes()));
    name = first->config().database;
    ASSERT_OK(Apply(*first, "INSERT INTO notes (id, body) VALUES (2, 'written by the first test')"));
    ASSERT_OK(Apply(*first, "UPDATE notes SET body = 'changed' WHERE id = 1"));
    ASSERT_OK(Apply(*first, "INSERT INTO entries VALUES (1), (2)"));
    ASSERT_OK(Apply(*first,
                    "INSERT INTO idempotency_records (method, caller, request_id, request_hash,"
                    " created_at) VALUES ('m', 'c', 'r', REPEAT('x', 32), NOW())"));
  }
  ASSERT_OK_AND_ASSIGN(auto next, TestDatabase::Create(Notes()));
  EXPECT_EQ(next->config().database, name);  // kept, not made again
  EXPECT_EQ(next->Count("notes"), 1);
  EXPECT_EQ(next->Count("notes WHERE id = 1 AND body = 'seeded' AND body_length = 6"), 1);
  EXPECT_EQ(next->Count("entries"), 0);
  EXPECT_EQ(next->Count("idempotency_records"), 0);
  EXPECT_EQ(next->Count("schema_migrations WHERE component = 'reuse_test'"), 1);
  // The trigger and the check are still there.
  ASSERT_OK(Apply(*next, "INSERT INTO entries VALUES (3)"));
  EXPECT_FALSE(Apply(*next, "DELETE FROM entries").ok());
  EXPECT_FALSE(Apply(*next, "INSERT INTO notes (id, body) VALUES (4, '')").ok());
}

TEST(ReusedSchemas, SchemaATestReshaped_IsDroppedNotHandedOn) {
  const std::vector<std::string> reshapes = {
      "ALTER TABLE notes ADD COLUMN extra INT", "ALTER TABLE notes DROP CONSTRAINT notes_body_not_empty",
      "RENAME TABLE entries TO entries_away",   "DROP TRIGGER entries_no_delete",
      "CREATE INDEX by_body ON notes (body)",   "CREATE TABLE more_notes (id INT PRIMARY KEY)"};
  for (const std::string& reshape : reshapes) {
    SCOPED_TRACE(reshape);
    std::string name;
    {
      ASSERT_OK_AND_ASSIGN(auto reshaped, TestDatabase::Create(Notes()));
      name = reshaped->config().database;
      ASSERT_OK(Apply(*reshaped, reshape));
    }
    ASSERT_OK_AND_ASSIGN(auto next, TestDatabase::Create(Notes()));
    EXPECT_NE(next->config().database, name);
    EXPECT_EQ(SchemasNamed(*next, name), 0);  // dropped
    EXPECT_EQ(next->Count("notes"), 1);
  }
}

}  // namespace
}  // namespace shouhu
