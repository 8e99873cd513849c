// Group and community activities against a real training service: facilitators must be qualified for group
// activities on the day (else nothing is written), attendance counts once per child per activity (人次)
// however often or concurrently it is recorded, and the summary gives person-times and distinct children for
// a division prefix and months. Scoped like every visits record. A facilitator who loses the qualification
// afterwards is taken off the activities it reaches (training's events, a safeguarding concern), the
// organiser names another, and a scheduling or a change that asked training before such a loss stores nobody
// it took.
#include <map>
#include <thread>

#include "absl/synchronization/notification.h"
#include "services/visits/group_facilitators.h"
#include "tests/integration/visits/training_backed_fixture.h"

namespace shouhu::visits::testing {
namespace {

using ::shouhu::testing::StatusIs;

class GroupActivitiesTest : public TrainingBackedTest {
 protected:
  static std::string Today() { return absl::FormatCivilTime(ShanghaiDay(absl::Now())); }

  static v1::ScheduleGroupActivityRequest Activity(const std::string& request_id,
                                                   std::vector<std::string> facilitators) {
    return ActivityOn(request_id, facilitators, ShanghaiDay(absl::Now()));
  }

  static v1::ScheduleGroupActivityRequest ActivityOn(const std::string& request_id,
                                                     std::vector<std::string> facilitators,
                                                     absl::CivilDay day) {
    v1::ScheduleGroupActivityRequest request;
    request.set_request_id(request_id);
    v1::GroupActivity* a = request.mutable_activity();
    a->set_organisation_id("ngo-wuding");
    a->set_division_code("532329101");  // the township's care site
    a->set_venue_kind(v1::VENUE_KIND_CARE_SITE);
    a->set_venue_name("狮山镇留守青少年关爱站");
    a->set_topic(v1::GROUP_TOPIC_ANTI_TRAFFICKING);
    a->set_title("防拐骗安全课");
    a->set_activity_date(absl::FormatCivilTime(day));
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

  absl::StatusOr<v1::GroupActivity> Change(const Principal& as, const std::string& request_id,
                                           const std::string& activity_id,
                                           const std::vector<std::string>& facilitators) {
    v1::ChangeGroupActivityFacilitatorsRequest request;
    request.set_request_id(request_id);
    request.set_activity_id(activity_id);
    for (const std::string& f : facilitators) request.add_facilitator_participant_ids(f);
    absl::StatusOr<v1::ChangeGroupActivityFacilitatorsResponse> response =
        Visits(&v1::VisitsService::Stub::ChangeGroupActivityFacilitators, as, request);
    if (!response.ok()) return response.status();
    return response->activity();
  }

  // The county's activities by id, as its officer lists them (only those left without a facilitator when
  // asked).
  std::map<std::string, v1::GroupActivity> Listed(bool needing_facilitator = false) {
    v1::ListGroupActivitiesRequest request;
    request.set_needing_facilitator(needing_facilitator);
    absl::StatusOr<v1::ListGroupActivitiesResponse> listed =
        Visits(&v1::VisitsService::Stub::ListGroupActivities, wuding_officer_, request);
    EXPECT_TRUE(listed.ok()) << listed.status();
    std::map<std::string, v1::GroupActivity> out;
    if (listed.ok()) {
      for (const v1::GroupActivity& a : listed->activities()) out[a.activity_id()] = a;
    }
    return out;
  }

  static std::vector<std::string> Leads(const v1::GroupActivity& a) {
    return {a.facilitator_participant_ids().begin(), a.facilitator_participant_ids().end()};
  }

  void Suspend(const std::string& participant_id) {
    tv1::SuspendParticipantRequest suspend;
    suspend.set_request_id(NextId());
    suspend.set_participant_id(participant_id);
    suspend.set_reason(tv1::SUSPENSION_REASON_ADMINISTRATIVE);
    ASSERT_OK(Training(&tv1::TrainingService::Stub::SuspendParticipant, wuding_officer_, suspend).status());
  }

  // Every activity's facilitators and every removal, as text: what a replay must leave unchanged.
  std::vector<std::string> FacilitatorState() {
    std::vector<std::string> rows;
    EXPECT_OK(visits_database_->pool().Autocommit([&](db::Session& session) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows activities,
                       session.Query("SELECT id, facilitators FROM group_activities ORDER BY id"));
      for (const db::Row& row : activities) rows.push_back(absl::StrCat(row.String(0), "|", row.String(1)));
      ASSIGN_OR_RETURN(
          db::Rows removals,
          session.Query("SELECT activity_id, participant_id, removed_because, lost_from, removed_at"
                        " FROM group_facilitator_removals ORDER BY activity_id, participant_id"));
      for (const db::Row& row : removals) {
        rows.push_back(absl::StrCat(row.String(0), "|", row.String(1), "|", row.String(2), "|", row.String(3),
                                    "|", row.String(4)));
      }
      return absl::OkStatus();
    }));
    return rows;
  }

