// County rosters end to end: the real registry and gateway processes, shouhu-admin's own reader and client
// (and its binary), a GB18030 file with the national system's Chinese headers. The import streams through
// the gateway's client-streaming relay, is cancelled midway and resumed, is matched on a second run, and
// drift reads the county back.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <iconv.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "deploy/admin/roster_commands.h"
#include "tests/e2e/running_stack.h"
#include "tests/support/roster_fixture_rows.h"
#include "tests/support/status_matchers.h"

namespace shouhu::testing {
namespace {

namespace v1 = registry::v1;

std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  std::string out(utf8.size() * 2 + 8, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size(), out_left = out.size();
  char* o = out.data();
  EXPECT_NE(iconv(cd, &in, &in_left, &o, &out_left), static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

// Rows first..last of the test roster as the national system exports them; `changed` rows list the
// child as an orphan instead.
std::string ChineseRoster(int first, int last, int changed_row = 0) {
  std::string csv =
      "姓名,性别,出生日期,公民身份号码,村（社区）代码,详细地址,儿童类别,监护人姓名,与儿童关系,监护人状况\r\n";
  for (int n = first; n <= last; ++n) {
    const v1::RosterRow row = RosterRowNumber(n);
    absl::StrAppend(&csv, row.child().name(), ",", row.child().sex() == v1::SEX_MALE ? "男" : "女", ",",
                    row.child().birth_date(), ",", row.child().resident_id(), ",",
                    row.household().village_code(), ",东岳村,", n == changed_row ? "孤儿" : "留守儿童",
                    ",监护人,祖母,正常\r\n");
  }
  return csv;
}

class RosterStackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions options;
    options.name = "roster";
    stack_ = RunningStack::Start(options).release();
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(WaitServing(stack_->registry_target(), absl::Seconds(120))) << stack_->Log("registry.log");
    ASSERT_TRUE(WaitServing(stack_->gateway_target(), absl::Seconds(60))) << stack_->Log("gateway.log");
    channel_ = grpc::CreateChannel(stack_->gateway_target(), grpc::InsecureChannelCredentials());
  }

  admin::RosterCallOptions As(const std::string& subject, const std::string& jurisdiction,
                              const std::string& role = "CIVIL_AFFAIRS_OFFICER") {
    admin::RosterCallOptions options;
    options.token = stack_->Token(subject, "wuding-civil-affairs", role, jurisdiction);
    options.chunk_rows = 100;
    options.chunks_per_call = 2;  // several calls per import, as a large county's has
    options.deadline = absl::Minutes(5);
    return options;
  }

  static RunningStack* stack_;
  std::shared_ptr<grpc::Channel> channel_;
  std::ostringstream progress_;
};

RunningStack* RosterStackTest::stack_ = nullptr;

TEST_F(RosterStackTest, Gb18030ChineseRoster_ThroughTheGateway_CancelledThenResumed_ThenMatched_ThenDrift) {
  // 400 good rows and one whose resident id does not check.
  std::string utf8 = ChineseRoster(1, 400);
  absl::StrAppend(&utf8, "坏行,男,2015-01-01,532329201501010010,532329101001,,留守儿童,,,\r\n");
  ASSERT_OK_AND_ASSIGN(admin::LoadedRoster roster, admin::LoadRoster(ToGb18030(utf8)));
  ASSERT_EQ(roster.encoding, admin::Encoding::kGb18030);
  ASSERT_EQ(roster.parsed.rows.size(), 401u);

  admin::RosterCallOptions officer = As("roster-officer", "532329");
  admin::RosterCallOptions cancelling = officer;
  cancelling.cancel_after_chunks = 3;  // in the second call
  EXPECT_THAT(admin::ImportRoster(channel_, roster, cancelling, progress_),
              StatusIs(absl::StatusCode::kCancelled));

  // The same file again: its import id is the file's hash, so committed chunks answer as before.
  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse resumed,
                       admin::ImportRoster(channel_, roster, officer, progress_));
  EXPECT_EQ(resumed.rows(), 401);
  EXPECT_EQ(resumed.created() + resumed.matched(), 400);
  EXPECT_EQ(resumed.rejected(), 1);
  ASSERT_EQ(resumed.rejections_size(), 1);
  EXPECT_EQ(resumed.rejections(0).row_number(), 401);
  EXPECT_EQ(resumed.rejections(0).field(), "child.resident_id");
  EXPECT_NE(progress_.str().find("rows/s"), std::string::npos);

