// The access log's pure rules (migration 0044): a call's records become reads, a read's records round-trip
// through its row, a read's scope is the division all its records share, and its week is its id's.
#include "services/registry/access_log_entries.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "common/clock.h"
#include "common/ids.h"
#include "tests/support/status_matchers.h"

namespace shouhu::registry {
namespace {

using ::shouhu::testing::StatusIs;

AccessRecord Seen(const std::string& record_id, const std::string& village,
                  const std::string& purpose = "review", const std::string& consent = "") {
  return {"officer-1", "org-1", "child", record_id, village, "name,sex", purpose, "SearchChildren", consent};
}

TEST(AccessLogEntries, GroupIntoReads_APageOfOneCall_IsOneReadWithEveryRecordInOrder) {
  auto reads =
      GroupIntoReads({Seen("A", "532329101001"), Seen("B", "532329102003"), Seen("C", "532329101001")});
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].subject, "officer-1");
  EXPECT_EQ(reads[0].organisation_id, "org-1");
  EXPECT_EQ(reads[0].method, "SearchChildren");
  EXPECT_EQ(reads[0].purpose, "review");
  ASSERT_EQ(reads[0].records.size(), 3u);
  EXPECT_EQ(reads[0].records[0].record_id, "A");
  EXPECT_EQ(reads[0].records[1].record_id, "B");
  EXPECT_EQ(reads[0].records[1].village_code, "532329102003");
  EXPECT_EQ(reads[0].records[2].record_id, "C");
}

TEST(AccessLogEntries, GroupIntoReads_RecordsThatDifferBeyondTheRecord_StartANewRead) {
  AccessRecord other_fields = Seen("C", "532329101001");
  other_fields.fields = "name";
  auto reads = GroupIntoReads({Seen("A", "532329101001"), Seen("B", "532329101001", "another purpose"),
                               other_fields, Seen("D", "532329101001", "review", "CONSENT1")});
  ASSERT_EQ(reads.size(), 4u);
  EXPECT_EQ(reads[0].records.size(), 1u);
  EXPECT_EQ(reads[1].purpose, "another purpose");
  EXPECT_EQ(reads[2].fields, "name");
  ASSERT_EQ(reads[2].records.size(), 1u);
  EXPECT_EQ(reads[2].records[0].record_id, "C");
  // Only consecutive records share a read: D is like A but follows C.
  ASSERT_EQ(reads[3].records.size(), 1u);
  EXPECT_EQ(reads[3].records[0].consent_id, "CONSENT1");
  EXPECT_TRUE(GroupIntoReads({}).empty());
}

TEST(AccessLogEntries, GroupIntoReads_ConsentDiffersWithinARead_StaysWithItsRecord) {
  auto reads = GroupIntoReads({Seen("A", "532329101001"), Seen("B", "532329101001", "review", "CONSENT1")});
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].records[0].consent_id, "");
  EXPECT_EQ(reads[0].records[1].consent_id, "CONSENT1");
}

TEST(AccessLogEntries, CommonVillagePrefix_IsTheDivisionEveryRecordLiesIn) {
  EXPECT_EQ(CommonVillagePrefix({{"", "A", "532329101001", ""}}), "532329101001");
  EXPECT_EQ(CommonVillagePrefix({{"", "A", "532329101001", ""}, {"", "B", "532329102003", ""}}), "53232910");
  EXPECT_EQ(CommonVillagePrefix({{"", "A", "532329101001", ""}, {"", "B", "640105001001", ""}}), "");
  EXPECT_EQ(CommonVillagePrefix({{"", "A", "532329101001", ""}, {"", "B", "", ""}}), "");
  EXPECT_EQ(CommonVillagePrefix({}), "");
}

