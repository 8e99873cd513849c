// The ledger's cursor (ledger_cursor.h): each budget slot's place kept apart, the token that carries it there
// and back, an old token (one entry id) as every slot's floor, and tokens this service did not issue refused
// naming page_token.
#include "services/allowance/ledger_cursor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "common/status_macros.h"
#include "tests/support/status_matchers.h"

namespace shouhu::allowance {
namespace {

using ::shouhu::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr char kEarly[] = "01JDZQ0000000000000000000A";
constexpr char kMiddle[] = "01JDZQ5000000000000000000B";
constexpr char kLate[] = "01JDZQ9000000000000000000C";

TEST(LedgerCursor, Advance_KeepsEachSlotsHighestEntryApart) {
  LedgerCursor cursor;
  cursor.Advance(0, kLate);
  cursor.Advance(1, kEarly);
  cursor.Advance(0, kMiddle);  // a lower id given later in a page of slot 0 does not move it back
  cursor.Advance(-1, kMiddle);
  EXPECT_EQ(cursor.After(0), kLate);
  EXPECT_EQ(cursor.After(1), kEarly);  // slot 1 still gets what commits above its own last, below slot 0's
  EXPECT_EQ(cursor.After(-1), kMiddle);
  EXPECT_EQ(cursor.After(7), "");  // a slot not yet seen: from its first entry
}

TEST(LedgerCursor, Token_CarriesEverySlotAndTheFloorThereAndBack) {
  LedgerCursor cursor;
  cursor.floor = kEarly;
  cursor.Advance(-1, kEarly);
  cursor.Advance(0, kLate);
  cursor.Advance(3, kMiddle);
  const std::string token = LedgerCursorToken(cursor);
  ASSERT_OK_AND_ASSIGN(LedgerCursor back, ReadLedgerCursor(token));
  EXPECT_EQ(back.floor, kEarly);
  EXPECT_THAT(back.last_by_slot, ElementsAre(Pair(-1, kEarly), Pair(0, kLate), Pair(3, kMiddle)));
}

TEST(LedgerCursor, EmptyToken_IsTheStart) {
  ASSERT_OK_AND_ASSIGN(LedgerCursor start, ReadLedgerCursor(""));
  EXPECT_EQ(start.floor, "");
  EXPECT_THAT(start.last_by_slot, IsEmpty());
  EXPECT_EQ(LedgerCursorToken(start), "");
}

TEST(LedgerCursor, OldTokenOfOneEntryId_IsEverySlotsFloor) {
  ASSERT_OK_AND_ASSIGN(LedgerCursor cursor, ReadLedgerCursor(kMiddle));
  EXPECT_EQ(cursor.After(0), kMiddle);
  EXPECT_EQ(cursor.After(5), kMiddle);
  cursor.Advance(0, kLate);
  ASSERT_OK_AND_ASSIGN(LedgerCursor next, ReadLedgerCursor(LedgerCursorToken(cursor)));
  EXPECT_EQ(next.After(0), kLate);
  EXPECT_EQ(next.After(5), kMiddle);
}

TEST(LedgerCursor, TokenNotIssuedHere_IsRefusedNamingPageToken) {
  const std::string bad_id = absl::WebSafeBase64Escape(std::string(",0:") + "not-an-id");
  const std::string bad_slot = absl::WebSafeBase64Escape(std::string(",x:") + kLate);
  const std::string below_remainder = absl::WebSafeBase64Escape(std::string(",-2:") + kLate);
  const std::string twice = absl::WebSafeBase64Escape(std::string(",0:") + kLate + ",0:" + kEarly);
  const std::string bad_floor = absl::WebSafeBase64Escape(std::string("floor,0:") + kLate);
  for (const std::string& token :
       {std::string("not base64 at all!"), bad_id, bad_slot, below_remainder, twice, bad_floor}) {
    absl::StatusOr<LedgerCursor> cursor = ReadLedgerCursor(token);
    EXPECT_THAT(cursor, StatusIs(absl::StatusCode::kInvalidArgument)) << token;
    EXPECT_EQ(FieldOf(cursor.status()), "page_token") << token;
  }
}

}  // namespace
}  // namespace shouhu::allowance