  // A concern about `person` as the store records it when training is unreachable: held, off their visits and
  // activities, the suspension not yet sent (the desk would retry it; nothing calls it here).
  void RecordConcernTrainingNotTold(const v1::Visitor& person, const std::string& request_id) {
    v1::SafeguardingConcern concern;
    concern.set_visitor_id(person.visitor_id());
    concern.set_participant_id(person.participant_id());
    concern.set_organisation_id(person.organisation_id());
    concern.set_division_code(person.home_village_code());
    concern.set_category(v1::CONCERN_CATEGORY_INAPPROPRIATE_CONTACT);
    concern.set_reporter(v1::CONCERN_REPORTER_CHILD);
    concern.set_account("他让我不要告诉别人。");
    const IdempotencyKey key{"shouhu.visits.v1.VisitsService/RaiseSafeguardingConcern", "caseworker-1",
                             request_id, request_id};
    ASSERT_OK(visits_->safeguarding_store()
                  .RaiseConcern(key, Actor{"caseworker-1", "ngo-wuding", absl::Now()}, concern,
                                ShanghaiDay(absl::Now()))
                  .status());
  }

  // The concern's row as RaiseConcern writes it (open), inside the caller's transaction.
  static absl::Status InsertHoldingConcern(db::Session& tx, const v1::Visitor& person,
                                           const std::string& id) {
    return tx
        .Execute(
            "INSERT INTO safeguarding_concerns (id, visitor_id, participant_id, organisation_id, "
            "division_code,"
            " category, reporter, account_sealed, child_id, assignment_id, raised_by, raised_at, state,"
            " training_pending, assignments_released) VALUES (?, ?, ?, ?, ?, 1, 1, 'x', '', '', 'test', ?, "
            "1, 1,"
            " 0)",
            {id, person.visitor_id(), person.participant_id(), person.organisation_id(),
             person.home_village_code(), ToSqlTimestamp(absl::Now())})
        .status();
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

// A facilitator suspended in training is taken off every activity of theirs from today on: the organiser sees
// who and from when (the activity listed as needing a facilitator when nobody is left), attendance at an
// activity nobody leads is refused, and what was held, or is under way today with children recorded, keeps
// them as its record. Back in service and named again, replaying training's stream from its first event
// changes nothing: the old suspension does not take them off again.
TEST_F(
    GroupActivitiesTest,
    FacilitatorSuspended_TakenOffUpcomingActivitiesRecordedAndListed_UnledAttendanceRefused_ReplayChangesNothing) {
  const std::string lead = QualifiedVisitor("a").participant_id();
  const std::string helper = QualifiedVisitor("b").participant_id();
  AwaitTrainingEvents();  // their onboarding (a check cleared until 2030) takes nothing
  const absl::CivilDay today = ShanghaiDay(absl::Now());
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity held,
                       Schedule(wuding_ngo_admin_, ActivityOn("act-1", {lead}, today - 1)));
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity under_way,
                       Schedule(wuding_ngo_admin_, ActivityOn("act-2", {lead}, today)));
  ASSERT_OK(Attend(wuding_caseworker_, "att-1", under_way.activity_id(), {"c1", "c2"}).status());
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity tonight,
                       Schedule(wuding_ngo_admin_, ActivityOn("act-3", {lead, helper}, today)));
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity next_week,
                       Schedule(wuding_ngo_admin_, ActivityOn("act-4", {lead}, today + 7)));
  EXPECT_FALSE(next_week.needs_facilitator());

  MoveTo(lead, tv1::VOLUNTEER_STAGE_SUSPENDED);
  AwaitTrainingEvents();
  std::map<std::string, v1::GroupActivity> listed = Listed();
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(Leads(listed[held.activity_id()]), std::vector<std::string>{lead});
  EXPECT_EQ(Leads(listed[under_way.activity_id()]), std::vector<std::string>{lead});
  EXPECT_EQ(listed[under_way.activity_id()].removed_facilitators_size(), 0);
  const v1::GroupActivity& led_by_helper = listed[tonight.activity_id()];
  EXPECT_EQ(Leads(led_by_helper), std::vector<std::string>{helper});
  EXPECT_FALSE(led_by_helper.needs_facilitator());
  ASSERT_EQ(led_by_helper.removed_facilitators_size(), 1);
  EXPECT_EQ(led_by_helper.removed_facilitators(0).participant_id(), lead);
  EXPECT_EQ(led_by_helper.removed_facilitators(0).lost_from(), absl::FormatCivilTime(today));
  EXPECT_GT(led_by_helper.removed_facilitators(0).removed_at().seconds(), 0);
  const v1::GroupActivity& unled = listed[next_week.activity_id()];
  EXPECT_TRUE(Leads(unled).empty());
  EXPECT_TRUE(unled.needs_facilitator());
  ASSERT_EQ(unled.removed_facilitators_size(), 1);
  EXPECT_EQ(unled.removed_facilitators(0).participant_id(), lead);
  // The organiser's list of what needs a facilitator: that one only.
  std::map<std::string, v1::GroupActivity> needing = Listed(true);
  ASSERT_EQ(needing.size(), 1u);
  EXPECT_EQ(needing.begin()->first, next_week.activity_id());

  // Scheduling it, retried now, gets the first answer; the activity stays as the loss left it.
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity retried,
                       Schedule(wuding_ngo_admin_, ActivityOn("act-4", {lead}, today + 7)));
  EXPECT_EQ(retried.SerializeAsString(), next_week.SerializeAsString());
  EXPECT_EQ(visits_database_->Count("group_activities"), 4);

  absl::Status refused = Attend(wuding_caseworker_, "att-2", next_week.activity_id(), {"c1"}).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(refused.message().find("activity_id"), std::string::npos) << refused.message();
  EXPECT_OK(Attend(wuding_caseworker_, "att-3", tonight.activity_id(), {"c1"}).status());
  EXPECT_EQ(visits_database_->Count("group_attendance"), 3);

  // Back in service and named again for next week.
  MoveTo(lead, tv1::VOLUNTEER_STAGE_ACTIVE);
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity again,
                       Change(wuding_ngo_admin_, "chg-1", next_week.activity_id(), {lead}));
  EXPECT_EQ(Leads(again), std::vector<std::string>{lead});
  AwaitTrainingEvents();

  // Forget the checkpoint and follow training again from its first event, as a new replica would.
  const std::vector<std::string> before = FacilitatorState();
  StopVisits();
  ASSERT_OK(visits_database_->pool().Autocommit([](db::Session& session) {
    return session
        .Execute("UPDATE event_checkpoints SET last_sequence = 0 WHERE consumer = ?",
                 {std::string(kTrainingConsumerName)})
        .status();
  }));
  StartVisits();
  AwaitTrainingEvents();
  EXPECT_EQ(FacilitatorState(), before);
  EXPECT_EQ(Leads(Listed()[next_week.activity_id()]), std::vector<std::string>{lead});
}

