#include "services/visits/visitor_releases.h"

#include <gtest/gtest.h>

namespace shouhu::visits {
namespace {

constexpr absl::CivilDay kPlanSaturday(2027, 1, 9);

TEST(PlanStillHolds, NoReleaseSinceTheRead_Holds) {
  EXPECT_TRUE(PlanStillHolds({2, 1}, {{2, 1}, kPlanSaturday - 30}, kPlanSaturday + 1));
}

TEST(PlanStillHolds, ReleaseFromTodaySince_Refused) {
  EXPECT_FALSE(PlanStillHolds({2, 1}, {{3, 1}, std::nullopt}, kPlanSaturday));
}

TEST(PlanStillHolds, OneLaterReleaseSince_RefusedFromItsDayOnly) {
  const ReleaseCounts seen{0, 0};
  EXPECT_FALSE(PlanStillHolds(seen, {{0, 1}, kPlanSaturday + 1}, kPlanSaturday + 1));  // the plan's Sunday
  EXPECT_FALSE(PlanStillHolds(seen, {{0, 1}, kPlanSaturday}, kPlanSaturday + 1));
  EXPECT_TRUE(PlanStillHolds(seen, {{0, 1}, kPlanSaturday + 1}, kPlanSaturday));  // the plan's Saturday only
  EXPECT_TRUE(
      PlanStillHolds(seen, {{0, 1}, kPlanSaturday + 1000}, kPlanSaturday + 1));  // an onboarding's check
}

TEST(PlanStillHolds, LaterReleaseWithoutItsDay_Refused) {
  EXPECT_FALSE(PlanStillHolds({0, 0}, {{0, 1}, std::nullopt}, kPlanSaturday));
}

// Only the latest later release's day is kept: the one before it may have reached the plan's days.
TEST(PlanStillHolds, TwoLaterReleasesSince_Refused) {
  EXPECT_FALSE(PlanStillHolds({0, 0}, {{0, 2}, kPlanSaturday + 1000}, kPlanSaturday));
}

}  // namespace
}  // namespace shouhu::visits
