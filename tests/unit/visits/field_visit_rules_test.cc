// The pure rules of a visit in the field: slot ends, report validation naming the field, the hash that
// recognises a re-sent report, which danger signs and urgent needs an edit newly raises, and who may act on
// an assignment.
#include "services/visits/field_visit_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_server.h"

namespace shouhu::visits {
namespace {

using ::shouhu::testing::StatusIs;

v1::VisitReport ValidReport() {
  v1::VisitReport r;
  r.set_report_id("0f8fad5b-d9cb-469f-a165-70867728950e");
  r.set_assignment_id("01JD0000000000000000000000");
  r.set_outcome(v1::VISIT_OUTCOME_COMPLETED);
  v1::Observation* o = r.add_observations();
  o->set_aspect(v1::OBSERVATION_ASPECT_FOOD);
  o->set_rating(v1::OBSERVATION_RATING_POOR);
  o->set_note("冰箱是空的");
  v1::FollowUpTask* t = r.add_follow_ups();
  t->set_description("联系村委会送米面");
  t->set_owner("director-1");
  t->set_due_date("2026-12-31");
  return r;
}

std::string FieldOfInvalid(const v1::VisitReport& r) {
  absl::Status status = ValidateReport(r, "reports[2].");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  return FieldOf(status);
}

TEST(FieldVisitRulesTest, ExpectedVisitEnd_TheSlotsEndUnlessBegunLateOrSyncedLate) {
  const VisitTimes times;
  const absl::CivilDay saturday(2026, 12, 19);
  const absl::Time slot_end = SlotEnd(times, saturday, 0);  // 10:30 Shanghai
  const absl::Time nine = slot_end - times.slot_length;     // on time
  EXPECT_EQ(ExpectedVisitEnd(times, saturday, 0, nine, nine), slot_end);
  const absl::Time nine_fifteen = nine + absl::Minutes(15);  // a little late: a visit's length from then
  EXPECT_EQ(ExpectedVisitEnd(times, saturday, 0, nine_fifteen, nine_fifteen),
            nine_fifteen + times.slot_length);
  const absl::Time one_forty = slot_end + absl::Minutes(190);  // began at 13:40
  EXPECT_EQ(ExpectedVisitEnd(times, saturday, 0, one_forty, one_forty), one_forty + times.slot_length);
  const absl::Time monday = slot_end + absl::Hours(48);  // the phone synced on Monday
  EXPECT_EQ(ExpectedVisitEnd(times, saturday, 0, nine, monday), monday);
}

TEST(FieldVisitRulesTest, SlotEnd_FirstSlotOfASaturday_EndsAtHalfPastTenShanghai) {
  const VisitTimes times;  // 09:00 start, 90-minute slots
  const absl::Time end = SlotEnd(times, absl::CivilDay(2026, 12, 19), 0);
  EXPECT_EQ(absl::FormatTime("%Y-%m-%d %H:%M", end, absl::UTCTimeZone()), "2026-12-19 02:30");
  EXPECT_EQ(SlotEnd(times, absl::CivilDay(2026, 12, 19), 2) - end, absl::Minutes(180));
}

TEST(FieldVisitRulesTest, ValidateReport_Complete_Passes) {
  EXPECT_OK(ValidateReport(ValidReport(), "report."));
}

TEST(FieldVisitRulesTest, ValidateReport_EachBadField_NamedWithItsIndexAndNoteNotEchoed) {
  struct Case {
    std::function<void(v1::VisitReport&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](v1::VisitReport& r) { r.set_report_id("0F8FAD5B-D9CB-469F-A165-70867728950E"); },
       "reports[2].report_id"},
      {[](v1::VisitReport& r) { r.set_report_id("report-1"); }, "reports[2].report_id"},
      {[](v1::VisitReport& r) { r.clear_assignment_id(); }, "reports[2].assignment_id"},
      {[](v1::VisitReport& r) { r.clear_outcome(); }, "reports[2].outcome"},
      {[](v1::VisitReport& r) { r.set_version(3); }, "reports[2].version"},
      {[](v1::VisitReport& r) { r.mutable_observations(0)->clear_rating(); },
       "reports[2].observations[0].rating"},
      {[](v1::VisitReport& r) { *r.add_observations() = r.observations(0); },
       "reports[2].observations[1].aspect"},
      {[](v1::VisitReport& r) { r.mutable_observations(0)->set_note(std::string(501, 'x')); },
       "reports[2].observations[0].note"},
      {[](v1::VisitReport& r) { r.add_danger_signs(v1::DANGER_SIGN_UNSPECIFIED); },
       "reports[2].danger_signs[0]"},
      {[](v1::VisitReport& r) { r.add_needs()->set_estimated_amount_fen(100); }, "reports[2].needs[0].kind"},
      {[](v1::VisitReport& r) {
         v1::NeedFound* n = r.add_needs();
         n->set_kind(v1::URGENT_NEED_KIND_FOOD);
         n->set_estimated_amount_fen(-1);
       },
       "reports[2].needs[0].estimated_amount_fen"},
      {[](v1::VisitReport& r) { r.mutable_follow_ups(0)->set_due_date("31/12/2026"); },
       "reports[2].follow_ups[0].due_date"},
      {[](v1::VisitReport& r) { r.mutable_follow_ups(0)->set_owner(""); }, "reports[2].follow_ups[0].owner"},
      {[](v1::VisitReport& r) { r.mutable_follow_ups(0)->set_description("   "); },
       "reports[2].follow_ups[0].description"},
  };
  for (const Case& c : cases) {
    v1::VisitReport r = ValidReport();
    c.spoil(r);
    EXPECT_EQ(FieldOfInvalid(r), c.field);
    EXPECT_THAT(std::string(ValidateReport(r, "reports[2].").message()),
                ::testing::Not(::testing::HasSubstr("冰箱")));
  }
}

TEST(FieldVisitRulesTest, ReportContentHash_IgnoresServiceFieldsButNotContent) {
  v1::VisitReport a = ValidReport();
  v1::VisitReport b = a;
  b.set_version(4);
  b.set_case_id("case-1");
  b.set_child_id("child-1");
  EXPECT_EQ(ReportContentHash(a), ReportContentHash(b));
  b.mutable_observations(0)->set_rating(v1::OBSERVATION_RATING_GOOD);
  EXPECT_NE(ReportContentHash(a), ReportContentHash(b));
}

TEST(FieldVisitRulesTest, NewDangerSigns_EditAddingOne_RaisesOnlyTheNewOne) {
  v1::VisitReport before = ValidReport();
  before.add_danger_signs(v1::DANGER_SIGN_ACUTE_ILLNESS);
  v1::VisitReport after = before;
  after.add_danger_signs(v1::DANGER_SIGN_ABUSE);
  EXPECT_THAT(NewDangerSigns(nullptr, after),
              ::testing::ElementsAre(v1::DANGER_SIGN_ACUTE_ILLNESS, v1::DANGER_SIGN_ABUSE));
  EXPECT_THAT(NewDangerSigns(&before, after), ::testing::ElementsAre(v1::DANGER_SIGN_ABUSE));
  EXPECT_TRUE(NewDangerSigns(&after, before).empty());
}

TEST(FieldVisitRulesTest, NewUrgentNeeds_OnlyUrgentKindsNotUrgentBefore) {
  v1::VisitReport before = ValidReport();
  v1::NeedFound* food = before.add_needs();
  food->set_kind(v1::URGENT_NEED_KIND_FOOD);
  food->set_urgent(true);
  v1::NeedFound* school = before.add_needs();
  school->set_kind(v1::URGENT_NEED_KIND_SCHOOLING);  // not urgent
  v1::VisitReport after = before;
  after.mutable_needs(1)->set_urgent(true);
  EXPECT_EQ(NewUrgentNeeds(nullptr, before).size(), 1u);
  const std::vector<v1::NeedFound> raised = NewUrgentNeeds(&before, after);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].kind(), v1::URGENT_NEED_KIND_SCHOOLING);
}

