#include "common/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace shouhu {
namespace {

TEST(IdGenerator, IdsWithinOneMillisecond_AreStrictlyIncreasing) {
  ManualClock clock(absl::FromUnixMillis(1'790'000'000'000));
  IdGenerator ids(clock);
  std::string previous = ids.Next();
  for (int i = 0; i < 10000; ++i) {
    std::string next = ids.Next();
    ASSERT_LT(previous, next);
    ASSERT_TRUE(IsWellFormedId(next)) << next;
    previous = next;
  }
}

TEST(IdGenerator, LaterMillisecond_SortsAfter_AndClockSteppingBack_KeepsOrder) {
  ManualClock clock(absl::FromUnixMillis(1'790'000'000'000));
  IdGenerator ids(clock);
  const std::string a = ids.Next();
  clock.Advance(absl::Milliseconds(1));
  const std::string b = ids.Next();
  clock.Advance(absl::Seconds(-5));
  const std::string c = ids.Next();
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST(IdGenerator, TimePrefixEncodesMilliseconds) {
  // Two generators at the same millisecond share the 10-character time prefix.
  ManualClock clock(absl::FromUnixMillis(1'790'000'000'000));
  IdGenerator one(clock), two(clock);
  const std::string first = one.Next();
  EXPECT_EQ(first.substr(0, 10), two.Next().substr(0, 10));
  clock.Advance(absl::Hours(24 * 365));
  const std::string year_later = one.Next();
  EXPECT_NE(first.substr(0, 10), year_later.substr(0, 10));
  EXPECT_EQ(first.substr(0, 2), year_later.substr(0, 2));  // the top 8 bits turn over every ~35 years
}

TEST(IsWellFormedId, RejectsOtherShapes) {
  EXPECT_FALSE(IsWellFormedId(""));
  EXPECT_FALSE(IsWellFormedId("01ARZ3NDEKTSV4RRFFQ69G5FAVX"));  // 27
  EXPECT_FALSE(IsWellFormedId("01ARZ3NDEKTSV4RRFFQ69G5FAI"));   // I is not Crockford
  EXPECT_TRUE(IsWellFormedId("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
}

}  // namespace
}  // namespace shouhu