// An activity an older replica scheduled during a rolling upgrade has no facilitator rows (visits 0042): the
// follower writes them before it looks, so its facilitator is still taken off.
TEST_F(GroupActivitiesTest, ActivityScheduledByAnOlderReplica_FacilitatorStillTakenOff) {
  const std::string lead = QualifiedVisitor("a").participant_id();
  AwaitTrainingEvents();
  const std::string id = "01JOLDERREPLICA00000000001";
  ASSERT_OK(visits_database_->pool().Autocommit([&](db::Session& session) {
    return session
        .Execute(
            "INSERT INTO group_activities (id, organisation_id, division_code, venue_kind, venue_name, topic,"
            " title, activity_date, facilitators, person_times, created_by, created_at)"
            " VALUES (?, 'ngo-wuding', '532329101', 1, '关爱站', 2, '防拐骗安全课', ?, ?, 0, 'admin-1', "
            "NOW(6))",
            {id, absl::FormatCivilTime(ShanghaiDay(absl::Now()) + 3), lead})
        .status();
  }));
  Suspend(lead);
  AwaitTrainingEvents();
  const v1::GroupActivity unled = Listed()[id];
  EXPECT_TRUE(Leads(unled).empty());
  ASSERT_EQ(unled.removed_facilitators_size(), 1);
  EXPECT_EQ(unled.removed_facilitators(0).participant_id(), lead);
}

