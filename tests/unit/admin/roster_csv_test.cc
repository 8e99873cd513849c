// shouhu-admin's roster file reader: UTF-8 or GB18030 detected, CSV quoting, Chinese (national system) and
// English column names, unreadable cells rejected by row and column; the progress line.
#include "deploy/admin/roster_csv.h"

#include <gtest/gtest.h>
#include <iconv.h>

#include "deploy/admin/progress_bar.h"
#include "deploy/admin/roster_commands.h"
#include "tests/support/status_matchers.h"

namespace shouhu::admin {
namespace {

namespace v1 = registry::v1;
using ::shouhu::testing::StatusIs;

// The test's own encoder, independent of the reader's decoder direction.
std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
  std::string out(utf8.size() * 2 + 8, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size(), out_left = out.size();
  char* o = out.data();
  EXPECT_NE(iconv(cd, &in, &in_left, &o, &out_left), static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

constexpr char kChineseRoster[] =
    "姓名,性别,出生日期,公民身份号码,村（社区）代码,详细地址,儿童类别,监护人姓名,与儿童关系,监护人状况\r\n"
    "张小明,男,2015/6/7,532329201506071232,532329101001,\"东岳村3组, "
    "12号\",留守儿童、困境儿童,王秀英,祖母,正常\r\n"
    "李娜,女,20140302,,532329101002,,事实无人抚养儿童,李建国,父亲,服刑在押\r\n";

TEST(DecodeRosterFile, Gb18030_IsDetectedAndDecoded) {
  const std::string bytes = ToGb18030(kChineseRoster);
  ASSERT_EQ(bytes.substr(0, 4), "\xD0\xD5\xC3\xFB");  // 姓名 in GB18030
  ASSERT_OK_AND_ASSIGN(DecodedText text, DecodeRosterFile(bytes));
  EXPECT_EQ(text.encoding, Encoding::kGb18030);
  EXPECT_EQ(text.utf8, kChineseRoster);
}

TEST(DecodeRosterFile, Utf8WithByteOrderMark_IsUtf8WithoutIt) {
  ASSERT_OK_AND_ASSIGN(DecodedText text, DecodeRosterFile(std::string("\xEF\xBB\xBF") + kChineseRoster));
  EXPECT_EQ(text.encoding, Encoding::kUtf8);
  EXPECT_EQ(text.utf8, kChineseRoster);
}

TEST(DecodeRosterFile, NeitherEncoding_IsInvalid) {
  EXPECT_THAT(DecodeRosterFile("name\n\x81\x20\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SplitCsv, QuotesCommasLineBreaksAndBlankLines) {
  ASSERT_OK_AND_ASSIGN(auto records, SplitCsv("a,\"b,1\",\"say \"\"hi\"\"\"\n\nc,\"two\nlines\",\r\n"));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"a", "b,1", "say \"hi\""}));
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"c", "two\nlines", ""}));
  EXPECT_EQ(records[1].line, 3);
  EXPECT_THAT(SplitCsv("a,\"open\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LoadRoster, Gb18030WithChineseHeaders_GivesRows) {
  ASSERT_OK_AND_ASSIGN(LoadedRoster roster, LoadRoster(ToGb18030(kChineseRoster)));
  EXPECT_EQ(roster.encoding, Encoding::kGb18030);
  EXPECT_EQ(roster.file_hash.size(), 64u);
  ASSERT_EQ(roster.parsed.rows.size(), 2u);
  EXPECT_TRUE(roster.parsed.rejections.empty());
  const v1::RosterRow& first = roster.parsed.rows[0];
  EXPECT_EQ(first.row_number(), 1);
  EXPECT_EQ(first.child().name(), "张小明");
  EXPECT_EQ(first.child().sex(), v1::SEX_MALE);
  EXPECT_EQ(first.child().birth_date(), "2015-06-07");
  EXPECT_EQ(first.child().resident_id(), "532329201506071232");
  EXPECT_EQ(first.household().village_code(), "532329101001");
  EXPECT_EQ(first.household().address_detail(), "东岳村3组, 12号");
  ASSERT_EQ(first.categories_size(), 2);
  EXPECT_EQ(first.categories(0), v1::CHILD_CATEGORY_LEFT_BEHIND);
  EXPECT_EQ(first.categories(1), v1::CHILD_CATEGORY_IN_DISTRESS);
  ASSERT_EQ(first.guardians_size(), 1);
  EXPECT_EQ(first.guardians(0).relationship(), v1::GUARDIAN_RELATIONSHIP_GRANDPARENT);
  EXPECT_EQ(first.guardians(0).status(), v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
  const v1::RosterRow& second = roster.parsed.rows[1];
  EXPECT_EQ(second.row_number(), 2);
  EXPECT_EQ(second.child().sex(), v1::SEX_FEMALE);
  EXPECT_EQ(second.child().birth_date(), "2014-03-02");
  EXPECT_EQ(second.categories(0), v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED);
  EXPECT_EQ(second.guardians(0).status(), v1::GUARDIAN_STATUS_IMPRISONED);
}

TEST(LoadRoster, EnglishHeaders_SameRows_AndTheSameFileHashResumes) {
  const std::string english =
      "name,sex,birth_date,resident_id,village_code,categories,guardian1_name,guardian1_relationship,"
      "guardian1_status\n"
      "张小明,male,2015-06-07,532329201506071232,532329101001,left_behind;in_distress,王秀英,grandparent,"
      "present_and_able\n";
  ASSERT_OK_AND_ASSIGN(LoadedRoster roster, LoadRoster(english));
  EXPECT_EQ(roster.encoding, Encoding::kUtf8);
  ASSERT_EQ(roster.parsed.rows.size(), 1u);
  EXPECT_EQ(roster.parsed.rows[0].categories_size(), 2);
  EXPECT_EQ(roster.parsed.rows[0].guardians(0).status(), v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
  ASSERT_OK_AND_ASSIGN(LoadedRoster again, LoadRoster(english));
  EXPECT_EQ(again.file_hash, roster.file_hash);
  ASSERT_OK_AND_ASSIGN(LoadedRoster other, LoadRoster(english + "\n"));
  EXPECT_NE(other.file_hash, roster.file_hash);
}

TEST(LoadRoster, UnreadableCells_AreRejectedByRowAndColumn_WithoutTheirValue) {
  const std::string text =
      "name,sex,birth_date,resident_id,village_code,categories,guardian1_name,guardian1_relationship,"
      "guardian1_status\n"
      "甲,unknown,2015-06-07,532329201506071232,532329101001,left_behind,,,\n"
      "乙,female,June 2015,532329201506071232,532329101001,left_behind,,,\n"
      "丙,female,2015-06-07,532329201506071232,532329101001,alien,,,\n"
      "丁,female,2015-06-07,532329201506071232,532329101001,orphan,王,aunt,正常\n"
      "戊,female,2015-06-07,532329201506071232,532329101001,orphan,王,其他亲属,gone\n"
      "己,female,2015-06-07,532329201506071232,532329101001,orphan,,,\n";
  ASSERT_OK_AND_ASSIGN(LoadedRoster roster, LoadRoster(text));
  ASSERT_EQ(roster.parsed.rows.size(), 1u);
  EXPECT_EQ(roster.parsed.rows[0].row_number(), 6);
  const std::vector<std::pair<int64_t, std::string>> expected = {{1, "child.sex"},
                                                                 {2, "child.birth_date"},
                                                                 {3, "categories"},
                                                                 {4, "guardians[0].relationship"},
                                                                 {5, "guardians[0].status"}};
  ASSERT_EQ(roster.parsed.rejections.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(roster.parsed.rejections[i].row_number(), expected[i].first);
    EXPECT_EQ(roster.parsed.rejections[i].field(), expected[i].second);
    EXPECT_EQ(roster.parsed.rejections[i].reason().find("unknown"), std::string::npos);
  }
  const std::string rejected = RejectedRowsCsv(roster, [&] {
    google::protobuf::RepeatedPtrField<v1::RowRejection> r;
    for (const auto& x : roster.parsed.rejections) *r.Add() = x;
    return r;
  }());
  EXPECT_NE(rejected.find("甲,unknown,2015-06-07"), std::string::npos) << rejected;
  EXPECT_NE(rejected.find(",1,child.sex,"), std::string::npos) << rejected;
}

TEST(LoadRoster, AMissingRequiredColumn_IsNamed) {
  auto result = LoadRoster("姓名,性别,出生日期,村（社区）代码\n张,男,2015-01-01,532329101001\n");
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(result.status().message().find("resident_id"), std::string::npos);
}

TEST(ProgressBar, ShowsCountsRateAndTimeLeft) {
  EXPECT_EQ(ProgressBar::Line(5000, 10000, absl::Seconds(2), "rows"),
            "[###############...............] 5,000/10,000 rows  2,500 rows/s  ETA 2s");
  EXPECT_EQ(ProgressBar::Line(10000, 10000, absl::Seconds(4), "rows"),
            "[##############################] 10,000/10,000 rows  2,500 rows/s");
}

}  // namespace
}  // namespace shouhu::admin
