// The roster's pure rules: a row validated as a referral's child is (every bad field named), in its county,
// with a resident id; and drift's three lists.
#include "services/registry/roster_rows.h"

#include <gtest/gtest.h>

#include <functional>

#include "common/status_macros.h"
#include "tests/support/resident_ids.h"
#include "tests/support/status_matchers.h"

namespace shouhu::registry {
namespace {

using ::shouhu::testing::ResidentIdNumber;
using ::shouhu::testing::StatusIs;

const absl::CivilDay kImportDay(2026, 11, 23);

v1::RosterRow Row() {
  v1::RosterRow row;
  row.set_row_number(7);
  row.mutable_child()->set_name("张小明");
  row.mutable_child()->set_sex(v1::SEX_MALE);
  row.mutable_child()->set_birth_date("2015-06-07");
  row.mutable_child()->set_resident_id("532329201506071232");
  row.mutable_household()->set_village_code("532329101001");
  auto* g = row.add_guardians();
  g->set_name("王秀英");
  g->set_relationship(v1::GUARDIAN_RELATIONSHIP_GRANDPARENT);
  g->set_status(v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
  row.add_categories(v1::CHILD_CATEGORY_LEFT_BEHIND);
  return row;
}

TEST(ValidateRosterRow, AGoodRow_IsTheChildAsAReferralHoldsThem) {
  ASSERT_OK_AND_ASSIGN(v1::Referral child, ValidateRosterRow(Row(), "532329", kImportDay));
  EXPECT_EQ(child.child().resident_id(), "532329201506071232");
  EXPECT_EQ(child.household().village_code(), "532329101001");
  EXPECT_EQ(child.guardians_size(), 1);
  EXPECT_EQ(child.categories_size(), 1);
  EXPECT_TRUE(child.reason().empty());  // the stand-in reason is not kept
}

TEST(ValidateRosterRow, EachBadField_IsNamed_WithoutItsValue) {
  const std::vector<std::pair<std::string, std::function<void(v1::RosterRow&)>>> cases = {
      {"child.resident_id", [](auto& r) { r.mutable_child()->clear_resident_id(); }},
      {"child.resident_id", [](auto& r) { r.mutable_child()->set_resident_id("532329201506071233"); }},
      {"child.resident_id", [](auto& r) { r.mutable_child()->set_sex(v1::SEX_FEMALE); }},
      {"child.name", [](auto& r) { r.mutable_child()->clear_name(); }},
      {"child.birth_date", [](auto& r) { r.mutable_child()->set_birth_date("2015-02-30"); }},
      {"household.village_code", [](auto& r) { r.mutable_household()->set_village_code("5323291010"); }},
      {"household.village_code", [](auto& r) { r.mutable_household()->set_village_code("640105001002"); }},
      {"guardians[0].status", [](auto& r) { r.mutable_guardians(0)->clear_status(); }},
      {"categories", [](auto& r) { r.clear_categories(); }},
      {"categories[1]", [](auto& r) { r.add_categories(v1::CHILD_CATEGORY_LEFT_BEHIND); }},
  };
  for (const auto& [field, spoil] : cases) {
    v1::RosterRow row = Row();
    spoil(row);
    absl::StatusOr<v1::Referral> result = ValidateRosterRow(row, "532329", kImportDay);
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument)) << field;
    EXPECT_EQ(FieldOf(result.status()), field);
    const v1::RowRejection rejection = RejectionOf(row.row_number(), result.status());
    EXPECT_EQ(rejection.row_number(), 7);
    EXPECT_EQ(rejection.field(), field);
    EXPECT_FALSE(rejection.reason().empty());
    EXPECT_EQ(rejection.reason().find("532329201506071"), std::string::npos) << rejection.reason();
    EXPECT_EQ(rejection.reason().find("张小明"), std::string::npos) << rejection.reason();
  }
}

RosterChild Listed(int64_t row, const std::string& hash, std::vector<v1::ChildCategory> categories,
                   std::vector<v1::GuardianStatus> guardians) {
  RosterChild c;
  c.row_number = row;
  c.resident_id_hash = hash;
  c.categories = std::move(categories);
  c.guardian_statuses = std::move(guardians);
  return c;
}

RosterChild Registered(const std::string& id, const std::string& hash,
                       std::vector<v1::ChildCategory> categories, std::vector<v1::GuardianStatus> guardians) {
  RosterChild c = Listed(0, hash, std::move(categories), std::move(guardians));
  c.child_id = id;
  return c;
}

TEST(CompareRosterWithRegistry, ListsTheMissingOnEachSide_AndTheDifferences) {
  const auto left = v1::CHILD_CATEGORY_LEFT_BEHIND, orphan = v1::CHILD_CATEGORY_ORPHAN;
  const auto able = v1::GUARDIAN_STATUS_PRESENT_AND_ABLE, migrant = v1::GUARDIAN_STATUS_MIGRANT_WORKER;
  const std::vector<RosterChild> roster = {
      Listed(4, "h-same", {left}, {migrant, able}),  // same (statuses in another order)
      Listed(2, "h-category", {orphan}, {able}),     // category differs
      Listed(3, "h-guardian", {left}, {migrant}),    // guardian status differs
      Listed(1, "h-new", {left}, {able}),            // not registered
      Listed(5, "h-same", {left}, {able}),           // listed twice
  };
  const std::vector<RosterChild> registry = {
      Registered("c-same", "h-same", {left}, {able, migrant}),
      Registered("c-category", "h-category", {left}, {able}),
      Registered("c-guardian", "h-guardian", {left}, {able}),
      Registered("c-gone", "h-gone", {left}, {able}),
  };
  const v1::CompareRosterResponse drift = CompareRosterWithRegistry(roster, registry);
  EXPECT_EQ(drift.rows(), 5);
  EXPECT_EQ(drift.matched(), 3);
  ASSERT_EQ(drift.missing_from_registry_size(), 1);
  EXPECT_EQ(drift.missing_from_registry(0), 1);
  ASSERT_EQ(drift.missing_from_roster_size(), 1);
  EXPECT_EQ(drift.missing_from_roster(0), "c-gone");
  ASSERT_EQ(drift.differences_size(), 2);
  EXPECT_EQ(drift.differences(0).row_number(), 2);
  EXPECT_EQ(drift.differences(0).child_id(), "c-category");
  EXPECT_EQ(drift.differences(0).roster_categories(0), orphan);
  EXPECT_EQ(drift.differences(0).registry_categories(0), left);
  EXPECT_EQ(drift.differences(1).row_number(), 3);
  EXPECT_EQ(drift.differences(1).child_id(), "c-guardian");
  EXPECT_EQ(drift.differences(1).roster_guardian_statuses(0), migrant);
  EXPECT_EQ(drift.differences(1).registry_guardian_statuses(0), able);
  ASSERT_EQ(drift.rejections_size(), 1);
  EXPECT_EQ(drift.rejections(0).row_number(), 5);
  EXPECT_EQ(drift.rejections(0).field(), "child.resident_id");
}

TEST(ResidentIdNumber, MakesIdsTheValidatorAccepts) {
  for (int sequence : {1, 2, 123, 998}) {
    v1::RosterRow row = Row();
    row.mutable_child()->set_resident_id(ResidentIdNumber("532329", "20150607", sequence));
    row.mutable_child()->set_sex(sequence % 2 == 1 ? v1::SEX_MALE : v1::SEX_FEMALE);
    EXPECT_OK(ValidateRosterRow(row, "532329", kImportDay)) << sequence;
  }
}

}  // namespace
}  // namespace shouhu::registry
