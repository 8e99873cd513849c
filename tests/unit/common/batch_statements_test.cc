// The padding rules of common/batch_statements.h: a list of any length becomes a power of two by repeating
// its last entry. InsertRows runs against MariaDB in tests/integration/common/batch_statements_test.cc.
#include "common/batch_statements.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shouhu::db {
namespace {

// The values as text ("9", "a"), to compare lists of them.
std::vector<std::string> Render(const std::vector<Value>& values) {
  std::vector<std::string> out;
  for (const Value& v : values) {
    if (const auto* i = std::get_if<int64_t>(&v)) {
      out.push_back(std::to_string(*i));
    } else if (const auto* text = std::get_if<std::string>(&v)) {
      out.push_back(*text);
    } else {
      out.push_back("?");
    }
  }
  return out;
}

TEST(BatchStatementsTest, PaddedCount_IsThePowerOfTwoAtOrAbove) {
  EXPECT_EQ(PaddedCount(0), 1u);
  EXPECT_EQ(PaddedCount(1), 1u);
  EXPECT_EQ(PaddedCount(2), 2u);
  EXPECT_EQ(PaddedCount(3), 4u);
  EXPECT_EQ(PaddedCount(64), 64u);
  EXPECT_EQ(PaddedCount(65), 128u);
}

TEST(BatchStatementsTest, PaddedList_EveryLengthUpTo128_TakesOneOfEightTexts) {
  std::vector<std::string> texts;
  for (size_t n = 1; n <= 128; ++n) {
    const std::string text = PaddedList("?", ", ", n);
    if (texts.empty() || texts.back() != text) texts.push_back(text);
  }
  EXPECT_EQ(texts.size(), 8u);
  EXPECT_EQ(PaddedList("?", ", ", 3), "?, ?, ?, ?");
  EXPECT_EQ(PaddedList("(a = ? AND b = ?)", " OR ", 2), "(a = ? AND b = ?) OR (a = ? AND b = ?)");
}

TEST(BatchStatementsTest, PadEntries_RepeatsTheLastEntryAfterAPrefix) {
  std::vector<Value> params = {int64_t{9}, std::string("a"), int64_t{1}, std::string("b"),
                               int64_t{2}, std::string("c"), int64_t{3}};
  PadEntries(params, /*from=*/1, /*width=*/2, /*n=*/3);
  EXPECT_EQ(Render(params), (std::vector<std::string>{"9", "a", "1", "b", "2", "c", "3", "c", "3"}));
}

TEST(BatchStatementsTest, PadEntries_APowerOfTwoOrNothing_LeftAlone) {
  std::vector<Value> params = {std::string("a"), std::string("b")};
  PadEntries(params, 0, 1, 2);
  EXPECT_EQ(params.size(), 2u);
  std::vector<Value> none;
  PadEntries(none, 0, 1, 0);
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace shouhu::db