// A certificate of a course group activities require, withdrawn: training's CertificationRevoked names what
// the course is required for, and its holder is taken off their upcoming group activities.
TEST_F(GroupActivitiesTest, CertificateGroupActivitiesRequireRevoked_HolderTakenOffUpcomingActivities) {
  tv1::CreateCourseRequest course;
  course.set_request_id(NextId());
  tv1::Course* c = course.mutable_course();
  c->set_code("GROUP-101");
  c->set_title("团体活动带领");
  c->set_hours(4);
  c->add_topics(tv1::TOPIC_CHILD_SAFEGUARDING);
  c->set_pass_mark(60);
  c->set_validity_months(12);
  c->add_required_for(tv1::ACTIVITY_GROUP_ACTIVITY);
  ASSERT_OK_AND_ASSIGN(tv1::CreateCourseResponse created,
                       Training(&tv1::TrainingService::Stub::CreateCourse, wuding_officer_, course));
  course_id_ = created.course().id();  // the volunteer below is certified in it
  const std::string lead = QualifiedVisitor("a").participant_id();
  AwaitTrainingEvents();
  ASSERT_OK_AND_ASSIGN(
      v1::GroupActivity upcoming,
      Schedule(wuding_ngo_admin_, ActivityOn("act-1", {lead}, ShanghaiDay(absl::Now()) + 3)));

  tv1::ListCertificationsRequest list;
  list.set_participant_id(lead);
  ASSERT_OK_AND_ASSIGN(tv1::ListCertificationsResponse held,
                       Training(&tv1::TrainingService::Stub::ListCertifications, wuding_officer_, list));
  ASSERT_EQ(held.certifications_size(), 1);
  tv1::RevokeCertificationRequest revoke;
  revoke.set_request_id(NextId());
  revoke.set_certification_id(held.certifications(0).id());
  revoke.set_reason("考核材料不实");
  ASSERT_OK(Training(&tv1::TrainingService::Stub::RevokeCertification, wuding_officer_, revoke).status());
  AwaitTrainingEvents();
  const v1::GroupActivity unled = Listed()[upcoming.activity_id()];
  EXPECT_TRUE(unled.needs_facilitator());
  ASSERT_EQ(unled.removed_facilitators_size(), 1);
  EXPECT_EQ(unled.removed_facilitators(0).participant_id(), lead);
}

