// Group and community activities against a real training service: facilitators must be qualified for group
// activities on the day (else nothing is written), attendance counts once per child per activity (人次)
// however often or concurrently it is recorded, and the summary gives person-times and distinct children for
// a division prefix and months. Scoped like every visits record.
#include <thread>

#include "tests/integration/visits/training_backed_fixture.h"

namespace shouhu::visits::testing {
namespace {

using ::shouhu::testing::StatusIs;

class GroupActivitiesTest : public TrainingBackedTest {
 protected:
  static std::string Today() { return absl::FormatCivilTime(ShanghaiDay(absl::Now())); }

  static v1::ScheduleGroupActivityRequest Activity(const std::string& request_id,
                                                   std::vector<std::string> facilitators) {
    v1::ScheduleGroupActivityRequest request;
    request.set_request_id(request_id);
    v1::GroupActivity* a = request.mutable_activity();
    a->set_organisation_id("ngo-wuding");
    a->set_division_code("532329101");  // the township's care site
    a->set_venue_kind(v1::VENUE_KIND_CARE_SITE);
    a->set_venue_name("狮山镇留守青少年关爱站");
    a->set_topic(v1::GROUP_TOPIC_ANTI_TRAFFICKING);
    a->set_title("防拐骗安全课");
    a->set_activity_date(Today());
    for (const std::string& f : facilitators) a->add_facilitator_participant_ids(f);
    return request;
  }

  absl::StatusOr<v1::GroupActivity> Schedule(const Principal& as, const v1::ScheduleGroupActivityRequest& r) {
    absl::StatusOr<v1::ScheduleGroupActivityResponse> response =
        Visits(&v1::VisitsService::Stub::ScheduleGroupActivity, as, r);
    if (!response.ok()) return response.status();
    return response->activity();
  }

  absl::StatusOr<v1::RecordGroupAttendanceResponse> Attend(const Principal& as, const std::string& request_id,
                                                           const std::string& activity_id,
                                                           const std::vector<std::string>& children) {
    v1::RecordGroupAttendanceRequest request;
    request.set_request_id(request_id);
    request.set_activity_id(activity_id);
    for (const std::string& c : children) request.add_child_ids(c);
    return Visits(&v1::VisitsService::Stub::RecordGroupAttendance, as, request);
  }

  // A registered volunteer who never got past the application: not qualified for anything.
  std::string Applicant() {
    tv1::RegisterParticipantRequest registration;
    registration.set_request_id(NextId());
    tv1::Participant* p = registration.mutable_participant();
    p->set_kind(tv1::PARTICIPANT_KIND_VOLUNTEER);
    p->set_organisation_id("ngo-wuding");
    p->set_home_division_code(registry::testing::kWudingVillage);
    p->set_display_name("申请人");
    auto registered =
        Training(&tv1::TrainingService::Stub::RegisterParticipant, wuding_officer_, registration);
    EXPECT_TRUE(registered.ok()) << registered.status();
    return registered.ok() ? registered->participant().id() : "";
  }
};

TEST_F(GroupActivitiesTest,
       ScheduleGroupActivity_UnqualifiedOrSuspendedFacilitator_RefusedNamingItNothingWritten) {
  const std::string lead = QualifiedVisitor("a").participant_id();
  const std::string applicant = Applicant();
  absl::Status refused = Schedule(wuding_ngo_admin_, Activity("act-1", {lead, applicant})).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(refused.message().find("activity.facilitator_participant_ids[1]"), std::string::npos)
      << refused.message();
  EXPECT_EQ(visits_database_->Count("group_activities"), 0);

  // Suspended in training (whatever the stage): refused too.
  tv1::SuspendParticipantRequest suspend;
  suspend.set_request_id(NextId());
  suspend.set_participant_id(lead);
  suspend.set_reason(tv1::SUSPENSION_REASON_ADMINISTRATIVE);
  ASSERT_OK(Training(&tv1::TrainingService::Stub::SuspendParticipant, wuding_officer_, suspend).status());
  refused = Schedule(wuding_ngo_admin_, Activity("act-2", {lead})).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(refused.message().find("SUSPENDED"), std::string::npos) << refused.message();
  EXPECT_EQ(visits_database_->Count("group_activities"), 0);

  const std::string other = QualifiedVisitor("b").participant_id();
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity held, Schedule(wuding_caseworker_, Activity("act-3", {other})));
  EXPECT_EQ(held.person_times(), 0);
  EXPECT_EQ(held.facilitator_participant_ids_size(), 1);
}

TEST_F(GroupActivitiesTest,
       RecordGroupAttendance_ChildrenRecordedAgainOrAtOnce_CountedOncePerChildPerActivity) {
  const std::string lead = QualifiedVisitor("a").participant_id();
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity first, Schedule(wuding_ngo_admin_, Activity("act-1", {lead})));
  ASSERT_OK_AND_ASSIGN(v1::RecordGroupAttendanceResponse one,
                       Attend(wuding_caseworker_, "att-1", first.activity_id(), {"c1", "c2", "c3"}));
  EXPECT_EQ(one.newly_recorded(), 3);
  EXPECT_EQ(one.activity().person_times(), 3);
  // A retry answers the same and writes nothing.
  ASSERT_OK_AND_ASSIGN(v1::RecordGroupAttendanceResponse retried,
                       Attend(wuding_caseworker_, "att-1", first.activity_id(), {"c1", "c2", "c3"}));
  EXPECT_EQ(retried.SerializeAsString(), one.SerializeAsString());
  // Another sheet naming two of them again and one new child: one person-time more.
  ASSERT_OK_AND_ASSIGN(v1::RecordGroupAttendanceResponse two,
                       Attend(wuding_caseworker_, "att-2", first.activity_id(), {"c2", "c3", "c4", "c4"}));
  EXPECT_EQ(two.newly_recorded(), 1);
  EXPECT_EQ(two.activity().person_times(), 4);

