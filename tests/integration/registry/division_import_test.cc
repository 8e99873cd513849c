// The national division table loaded at start (ImportDivisions): every kept row written, in chunks; a file
// already recorded with as many rows skipped without a write (every start after the first); a changed file
// loaded again; a malformed or missing file refused naming it, and nothing recorded for it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "common/migrations.h"
#include "services/registry/division_importer.h"
#include "services/registry/registry_store.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;
using ::testing::HasSubstr;

// A division folder of the package's five files: Yunnan's Kunming and Ningxia's Yinchuan down to two
// streets of Kunming's Wuhua district with `villages` villages between them (more than two chunks of 500),
// and one village of Yinchuan.
class DivisionFolder {
 public:
  explicit DivisionFolder(int villages) {
    char pattern[] = "/tmp/shouhu-divisions-XXXXXX";
    dir_ = mkdtemp(pattern);
    Write("provinces.csv", "code,name\n53,\"云南省\"\n64,\"宁夏回族自治区\"\n");
    Write("cities.csv", "code,name,provinceCode\n5301,\"昆明市\",53\n6401,\"银川市\",64\n");
    Write("areas.csv",
          "code,name,cityCode,provinceCode\n530102,\"五华区\",5301,53\n640105,\"西夏区\",6401,64\n");
    Write("streets.csv",
          "code,name,areaCode,cityCode,provinceCode\n530102001,\"华山街道\",530102,5301,53\n"
          "530102002,\"护国街道\",530102,5301,53\n640105001,\"朔方路街道\",640105,6401,64\n");
    std::string text = "code,name,streetCode,areaCode,cityCode,provinceCode\n";
    for (int i = 0; i < villages; ++i) {
      const int street = i < 700 ? 1 : 2;
      const int number = i < 700 ? i + 1 : i - 699;
      absl::StrAppendFormat(&text, "530102%03d%03d,\"社区%d\",530102%03d,530102,5301,53\n", street, number, i,
                            street);
    }
    absl::StrAppend(&text, "640105001001,\"怀远社区\",640105001,640105,6401,64\n");
    Write("villages.csv", text);
  }
  ~DivisionFolder() { std::filesystem::remove_all(dir_); }

  void Write(const std::string& file, const std::string& text) {
    std::ofstream(absl::StrCat(dir_, "/", file)) << text;
  }
  void Append(const std::string& file, const std::string& text) {
    std::ofstream(absl::StrCat(dir_, "/", file), std::ios::app) << text;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

absl::StatusOr<std::optional<db::Row>> Division(shouhu::testing::TestDatabase& database,
                                                const std::string& code) {
  std::optional<db::Row> row;
  RETURN_IF_ERROR(database.pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(row,
                     s.QueryOne("SELECT name, level, parent_code FROM divisions WHERE code = ?", {code}));
    return absl::OkStatus();
  }));
  return row;
}

TEST(DivisionImport, EveryKeptRowWrittenInChunks_ThenSkippedWithoutAWrite_AndAChangedFileLoadedAgain) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  DivisionFolder folder(1203);
  SystemClock clock;

  // Kunming's prefix keeps its ancestors and descendants: province, city, district, two streets, 1,203
  // villages.
  ASSERT_OK_AND_ASSIGN(ImportSummary first, ImportDivisions(database->pool(), clock, folder.dir(), {"5301"}));
  EXPECT_EQ(first.files_loaded, 5);
  EXPECT_EQ(first.files_skipped, 0);
  EXPECT_EQ(first.rows, 1 + 1 + 1 + 2 + 1203);
  EXPECT_EQ(database->Count("divisions"), 1208);
  ASSERT_OK_AND_ASSIGN(std::optional<db::Row> village, Division(*database, "530102002503"));
  ASSERT_TRUE(village.has_value()) << "the last village, in the third chunk";
  EXPECT_EQ(village->String(0), "社区1202");
  EXPECT_EQ(village->Int(1), 5);
  EXPECT_EQ(village->String(2), "530102002");
  ASSERT_OK_AND_ASSIGN(std::optional<db::Row> outside, Division(*database, "640105001001"));
  EXPECT_FALSE(outside.has_value()) << "Ningxia is not under the prefix";

  // A second start finds every file recorded with as many rows and writes nothing: a row removed meanwhile
  // stays removed.
  ASSERT_OK(database->pool().Autocommit([](db::Session& s) {
    return s.Execute("DELETE FROM divisions WHERE code = ?", {std::string("530102001001")}).status();
  }));
  ASSERT_OK_AND_ASSIGN(ImportSummary second,
                       ImportDivisions(database->pool(), clock, folder.dir(), {"5301"}));
  EXPECT_EQ(second.files_loaded, 0);
  EXPECT_EQ(second.files_skipped, 5);
  EXPECT_EQ(second.rows, 0);
  EXPECT_EQ(database->Count("divisions"), 1207);

  // A new village in the package: its file is loaded again (rows already present left alone), the others not.
  folder.Append("villages.csv", "530102002504,\"新社区\",530102002,530102,5301,53\n");
  ASSERT_OK_AND_ASSIGN(ImportSummary third, ImportDivisions(database->pool(), clock, folder.dir(), {"5301"}));
  EXPECT_EQ(third.files_loaded, 1);
  EXPECT_EQ(third.files_skipped, 4);
  EXPECT_EQ(third.rows, 1204);
  EXPECT_EQ(database->Count("divisions"), 1209);
  ASSERT_OK_AND_ASSIGN(std::optional<db::Row> added, Division(*database, "530102002504"));
  EXPECT_TRUE(added.has_value());
}

TEST(DivisionImport, MalformedOrMissingFile_RefusedNamingIt_NothingRecordedForIt) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  DivisionFolder folder(3);
  SystemClock clock;
  folder.Append("villages.csv", "53010200100x,\"坏行\",530102001,530102,5301,53\n");
  absl::StatusOr<ImportSummary> malformed = ImportDivisions(database->pool(), clock, folder.dir(), {});
  EXPECT_THAT(malformed, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(malformed.status().message(), HasSubstr("villages.csv"));
  EXPECT_THAT(malformed.status().message(), HasSubstr("malformed code 53010200100x"));
  EXPECT_EQ(database->Count("division_imports"), 4) << "the four good files, not the villages'";
  EXPECT_EQ(database->Count("divisions"), 2 + 2 + 2 + 3) << "no village written from the malformed file";

  std::filesystem::remove(folder.dir() + "/streets.csv");
  absl::StatusOr<ImportSummary> missing = ImportDivisions(database->pool(), clock, folder.dir(), {});
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(missing.status().message(), HasSubstr("streets.csv"));
}

}  // namespace
}  // namespace shouhu::registry::testing