// A safeguarding concern takes its person off their group activities at once, in the concern's transaction,
// before training has heard of it.
TEST_F(GroupActivitiesTest, SafeguardingConcernRaised_FacilitatorTakenOffAtOnce) {
  const v1::Visitor accused = QualifiedVisitor("a");
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity upcoming,
                       Schedule(wuding_ngo_admin_, ActivityOn("act-1", {accused.participant_id()},
                                                              ShanghaiDay(absl::Now()) + 2)));
  ASSERT_OK(Raise(wuding_caseworker_, Concern("concern-1", accused.visitor_id())).status());
  const v1::GroupActivity unled = Listed()[upcoming.activity_id()];
  EXPECT_TRUE(unled.needs_facilitator());
  ASSERT_EQ(unled.removed_facilitators_size(), 1);
  EXPECT_EQ(unled.removed_facilitators(0).participant_id(), accused.participant_id());
}

// A concern about P is recorded while training is unreachable (its suspension waits for the desk's retry):
// P is taken off their activities at once, but training still answers "qualified", and an hour later an
// organiser named P to lead a new children's group, and to take over an existing one: both stored. A concern
// that holds now refuses them, naming the field, whatever training says.
TEST_F(GroupActivitiesTest, ScheduleOrChange_FacilitatorUnderAConcernTrainingHasNotApplied_RefusedNamingIt) {
  const v1::Visitor accused = QualifiedVisitor("a");
  const std::string other = QualifiedVisitor("b").participant_id();
  AwaitTrainingEvents();
  const absl::CivilDay day = ShanghaiDay(absl::Now()) + 3;
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity planned,
                       Schedule(wuding_ngo_admin_, ActivityOn("act-0", {other}, day)));
  RecordConcernTrainingNotTold(accused, "concern-1");

  absl::Status refused =
      Schedule(wuding_ngo_admin_, ActivityOn("act-1", {other, accused.participant_id()}, day)).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(refused.message().find("activity.facilitator_participant_ids[1]"), std::string::npos)
      << refused.message();
  EXPECT_EQ(visits_database_->Count("group_activities"), 1);
  refused = Change(wuding_ngo_admin_, "chg-1", planned.activity_id(), {accused.participant_id()}).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(refused.message().find("facilitator_participant_ids[0]"), std::string::npos) << refused.message();
  EXPECT_EQ(Leads(Listed()[planned.activity_id()]), std::vector<std::string>{other});
}

// A concern being raised and a scheduling naming its person at the same moment meet on the person's mark row
// (the concern counts a loss there first): the scheduling waits for the concern to commit, then sees it and
// is refused as above. Read without a lock, the concern is not in the scheduling's snapshot.
TEST_F(GroupActivitiesTest, Schedule_WhileAConcernIsBeingRaised_WaitsThenRefusedNamingIt) {
  const v1::Visitor accused = QualifiedVisitor("a");
  AwaitTrainingEvents();
  const absl::CivilDay day = ShanghaiDay(absl::Now()) + 3;
  GroupActivityStore& store = visits_->group_store();
  const Actor actor{"admin-1", "ngo-wuding", absl::Now()};
  ASSERT_OK_AND_ASSIGN(FacilitatorLossesSeen seen, store.FacilitatorLossesOf({accused.participant_id()}));

  absl::Notification raising;
  std::thread desk([&] {
    EXPECT_OK(visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
      RETURN_IF_ERROR(
          TakeOffGroupActivities(tx, accused.participant_id(), ShanghaiDay(absl::Now()), "test", absl::Now())
              .status());
      RETURN_IF_ERROR(InsertHoldingConcern(tx, accused, "01JCONCERNRACE0000000000AA"));
      if (!raising.HasBeenNotified()) raising.Notify();
      absl::SleepFor(absl::Seconds(1));  // the scheduling starts meanwhile
      return absl::OkStatus();
    }));
  });
  raising.WaitForNotification();
  const IdempotencyKey key{"shouhu.visits.v1.VisitsService/ScheduleGroupActivity", "admin-1", "s-1", "s-1"};
  absl::Status scheduled =
      store
          .ScheduleActivity(key, actor, ActivityOn("s-1", {accused.participant_id()}, day).activity(), day,
                            seen)
          .status();
  desk.join();
  EXPECT_THAT(scheduled, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(scheduled.message().find("activity.facilitator_participant_ids[0]"), std::string::npos)
      << scheduled.message();
  EXPECT_EQ(visits_database_->Count("group_activities"), 0);
}