  // The same children in another file (another import id): every one matched, none created.
  ASSERT_OK_AND_ASSIGN(admin::LoadedRoster reexport, admin::LoadRoster(ChineseRoster(1, 400)));
  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse again,
                       admin::ImportRoster(channel_, reexport, officer, progress_));
  EXPECT_EQ(again.created(), 0);
  EXPECT_EQ(again.matched(), 400);

  // Drift against an export that dropped rows 1-2, changed row 5, and lists two children we do not hold.
  ASSERT_OK_AND_ASSIGN(admin::LoadedRoster export_file, admin::LoadRoster(ChineseRoster(3, 402, 5)));
  ASSERT_OK_AND_ASSIGN(v1::CompareRosterResponse drift,
                       admin::CompareRoster(channel_, export_file, officer, progress_));
  EXPECT_EQ(drift.rows(), 400);
  EXPECT_EQ(drift.matched(), 398);
  EXPECT_EQ(drift.missing_from_roster_size(), 2);
  ASSERT_EQ(drift.missing_from_registry_size(), 2);
  EXPECT_EQ(drift.missing_from_registry(0), 399);  // the file's rows 399 and 400 are children 401, 402
  EXPECT_EQ(drift.missing_from_registry(1), 400);
  ASSERT_EQ(drift.differences_size(), 1);
  EXPECT_EQ(drift.differences(0).row_number(), 3);  // child 5
  EXPECT_EQ(drift.differences(0).roster_categories(0), v1::CHILD_CATEGORY_ORPHAN);
}

TEST_F(RosterStackTest, ThroughTheGateway_AnotherCountysOfficerGetsNotFound_ACaseworkerIsTurnedAway) {
  ASSERT_OK_AND_ASSIGN(admin::LoadedRoster roster, admin::LoadRoster(ChineseRoster(1001, 1003)));
  EXPECT_THAT(admin::ImportRoster(channel_, roster, As("xixia-officer", "640105"), progress_),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(admin::ImportRoster(channel_, roster, As("caseworker", "532329", "NGO_CASEWORKER"), progress_),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(admin::CompareRoster(channel_, roster, As("xixia-officer", "640105"), progress_),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RosterStackTest, AdminBinary_ImportsAFile_PrintsTheSummary_AndWritesTheRejectedRows) {
  const std::string path = stack_->dir + "/county-roster.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << ToGb18030(ChineseRoster(2001, 2010) + "坏行,未知,2015-01-01,,532329101001,,留守儿童,,,\r\n");
  }
  const std::string token =
      stack_->Token("admin-cli", "wuding-civil-affairs", "CIVIL_AFFAIRS_OFFICER", "532329");
  const std::string out =
      RunCommand(absl::StrCat("SHOUHU_TOKEN=", token, " ", SHOUHU_ADMIN_BINARY, " import roster ", path,
                              " --gateway=", stack_->gateway_target(), " 2>/dev/null"));
  EXPECT_NE(out.find("11 rows, 10 children registered, 0 already registered, 1 rejected"), std::string::npos)
      << out;
  std::ifstream rejected(path + ".rejected.csv");
  std::stringstream text;
  text << rejected.rdbuf();
  EXPECT_NE(text.str().find(",11,child.sex,"), std::string::npos) << text.str();
}

}  // namespace
}  // namespace shouhu::testing
