// The monthly basic living allowance's civil-affairs rules: the start after approval, the age-out at 18 with
// the school exception, the stop on case close or category change, and one allowance a month.
#include "services/allowance/living_allowance_rules.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace shouhu::allowance {
namespace {

using ::shouhu::testing::StatusIs;

MonthlyEnrolment Enrolment(std::string id, LivingAllowanceKind kind, absl::CivilDay approved_on,
                           int64_t amount_fen = 120'000, std::string program = "P1") {
  MonthlyEnrolment e;
  e.enrolment_id = std::move(id);
  e.program_id = std::move(program);
  e.kind = kind;
  e.monthly_amount_fen = amount_fen;
  e.approved_on = approved_on;
  return e;
}

LivingAllowanceChild DeFactoUnsupported(absl::CivilDay birth) {
  LivingAllowanceChild child;
  child.birth_date = birth;
  child.de_facto_unsupported = true;
  return child;
}

MonthlyDecision DecideOne(const LivingAllowanceChild& child, const MonthlyEnrolment& e,
                          absl::CivilMonth month) {
  std::vector<MonthlyDecision> decisions = DecideMonth(child, {e}, month);
  EXPECT_EQ(decisions.size(), 1u);
  return decisions.front();
}

const absl::CivilDay kBirth(2010, 6, 15);
const MonthlyEnrolment kDeFacto =
    Enrolment("E1", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 3, 31));

TEST(LivingAllowanceRules, StartsTheMonthAfterApproval) {
  const LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  EXPECT_EQ(DecideOne(child, kDeFacto, absl::CivilMonth(2026, 2)).outcome, MonthlyOutcome::kNotStarted);
  EXPECT_EQ(DecideOne(child, kDeFacto, absl::CivilMonth(2026, 3)).outcome, MonthlyOutcome::kNotStarted);
  // April, the first month, is paid through the application whose approval reserved it.
  const MonthlyDecision april = DecideOne(child, kDeFacto, absl::CivilMonth(2026, 4));
  EXPECT_EQ(april.outcome, MonthlyOutcome::kPaidByApplication);
  EXPECT_EQ(april.amount_fen, 0);
  const MonthlyDecision may = DecideOne(child, kDeFacto, absl::CivilMonth(2026, 5));
  EXPECT_EQ(may.outcome, MonthlyOutcome::kPayable);
  EXPECT_EQ(may.amount_fen, 120'000);
  EXPECT_EQ(may.enrolment_id, "E1");
}

TEST(LivingAllowanceRules, FirstMonth_TheMonthAfterApproval_AcrossTheYear) {
  EXPECT_EQ(FirstMonth(absl::CivilDay(2026, 3, 31)), absl::CivilMonth(2026, 4));
  EXPECT_EQ(FirstMonth(absl::CivilDay(2026, 12, 1)), absl::CivilMonth(2027, 1));
}

TEST(LivingAllowanceRules, FirstMonthPaidByApplication_StillReplacesTheOtherAllowance) {
  LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  child.orphan = true;
  const std::vector<MonthlyEnrolment> enrolments = {
      Enrolment("E1", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 1, 5)),
      Enrolment("E2", LivingAllowanceKind::kOrphan, absl::CivilDay(2026, 3, 5))};
  const std::vector<MonthlyDecision> d = DecideMonth(child, enrolments, absl::CivilMonth(2026, 4));
  EXPECT_EQ(d[0].outcome, MonthlyOutcome::kReplaced);
  EXPECT_EQ(d[0].amount_fen, 0);
  EXPECT_EQ(d[1].outcome, MonthlyOutcome::kPaidByApplication);
  EXPECT_EQ(d[1].amount_fen, 0);
}