// The organiser names a new facilitator for an upcoming activity: checked with training for the activity's
// day (nothing written for one who is not qualified), retried under its request id with the first answer, and
// followed from then on: the facilitator replaced no longer reaches it, the new one does. A held activity
// keeps its facilitators; outside the caller's scope the activity does not exist; bad input names its field.
TEST_F(
    GroupActivitiesTest,
    ChangeGroupActivityFacilitators_QualifiedOnTheDayOnly_IdempotentFollowedAfter_HeldOrOutOfScopeRefused) {
  const std::string lead = QualifiedVisitor("a").participant_id();
  const std::string other = QualifiedVisitor("b").participant_id();
  const std::string applicant = Applicant();
  AwaitTrainingEvents();
  const absl::CivilDay today = ShanghaiDay(absl::Now());
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity upcoming,
                       Schedule(wuding_ngo_admin_, ActivityOn("act-1", {lead}, today + 5)));

  absl::Status refused =
      Change(wuding_caseworker_, "chg-1", upcoming.activity_id(), {other, applicant}).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(refused.message().find("facilitator_participant_ids[1]"), std::string::npos) << refused.message();
  EXPECT_EQ(Leads(Listed()[upcoming.activity_id()]), std::vector<std::string>{lead});

  ASSERT_OK_AND_ASSIGN(v1::GroupActivity changed,
                       Change(wuding_caseworker_, "chg-2", upcoming.activity_id(), {other}));
  EXPECT_EQ(Leads(changed), std::vector<std::string>{other});
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity retried,
                       Change(wuding_caseworker_, "chg-2", upcoming.activity_id(), {other}));
  EXPECT_EQ(retried.SerializeAsString(), changed.SerializeAsString());

  // The one replaced no longer leads it: their suspension leaves it alone. The new one's reaches it.
  Suspend(lead);
  AwaitTrainingEvents();
  v1::GroupActivity now = Listed()[upcoming.activity_id()];
  EXPECT_EQ(Leads(now), std::vector<std::string>{other});
  EXPECT_EQ(now.removed_facilitators_size(), 0);
  Suspend(other);
  AwaitTrainingEvents();
  // A retry of the change made before gets its first answer, not a refusal of the person it named.
  ASSERT_OK_AND_ASSIGN(retried, Change(wuding_caseworker_, "chg-2", upcoming.activity_id(), {other}));
  EXPECT_EQ(retried.SerializeAsString(), changed.SerializeAsString());
  now = Listed()[upcoming.activity_id()];
  EXPECT_TRUE(now.needs_facilitator());
  ASSERT_EQ(now.removed_facilitators_size(), 1);
  EXPECT_EQ(now.removed_facilitators(0).participant_id(), other);
  // And a qualified one named again: led, attendance taken.
  const std::string third = QualifiedVisitor("c").participant_id();
  ASSERT_OK_AND_ASSIGN(now, Change(wuding_ngo_admin_, "chg-3", upcoming.activity_id(), {third}));
  EXPECT_FALSE(now.needs_facilitator());
  EXPECT_EQ(now.removed_facilitators_size(), 1);  // the record stays
  EXPECT_OK(Attend(wuding_caseworker_, "att-1", upcoming.activity_id(), {"c1"}).status());

  // Held yesterday: its facilitators are its record.
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity held,
                       Schedule(wuding_ngo_admin_, ActivityOn("act-2", {third}, today - 1)));
  refused = Change(wuding_ngo_admin_, "chg-4", held.activity_id(), {third}).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(refused.message().find("activity_id"), std::string::npos) << refused.message();
  // Another organisation's caseworker, another county's officer: no such activity.
  EXPECT_THAT(Change(other_ngo_caseworker_, "chg-5", upcoming.activity_id(), {third}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Change(xixia_officer_, "chg-6", upcoming.activity_id(), {third}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Change(volunteer_, "chg-7", upcoming.activity_id(), {third}),
              StatusIs(absl::StatusCode::kPermissionDenied));

  struct Case {
    std::string field;
    std::string activity_id;
    std::vector<std::string> facilitators;
  };
  const std::vector<Case> cases = {
      {"facilitator_participant_ids", upcoming.activity_id(), {}},
      {"facilitator_participant_ids", upcoming.activity_id(), {"a", "b", "c", "d", "e", "f"}},
      {"facilitator_participant_ids[1]", upcoming.activity_id(), {third, third}},
      {"facilitator_participant_ids[0]", upcoming.activity_id(), {"has space"}},
      {"activity_id", "", {third}},
  };
  int n = 0;
  for (const Case& c : cases) {
    absl::Status status =
        Change(wuding_ngo_admin_, absl::StrCat("bad-", ++n), c.activity_id, c.facilitators).status();
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_NE(status.message().find(c.field), std::string::npos) << status.message();
  }
  EXPECT_EQ(Leads(Listed()[upcoming.activity_id()]), std::vector<std::string>{third});
}

// A scheduling or a change asks training about its facilitators, then stores; training's loss of a person's
// qualification can arrive in between, and the follower, applying it, finds nothing of the request's to take
// them off. The store sees the person's count of losses moved since the request read it and refuses: without
// that check the suspended person below is stored as leading both activities. A loss only from a day after
// the activity's (a background check cleared until then) leaves it be: training answered for its day.
TEST_F(GroupActivitiesTest,
       ScheduleOrChange_FacilitatorLostQualificationAfterTrainingWasAsked_RefusedNothingStored) {
  const std::string lead = QualifiedVisitor("a").participant_id();
  const std::string other = QualifiedVisitor("b").participant_id();
  AwaitTrainingEvents();
  const absl::CivilDay day = ShanghaiDay(absl::Now()) + 4;
  GroupActivityStore& store = visits_->group_store();
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity planned,
                       Schedule(wuding_ngo_admin_, ActivityOn("act-0", {other}, day)));
  const auto key = [](const std::string& method, const std::string& request_id) {
    return IdempotencyKey{absl::StrCat("shouhu.visits.v1.VisitsService/", method), "admin-1", request_id,
                          request_id};
  };
  const Actor actor{"admin-1", "ngo-wuding", absl::Now()};
  const auto scope_ok = [](const v1::GroupActivity&) { return absl::OkStatus(); };

  // Both requests read the lead's losses and would have heard "qualified" from training just now.
  ASSERT_OK_AND_ASSIGN(FacilitatorLossesSeen seen, store.FacilitatorLossesOf({lead}));
  Suspend(lead);
  AwaitTrainingEvents();  // the loss applied: nothing of these requests' yet to take the lead off

  absl::Status refused = store
                             .ScheduleActivity(key("ScheduleGroupActivity", "s-1"), actor,
                                               ActivityOn("s-1", {lead}, day).activity(), day, seen)
                             .status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kAborted));
  EXPECT_NE(refused.message().find("activity.facilitator_participant_ids[0]"), std::string::npos)
      << refused.message();
  EXPECT_EQ(visits_database_->Count("group_activities"), 1);
  refused = store
                .ChangeFacilitators(key("ChangeGroupActivityFacilitators", "c-1"), actor,
                                    planned.activity_id(), {other, lead}, seen, scope_ok)
                .status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kAborted));
  EXPECT_NE(refused.message().find("facilitator_participant_ids[1]"), std::string::npos) << refused.message();
  EXPECT_EQ(Leads(Listed()[planned.activity_id()]), std::vector<std::string>{other});

  // A check recorded cleared only until the day after the activity's: that day's activity stands, the next
  // day's is refused.
  ASSERT_OK_AND_ASSIGN(FacilitatorLossesSeen seen_other, store.FacilitatorLossesOf({other}));
  tv1::RecordBackgroundCheckRequest check;
  check.set_request_id(NextId());
  check.set_participant_id(other);
  check.mutable_background_check()->set_status(tv1::BACKGROUND_CHECK_STATUS_CLEARED);
  check.mutable_background_check()->set_checked_on("2025-01-01");
  check.mutable_background_check()->set_expires_on(absl::FormatCivilTime(day + 1));
  ASSERT_OK(Training(&tv1::TrainingService::Stub::RecordBackgroundCheck, wuding_officer_, check).status());
  AwaitTrainingEvents();
  EXPECT_OK(store
                .ScheduleActivity(key("ScheduleGroupActivity", "s-2"), actor,
                                  ActivityOn("s-2", {other}, day).activity(), day, seen_other)
                .status());
  EXPECT_THAT(store.ScheduleActivity(key("ScheduleGroupActivity", "s-3"), actor,
                                     ActivityOn("s-3", {other}, day + 1).activity(), day + 1, seen_other),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(visits_database_->Count("group_activities"), 2);
}

