#include "common/migrations.h"

#include <gtest/gtest.h>

#include "common/config.h"
#include "tests/support/status_matchers.h"

namespace shouhu {
namespace {

using ::shouhu::testing::StatusIs;

TEST(SplitStatements, SplitsOnLineEndingSemicolonsAndSkipsComments) {
  auto statements = db::SplitStatements(
      "-- a comment; not a statement\n"
      "CREATE TABLE a (x INT,\n  note VARCHAR(10) DEFAULT 'a;b');\n"
      "\n"
      "INSERT INTO a VALUES (1);\n");
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_EQ(statements[0], "CREATE TABLE a (x INT,\n  note VARCHAR(10) DEFAULT 'a;b')");
  EXPECT_EQ(statements[1], "INSERT INTO a VALUES (1)");
}

TEST(DecodeHexSecret, ChecksLengthAndDigits) {
  EXPECT_THAT(DecodeHexSecret("", "KEY", 32), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeHexSecret(std::string(63, 'a'), "KEY", 32), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeHexSecret(std::string(64, 'g'), "KEY", 32), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(std::string raw, DecodeHexSecret(std::string(64, 'a'), "KEY", 32));
  EXPECT_EQ(raw, std::string(32, '\xaa'));
  EXPECT_OK(DecodeHexSecret(std::string(80, 'a'), "KEY", 32, /*at_least=*/true));
}

}  // namespace
}  // namespace shouhu