TEST(FieldVisitRulesTest, RequireMayActOn_VolunteerOnlyOwnAssignment_StaffTheirOrganisation) {
  const AssignmentParties parties{"532329101001", "ngo-wuding", "participant-7"};
  const Principal own =
      shouhu::testing::MakePrincipal("participant-7", "ngo-wuding", common::v1::ROLE_VOLUNTEER, {"532329"});
  const Principal other_volunteer =
      shouhu::testing::MakePrincipal("participant-8", "ngo-wuding", common::v1::ROLE_VOLUNTEER, {"532329"});
  const Principal caseworker =
      shouhu::testing::MakePrincipal("cw-1", "ngo-wuding", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal other_ngo =
      shouhu::testing::MakePrincipal("cw-2", "ngo-other", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal other_county =
      shouhu::testing::MakePrincipal("cw-3", "ngo-wuding", common::v1::ROLE_NGO_CASEWORKER, {"640105"});
  EXPECT_OK(RequireMayActOn(own, parties, "assignment"));
  EXPECT_OK(RequireMayActOn(caseworker, parties, "assignment"));
  EXPECT_THAT(RequireMayActOn(other_volunteer, parties, "assignment"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(RequireMayActOn(other_ngo, parties, "assignment"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(RequireMayActOn(other_county, parties, "assignment"), StatusIs(absl::StatusCode::kNotFound));

  // A concern holds the visitor: their own records are gone for them, staff still act on them.
  AssignmentParties held = parties;
  held.visitor_held = true;
  EXPECT_THAT(RequireMayActOn(own, held, "visit report"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(RequireMayActOn(caseworker, held, "visit report"));
}

TEST(FieldVisitRulesTest, FieldInstant_FutureOrBeforeTheVisitDay_NamesAt) {
  const absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 12, 19, 12, 0, 0), ShanghaiTimeZone());
  const absl::CivilDay day(2026, 12, 19);
  ASSERT_OK_AND_ASSIGN(absl::Time defaulted, FieldInstant(nullptr, now, day));
  EXPECT_EQ(defaulted, now);
  const google::protobuf::Timestamp future = ToProtoTimestamp(now + absl::Hours(1));
  EXPECT_EQ(FieldOf(FieldInstant(&future, now, day).status()), "at");
  const google::protobuf::Timestamp early = ToProtoTimestamp(now - absl::Hours(13));
  EXPECT_EQ(FieldOf(FieldInstant(&early, now, day).status()), "at");
}

TEST(FieldVisitRulesTest, RequireVisitDayCome_FromTheDaysFirstMinuteShanghai_BeforeItNamesTheField) {
  const absl::CivilDay day(2026, 12, 19);
  const absl::Time midnight = absl::FromCivil(absl::CivilSecond(day), ShanghaiTimeZone());
  EXPECT_OK(RequireVisitDayCome(day, midnight, "assignment_id"));
  EXPECT_OK(RequireVisitDayCome(day, midnight + absl::Hours(50), "assignment_id"));  // reported on Monday
  const absl::Status early =
      RequireVisitDayCome(day, midnight - absl::Seconds(1), "reports[2].assignment_id");
  EXPECT_THAT(early, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(FieldOf(early), "reports[2].assignment_id");
}

TEST(FieldVisitRulesTest, ValidateCheckOut_AttemptWithPeopleSeen_NamesContactResult) {
  v1::CheckOutRequest r;
  r.set_request_id("out-1");
  r.set_assignment_id("01JD0000000000000000000000");
  r.mutable_contact()->set_result(v1::CONTACT_RESULT_NOBODY_HOME);
  EXPECT_OK(ValidateCheckOut(r));
  r.mutable_contact()->set_guardians_seen(1);
  EXPECT_EQ(FieldOf(ValidateCheckOut(r)), "contact.result");
  r.clear_contact();
  EXPECT_EQ(FieldOf(ValidateCheckOut(r)), "contact");
  r.mutable_contact()->set_result(v1::CONTACT_RESULT_MADE);
  r.mutable_location()->set_latitude(91);
  EXPECT_EQ(FieldOf(ValidateCheckOut(r)), "location");
}

TEST(FieldVisitRulesTest, ValidatePaymentVerification_EachBadInputNamesItsField) {
  v1::RecordPaymentVerificationRequest valid;
  valid.set_request_id("verify-1");
  valid.set_assignment_id("01JD0000000000000000000000");
  valid.set_payment_id("01JP0000000000000000000000");
  valid.set_result(v1::PAYMENT_VERIFICATION_RESULT_RECEIVED_IN_FULL);
  EXPECT_OK(ValidatePaymentVerification(valid));  // received in full needs no note
  const std::vector<std::pair<std::string, std::function<void(v1::RecordPaymentVerificationRequest&)>>>
      cases = {
          {"request_id", [](auto& r) { r.clear_request_id(); }},
          {"assignment_id", [](auto& r) { r.clear_assignment_id(); }},
          {"payment_id", [](auto& r) { r.set_payment_id("not an id!"); }},
          {"result", [](auto& r) { r.set_result(v1::PAYMENT_VERIFICATION_RESULT_UNSPECIFIED); }},
          {"result", [](auto& r) { r.set_result(static_cast<v1::PaymentVerificationResult>(42)); }},
          // Anything short of received in full says what the household said.
          {"note", [](auto& r) { r.set_result(v1::PAYMENT_VERIFICATION_RESULT_NOT_RECEIVED); }},
          {"note",
           [](auto& r) {
             r.set_result(v1::PAYMENT_VERIFICATION_RESULT_COULD_NOT_VERIFY);
             r.set_note("   ");
           }},
          {"note", [](auto& r) { r.set_note(std::string(2001, 'x')); }},
      };
  for (const auto& [field, spoil] : cases) {
    v1::RecordPaymentVerificationRequest r = valid;
    spoil(r);
    EXPECT_EQ(FieldOf(ValidatePaymentVerification(r)), field);
  }
  valid.set_result(v1::PAYMENT_VERIFICATION_RESULT_RECEIVED_PARTLY);
  valid.set_note("只收到一半");
  EXPECT_OK(ValidatePaymentVerification(valid));
}

TEST(FieldVisitRulesTest, StaleVersion_CarriesCurrentVersionThroughGrpc) {
  const absl::Status stale = StaleVersion("changed since", 7);
  const grpc::Status wire = ToGrpcStatus(stale);
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(CurrentVersionOfGrpcStatus(wire), 7);
  EXPECT_EQ(CurrentVersionOf(FromGrpcStatus(wire)), 7);
  EXPECT_EQ(CurrentVersionOfGrpcStatus(ToGrpcStatus(absl::AbortedError("other"))), -1);
}

}  // namespace
}  // namespace shouhu::visits