// The follower applying a loss and a scheduling or a change storing the same person at the same moment
// serialise on the person's mark row: the stores wait for the loss to commit, then see it and are refused.
// Read without that lock, the count is the one before the loss, and the person the loss has just been applied
// to is stored as leading both activities.
TEST_F(GroupActivitiesTest, ScheduleOrChange_StoringWhileALossIsBeingApplied_WaitsThenRefused) {
  const std::string lead = QualifiedVisitor("a").participant_id();
  const std::string other = QualifiedVisitor("b").participant_id();
  AwaitTrainingEvents();
  const absl::CivilDay day = ShanghaiDay(absl::Now()) + 4;
  GroupActivityStore& store = visits_->group_store();
  ASSERT_OK_AND_ASSIGN(v1::GroupActivity planned,
                       Schedule(wuding_ngo_admin_, ActivityOn("act-0", {other}, day)));
  ASSERT_OK_AND_ASSIGN(FacilitatorLossesSeen seen, store.FacilitatorLossesOf({lead}));
  const Actor actor{"admin-1", "ngo-wuding", absl::Now()};

  absl::Notification applied;
  std::thread follower([&] {
    EXPECT_OK(visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
      RETURN_IF_ERROR(
          TakeOffGroupActivities(tx, lead, ShanghaiDay(absl::Now()), "test", absl::Now()).status());
      if (!applied.HasBeenNotified()) applied.Notify();
      absl::SleepFor(absl::Seconds(1));  // the stores below start meanwhile
      return absl::OkStatus();
    }));
  });
  applied.WaitForNotification();
  absl::Status scheduled, changed;
  std::thread schedule([&] {
    const IdempotencyKey key{"shouhu.visits.v1.VisitsService/ScheduleGroupActivity", "admin-1", "s-1", "s-1"};
    scheduled =
        store.ScheduleActivity(key, actor, ActivityOn("s-1", {lead}, day).activity(), day, seen).status();
  });
  std::thread change([&] {
    const IdempotencyKey key{"shouhu.visits.v1.VisitsService/ChangeGroupActivityFacilitators", "admin-1",
                             "c-1", "c-1"};
    changed = store
                  .ChangeFacilitators(key, actor, planned.activity_id(), {lead}, seen,
                                      [](const v1::GroupActivity&) { return absl::OkStatus(); })
                  .status();
  });
  schedule.join();
  change.join();
  follower.join();
  EXPECT_THAT(scheduled, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(changed, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(visits_database_->Count("group_activities"), 1);
  EXPECT_EQ(Leads(Listed()[planned.activity_id()]), std::vector<std::string>{other});
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