  // Two volunteers upload the same sheet of ten at once: ten person-times, not twenty.
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity second, Schedule(wuding_ngo_admin_, Activity("act-2", {lead})));
  std::vector<std::string> sheet;
  for (int i = 1; i <= 10; ++i) sheet.push_back(absl::StrCat("c", i));
  absl::Status a_status, b_status;
  std::thread a(
      [&] { a_status = Attend(wuding_caseworker_, "att-a", second.activity_id(), sheet).status(); });
  std::thread b(
      [&] { b_status = Attend(wuding_caseworker_, "att-b", second.activity_id(), sheet).status(); });
  a.join();
  b.join();
  ASSERT_OK(a_status);
  ASSERT_OK(b_status);
  v1::ListGroupActivitiesRequest list;
  ASSERT_OK_AND_ASSIGN(v1::ListGroupActivitiesResponse listed,
                       Visits(&v1::VisitsService::Stub::ListGroupActivities, wuding_officer_, list));
  ASSERT_EQ(listed.activities_size(), 2);
  EXPECT_EQ(listed.activities(1).activity_id(), second.activity_id());
  EXPECT_EQ(listed.activities(1).person_times(), 10);
  EXPECT_EQ(visits_database_->Count("group_attendance"), 14);

  // The county's month: 2 activities, 14 person-times, 10 distinct children.
  v1::SummarizeGroupActivitiesRequest summary;
  summary.set_division_prefix("532329");
  summary.set_from_month(Today().substr(0, 7));
  summary.set_to_month(Today().substr(0, 7));
  ASSERT_OK_AND_ASSIGN(v1::SummarizeGroupActivitiesResponse month,
                       Visits(&v1::VisitsService::Stub::SummarizeGroupActivities, wuding_officer_, summary));
  EXPECT_EQ(month.activities(), 2);
  EXPECT_EQ(month.person_times(), 14);
  EXPECT_EQ(month.distinct_children(), 10);
  // Another county sees none of it.
  summary.set_division_prefix("");
  ASSERT_OK_AND_ASSIGN(v1::SummarizeGroupActivitiesResponse elsewhere,
                       Visits(&v1::VisitsService::Stub::SummarizeGroupActivities, xixia_officer_, summary));
  EXPECT_EQ(elsewhere.person_times(), 0);
}

TEST_F(GroupActivitiesTest, GroupActivities_OutOfScopeNotFound_BadInputNamesTheFieldWritesNothing) {
  const std::string lead = QualifiedVisitor("a").participant_id();
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity held, Schedule(wuding_ngo_admin_, Activity("act-1", {lead})));
  EXPECT_THAT(Attend(other_ngo_caseworker_, "att-x", held.activity_id(), {"c1"}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Attend(xixia_officer_, "att-y", held.activity_id(), {"c1"}),
              StatusIs(absl::StatusCode::kNotFound));
  v1::ScheduleGroupActivityRequest elsewhere = Activity("act-x", {lead});
  elsewhere.mutable_activity()->set_division_code("640105001");
  EXPECT_THAT(Schedule(wuding_caseworker_, elsewhere), StatusIs(absl::StatusCode::kNotFound));

  struct Case {
    std::string field;
    std::function<void(v1::GroupActivity&)> spoil;
  };
  const std::vector<Case> cases = {
      {"activity.organisation_id", [](auto& a) { a.set_organisation_id(""); }},
      {"activity.division_code", [](auto& a) { a.set_division_code("532329"); }},
      {"activity.venue_kind", [](auto& a) { a.set_venue_kind(v1::VENUE_KIND_UNSPECIFIED); }},
      {"activity.venue_name", [](auto& a) { a.set_venue_name(""); }},
      {"activity.topic", [](auto& a) { a.set_topic(static_cast<v1::GroupTopic>(42)); }},
      {"activity.title", [](auto& a) { a.set_title(std::string(201, 'x')); }},
      {"activity.activity_date", [](auto& a) { a.set_activity_date("2026-13-01"); }},
      {"activity.facilitator_participant_ids", [](auto& a) { a.clear_facilitator_participant_ids(); }},
      {"activity.facilitator_participant_ids[1]",
       [](auto& a) { a.add_facilitator_participant_ids(a.facilitator_participant_ids(0)); }},
  };
  int n = 0;
  for (const Case& c : cases) {
    v1::ScheduleGroupActivityRequest request = Activity(absl::StrCat("bad-", ++n), {lead});
    c.spoil(*request.mutable_activity());
    absl::Status status = Schedule(wuding_ngo_admin_, request).status();
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_NE(status.message().find(c.field), std::string::npos) << status.message();
  }
  EXPECT_EQ(visits_database_->Count("group_activities"), 1);
  EXPECT_THAT(Attend(wuding_caseworker_, "att-bad", held.activity_id(), {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Attend(wuding_caseworker_, "att-bad2", held.activity_id(), {"c1", "has space"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(visits_database_->Count("group_attendance"), 0);
}

}  // namespace
}  // namespace shouhu::visits::testing
