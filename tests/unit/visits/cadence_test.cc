// When the next visit is due: verification after acceptance by risk, follow-ups at the risk's cadence from
// the last completed visit, re-planning on a risk change, nothing after close or transfer, a fresh
// verification after reopening. Tables of cases, each row a behaviour.
#include "services/visits/cadence.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace shouhu::visits {
namespace {

using ::shouhu::testing::StatusIs;

const absl::CivilDay kAccepted(2026, 3, 3);  // a Tuesday

CaseStanding Accepted(RiskLevel risk) {
  CaseStanding standing;
  standing.child_id = "01JCHILD0000000000000000000";
  standing.case_id = "01JCASE00000000000000000000";
  auto accepted = ApplyCaseEvent(standing, CaseEvent{CaseEventKind::kAccepted, kAccepted, risk, ""});
  EXPECT_OK(accepted);
  return *accepted;
}

CaseStanding Apply(CaseStanding standing, CaseEvent event) {
  auto next = ApplyCaseEvent(std::move(standing), event);
  EXPECT_OK(next);
  return *next;
}

TEST(Cadence, Accepted_VerificationDueSoonerForHigherRisk) {
  struct Row {
    RiskLevel risk;
    absl::CivilDay due;
  };
  for (const Row& row : {Row{RiskLevel::kExtreme, kAccepted + 3}, Row{RiskLevel::kHigh, kAccepted + 7},
                         Row{RiskLevel::kMedium, kAccepted + 14}, Row{RiskLevel::kLow, kAccepted + 14}}) {
    auto due = NextVisitDue(CadencePolicy{}, Accepted(row.risk), kAccepted);
    ASSERT_TRUE(due.has_value());
    EXPECT_EQ(due->kind, VisitKind::kVerification) << RiskLevelName(row.risk);
    EXPECT_EQ(due->due_day, row.due) << RiskLevelName(row.risk);
    EXPECT_EQ(due->overdue_days, 0);
    EXPECT_EQ(due->case_id, "01JCASE00000000000000000000");
  }
}

TEST(Cadence, FollowUp_ByRiskFromTheLastCompletedVisit) {
  const absl::CivilDay visited(2026, 1, 31);
  struct Row {
    RiskLevel risk;
    absl::CivilDay due;
  };
  // Monthly after 31 January lands on the last day of February; quarterly on the last day of April.
  for (const Row& row : {Row{RiskLevel::kExtreme, absl::CivilDay(2026, 2, 7)},
                         Row{RiskLevel::kHigh, absl::CivilDay(2026, 2, 14)},
                         Row{RiskLevel::kMedium, absl::CivilDay(2026, 2, 28)},
                         Row{RiskLevel::kLow, absl::CivilDay(2026, 4, 30)}}) {
    CaseStanding standing = Accepted(row.risk);
    standing.opened_on = absl::CivilDay(2026, 1, 20);
    standing = Apply(standing, CaseEvent{CaseEventKind::kVisitCompleted, visited, row.risk, "v-1"});
    auto due = NextVisitDue(CadencePolicy{}, standing, visited);
    ASSERT_TRUE(due.has_value());
    EXPECT_EQ(due->kind, VisitKind::kFollowUp);
    EXPECT_EQ(due->due_day, row.due) << RiskLevelName(row.risk);
    EXPECT_EQ(standing.last_visitor_id, "v-1");
  }
}

TEST(Cadence, RiskRaised_ReplansFromTheLastVisitAndCountsOverdue) {
  CaseStanding standing = Accepted(RiskLevel::kLow);
  standing =
      Apply(standing, CaseEvent{CaseEventKind::kVisitCompleted, absl::CivilDay(2026, 3, 14), {}, "v-1"});
  EXPECT_EQ(NextVisitDue(CadencePolicy{}, standing, absl::CivilDay(2026, 3, 30))->due_day,
            absl::CivilDay(2026, 6, 14));
  standing = Apply(
      standing, CaseEvent{CaseEventKind::kRiskChanged, absl::CivilDay(2026, 3, 30), RiskLevel::kExtreme, ""});
  auto due = NextVisitDue(CadencePolicy{}, standing, absl::CivilDay(2026, 3, 30));
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(due->due_day, absl::CivilDay(2026, 3, 21));
  EXPECT_EQ(due->overdue_days, 9);
  EXPECT_EQ(due->risk, RiskLevel::kExtreme);
  // Lowered again: back to quarterly from the same visit, not from the day of the change.
  standing = Apply(standing,
                   CaseEvent{CaseEventKind::kRiskChanged, absl::CivilDay(2026, 4, 2), RiskLevel::kLow, ""});
  EXPECT_EQ(NextVisitDue(CadencePolicy{}, standing, absl::CivilDay(2026, 4, 2))->due_day,
            absl::CivilDay(2026, 6, 14));
}

TEST(Cadence, ClosedOrTransferred_CancelsAndReopenedPlansAVerificationAgain) {
  for (CaseEventKind ending : {CaseEventKind::kClosed, CaseEventKind::kTransferred}) {
    CaseStanding standing = Accepted(RiskLevel::kHigh);
    standing = Apply(standing, CaseEvent{CaseEventKind::kVisitCompleted, kAccepted + 4, {}, "v-1"});
    standing = Apply(standing, CaseEvent{ending, kAccepted + 10, {}, ""});
    EXPECT_FALSE(NextVisitDue(CadencePolicy{}, standing, kAccepted + 10).has_value());
    const absl::CivilDay reopened = kAccepted + 60;
    standing = Apply(standing, CaseEvent{CaseEventKind::kReopened, reopened, RiskLevel::kMedium, ""});
    auto due = NextVisitDue(CadencePolicy{}, standing, reopened);
    ASSERT_TRUE(due.has_value());
    EXPECT_EQ(due->kind, VisitKind::kVerification);
    EXPECT_EQ(due->due_day, reopened + 14);
    // A report of a visit made before the reopening arrives late: it does not count for the new period.
    standing = Apply(standing, CaseEvent{CaseEventKind::kVisitCompleted, kAccepted + 8, {}, "v-2"});
    EXPECT_EQ(NextVisitDue(CadencePolicy{}, standing, reopened)->kind, VisitKind::kVerification);
  }
}

TEST(Cadence, ImpossibleEvents_AreRefused) {
  CaseStanding open = Accepted(RiskLevel::kLow);
  EXPECT_THAT(ApplyCaseEvent(open, CaseEvent{CaseEventKind::kAccepted, kAccepted, RiskLevel::kLow, ""}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ApplyCaseEvent(open, CaseEvent{CaseEventKind::kReopened, kAccepted, RiskLevel::kLow, ""}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  CaseStanding closed = Apply(open, CaseEvent{CaseEventKind::kClosed, kAccepted + 1, {}, ""});
  for (CaseEventKind kind :
       {CaseEventKind::kClosed, CaseEventKind::kTransferred, CaseEventKind::kRiskChanged}) {
    EXPECT_THAT(ApplyCaseEvent(closed, CaseEvent{kind, kAccepted + 2, RiskLevel::kHigh, ""}),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST(Cadence, Policy_RejectsNonPositiveSpansAndRiskierChildrenVisitedLessOften) {
  EXPECT_OK(ValidateCadencePolicy(CadencePolicy{}));
  CadencePolicy zero;
  zero.follow_up[static_cast<int>(RiskLevel::kHigh)] = CadenceInterval{0, 0};
  EXPECT_EQ(FieldOf(ValidateCadencePolicy(zero)), "follow_up.high");
  CadencePolicy inverted;
  inverted.follow_up[static_cast<int>(RiskLevel::kExtreme)] = CadenceInterval{0, 21};
  EXPECT_EQ(FieldOf(ValidateCadencePolicy(inverted)), "follow_up.extreme");
  CadencePolicy slow_verification;
  slow_verification.verification_days[static_cast<int>(RiskLevel::kExtreme)] = 30;
  EXPECT_THAT(ValidateCadencePolicy(slow_verification), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(ValidateCadencePolicy(slow_verification)), "verification_days.extreme");
  // Configurable: a region that verifies extreme cases the next day.
  CadencePolicy next_day;
  next_day.verification_days[static_cast<int>(RiskLevel::kExtreme)] = 1;
  EXPECT_OK(ValidateCadencePolicy(next_day));
  EXPECT_EQ(NextVisitDue(next_day, Accepted(RiskLevel::kExtreme), kAccepted)->due_day, kAccepted + 1);
}

}  // namespace
}  // namespace shouhu::visits
