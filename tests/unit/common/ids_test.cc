#include "common/ids.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/strings/string_view.h"

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

// The layout is the ULID's: 48 bits of milliseconds, then 80 random bits, in Crockford's base 32 from the
// top. Decoded here independently of the encoder: the time is the clock's, and the next id of the same
// millisecond is the number one higher (its random bits counted up).
TEST(IdGenerator, EncodesTimeThenRandomBits_TheNextIdOfAMillisecondIsOneHigher) {
  ManualClock clock(absl::FromUnixMillis(1'469'918'176'385));
  IdGenerator ids(clock);
  const std::string first = ids.Next();
  const std::string second = ids.Next();
  EXPECT_EQ(first.substr(0, 10), "01ARYZ6S41");  // the ULID specification's example of this instant
  const auto decode = [](const std::string& id) {
    constexpr absl::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    unsigned __int128 value = 0;
    for (char ch : id) value = value * 32 + kCrockford.find(ch);
    return value;
  };
  EXPECT_EQ(static_cast<uint64_t>(decode(first) >> 80), uint64_t{1'469'918'176'385});
  EXPECT_TRUE(decode(second) == decode(first) + 1) << first << " then " << second;
}

// Another process's id from an hour ahead (its clock, or ids it raised itself): this generator continues
// after it within that millisecond, but not with the ids the floor's own generator gives next, nor with those
// of another generator raised to the same floor; a lower floor or a malformed one changes nothing.
TEST(IdGenerator, Raise_NextSortsAfterTheFloor_EvenFromAClockAhead) {
  ManualClock behind(absl::FromUnixMillis(1'790'000'000'000));
  ManualClock ahead(absl::FromUnixMillis(1'790'003'600'000));
  IdGenerator ids(behind);
  IdGenerator also_behind(behind);
  IdGenerator other(ahead);
  const std::string floor = other.Next();
  ASSERT_LT(ids.Next(), floor);
  ids.Raise(floor);
  also_behind.Raise(floor);
  const std::string next = ids.Next();
  EXPECT_GT(next, floor);
  EXPECT_EQ(next.substr(0, 10), floor.substr(0, 10)) << "the floor's millisecond";
  std::set<std::string> theirs;
  for (int i = 0; i < 1000; ++i) {
    theirs.insert(other.Next());
    theirs.insert(also_behind.Next());
  }
  EXPECT_EQ(theirs.count(next), 0u) << "the floor's generator or another raised to it gave the same id";
  ids.Raise("01ARZ3NDEKTSV4RRFFQ69G5FAV");  // far below
  ids.Raise("not an id");
  EXPECT_GT(ids.Next(), next);
}

TEST(IsWellFormedId, RejectsOtherShapes) {
  EXPECT_FALSE(IsWellFormedId(""));
  EXPECT_FALSE(IsWellFormedId("01ARZ3NDEKTSV4RRFFQ69G5FAVX"));  // 27
  EXPECT_FALSE(IsWellFormedId("01ARZ3NDEKTSV4RRFFQ69G5FAI"));   // I is not Crockford
  EXPECT_TRUE(IsWellFormedId("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
}

}  // namespace
}  // namespace shouhu
