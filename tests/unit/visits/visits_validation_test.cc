// What RegisterVisitor and the weekend methods require, field by field.
#include "services/visits/visits_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace shouhu::visits {
namespace {

using ::shouhu::testing::StatusIs;

v1::RegisterVisitorRequest Valid() {
  v1::RegisterVisitorRequest r;
  r.set_request_id("reg-1");
  r.mutable_visitor()->set_participant_id("01JD0000000000000000000000");
  r.mutable_visitor()->set_organisation_id("ngo-wuding");
  r.mutable_visitor()->set_home_village_code("532329101001");
  r.mutable_visitor()->set_daily_capacity(kMaxDailyCapacity);
  return r;
}

TEST(VisitsValidationTest, RegisterVisitor_Complete_Passes) { EXPECT_OK(ValidateRegisterVisitor(Valid())); }

TEST(VisitsValidationTest, RegisterVisitor_CountyInsteadOfVillage_NamesHomeVillageCode) {
  v1::RegisterVisitorRequest r = Valid();
  r.mutable_visitor()->set_home_village_code("532329101");
  absl::Status status = ValidateRegisterVisitor(r);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(status.message(), ::testing::HasSubstr("visitor.home_village_code"));
}

TEST(VisitsValidationTest, ParseWeekendDate_SaturdayOnly) {
  ASSERT_OK_AND_ASSIGN(absl::CivilDay day, ParseWeekendDate("2026-12-19", "weekend_date"));
  EXPECT_EQ(day, absl::CivilDay(2026, 12, 19));
  absl::StatusOr<absl::CivilDay> sunday = ParseWeekendDate("2026-12-20", "weekend_date");
  EXPECT_THAT(sunday, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(sunday.status().message(), ::testing::HasSubstr("weekend_date"));
  EXPECT_THAT(ParseWeekendDate("19/12/2026", "weekend_date"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace shouhu::visits
