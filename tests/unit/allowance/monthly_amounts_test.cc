// An enrolment's amount by month (ChangeMonthlyAmount), and the first month a change may start from.
#include "services/allowance/monthly_amounts.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace shouhu::allowance {
namespace {

using ::shouhu::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kApproved = 120'000;

TEST(MonthlyAmountInTest, NoChange_TheApprovedAmount) {
  EXPECT_EQ(MonthlyAmountIn(kApproved, {}, absl::CivilMonth(2027, 3)), kApproved);
}

TEST(MonthlyAmountInTest, AChange_FromItsMonthOn_NotBefore) {
  const std::vector<MonthlyAmountStep> changes = {{1, absl::CivilMonth(2027, 1), 130'000}};
  EXPECT_EQ(MonthlyAmountIn(kApproved, changes, absl::CivilMonth(2026, 12)), kApproved);
  EXPECT_EQ(MonthlyAmountIn(kApproved, changes, absl::CivilMonth(2027, 1)), 130'000);
  EXPECT_EQ(MonthlyAmountIn(kApproved, changes, absl::CivilMonth(2028, 6)), 130'000);
}

TEST(MonthlyAmountInTest, LaterChangeStartingLater_TakesOverFromItsMonth) {
  const std::vector<MonthlyAmountStep> changes = {{2, absl::CivilMonth(2027, 4), 140'000},
                                                  {1, absl::CivilMonth(2027, 1), 130'000}};
  EXPECT_EQ(MonthlyAmountIn(kApproved, changes, absl::CivilMonth(2027, 3)), 130'000);
  EXPECT_EQ(MonthlyAmountIn(kApproved, changes, absl::CivilMonth(2027, 4)), 140'000);
}

TEST(MonthlyAmountInTest, LaterChangeStartingEarlier_DecidesEveryMonthItCovers) {
  // The second change (from February) was made after the first (from April): it decides April too.
  const std::vector<MonthlyAmountStep> changes = {{1, absl::CivilMonth(2027, 4), 140'000},
                                                  {2, absl::CivilMonth(2027, 2), 125'000}};
  EXPECT_EQ(MonthlyAmountIn(kApproved, changes, absl::CivilMonth(2027, 1)), kApproved);
  EXPECT_EQ(MonthlyAmountIn(kApproved, changes, absl::CivilMonth(2027, 2)), 125'000);
  EXPECT_EQ(MonthlyAmountIn(kApproved, changes, absl::CivilMonth(2027, 5)), 125'000);
}

TEST(AmountChangeStartTest, NoLineYet_FromTheMonthAfterTheFirst) {
  // Approved in November: December is the first month (paid through the application).
  const absl::CivilDay approved(2026, 11, 20);
  EXPECT_EQ(FirstChangeableMonth(approved, std::nullopt), absl::CivilMonth(2027, 1));
  EXPECT_OK(CheckAmountChangeStart(approved, std::nullopt, absl::CivilMonth(2027, 1), 50'000, std::nullopt));
  const absl::Status first =
      CheckAmountChangeStart(approved, std::nullopt, absl::CivilMonth(2026, 12), 150'000, std::nullopt);
  EXPECT_THAT(first, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(first.message()), AllOf(HasSubstr("from_month"), HasSubstr("first month, 2026-12"),
                                                  HasSubstr("start from 2027-01")));
}

TEST(AmountChangeStartTest, LinesWritten_ARaiseReachesBackOverThem_ACutStartsAfterTheLast) {
  const absl::CivilDay approved(2026, 11, 20);
  const absl::CivilMonth last(2027, 2);
  EXPECT_EQ(FirstChangeableMonth(approved, last), absl::CivilMonth(2027, 3));
  EXPECT_OK(CheckAmountChangeStart(approved, last, absl::CivilMonth(2027, 3), 50'000, std::nullopt));
  // January and February written at 100,000: a raise (or the same amount) may cover them, a cut may not.
  const WrittenLine highest{absl::CivilMonth(2027, 1), 100'000};
  EXPECT_OK(CheckAmountChangeStart(approved, last, absl::CivilMonth(2027, 1), 120'000, highest));
  EXPECT_OK(CheckAmountChangeStart(approved, last, absl::CivilMonth(2027, 1), 100'000, highest));
  const absl::Status cut = CheckAmountChangeStart(approved, last, absl::CivilMonth(2027, 1), 90'000, highest);
  EXPECT_THAT(cut, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(cut.message()), AllOf(HasSubstr("from_month"), HasSubstr("line of 2027-01"),
                                                HasSubstr("100000 fen"), HasSubstr("start from 2027-03")));
  // Not even a raise covers the first month.
  EXPECT_THAT(CheckAmountChangeStart(approved, last, absl::CivilMonth(2026, 12), 120'000, highest),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// Withdrawn, or cancelled with its case, after January and February were paid at 100,000.
TEST(ClosedEnrolmentChangeTest, OnlyARaiseReachingBackOverItsLines) {
  const absl::CivilMonth last(2027, 2);
  const WrittenLine highest{absl::CivilMonth(2027, 1), 100'000};
  EXPECT_OK(CheckClosedEnrolmentChange(last, absl::CivilMonth(2027, 1), 120'000, 100'000, highest));
  EXPECT_OK(CheckClosedEnrolmentChange(last, absl::CivilMonth(2027, 2), 120'000, 100'000,
                                       WrittenLine{absl::CivilMonth(2027, 2), 100'000}));
  // Reaching back before its first line changes nothing paid by the application: allowed, nothing owed.
  EXPECT_OK(CheckClosedEnrolmentChange(last, absl::CivilMonth(2026, 12), 120'000, 100'000, highest));

  const absl::Status after =
      CheckClosedEnrolmentChange(last, absl::CivilMonth(2027, 3), 120'000, 100'000, std::nullopt);
  EXPECT_THAT(after, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(after.message()), AllOf(HasSubstr("from_month"), HasSubstr("up to 2027-02")));
  const absl::Status same =
      CheckClosedEnrolmentChange(last, absl::CivilMonth(2027, 1), 100'000, 100'000, highest);
  EXPECT_THAT(same, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(same.message()), AllOf(HasSubstr("amount_fen"), HasSubstr("only be raised")));
  // Above what it is in force at in January, but below a line written at a later raise.
  const absl::Status below = CheckClosedEnrolmentChange(last, absl::CivilMonth(2027, 1), 110'000, 100'000,
                                                        WrittenLine{absl::CivilMonth(2027, 2), 115'000});
  EXPECT_THAT(below, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(below.message()), AllOf(HasSubstr("line of 2027-02"), HasSubstr("115000 fen")));
  const absl::Status none =
      CheckClosedEnrolmentChange(std::nullopt, absl::CivilMonth(2027, 1), 120'000, 100'000, std::nullopt);
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(none.message()), HasSubstr("enrolment_id"));
}

TEST(CheckChangeKind, TheKindTakenUpDecides_NoneTakenUpIsToldApart) {
  EXPECT_OK(CheckChangeKind(LivingAllowanceKind::kOrphan, LivingAllowanceKind::kOrphan));
  const absl::Status other =
      CheckChangeKind(LivingAllowanceKind::kDeFactoUnsupported, LivingAllowanceKind::kOrphan);
  EXPECT_THAT(other, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(other.message()),
              AllOf(HasSubstr("kind"), HasSubstr("de_facto_unsupported allowance, not the orphan")));
  EXPECT_FALSE(EnrolmentNotTakenUp(other));
  const absl::Status unknown = CheckChangeKind(std::nullopt, LivingAllowanceKind::kOrphan);
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("kind: the enrolment is not taken up yet"));
  EXPECT_TRUE(EnrolmentNotTakenUp(unknown));
  // The same words without the mark are not the refusal the service takes an enrolment up for.
  EXPECT_FALSE(EnrolmentNotTakenUp(absl::FailedPreconditionError(unknown.message())));
  EXPECT_FALSE(EnrolmentNotTakenUp(absl::OkStatus()));
}

}  // namespace
}  // namespace shouhu::allowance
