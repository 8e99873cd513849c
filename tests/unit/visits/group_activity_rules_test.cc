#include "services/visits/group_activity_rules.h"

#include <gtest/gtest.h>

namespace shouhu::visits {
namespace {

constexpr absl::CivilDay kToday(2026, 12, 7);
constexpr absl::CivilDay kActivityDay(2026, 12, 12);

TEST(FacilitatorStillHolds, NoLossSinceTheRead_Holds) {
  EXPECT_TRUE(FacilitatorStillHolds({2, kToday}, {2, kToday}, kActivityDay));
  EXPECT_TRUE(FacilitatorStillHolds({}, {}, kActivityDay));
}

TEST(FacilitatorStillHolds, LossReachingTheActivitysDaySince_Refused) {
  EXPECT_FALSE(FacilitatorStillHolds({}, {1, kToday}, kActivityDay));                 // a suspension today
  EXPECT_FALSE(FacilitatorStillHolds({}, {1, kActivityDay}, kActivityDay));           // from the day itself
  EXPECT_FALSE(FacilitatorStillHolds({3, kToday}, {4, std::nullopt}, kActivityDay));  // its day unknown
}

TEST(FacilitatorStillHolds, OneLossFromAfterTheActivitysDaySince_Holds) {
  // A background check recorded at onboarding, cleared for years: training answered for the activity's day.
  EXPECT_TRUE(FacilitatorStillHolds({}, {1, kActivityDay + 1}, kActivityDay));
}

// Only the latest loss's day is kept: the one before it may have reached the activity's day.
TEST(FacilitatorStillHolds, TwoLossesSince_Refused) {
  EXPECT_FALSE(FacilitatorStillHolds({}, {2, kActivityDay + 1000}, kActivityDay));
}

TEST(LossReaches, ActivitiesFromItsDayOn_BarOneOfTodayAlreadyAttended) {
  EXPECT_TRUE(LossReaches(kToday, kToday, kActivityDay, 0));
  EXPECT_TRUE(LossReaches(kToday, kToday, kToday, 0));
  EXPECT_FALSE(LossReaches(kToday, kToday, kToday, 12));  // under way or held with them: their record
  EXPECT_FALSE(LossReaches(kActivityDay + 1, kToday, kActivityDay, 0));  // before the loss's day
  EXPECT_TRUE(LossReaches(kActivityDay, kToday, kActivityDay, 0));
  // Attendance recorded ahead of a later day does not keep anyone on it.
  EXPECT_TRUE(LossReaches(kToday, kToday, kActivityDay, 5));
}

TEST(FacilitatorsMayChange, UntilTheActivitysDayIsOver) {
  EXPECT_TRUE(FacilitatorsMayChange(kActivityDay, kToday).ok());
  EXPECT_TRUE(FacilitatorsMayChange(kToday, kToday).ok());
  const absl::Status held = FacilitatorsMayChange(kToday - 1, kToday);
  EXPECT_EQ(held.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(held.message().find("activity_id"), std::string::npos) << held.message();
}

TEST(AttendanceMayBeRecorded, OnlyWhileAFacilitatorLeadsIt) {
  v1::GroupActivity activity;
  const absl::Status unled = AttendanceMayBeRecorded(activity);
  EXPECT_EQ(unled.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(unled.message().find("ChangeGroupActivityFacilitators"), std::string::npos) << unled.message();
  activity.add_facilitator_participant_ids("p-1");
  EXPECT_TRUE(AttendanceMayBeRecorded(activity).ok());
}

}  // namespace
}  // namespace shouhu::visits
