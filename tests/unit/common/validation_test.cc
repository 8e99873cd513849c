#include "common/validation.h"

#include <gtest/gtest.h>

#include "common/status_macros.h"
#include "tests/support/status_matchers.h"

namespace shouhu {
namespace {

using ::shouhu::testing::StatusIs;

const absl::CivilDay kToday(2026, 11, 23);

TEST(ParseResidentId, CheckCharacterX_IsAcceptedAndDecoded) {
  ASSERT_OK_AND_ASSIGN(ResidentId id, ParseResidentId("11010519491231002X", "child.resident_id", kToday));
  EXPECT_EQ(id.normalized, "11010519491231002X");
  EXPECT_EQ(id.region_code, "110105");
  EXPECT_EQ(id.birth_date, absl::CivilDay(1949, 12, 31));
  EXPECT_EQ(id.sex, Sex::kFemale);  // 17th digit 2
}

TEST(ParseResidentId, LowerCaseX_IsNormalisedToUpperCase) {
  ASSERT_OK_AND_ASSIGN(ResidentId id, ParseResidentId("11010519491231002x", "f", kToday));
  EXPECT_EQ(id.normalized, "11010519491231002X");
}

TEST(ParseResidentId, ChildFromWuding_DecodesBirthDateAndMaleSex) {
  ASSERT_OK_AND_ASSIGN(ResidentId id, ParseResidentId("532329201506071232", "f", kToday));
  EXPECT_EQ(id.birth_date, absl::CivilDay(2015, 6, 7));
  EXPECT_EQ(id.sex, Sex::kMale);  // 17th digit 3
}

TEST(ParseResidentId, LeapDay_IsARealDate) { EXPECT_OK(ParseResidentId("640105201202290016", "f", kToday)); }

TEST(ParseResidentId, WrongCheckDigit_IsRejectedNamingTheField) {
  auto id = ParseResidentId("532329201506071233", "child.resident_id", kToday);
  EXPECT_THAT(id, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(id.status()), "child.resident_id");
  // The message must not echo the number.
  EXPECT_EQ(std::string(id.status().message()).find("532329"), std::string::npos);
}

TEST(ParseResidentId, XWhereADigitIsDue_IsRejected) {
  EXPECT_THAT(ParseResidentId("53232920150607123X", "f", kToday),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseResidentId, ImpossibleDates_AreRejected) {
  // 2015-02-30 and 2013-02-29 (not a leap year), with check characters made valid so only the date is wrong.
  const char* bad_dates[] = {"532329201502301233", "532329201302291231", "532329201513011230"};
  for (const char* base : bad_dates) {
    std::string id(base, 17);
    static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
    id += "10X98765432"[sum % 11];
    auto parsed = ParseResidentId(id, "f", kToday);
    EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument)) << id;
    EXPECT_NE(std::string(parsed.status().message()).find("birth date"), std::string::npos) << id;
  }
}

TEST(ParseResidentId, FutureBirthDate_IsRejected) {
  auto parsed = ParseResidentId("331081202008150013", "f", absl::CivilDay(2020, 8, 14));
  EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseResidentId, WrongLengthOrLetters_AreRejected) {
  EXPECT_THAT(ParseResidentId("53232920150607123", "f", kToday),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseResidentId("5323292015060712320", "f", kToday),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseResidentId("53232A201506071232", "f", kToday),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseResidentId("", "f", kToday), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MaskResidentId, KeepsRegionAndLastFour) {
  EXPECT_EQ(MaskResidentId("11010519491231002X"), "110105********002X");
}

TEST(DivisionCode, LevelsFollowCodeLength) {
  EXPECT_EQ(DivisionLevel("53"), 1);
  EXPECT_EQ(DivisionLevel("5323"), 2);
  EXPECT_EQ(DivisionLevel("532329"), 3);
  EXPECT_EQ(DivisionLevel("532329100"), 4);
  EXPECT_EQ(DivisionLevel("532329100201"), 5);
  EXPECT_EQ(DivisionLevel("53232"), 0);
  EXPECT_EQ(DivisionLevel("53232a"), 0);
  EXPECT_THAT(ValidateDivisionCode("", "household.village_code"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(ValidateDivisionCode("640105", "x"));
}

TEST(ValidateText, CountsCharactersNotBytes) {
  EXPECT_OK(ValidateText("张小明", "child.name", 1, 3));  // 9 bytes, 3 characters
  EXPECT_THAT(ValidateText("张小明明", "child.name", 1, 3), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateText("", "child.name", 1, 3), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateText, MalformedUtf8AndControlCharacters_AreRejected) {
  EXPECT_THAT(ValidateText("\xE5\xBC", "f", 1, 10),
              StatusIs(absl::StatusCode::kInvalidArgument));  // truncated
  EXPECT_THAT(ValidateText("\xC0\xAF", "f", 1, 10),
              StatusIs(absl::StatusCode::kInvalidArgument));  // overlong
  EXPECT_THAT(ValidateText("\xED\xA0\x80", "f", 1, 10),
              StatusIs(absl::StatusCode::kInvalidArgument));  // surrogate
  EXPECT_THAT(ValidateText("a\x01", "f", 1, 10), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(IsValidUtf8("😀 ok"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

}  // namespace
}  // namespace shouhu
