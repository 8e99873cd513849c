// The pure safeguarding pieces: the review state machine, when training must reinstate, and which training
// events take away the home-visit qualification.
#include "services/visits/safeguarding_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/visits/qualification_follower.h"
#include "shouhu/training/v1/events.pb.h"
#include "tests/support/status_matchers.h"

namespace shouhu::visits {
namespace {

using ::shouhu::testing::StatusIs;
namespace tv1 = ::shouhu::training::v1;

v1::SafeguardingConcern Concern(v1::ConcernState state) {
  v1::SafeguardingConcern c;
  c.set_participant_id("p-1");
  c.set_state(state);
  return c;
}

TEST(SafeguardingRulesTest, Review_OpenConcern_UpholdOrCloseMovesItOnce) {
  ASSERT_OK_AND_ASSIGN(v1::ConcernState upheld,
                       Review(Concern(v1::CONCERN_STATE_OPEN), v1::CONCERN_DECISION_UPHOLD, "lead-1"));
  EXPECT_EQ(upheld, v1::CONCERN_STATE_UPHELD);
  ASSERT_OK_AND_ASSIGN(v1::ConcernState closed, Review(Concern(v1::CONCERN_STATE_OPEN),
                                                       v1::CONCERN_DECISION_CLOSE_UNFOUNDED, "lead-1"));
  EXPECT_EQ(closed, v1::CONCERN_STATE_CLOSED_UNFOUNDED);
  for (v1::ConcernState decided : {v1::CONCERN_STATE_UPHELD, v1::CONCERN_STATE_CLOSED_UNFOUNDED}) {
    EXPECT_THAT(Review(Concern(decided), v1::CONCERN_DECISION_UPHOLD, "lead-1").status(),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  EXPECT_THAT(Review(Concern(v1::CONCERN_STATE_OPEN), v1::CONCERN_DECISION_UPHOLD, "p-1").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Review(Concern(v1::CONCERN_STATE_OPEN), v1::CONCERN_DECISION_UNSPECIFIED, "lead-1").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SafeguardingRulesTest, AfterReview_AnUnfoundedCloseLiftsItsOwnHoldOnly) {
  EXPECT_EQ(AfterReview(v1::CONCERN_STATE_CLOSED_UNFOUNDED), TrainingPending::kReinstate);
  EXPECT_EQ(AfterReview(v1::CONCERN_STATE_UPHELD), TrainingPending::kNothing);
  EXPECT_TRUE(ConcernHolds(v1::CONCERN_STATE_OPEN));
  EXPECT_TRUE(ConcernHolds(v1::CONCERN_STATE_UPHELD));
  EXPECT_FALSE(ConcernHolds(v1::CONCERN_STATE_CLOSED_UNFOUNDED));
}

template <typename Message>
common::v1::Event EventOf(const Message& payload) {
  common::v1::Event event;
  event.set_sequence(7);
  event.mutable_payload()->PackFrom(payload);
  return event;
}

constexpr absl::CivilDay kToday(2026, 12, 1);

// Whose qualification the event takes, or nothing; from today unless `from` says otherwise.
std::optional<std::string> Lost(const common::v1::Event& event, absl::CivilDay from = kToday) {
  absl::StatusOr<std::optional<QualificationLoss>> lost = QualificationLostBy(event, kToday);
  EXPECT_TRUE(lost.ok()) << lost.status();
  if (!lost.ok() || !*lost) return std::nullopt;
  EXPECT_EQ((*lost)->from, from) << (*lost)->participant_id;
  return (*lost)->participant_id;
}

TEST(QualificationLostByTest, EachLossNamesThePersonAndNothingElseDoes) {
  tv1::ParticipantSuspended suspended;
  suspended.set_participant_id("p-1");
  EXPECT_EQ(Lost(EventOf(suspended)), "p-1");
  tv1::VolunteerSuspended left;
  left.set_participant_id("p-2");
  left.set_stage(tv1::VOLUNTEER_STAGE_LEFT);
  EXPECT_EQ(Lost(EventOf(left)), "p-2");

  tv1::CertificationExpired expired;
  expired.set_participant_id("p-3");
  expired.add_required_for(tv1::ACTIVITY_CASE_MANAGEMENT);
  EXPECT_EQ(Lost(EventOf(expired)), std::nullopt);  // neither home visits nor group activities need it
  expired.add_required_for(tv1::ACTIVITY_GROUP_ACTIVITY);
  EXPECT_EQ(Lost(EventOf(expired)), "p-3");
  expired.add_required_for(tv1::ACTIVITY_HOME_VISIT);
  EXPECT_EQ(Lost(EventOf(expired)), "p-3");
  expired.set_superseded_by("cert-2");  // the course retaken: a later certificate is in force
  EXPECT_EQ(Lost(EventOf(expired)), std::nullopt);
  expired.clear_superseded_by();
  tv1::CertificationRevoked revoked;
  revoked.set_participant_id("p-4");
  EXPECT_EQ(Lost(EventOf(revoked)), std::nullopt);
  revoked.add_required_for(tv1::ACTIVITY_HOME_VISIT);
  EXPECT_EQ(Lost(EventOf(revoked)), "p-4");

  tv1::BackgroundCheckChanged check;
  check.set_participant_id("p-5");
  check.mutable_background_check()->set_status(tv1::BACKGROUND_CHECK_STATUS_CLEARED);
  check.mutable_background_check()->set_expires_on("2027-01-01");
  // Cleared until a later day: no visit from that day on may stand (nothing else says when it lapses).
  EXPECT_EQ(Lost(EventOf(check), absl::CivilDay(2027, 1, 1)), "p-5");
  check.mutable_background_check()->clear_expires_on();
  EXPECT_EQ(Lost(EventOf(check)), std::nullopt);                   // cleared with no end
  check.mutable_background_check()->set_expires_on("2026-12-01");  // no longer valid from today
  EXPECT_EQ(Lost(EventOf(check)), "p-5");
  check.mutable_background_check()->set_status(tv1::BACKGROUND_CHECK_STATUS_FAILED);
  EXPECT_EQ(Lost(EventOf(check)), "p-5");

  tv1::ParticipantReinstated reinstated;
  reinstated.set_participant_id("p-6");
  EXPECT_EQ(Lost(EventOf(reinstated)), std::nullopt);
  tv1::VolunteerActivated activated;
  activated.set_participant_id("p-7");
  EXPECT_EQ(Lost(EventOf(activated)), std::nullopt);
}

// What the loss reaches: a certificate only what its course is required for; a suspension, a volunteer gone
// or a background check everything child-facing.
TEST(QualificationLostByTest, CertificateLossReachesWhatItsCourseIsRequiredFor_OthersReachBoth) {
  const auto reach = [](const common::v1::Event& event) {
    absl::StatusOr<std::optional<QualificationLoss>> lost = QualificationLostBy(event, kToday);
    EXPECT_TRUE(lost.ok() && lost->has_value());
    if (!lost.ok() || !*lost) return std::pair<bool, bool>(false, false);
    return std::pair<bool, bool>((*lost)->home_visits, (*lost)->group_activities);
  };
  tv1::CertificationRevoked revoked;
  revoked.set_participant_id("p-1");
  revoked.add_required_for(tv1::ACTIVITY_GROUP_ACTIVITY);
  EXPECT_EQ(reach(EventOf(revoked)), std::make_pair(false, true));
  revoked.add_required_for(tv1::ACTIVITY_HOME_VISIT);
  EXPECT_EQ(reach(EventOf(revoked)), std::make_pair(true, true));
  revoked.clear_required_for();
  revoked.add_required_for(tv1::ACTIVITY_HOME_VISIT);
  EXPECT_EQ(reach(EventOf(revoked)), std::make_pair(true, false));
  tv1::CertificationExpired expired;
  expired.set_participant_id("p-2");
  expired.add_required_for(tv1::ACTIVITY_GROUP_ACTIVITY);
  EXPECT_EQ(reach(EventOf(expired)), std::make_pair(false, true));

  tv1::ParticipantSuspended suspended;
  suspended.set_participant_id("p-3");
  EXPECT_EQ(reach(EventOf(suspended)), std::make_pair(true, true));
  tv1::BackgroundCheckChanged check;
  check.set_participant_id("p-4");
  check.mutable_background_check()->set_status(tv1::BACKGROUND_CHECK_STATUS_FAILED);
  EXPECT_EQ(reach(EventOf(check)), std::make_pair(true, true));
}

}  // namespace
}  // namespace shouhu::visits