TEST(AccessLogEntries, EncodeThenDecode_GivesBackEveryRecord_WithAndWithoutConsent) {
  std::vector<AccessedRecord> records = {
      {"01HZZ0000000000000000000A1", "01HZZ0000000000000000000C1", "532329101001", ""},
      {"01HZZ0000000000000000000A2", "01HZZ0000000000000000000C2", "532329102003",
       "01HZZ0000000000000000000K1"},
      {"01HZZ0000000000000000000A3", "01HZZ0000000000000000000C3", "", ""}};
  std::vector<std::string> entry_ids;
  for (const AccessedRecord& r : records) entry_ids.push_back(r.entry_id);
  const std::string column = EncodeAccessedRecords(records, entry_ids);
  ASSERT_OK_AND_ASSIGN(auto decoded, DecodeAccessedRecords(column));
  ASSERT_EQ(decoded.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(decoded[i].entry_id, records[i].entry_id);
    EXPECT_EQ(decoded[i].record_id, records[i].record_id);
    EXPECT_EQ(decoded[i].village_code, records[i].village_code);
    EXPECT_EQ(decoded[i].consent_id, records[i].consent_id);
  }
  ASSERT_OK_AND_ASSIGN(auto none, DecodeAccessedRecords(""));
  EXPECT_TRUE(none.empty());
}

TEST(AccessLogEntries, PaddedLogRows_FewTextsLittlePadding_NeverFewerRowsThanGiven) {
  std::set<size_t> sizes;
  for (size_t rows = 1; rows <= kMaxLogRowsPerInsert; ++rows) {
    const size_t padded = PaddedLogRows(rows);
    EXPECT_GE(padded, rows);
    EXPECT_LE(padded - rows, 7u) << rows;
    EXPECT_LE(padded, kMaxLogRowsPerInsert) << rows;
    sizes.insert(padded);
  }
  EXPECT_EQ(PaddedLogRows(1), 1u);  // one GetChild at a time: no padding at all
  EXPECT_EQ(PaddedLogRows(7), 7u);
  EXPECT_EQ(PaddedLogRows(9), 16u);
  EXPECT_EQ(PaddedLogRows(250), 256u);
  // The writer's one connection prepares a text per size for each of its two tables (db.h keeps 128).
  EXPECT_EQ(sizes.size(), 39u);
}

TEST(AccessLogEntries, Decode_AColumnThisCodeDidNotWrite_IsInternal) {
  for (const char* column : {"A B C", "A B C D E", ";", " B C D", "A  C D"}) {
    EXPECT_THAT(DecodeAccessedRecords(column), StatusIs(absl::StatusCode::kInternal)) << column;
  }
}

// The week "who read this record" keeps a read under (migration 0050), from its log id's time.
TEST(AccessLogEntries, AccessLogWeek_WholeWeeksSince1970OfTheIdsTime_LaterIdsNeverEarlierWeeks) {
  const auto week_of = [](IdGenerator& ids) {
    absl::StatusOr<int64_t> week = AccessLogWeek(ids.Next());
    EXPECT_TRUE(week.ok()) << week.status();
    return week.value_or(-1);
  };
  ManualClock clock(absl::FromUnixMillis(0));
  IdGenerator ids(clock);
  EXPECT_EQ(week_of(ids), 0);
  clock.Advance(absl::Hours(7 * 24) - absl::Milliseconds(1));  // the last millisecond of week 0
  EXPECT_EQ(week_of(ids), 0);
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(week_of(ids), 1);
  // 2026-12-05 00:00 UTC: day 20,427 since 1970, in week 2,918.
  ManualClock today(absl::FromUnixSeconds(int64_t{20427} * 86400));
  IdGenerator today_ids(today);
  const std::string id = today_ids.Next();
  EXPECT_EQ(IdUnixMillis(id), std::optional<int64_t>(int64_t{20427} * 86400 * 1000));
  EXPECT_EQ(AccessLogWeek(id).value_or(-1), 2918);
  EXPECT_EQ(IdUnixMillis("not-an-id"), std::nullopt);
  EXPECT_THAT(AccessLogWeek("not-an-id", "page_token"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(AccessLogWeek("not-an-id", "page_token").status().message().find("page_token"),
            std::string::npos);
}

}  // namespace
}  // namespace shouhu::registry