TEST(LivingAllowanceRules, FirstMonthByApplication_ReplacedEnrolmentRefused_KeeperAllowed) {
  const LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  // O approved in January keeps April; N, approved in March, would pay April through its application.
  const std::vector<MonthlyEnrolment> enrolments = {
      Enrolment("O", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 1, 5), 120'000, "A"),
      Enrolment("N", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 3, 5), 120'000, "B")};
  EXPECT_THAT(CheckFirstMonthByApplication(child, enrolments, "N"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(CheckFirstMonthByApplication(child, enrolments, "O"));
  // Alone, N keeps its first month.
  EXPECT_OK(CheckFirstMonthByApplication(child, {enrolments[1]}, "N"));
}

TEST(LivingAllowanceRules, FirstMonthByApplication_AgedOutStoppedOrNotInCategory_Refused) {
  const std::vector<MonthlyEnrolment> april_first = {kDeFacto};  // approved 2026-03-31
  // 18 in March: April is past the birthday's month, and no school proof covers it.
  const LivingAllowanceChild aged = DeFactoUnsupported(absl::CivilDay(2008, 3, 20));
  EXPECT_THAT(CheckFirstMonthByApplication(aged, april_first, "E1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  LivingAllowanceChild at_school = aged;
  at_school.schooling.push_back({SchoolKind::kVocational, "ENROL-1", absl::CivilMonth(2026, 4)});
  EXPECT_OK(CheckFirstMonthByApplication(at_school, april_first, "E1"));
  // Placed in an institution on the day of the approval: stopped from April.
  const LivingAllowanceChild placed = DeFactoUnsupported(kBirth);
  std::vector<MonthlyEnrolment> stopped = april_first;
  stopped[0].stopped_on = absl::CivilDay(2026, 3, 31);
  EXPECT_THAT(CheckFirstMonthByApplication(placed, stopped, "E1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // A stop before the approval (a reopened case approved again) is not the enrolment's.
  stopped[0].stopped_on = absl::CivilDay(2026, 3, 30);
  EXPECT_OK(CheckFirstMonthByApplication(placed, stopped, "E1"));
  LivingAllowanceChild neither = DeFactoUnsupported(kBirth);
  neither.de_facto_unsupported = false;
  EXPECT_THAT(CheckFirstMonthByApplication(neither, april_first, "E1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(CheckFirstMonthByApplication(DeFactoUnsupported(kBirth), april_first, "E1"));
}

TEST(LivingAllowanceRules, FirstMonthDecision_OnlyPaidByApplicationIsPaidByTheApplication) {
  const absl::CivilMonth april(2026, 4);
  MonthlyDecision decision;
  decision.enrolment_id = "N";
  decision.outcome = MonthlyOutcome::kPaidByApplication;
  EXPECT_OK(CheckFirstMonthDecision(decision, april));
  for (MonthlyOutcome outcome :
       {MonthlyOutcome::kPayable, MonthlyOutcome::kNotStarted, MonthlyOutcome::kAgedOut,
        MonthlyOutcome::kStopped, MonthlyOutcome::kNotInCategory, MonthlyOutcome::kReplaced,
        MonthlyOutcome::kOverYearCap}) {
    decision.outcome = outcome;
    EXPECT_THAT(CheckFirstMonthDecision(decision, april), StatusIs(absl::StatusCode::kFailedPrecondition))
        << MonthlyOutcomeName(outcome);
  }
  decision.outcome = MonthlyOutcome::kReplaced;
  decision.replaced_by = "O";
  const absl::Status replaced = CheckFirstMonthDecision(decision, april);
  EXPECT_NE(replaced.message().find("enrolment O"), absl::string_view::npos) << replaced;
  decision.outcome = MonthlyOutcome::kAgedOut;
  const absl::Status aged = CheckFirstMonthDecision(decision, april);
  EXPECT_NE(aged.message().find("2026-04"), absl::string_view::npos) << aged;
  EXPECT_NE(aged.message().find("aged_out"), absl::string_view::npos) << aged;
}

TEST(LivingAllowanceRules, AgeOut_PaidThroughTheBirthdayMonthThenStops) {
  const LivingAllowanceChild child = DeFactoUnsupported(absl::CivilDay(2008, 5, 31));  // 18 on 2026-05-31
  EXPECT_EQ(DecideOne(child, kDeFacto, absl::CivilMonth(2026, 5)).outcome, MonthlyOutcome::kPayable);
  const MonthlyDecision june = DecideOne(child, kDeFacto, absl::CivilMonth(2026, 6));
  EXPECT_EQ(june.outcome, MonthlyOutcome::kAgedOut);
  EXPECT_EQ(june.amount_fen, 0);
}

TEST(LivingAllowanceRules, AgeOut_BornOnLeapDay_StopsAfterFebruaryOfThe18thYear) {
  const LivingAllowanceChild child = DeFactoUnsupported(absl::CivilDay(2008, 2, 29));
  EXPECT_EQ(EighteenthBirthdayMonth(child.birth_date), absl::CivilMonth(2026, 2));
  const MonthlyEnrolment e =
      Enrolment("E1", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2025, 1, 2));
  EXPECT_EQ(DecideOne(child, e, absl::CivilMonth(2026, 2)).outcome, MonthlyOutcome::kPayable);
  EXPECT_EQ(DecideOne(child, e, absl::CivilMonth(2026, 3)).outcome, MonthlyOutcome::kAgedOut);
}

TEST(LivingAllowanceRules, AgeOut_StillAtSchoolWithProof_PaidUntilTheProofRunsOut) {
  LivingAllowanceChild child = DeFactoUnsupported(absl::CivilDay(2008, 5, 31));
  child.schooling.push_back({SchoolKind::kVocational, "ENROL-2026-0042", absl::CivilMonth(2026, 7)});
  const MonthlyDecision june = DecideOne(child, kDeFacto, absl::CivilMonth(2026, 6));
  EXPECT_EQ(june.outcome, MonthlyOutcome::kPayable);
  EXPECT_EQ(june.amount_fen, 120'000);
  EXPECT_EQ(june.school_evidence_ref, "ENROL-2026-0042");
  EXPECT_EQ(DecideOne(child, kDeFacto, absl::CivilMonth(2026, 7)).outcome, MonthlyOutcome::kPayable);
  EXPECT_EQ(DecideOne(child, kDeFacto, absl::CivilMonth(2026, 8)).outcome, MonthlyOutcome::kAgedOut);
}

TEST(LivingAllowanceRules, AgeOut_SchoolRecordWithoutEvidence_DoesNotExtend) {
  LivingAllowanceChild child = DeFactoUnsupported(absl::CivilDay(2008, 5, 31));
  child.schooling.push_back({SchoolKind::kSecondary, "", absl::CivilMonth(2027, 6)});
  EXPECT_EQ(DecideOne(child, kDeFacto, absl::CivilMonth(2026, 6)).outcome, MonthlyOutcome::kAgedOut);
}

TEST(LivingAllowanceRules, Under18_NeedsNoSchoolProof) {
  const LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  const MonthlyDecision d = DecideOne(child, kDeFacto, absl::CivilMonth(2027, 1));
  EXPECT_EQ(d.outcome, MonthlyOutcome::kPayable);
  EXPECT_TRUE(d.school_evidence_ref.empty());
}

TEST(LivingAllowanceRules, CaseClosed_StopsFromTheStopMonthEvenWithSchoolProof) {
  LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  child.schooling.push_back({SchoolKind::kSecondary, "ENROL-1", absl::CivilMonth(2030, 1)});
  MonthlyEnrolment closed = kDeFacto;
  closed.stopped_on = absl::CivilDay(2026, 8, 31);  // closed on the last day of August
  EXPECT_EQ(DecideOne(child, closed, absl::CivilMonth(2026, 8)).outcome, MonthlyOutcome::kPayable);
  EXPECT_EQ(DecideOne(child, closed, absl::CivilMonth(2026, 9)).outcome, MonthlyOutcome::kStopped);
  EXPECT_EQ(DecideOne(child, closed, absl::CivilMonth(2027, 9)).outcome, MonthlyOutcome::kStopped);
}

TEST(LivingAllowanceRules, CaseReopenedAndApprovedAgain_TheNewEnrolmentIsPaid) {
  const LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  MonthlyEnrolment closed = kDeFacto;
  closed.stopped_on = absl::CivilDay(2026, 5, 10);
  const MonthlyEnrolment again =
      Enrolment("E2", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 7, 1));
  const std::vector<MonthlyDecision> d = DecideMonth(child, {closed, again}, absl::CivilMonth(2026, 9));
  EXPECT_EQ(d[0].outcome, MonthlyOutcome::kStopped);
  EXPECT_EQ(d[1].outcome, MonthlyOutcome::kPayable);
}

// The child moved county on 10 May (the first county's enrolment stopped), the new county enrolled it on 1
// July, and the new county's case closed on 15 October: each enrolment ends at its own stop (the store gives
// each the first stop on or after its approval: living_allowance_stops.h), the first from June, the second
// from November (paid until October; August, its first month, by its application).
TEST(LivingAllowanceRules, EachEnrolmentEndsAtItsOwnStop) {
  const LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  MonthlyEnrolment moved_from = kDeFacto;
  moved_from.stopped_on = absl::CivilDay(2026, 5, 10);
  MonthlyEnrolment moved_to =
      Enrolment("E2", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 7, 1));
  moved_to.stopped_on = absl::CivilDay(2026, 10, 15);
  EXPECT_EQ(StopMonth(moved_from), absl::CivilMonth(2026, 6));
  EXPECT_EQ(StopMonth(moved_to), absl::CivilMonth(2026, 11));
  for (absl::CivilMonth m : {absl::CivilMonth(2026, 9), absl::CivilMonth(2026, 10)}) {
    const std::vector<MonthlyDecision> d = DecideMonth(child, {moved_from, moved_to}, m);
    EXPECT_EQ(d[0].outcome, MonthlyOutcome::kStopped) << m;
    EXPECT_EQ(d[1].outcome, MonthlyOutcome::kPayable) << m;
  }
  EXPECT_EQ(DecideMonth(child, {moved_from, moved_to}, absl::CivilMonth(2026, 11))[1].outcome,
            MonthlyOutcome::kStopped);
  // A stop on the day of the approval ends it (it was approved on facts already gone); one before is not its.
  moved_to.stopped_on = absl::CivilDay(2026, 7, 1);
  EXPECT_EQ(StopMonth(moved_to), absl::CivilMonth(2026, 8));
  moved_to.stopped_on = absl::CivilDay(2026, 6, 30);
  EXPECT_EQ(StopMonth(moved_to), std::nullopt);
}

TEST(LivingAllowanceRules, LeftTheCategory_NotPaid) {
  LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  child.de_facto_unsupported = false;
  EXPECT_EQ(DecideOne(child, kDeFacto, absl::CivilMonth(2026, 5)).outcome, MonthlyOutcome::kNotInCategory);
}

TEST(LivingAllowanceRules, OrphanAndDeFactoUnsupported_OnlyTheOrphanAllowanceIsPaid) {
  LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  child.orphan = true;
  // The de facto one approved first, and listed first: the orphan allowance still wins.
  const std::vector<MonthlyEnrolment> enrolments = {
      Enrolment("E1", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 1, 5), 110'000, "P1"),
      Enrolment("E2", LivingAllowanceKind::kOrphan, absl::CivilDay(2026, 2, 5), 150'000, "P2")};
  const std::vector<MonthlyDecision> d = DecideMonth(child, enrolments, absl::CivilMonth(2026, 4));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].outcome, MonthlyOutcome::kReplaced);
  EXPECT_EQ(d[0].replaced_by, "E2");
  EXPECT_EQ(d[0].amount_fen, 0);
  EXPECT_EQ(d[1].outcome, MonthlyOutcome::kPayable);
  EXPECT_EQ(d[1].amount_fen, 150'000);
}

TEST(LivingAllowanceRules, SameKindInTwoPrograms_EarliestApprovalPaidWhicheverOrder) {
  const LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  const MonthlyEnrolment early =
      Enrolment("E9", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 1, 5), 100'000, "P1");
  const MonthlyEnrolment late =
      Enrolment("E1", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 2, 5), 130'000, "P2");
  for (const auto& order :
       {std::vector<MonthlyEnrolment>{early, late}, std::vector<MonthlyEnrolment>{late, early}}) {
    int64_t paid = 0;
    for (const MonthlyDecision& d : DecideMonth(child, order, absl::CivilMonth(2026, 4))) {
      if (d.enrolment_id == "E9") {
        EXPECT_EQ(d.outcome, MonthlyOutcome::kPayable);
      } else {
        EXPECT_EQ(d.outcome, MonthlyOutcome::kReplaced);
        EXPECT_EQ(d.replaced_by, "E9");
      }
      paid += d.amount_fen;
    }
    EXPECT_EQ(paid, 100'000);
  }
}

TEST(LivingAllowanceRules, LaterEnrolmentNotStarted_EarlierOnePaidAlone) {
  const LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  const std::vector<MonthlyEnrolment> enrolments = {
      Enrolment("E1", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 1, 5)),
      Enrolment("E2", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 4, 5))};
  const std::vector<MonthlyDecision> d = DecideMonth(child, enrolments, absl::CivilMonth(2026, 4));
  EXPECT_EQ(d[0].outcome, MonthlyOutcome::kPayable);
  EXPECT_EQ(d[1].outcome, MonthlyOutcome::kNotStarted);
}

TEST(LivingAllowanceRules, MonthPaidUnderAnotherEnrolment_PayableLineReplacedByItNothingToPay) {
  const LivingAllowanceChild child = DeFactoUnsupported(kBirth);
  // E1 keeps April by the rules (earlier, payable), E2 starts in April (its first month, replaced by E1), E3
  // has not started: E2's application paid April before the roster, so E2 holds the month.
  const std::vector<MonthlyEnrolment> enrolments = {
      Enrolment("E1", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 1, 5)),
      Enrolment("E2", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 3, 5)),
      Enrolment("E3", LivingAllowanceKind::kDeFactoUnsupported, absl::CivilDay(2026, 4, 5))};
  const std::vector<MonthlyDecision> decided = DecideMonth(child, enrolments, absl::CivilMonth(2026, 4));
  const std::vector<MonthlyDecision> d = WithMonthPaidUnder(decided, "E2");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].outcome, MonthlyOutcome::kReplaced);
  EXPECT_EQ(d[0].replaced_by, "E2");
  EXPECT_EQ(d[0].amount_fen, 0);
  EXPECT_EQ(d[1].outcome, decided[1].outcome);  // the holder's own, and what pays nothing, unchanged
  EXPECT_EQ(d[1].replaced_by, "E1");
  EXPECT_EQ(d[2].outcome, MonthlyOutcome::kNotStarted);
  // The holder's own payable decision stays payable; nothing held, nothing changes.
  EXPECT_EQ(WithMonthPaidUnder(decided, "E1")[0].outcome, MonthlyOutcome::kPayable);
  EXPECT_EQ(WithMonthPaidUnder(decided, "")[0].outcome, MonthlyOutcome::kPayable);
  EXPECT_EQ(WithMonthPaidUnder(decided, "")[0].amount_fen, 120'000);
  // Past 18 on a school proof, the proof is no longer the line's: it pays nothing.
  LivingAllowanceChild schooled = DeFactoUnsupported(absl::CivilDay(2008, 1, 10));
  schooled.schooling.push_back({SchoolKind::kVocational, "cert-1", absl::CivilMonth(2026, 12)});
  const MonthlyDecision proven =
      WithMonthPaidUnder(DecideMonth(schooled, {enrolments[0]}, absl::CivilMonth(2026, 4)), "EX")[0];
  EXPECT_EQ(proven.outcome, MonthlyOutcome::kReplaced);
  EXPECT_TRUE(proven.school_evidence_ref.empty());
}

TEST(LivingAllowanceRules, OwedFreedMonth_TheReleasedFirstMonthOwedUnderItsEnrolmentOnce) {
  const absl::CivilMonth april(2026, 4);
  auto released = [](std::string id, absl::CivilMonth first, bool own_issued, absl::Status owed) {
    ReleasedFirstMonth r;
    r.enrolment_id = std::move(id);
    r.first = first;
    r.own_payment_issued = own_issued;
    r.owed = std::move(owed);
    return r;
  };
  const absl::Status not_owed = absl::FailedPreconditionError("replaced");
  // Another month's, one its application paid, one whose line says it is not owed: none is owed April.
  EXPECT_FALSE(
      OwedFreedMonth({released("E1", april + 1, false, absl::OkStatus()),
                      released("E2", april, true, absl::OkStatus()), released("E3", april, false, not_owed)},
                     april)
          .has_value());
  EXPECT_FALSE(OwedFreedMonth({}, april).has_value());
  // The first owed, in the order given (the store's id order), and only it.
  EXPECT_EQ(
      OwedFreedMonth({released("E3", april, false, not_owed), released("E4", april, false, absl::OkStatus()),
                      released("E5", april, false, absl::OkStatus())},
                     april),
      "E4");
}

TEST(LivingAllowanceRules, KindFor_OrphanBeforeDeFacto) {
  EXPECT_EQ(LivingAllowanceKindFor(true, true), LivingAllowanceKind::kOrphan);
  EXPECT_EQ(LivingAllowanceKindFor(false, true), LivingAllowanceKind::kDeFactoUnsupported);
  EXPECT_FALSE(LivingAllowanceKindFor(false, false).has_value());
}

TEST(LivingAllowanceRules, ValidateSchoolEnrolment_NamesTheField) {
  const absl::CivilMonth now(2026, 6);
  EXPECT_OK(ValidateSchoolEnrolment({SchoolKind::kSecondary, "ENROL-1", now}, now));
  EXPECT_THAT(ValidateSchoolEnrolment({SchoolKind::kSecondary, "", now}, now),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(ValidateSchoolEnrolment({SchoolKind::kSecondary, "", now}, now).message().find("evidence_ref"),
            std::string::npos);
  EXPECT_NE(ValidateSchoolEnrolment({SchoolKind::kSecondary, std::string(129, 'x'), now}, now)
                .message()
                .find("evidence_ref"),
            std::string::npos);
  EXPECT_NE(ValidateSchoolEnrolment({SchoolKind::kSecondary, "ENROL-1", now - 1}, now)
                .message()
                .find("covers_through"),
            std::string::npos);
  EXPECT_NE(
      ValidateSchoolEnrolment({static_cast<SchoolKind>(7), "ENROL-1", now}, now).message().find("school"),
      std::string::npos);
}

TEST(LivingAllowanceRules, MonthAlreadyPaid_NamesTheMonthItsEnrolmentAndPaymentAndIsKnownAgain) {
  const absl::Status refused = MonthAlreadyPaid(absl::CivilMonth(2026, 4), "E1", "P1");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  for (const char* named : {"2026-04", "enrolment E1", "payment P1"}) {
    EXPECT_NE(refused.message().find(named), absl::string_view::npos) << named << ": " << refused;
  }
  EXPECT_EQ(MonthPaidUnder(refused), std::optional<std::string>("E1"));
  // Another refusal, even one naming the same words, is not this one.
  EXPECT_EQ(MonthPaidUnder(absl::FailedPreconditionError(std::string(refused.message()))), std::nullopt);
  EXPECT_EQ(MonthPaidUnder(absl::OkStatus()), std::nullopt);
}

}  // namespace
}  // namespace shouhu::allowance
