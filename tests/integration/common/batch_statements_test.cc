// common/batch_statements.h against a real MariaDB: InsertRows writes every row once and in order whatever
// the chunks, a failing chunk leaves the transaction nothing, and a padded IN list finds each row once.
#include "common/batch_statements.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace shouhu {
namespace {

using ::shouhu::testing::StatusIs;
using ::shouhu::testing::TestDatabase;

constexpr char kInsertHead[] = "INSERT INTO entries (name, amount) VALUES ";
constexpr char kEntryTuple[] = "(?, ?)";

std::vector<db::Migration> Entries() {
  return {{"test", 1, "0001_entries",
           "CREATE TABLE entries (position BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(16) NOT "
           "NULL, amount BIGINT NOT NULL, UNIQUE KEY entries_name (name)) ENGINE=InnoDB;\n"}};
}

std::vector<db::Value> Rows(int count, const std::string& prefix) {
  std::vector<db::Value> params;
  for (int i = 0; i < count; ++i) params.insert(params.end(), {absl::StrCat(prefix, i), int64_t{i}});
  return params;
}

// name → amount in position order.
std::vector<std::pair<std::string, int64_t>> Stored(db::Pool& pool) {
  std::vector<std::pair<std::string, int64_t>> stored;
  EXPECT_OK(pool.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT name, amount FROM entries ORDER BY position"));
    for (const db::Row& row : rows) stored.emplace_back(row.String(0), row.Int(1));
    return absl::OkStatus();
  }));
  return stored;
}

TEST(BatchStatementsTest, InsertRows_ThirtySevenRows_EachStoredOnceInOrder) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Entries()));
  uint64_t inserted = 0;
  ASSERT_OK(database->pool().Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(inserted, db::InsertRows(tx, kInsertHead, kEntryTuple, 2, Rows(37, "r")));
    return absl::OkStatus();
  }));
  EXPECT_EQ(inserted, 37u);
  const auto stored = Stored(database->pool());
  ASSERT_EQ(stored.size(), 37u);
  for (int i = 0; i < 37; ++i) {
    EXPECT_EQ(stored[static_cast<size_t>(i)], std::make_pair(absl::StrCat("r", i), int64_t{i}));
  }
}

TEST(BatchStatementsTest, InsertRows_ADuplicateInTheLastChunk_FailsAndTheTransactionLeavesNothing) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Entries()));
  std::vector<db::Value> params = Rows(35, "r");                  // chunks of 32, 2 and 1
  params.insert(params.end(), {std::string("r0"), int64_t{99}});  // the 36th row repeats the first name
  absl::Status status = database->pool().Transaction([&](db::Session& tx) -> absl::Status {
    return db::InsertRows(tx, kInsertHead, kEntryTuple, 2, params).status();
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_TRUE(Stored(database->pool()).empty());
}

TEST(BatchStatementsTest, InsertRows_NotWholeRows_RefusedWithNothingWritten) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Entries()));
  absl::Status status = database->pool().Transaction([&](db::Session& tx) -> absl::Status {
    return db::InsertRows(tx, kInsertHead, kEntryTuple, 2, {std::string("a"), int64_t{1}, std::string("b")})
        .status();
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal));
  EXPECT_TRUE(Stored(database->pool()).empty());
}

TEST(BatchStatementsTest, PaddedInList_ThreeNames_FindsEachRowOnce) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Entries()));
  ASSERT_OK(database->pool().Transaction([&](db::Session& tx) -> absl::Status {
    return db::InsertRows(tx, kInsertHead, kEntryTuple, 2, Rows(5, "r")).status();
  }));
  std::vector<db::Value> names = {std::string("r1"), std::string("r3"), std::string("r4")};
  db::PadEntries(names, 0, 1, 3);
  ASSERT_EQ(names.size(), 4u);
  ASSERT_OK(database->pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(absl::StrCat("SELECT name FROM entries WHERE name IN (",
                                                         db::PaddedList("?", ", ", 3), ") ORDER BY name"),
                                            names));
    std::vector<std::string> found;
    for (const db::Row& row : rows) found.push_back(row.String(0));
    EXPECT_EQ(found, (std::vector<std::string>{"r1", "r3", "r4"}));
    return absl::OkStatus();
  }));
}

}  // namespace
}  // namespace shouhu
