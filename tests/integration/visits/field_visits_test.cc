// The visit in the field end to end, on real MariaDB over real gRPC: check-in and check-out of planned
// assignments, the missing-check-out alert, reports uploaded in batches from the field, edits against a
// version, escalation events on the visits StreamEvents, scope, a child's history, statistics and
// re-planning a weekend.
#include <atomic>
#include <optional>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/clock.h"
#include "common/event_consumer.h"
#include "common/pii_crypto.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/visits/assignment_release.h"
#include "shouhu/allowance/v1/monthly_cycles.pb.h"
#include "shouhu/visits/v1/events.pb.h"
#include "tests/integration/common/event_source.h"
#include "tests/integration/visits/visits_fixture.h"
#include "tests/support/case_requests.h"

namespace shouhu::visits::testing {
namespace {

using ::shouhu::testing::StatusIs;

constexpr char kReportA[] = "0f8fad5b-d9cb-469f-a165-70867728950e";
constexpr char kReportB[] = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

class FieldVisitsTest : public VisitsTest {
 protected:
  static absl::CivilDay DueWeekend() {
    absl::CivilDay day = ShanghaiDay(absl::Now()) + 15;
    while (absl::GetWeekday(day) != absl::Weekday::saturday) ++day;
    return day;
  }

  // One child's case, two qualified visitors, a planned weekend: the two assignments (one per visitor) of
  // the household visit, the visitors, and the clock at 10:00 on the visit day.
  void SetUpVisit() {
    child_ = RegisterChild("1", "李娜");
    AwaitRegistryEvents();
    for (const char* tag : {"a", "b"}) {
      ASSERT_OK_AND_ASSIGN(v1::Visitor v,
                           Register(wuding_ngo_admin_, Registration(absl::StrCat("reg-", tag))));
      training_->SetQualified(v.participant_id(), true);
      visitors_.push_back(v);
    }
    saturday_ = DueWeekend();
    ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse plan, Plan("plan-1"));
    ASSERT_EQ(plan.assignments_size(), 2);
    for (const v1::Assignment& a : plan.assignments()) assignments_.push_back(a);
    ASSERT_OK_AND_ASSIGN(visit_day_, ParseDay(assignments_[0].visit_date(), "visit_date"));
    visits_clock_.Set(absl::FromCivil(absl::CivilSecond(visit_day_) + 10 * 3600, ShanghaiTimeZone()));
  }

  absl::StatusOr<v1::PlanWeekendResponse> Plan(const std::string& request_id) {
    v1::PlanWeekendRequest request;
    request.set_request_id(request_id);
    request.set_weekend_date(absl::FormatCivilTime(saturday_));
    v1::PlanWeekendResponse response;
    auto context = principals_.Context(wuding_officer_);
    grpc::Status status = visits_stub_->PlanWeekend(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // The visitor of assignment `i` as a volunteer principal: their subject is their participant id.
  Principal VolunteerOf(size_t i) const {
    for (const v1::Visitor& v : visitors_) {
      if (v.visitor_id() == assignments_[i].visitor_id()) {
        return shouhu::testing::MakePrincipal(v.participant_id(), "ngo-wuding", common::v1::ROLE_VOLUNTEER,
                                              {"532329"});
      }
    }
    return {};
  }

  // At the time the phone names (`at`), else at the server's now.
  absl::StatusOr<v1::CheckInResponse> CheckIn(const Principal& as, const std::string& request_id, size_t i,
                                              std::optional<absl::Time> at = std::nullopt) {
    v1::CheckInRequest request;
    request.set_request_id(request_id);
    request.set_assignment_id(assignments_[i].assignment_id());
    if (at) *request.mutable_at() = ToProtoTimestamp(*at);
    request.mutable_location()->set_latitude(25.53);
    request.mutable_location()->set_longitude(102.40);
    v1::CheckInResponse response;
    auto context = principals_.Context(as);
    grpc::Status status = visits_stub_->CheckIn(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  absl::StatusOr<v1::CheckOutResponse> CheckOut(const Principal& as, const std::string& request_id, size_t i,
                                                v1::ContactResult result = v1::CONTACT_RESULT_MADE,
                                                std::optional<absl::Time> at = std::nullopt) {
    v1::CheckOutRequest request;
    request.set_request_id(request_id);
    request.set_assignment_id(assignments_[i].assignment_id());
    if (at) *request.mutable_at() = ToProtoTimestamp(*at);
    request.mutable_contact()->set_result(result);
    if (result == v1::CONTACT_RESULT_MADE) {
      request.mutable_contact()->set_child_seen(true);
      request.mutable_contact()->set_guardians_seen(1);
    }
    v1::CheckOutResponse response;
    auto context = principals_.Context(as);
    grpc::Status status = visits_stub_->CheckOut(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  v1::VisitReport Report(const std::string& report_id, size_t i) const {
    v1::VisitReport r;
    r.set_report_id(report_id);
    r.set_assignment_id(assignments_[i].assignment_id());
    r.set_outcome(v1::VISIT_OUTCOME_COMPLETED);
    v1::Observation* o = r.add_observations();
    o->set_aspect(v1::OBSERVATION_ASPECT_FOOD);
    o->set_rating(v1::OBSERVATION_RATING_ADEQUATE);
    o->set_note("奶奶做了午饭");
    v1::FollowUpTask* t = r.add_follow_ups();
    t->set_description("下次带作业本");
    t->set_owner("director-1");
    t->set_due_date("2027-01-31");
    return r;
  }

  absl::StatusOr<v1::SubmitVisitReportsResponse> Submit(const Principal& as, const std::string& request_id,
                                                        const std::vector<v1::VisitReport>& reports) {
    v1::SubmitVisitReportsRequest request;
    request.set_request_id(request_id);
    for (const v1::VisitReport& r : reports) *request.add_reports() = r;
    v1::SubmitVisitReportsResponse response;
    auto context = principals_.Context(as);
    grpc::Status status = visits_stub_->SubmitVisitReports(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  grpc::Status Edit(const Principal& as, const std::string& request_id, const v1::VisitReport& report,
                    int64_t base_version, v1::EditVisitReportResponse* response) {
    v1::EditVisitReportRequest request;
    request.set_request_id(request_id);
    *request.mutable_report() = report;
    request.set_base_version(base_version);
    auto context = principals_.Context(as);
    return visits_stub_->EditVisitReport(context.get(), request, response);
  }

  absl::StatusOr<v1::VisitReport> GetReport(const Principal& as, const std::string& report_id) {
    v1::GetVisitReportRequest request;
    request.set_report_id(report_id);
    request.set_purpose("家访跟进");
    v1::GetVisitReportResponse response;
    auto context = principals_.Context(as);
    grpc::Status status = visits_stub_->GetVisitReport(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response.report();
  }

  // Every event of the visits outbox as StreamEvents serves it, read up to the last committed sequence.
  std::vector<common::v1::Event> VisitsEvents() {
    std::vector<common::v1::Event> events;
    EXPECT_OK(visits_->outbox().SequencePending().status());  // numbered after commit, by a thread: now
    absl::StatusOr<int64_t> last = visits_->outbox().LastSequence();
    EXPECT_OK(last);
    if (!last.ok() || *last == 0) return events;
    v1::StreamEventsRequest request;
    auto context = principals_.Context(system_);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto reader = visits_stub_->StreamEvents(context.get(), request);
    v1::StreamEventsResponse response;
    while (reader->Read(&response)) {
      events.push_back(response.event());
      if (response.event().sequence() >= *last) break;
    }
    context->TryCancel();
    (void)reader->Finish();
    EXPECT_EQ(events.empty() ? 0 : events.back().sequence(), *last);
    return events;
  }

  template <typename Payload>
  std::vector<Payload> EventsOf() {
    std::vector<Payload> out;
    for (const common::v1::Event& e : VisitsEvents()) {
      Payload payload;
      if (e.type() == Payload::descriptor()->full_name() && e.payload().UnpackTo(&payload))
        out.push_back(payload);
    }
    return out;
  }

  // Closes the visit's case in the registry and waits for visits to follow.
  void CloseTheCase(const std::string& request_id) {
    auto close = shouhu::testing::WithCase<rv1::CloseCaseRequest>(request_id, child_.case_id());
    close.set_reason("父母返乡，监护恢复");
    ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close));
    AwaitRegistryEvents();
  }

  // Moves the visit's case to Xixia (another county: a county transfer requested by Wuding and accepted by
  // Xixia) and waits for visits to follow (CaseMovedCounty: the case's visits from the visits clock's day are
  // released, those begun stay).
  void MoveTheCaseToXixia() {
    rv1::RequestCountyTransferRequest move;
    move.set_request_id("move-1");
    move.set_case_id(child_.case_id());
    move.set_to_village_code(registry::testing::kXixiaVillage);
    move.set_reason("随务工父母迁居银川");
    ASSERT_OK_AND_ASSIGN(auto requested, Cooperate(&rv1::CaseCooperationService::Stub::RequestCountyTransfer,
                                                   wuding_caseworker_, move));
    rv1::AcceptCountyTransferRequest accept;
    accept.set_request_id("accept-1");
    accept.set_transfer_id(requested.transfer().transfer_id());
    ASSERT_OK(Cooperate(&rv1::CaseCooperationService::Stub::AcceptCountyTransfer, xixia_officer_, accept));
    AwaitRegistryEvents();
    ASSERT_OK_AND_ASSIGN(v1::VisitPlan moved, ChildPlan(xixia_officer_, child_.child_id()));
    ASSERT_EQ(moved.village_code(), registry::testing::kXixiaVillage);
  }

  // A caseworker of the visitors' organisation in Xixia, where the case moves: the visits made in Wuding
  // before the move are not theirs.
  const Principal xixia_caseworker_ = shouhu::testing::MakePrincipal(
      "caseworker-xixia", "ngo-wuding", common::v1::ROLE_NGO_CASEWORKER, {"640105"});

  rv1::Case child_;
  std::vector<v1::Visitor> visitors_;
  std::vector<v1::Assignment> assignments_;
  absl::CivilDay saturday_;
  absl::CivilDay visit_day_;
};

TEST_F(FieldVisitsTest, CheckOut_BeforeCheckIn_FailedPreconditionAndNothingWritten) {
  SetUpVisit();
  EXPECT_THAT(CheckOut(wuding_caseworker_, "out-1", 0), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 0);
  EXPECT_TRUE(EventsOf<v1::VisitCheckedOut>().empty());
}

TEST_F(FieldVisitsTest, CheckIn_RetriedWithSameRequestId_FirstAnswerOneRowOneEvent) {
  SetUpVisit();
  ASSERT_OK_AND_ASSIGN(v1::CheckInResponse first, CheckIn(wuding_caseworker_, "in-1", 0));
  EXPECT_TRUE(first.visit().has_checked_in_at());
  EXPECT_NEAR(first.visit().check_in_location().latitude(), 25.53, 1e-6);
  visits_clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(v1::CheckInResponse again, CheckIn(wuding_caseworker_, "in-1", 0));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_THAT(CheckIn(wuding_caseworker_, "in-2", 0), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 1);
  EXPECT_EQ(EventsOf<v1::VisitCheckedIn>().size(), 1u);
}

TEST_F(FieldVisitsTest, CheckOut_AfterCheckIn_RecordsContactOnceThenFailedPrecondition) {
  SetUpVisit();
  ASSERT_OK(CheckIn(wuding_caseworker_, "in-1", 0).status());
  visits_clock_.Advance(absl::Minutes(50));
  ASSERT_OK_AND_ASSIGN(v1::CheckOutResponse out, CheckOut(wuding_caseworker_, "out-1", 0));
  EXPECT_EQ(out.visit().contact().result(), v1::CONTACT_RESULT_MADE);
  EXPECT_TRUE(out.visit().contact().child_seen());
  EXPECT_EQ(out.visit().contact().guardians_seen(), 1);
  ASSERT_OK_AND_ASSIGN(v1::CheckOutResponse retried, CheckOut(wuding_caseworker_, "out-1", 0));
  EXPECT_EQ(retried.SerializeAsString(), out.SerializeAsString());
  EXPECT_THAT(CheckOut(wuding_caseworker_, "out-2", 0), StatusIs(absl::StatusCode::kFailedPrecondition));
  const std::vector<v1::VisitCheckedOut> events = EventsOf<v1::VisitCheckedOut>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].contact_result(), v1::CONTACT_RESULT_MADE);
  EXPECT_EQ(events[0].child_id(), child_.child_id());
}

TEST_F(FieldVisitsTest, CheckIn_VolunteerOnlyTheirOwnAssignment_OthersNotFound) {
  SetUpVisit();
  EXPECT_THAT(CheckIn(VolunteerOf(1), "in-0", 0), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(CheckIn(other_ngo_caseworker_, "in-0", 0), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 0);
  EXPECT_OK(CheckIn(VolunteerOf(0), "in-0", 0).status());
  EXPECT_OK(CheckIn(VolunteerOf(1), "in-1", 1).status());
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 2);
}

// A case closed after its weekend was planned: nobody is to visit, so the follower of the registry's events
// takes its visits back (both adults'), the visitors' lists no longer show them and a check-in is refused,
// telling the visitor the visit was withdrawn.
TEST_F(FieldVisitsTest, CaseClosedAfterThePlan_ItsVisitsReleased_CheckInRefused) {
  SetUpVisit();
  CloseTheCase("close-1");
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 0);
  EXPECT_EQ(visits_database_->Count("released_assignments"), 2);
  EXPECT_THAT(CheckIn(wuding_caseworker_, "in-0", 0), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 0);
}

// The same for a case transferred to another organisation: its plan's visits are not the new holder's.
TEST_F(FieldVisitsTest, CaseTransferredAfterThePlan_ItsVisitsReleased) {
  SetUpVisit();
  auto transfer = shouhu::testing::WithCase<rv1::TransferCaseRequest>("transfer-1", child_.case_id());
  transfer.set_to_organisation_id("ngo-other");
  transfer.set_to_caseworker_id("caseworker-2");
  transfer.set_reason("转介至学校所在地社工站");
  ASSERT_OK(Call(&rv1::RegistryService::Stub::TransferCase, wuding_officer_, transfer));
  AwaitRegistryEvents();
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 0);
  EXPECT_THAT(CheckIn(wuding_caseworker_, "in-0", 0), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// A visit someone checked in to is under way or made when its case closes that afternoon: it stays, so its
// check-out and report, sent later from a phone that had no signal, are taken. Releasing it changed nothing
// at the door and lost the report. When the partner who has not checked in yet is taken off visits (a
// concern, a lapsed certificate) at 09:30, their own row goes: the whole visit stayed before, and the person
// just taken off visits checked in at 10:00, OK, and went to the child's home. A check-in naming a time
// before the release is still taken (the phone without signal at the household).
TEST_F(FieldVisitsTest, ReleaseOnTheVisitDay_AfterAPartnersCheckIn_TheirRowStaysTheReleasedPersonsGoes) {
  SetUpVisit();
  const absl::Time nine = absl::FromCivil(absl::CivilSecond(visit_day_) + 9 * 3600, ShanghaiTimeZone());
  visits_clock_.Set(nine + absl::Minutes(5));
  ASSERT_OK(CheckIn(VolunteerOf(0), "in-0", 0).status());
  visits_clock_.Set(nine + absl::Minutes(30));
  ASSERT_OK(visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(int released, ReleaseFutureAssignments(tx, VolunteerOf(1).subject(), visit_day_, "test",
                                                            visits_clock_.Now()));
    EXPECT_EQ(released, 1);
    return absl::OkStatus();
  }));
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 1);
  EXPECT_EQ(visits_database_->Count("released_assignments"), 1);
  visits_clock_.Set(nine + absl::Hours(1));
  EXPECT_THAT(CheckIn(VolunteerOf(1), "in-1", 1), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(CheckOut(VolunteerOf(1), "out-1", 1), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 1);

  visits_clock_.Advance(absl::Minutes(50));
  ASSERT_OK(CheckOut(VolunteerOf(0), "out-0", 0).status());
  CloseTheCase("close-1");
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 1);
  EXPECT_EQ(visits_database_->Count("released_assignments"), 1);
  visits_clock_.Advance(absl::Hours(48));  // Monday, back in signal
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent,
                       Submit(VolunteerOf(0), "send-1", {Report(kReportA, 0)}));
  ASSERT_EQ(sent.results_size(), 1);
  EXPECT_EQ(sent.results(0).code(), 0) << sent.results(0).message();
  EXPECT_EQ(visits_database_->Count("visit_reports"), 1);

  // The released person's check-in sent late, naming 09:20 (before the release): taken.
  EXPECT_OK(CheckIn(VolunteerOf(1), "in-1-late", 1, nine + absl::Minutes(20)).status());
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 2);
}

// A check-in and a release of the same visit at once: the check-in waits for the release's lock on the
// assignment and then finds the visit withdrawn before it. Without that lock it read the row the release was
// deleting, recorded the person as at the household, and answered OK.
TEST_F(FieldVisitsTest, CheckIn_WhileAReleaseHoldsTheVisit_WaitsThenRefused) {
  SetUpVisit();
  std::atomic<bool> answered{false};
  absl::StatusOr<v1::CheckInResponse> check_in = absl::UnknownError("not called");
  std::thread field;
  ASSERT_OK(visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(int released, ReleaseFutureAssignments(tx, visitors_[0].participant_id(), visit_day_,
                                                            "test", visits_clock_.Now()));
    EXPECT_EQ(released, 1);
    field = std::thread([&] {
      check_in = CheckIn(wuding_caseworker_, "in-0", 0);
      answered = true;
    });
    absl::SleepFor(absl::Milliseconds(700));
    EXPECT_FALSE(answered.load()) << "the check-in did not wait for the release";
    return absl::OkStatus();
  }));
  field.join();
  EXPECT_THAT(check_in, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 0);
}

// A report and a release of the same visit at once: the report waits for the release's lock on the visit and
// then finds it withdrawn (send the check-in first), nothing stored. Read without that lock, the report was
// stored on the visit the release was taking away, and answered OK.
TEST_F(FieldVisitsTest, SubmitReport_WhileAReleaseHoldsTheVisit_WaitsThenToldToSendTheCheckInFirst) {
  SetUpVisit();
  std::atomic<bool> answered{false};
  absl::StatusOr<v1::SubmitVisitReportsResponse> sent = absl::UnknownError("not called");
  std::thread field;
  ASSERT_OK(visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(int released, ReleaseFutureAssignments(tx, visitors_[0].participant_id(), visit_day_,
                                                            "test", visits_clock_.Now()));
    EXPECT_EQ(released, 1);
    field = std::thread([&] {
      sent = Submit(wuding_caseworker_, "send-0", {Report(kReportA, 0)});
      answered = true;
    });
    absl::SleepFor(absl::Milliseconds(700));
    EXPECT_FALSE(answered.load()) << "the report did not wait for the release";
    return absl::OkStatus();
  }));
  field.join();
  ASSERT_OK(sent.status());
  ASSERT_EQ(sent->results_size(), 1);
  EXPECT_EQ(sent->results(0).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition))
      << sent->results(0).message();
  EXPECT_EQ(visits_database_->Count("visit_reports"), 0);
}

// A visitor checks in at the household at 10:00 with no signal; at 14:00 they are taken off visits (a
// concern raised, a certificate lost) and the visit is released, nothing of it having reached the server.
// Back in signal that evening the phone sends the check-in naming 10:05, the check-out and the report: the
// visit was made before the release, so it is put back and its record taken. Without that the report was
// refused NOT_FOUND and what the visitor saw at the household was lost. The partner's check-in sent from
// 15:00, after the release, is refused: that visit was withdrawn before it began.
TEST_F(FieldVisitsTest, ReleasedAfterAnUnsentCheckIn_CheckInNamingAnEarlierTime_VisitPutBackAndReportTaken) {
  SetUpVisit();
  const absl::Time ten = visits_clock_.Now();
  visits_clock_.Advance(absl::Hours(4));
  ASSERT_OK(visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(int released, ReleaseFutureAssignments(tx, visitors_[0].participant_id(), visit_day_,
                                                            "test", visits_clock_.Now()));
    EXPECT_EQ(released, 1);  // with the partner's row: a visit is both adults'
    return absl::OkStatus();
  }));
  ASSERT_EQ(visits_database_->Count("visit_assignments"), 0);
  visits_clock_.Advance(absl::Hours(4));

  // The report sent before its check-in: refused saying to send the check-in first (NOT_FOUND would have
  // read as "nothing to send it to"), nothing written; another organisation is told of no such visit.
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse early,
                       Submit(wuding_caseworker_, "send-0", {Report(kReportA, 0)}));
  ASSERT_EQ(early.results_size(), 1);
  EXPECT_EQ(early.results(0).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition))
      << early.results(0).message();
  EXPECT_EQ(early.results(0).field(), "reports[0].assignment_id");
  EXPECT_TRUE(absl::StrContains(early.results(0).message(), "check-in first")) << early.results(0).message();
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse elsewhere,
                       Submit(other_ngo_caseworker_, "send-x", {Report(kReportB, 0)}));
  ASSERT_EQ(elsewhere.results_size(), 1);
  EXPECT_EQ(elsewhere.results(0).code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(visits_database_->Count("visit_reports"), 0);

  ASSERT_OK(CheckIn(wuding_caseworker_, "in-0", 0, ten + absl::Minutes(5)).status());
  EXPECT_OK(CheckIn(wuding_caseworker_, "in-0", 0, ten + absl::Minutes(5)).status());  // the phone's retry
  ASSERT_OK(
      CheckOut(wuding_caseworker_, "out-0", 0, v1::CONTACT_RESULT_MADE, ten + absl::Minutes(50)).status());
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent,
                       Submit(wuding_caseworker_, "send-1", {Report(kReportA, 0)}));
  ASSERT_EQ(sent.results_size(), 1);
  EXPECT_EQ(sent.results(0).code(), 0) << sent.results(0).message();
  EXPECT_EQ(visits_database_->Count("visit_reports"), 1);
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 1);
  EXPECT_EQ(visits_database_->Count("released_assignments"), 2);  // the release stays on record

  EXPECT_THAT(CheckIn(wuding_caseworker_, "in-1", 1, ten + absl::Hours(5)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 1);
  EXPECT_THAT(CheckIn(other_ngo_caseworker_, "in-1b", 1, ten), StatusIs(absl::StatusCode::kNotFound));
}

// A visitor checks in at 10:00 without signal; at 14:00 their partner loses the qualification and the visit
// is released; the visitor is planned again, in slot 0, for another household. The check-in naming 10:05
// arrives that evening: refused because the slot held another visit, and the check-out and report then
// NOT_FOUND, the record lost. Slots are an order, not an appointment: the visit comes back in the visitor's
// next free one.
TEST_F(FieldVisitsTest, ReleasedThenReplannedIntoTheSameSlot_LateCheckInRestoredIntoTheNextFreeSlot) {
  SetUpVisit();
  const Principal visitor = VolunteerOf(0);
  const absl::Time ten = visits_clock_.Now();
  visits_clock_.Advance(absl::Hours(4));
  ASSERT_OK(visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(int released, ReleaseFutureAssignments(tx, VolunteerOf(1).subject(), visit_day_, "test",
                                                            visits_clock_.Now()));
    EXPECT_EQ(released, 1);
    // Planned again (a plan of the afternoon): slot 0 of the day, another household.
    return tx
        .Execute(
            "INSERT INTO visit_assignments (id, case_id, child_id, visitor_id, visit_day, slot, planned_by,"
            " created_at) VALUES ('01JREPLANNEDVISIT000000000', 'case-other', 'child-other', ?, ?, ?, 'test',"
            " ?)",
            {assignments_[0].visitor_id(), absl::FormatCivilTime(visit_day_), int64_t{assignments_[0].slot()},
             ToSqlTimestamp(visits_clock_.Now())})
        .status();
  }));
  visits_clock_.Advance(absl::Hours(4));

  ASSERT_OK_AND_ASSIGN(v1::CheckInResponse in, CheckIn(visitor, "in-0", 0, ten + absl::Minutes(5)));
  EXPECT_EQ(in.visit().assignment().slot(), assignments_[0].slot() + 1);
  ASSERT_OK(CheckOut(visitor, "out-0", 0, v1::CONTACT_RESULT_MADE, ten + absl::Minutes(50)).status());
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent, Submit(visitor, "send-1", {Report(kReportA, 0)}));
  ASSERT_EQ(sent.results_size(), 1);
  EXPECT_EQ(sent.results(0).code(), 0) << sent.results(0).message();
  EXPECT_EQ(visits_database_->Count("visit_reports"), 1);
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 2);
}

// The stream is the whole region's visits (children, villages, danger signs, visitors), unscoped: for the
// services that follow it, never for a person such as a county's auditor, whose reads are scoped.
TEST_F(FieldVisitsTest, StreamEvents_CountyAuditor_PermissionDeniedNoEvent) {
  SetUpVisit();
  ASSERT_OK(CheckIn(wuding_caseworker_, "in-0", 0).status());
  const Principal auditor =
      shouhu::testing::MakePrincipal("auditor-2", "wuding-audit", common::v1::ROLE_AUDITOR, {"532329"});
  auto context = principals_.Context(auditor);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(700));
  auto reader = visits_stub_->StreamEvents(context.get(), v1::StreamEventsRequest());
  v1::StreamEventsResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(FieldVisitsTest, MissingCheckOut_SweptTwiceAndConcurrently_RaisedOnceOnlyForTheOneNotCheckedOut) {
  SetUpVisit();
  ASSERT_OK(CheckIn(wuding_caseworker_, "in-0", 0).status());
  ASSERT_OK(CheckIn(wuding_caseworker_, "in-1", 1).status());
  ASSERT_OK(CheckOut(wuding_caseworker_, "out-1", 1).status());
  CheckOutWatch& watch = visits_->check_out_watch();

  // Within the grace (checked in at 10:00 for slot 0, 09:00-10:30: expected to end a slot's length later,
  // 11:30; grace 3 h): nothing yet.
  visits_clock_.Set(absl::FromCivil(absl::CivilSecond(visit_day_) + 14 * 3600, ShanghaiTimeZone()));
  ASSERT_OK_AND_ASSIGN(int early, watch.SweepOnce());
  EXPECT_EQ(early, 0);

  visits_clock_.Set(absl::FromCivil(absl::CivilSecond(visit_day_) + 15 * 3600, ShanghaiTimeZone()));
  absl::StatusOr<int> raced[4];
  std::vector<std::thread> sweeps;
  for (auto& result : raced) sweeps.emplace_back([&watch, &result] { result = watch.SweepOnce(); });
  for (std::thread& t : sweeps) t.join();
  int raised = 0;
  for (const auto& result : raced) {
    ASSERT_OK(result.status());
    raised += *result;
  }
  EXPECT_EQ(raised, 1);
  ASSERT_OK_AND_ASSIGN(std::optional<PeriodicRun> run, watch.SweepIfDue());
  EXPECT_TRUE(run.has_value());
  ASSERT_OK_AND_ASSIGN(run, watch.SweepIfDue());  // the same period: another replica's claim stands
  EXPECT_FALSE(run.has_value());

  const std::vector<v1::VisitCheckOutMissing> alerts = EventsOf<v1::VisitCheckOutMissing>();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].assignment_id(), assignments_[0].assignment_id());
  EXPECT_EQ(alerts[0].division_code(), registry::testing::kWudingVillage);
}

// A visitor who began late (slot 0 ends 10:30; they checked in at 13:40) was reported missing at 13:45, the
// duty supervisor alarmed about a visit just begun: the grace now counts from a slot's length after the
// check-in.
TEST_F(FieldVisitsTest, MissingCheckOut_VisitBegunLate_GraceCountsFromTheCheckIn) {
  SetUpVisit();
  const absl::Time one_forty =
      absl::FromCivil(absl::CivilSecond(visit_day_) + 13 * 3600 + 40 * 60, ShanghaiTimeZone());
  visits_clock_.Set(one_forty);
  ASSERT_OK(CheckIn(wuding_caseworker_, "in-0", 0).status());
  CheckOutWatch& watch = visits_->check_out_watch();
  visits_clock_.Set(one_forty + absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(int at_once, watch.SweepOnce());
  EXPECT_EQ(at_once, 0);
  visits_clock_.Set(one_forty + absl::Minutes(90) + absl::Hours(3) - absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(int within_grace, watch.SweepOnce());
  EXPECT_EQ(within_grace, 0);
  visits_clock_.Set(one_forty + absl::Minutes(90) + absl::Hours(3) + absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(int after, watch.SweepOnce());
  EXPECT_EQ(after, 1);
}

TEST_F(FieldVisitsTest, SubmitVisitReports_BatchRetried_SameAnswersNothingDoubled) {
  SetUpVisit();
  const std::vector<v1::VisitReport> batch = {Report(kReportA, 0), Report(kReportB, 1)};
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse first, Submit(wuding_caseworker_, "upload-1", batch));
  ASSERT_EQ(first.results_size(), 2);
  for (const v1::ReportResult& r : first.results()) {
    EXPECT_EQ(r.code(), 0) << r.message();
    EXPECT_EQ(r.version(), 1);
  }
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse again, Submit(wuding_caseworker_, "upload-1", batch));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse resent, Submit(wuding_caseworker_, "upload-2", batch));
  EXPECT_EQ(resent.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(visits_database_->Count("visit_reports"), 2);
  EXPECT_EQ(EventsOf<v1::VisitReportSubmitted>().size(), 2u);

  ASSERT_OK_AND_ASSIGN(v1::VisitReport stored, GetReport(wuding_officer_, kReportA));
  EXPECT_EQ(stored.version(), 1);
  EXPECT_EQ(stored.child_id(), child_.child_id());
  EXPECT_EQ(stored.observations(0).note(), "奶奶做了午饭");
  EXPECT_EQ(stored.follow_ups(0).due_date(), "2027-01-31");
}

TEST_F(FieldVisitsTest, SubmitVisitReports_SameBatchRacedTwice_OneRowEachBothOk) {
  SetUpVisit();
  const std::vector<v1::VisitReport> batch = {Report(kReportA, 0)};
  absl::StatusOr<v1::SubmitVisitReportsResponse> results[2];
  std::thread racer([&] { results[1] = Submit(VolunteerOf(0), "upload-b", batch); });
  results[0] = Submit(VolunteerOf(0), "upload-a", batch);
  racer.join();
  for (const auto& result : results) {
    ASSERT_OK(result.status());
    ASSERT_EQ(result->results_size(), 1);
    EXPECT_EQ(result->results(0).code(), 0) << result->results(0).message();
  }
  EXPECT_EQ(visits_database_->Count("visit_reports"), 1);
  EXPECT_EQ(EventsOf<v1::VisitReportSubmitted>().size(), 1u);
}

TEST_F(FieldVisitsTest, SubmitVisitReports_OneBadReport_NamesIndexAndFieldOthersStored) {
  SetUpVisit();
  v1::VisitReport bad = Report(kReportB, 1);
  bad.mutable_observations(0)->clear_rating();
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse response,
                       Submit(wuding_caseworker_, "upload-1", {Report(kReportA, 0), bad}));
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_EQ(response.results(0).code(), 0);
  EXPECT_EQ(response.results(1).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(response.results(1).field(), "reports[1].observations[0].rating");
  EXPECT_EQ(response.results(1).index(), 1);
  EXPECT_EQ(visits_database_->Count("visit_reports"), 1);
  EXPECT_THAT(GetReport(wuding_officer_, kReportB), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(FieldVisitsTest, SubmitVisitReports_EmptyOrTooLargeBatch_InvalidArgumentNamingReports) {
  SetUpVisit();
  absl::StatusOr<v1::SubmitVisitReportsResponse> empty = Submit(wuding_caseworker_, "upload-1", {});
  EXPECT_THAT(empty, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(empty.status().message(), ::testing::HasSubstr("reports"));
  std::vector<v1::VisitReport> many(kMaxReportsPerBatch + 1, Report(kReportA, 0));
  EXPECT_THAT(Submit(wuding_caseworker_, "upload-2", many), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(visits_database_->Count("visit_reports"), 0);
}

TEST_F(FieldVisitsTest, SubmitVisitReports_SameIdOtherContent_AlreadyExistsAndStoredUnchanged) {
  SetUpVisit();
  ASSERT_OK(Submit(wuding_caseworker_, "upload-1", {Report(kReportA, 0)}).status());
  v1::VisitReport changed = Report(kReportA, 0);
  changed.set_outcome(v1::VISIT_OUTCOME_MOVED_AWAY);
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse response,
                       Submit(wuding_caseworker_, "upload-2", {changed}));
  EXPECT_EQ(response.results(0).code(), static_cast<int>(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(v1::VisitReport stored, GetReport(wuding_caseworker_, kReportA));
  EXPECT_EQ(stored.outcome(), v1::VISIT_OUTCOME_COMPLETED);
  EXPECT_EQ(stored.version(), 1);
  // A second report of the same visit under another id is refused too.
  ASSERT_OK_AND_ASSIGN(response, Submit(wuding_caseworker_, "upload-3", {Report(kReportB, 0)}));
  EXPECT_EQ(response.results(0).code(), static_cast<int>(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(visits_database_->Count("visit_reports"), 1);
}

TEST_F(FieldVisitsTest, EditVisitReport_StaleBaseVersion_AbortedWithCurrentVersionNothingOverwritten) {
  SetUpVisit();
  ASSERT_OK(Submit(wuding_caseworker_, "upload-1", {Report(kReportA, 0)}).status());
  v1::VisitReport first_edit = Report(kReportA, 0);
  first_edit.set_summary("补充: 孩子在校表现好");
  v1::EditVisitReportResponse edited;
  ASSERT_TRUE(Edit(wuding_caseworker_, "edit-1", first_edit, 1, &edited).ok());
  EXPECT_EQ(edited.report().version(), 2);

  v1::VisitReport stale_edit = Report(kReportA, 0);
  stale_edit.set_outcome(v1::VISIT_OUTCOME_FAMILY_REFUSED);
  v1::EditVisitReportResponse ignored;
  // Another member of the organisation edits from the version they had read.
  const grpc::Status stale = Edit(wuding_ngo_admin_, "edit-2", stale_edit, 1, &ignored);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(CurrentVersionOfGrpcStatus(stale), 2);
  ASSERT_OK_AND_ASSIGN(v1::VisitReport stored, GetReport(wuding_caseworker_, kReportA));
  EXPECT_EQ(stored.version(), 2);
  EXPECT_EQ(stored.outcome(), v1::VISIT_OUTCOME_COMPLETED);
  EXPECT_EQ(stored.summary(), "补充: 孩子在校表现好");
}

// The case's cadence runs from its last completed visit: a completed report schedules the next visit from the
// visit's day (the child is no longer due for verification), a visit that found no one changes nothing, and
// an edit taking the completion back puts the plan back as it was.
TEST_F(FieldVisitsTest, CompletedVisitReport_NextVisitFollowsFromIt_AnEditTakingItBackUndoesIt) {
  SetUpVisit();  // a high-risk case: fortnightly follow-ups
  ASSERT_OK_AND_ASSIGN(const v1::VisitPlan before, ChildPlan(wuding_officer_, child_.child_id()));
  ASSERT_EQ(before.next_visit().kind(), v1::VISIT_KIND_VERIFICATION);
  EXPECT_TRUE(before.last_completed_visit_date().empty());

  v1::VisitReport not_home = Report(kReportB, 1);
  not_home.set_outcome(v1::VISIT_OUTCOME_CHILD_NOT_AT_HOME);
  ASSERT_OK(Submit(wuding_caseworker_, "upload-1", {not_home}).status());
  ASSERT_OK_AND_ASSIGN(v1::VisitPlan plan, ChildPlan(wuding_officer_, child_.child_id()));
  EXPECT_EQ(plan.next_visit().kind(), v1::VISIT_KIND_VERIFICATION);
  EXPECT_TRUE(plan.last_completed_visit_date().empty());

  ASSERT_OK(Submit(wuding_caseworker_, "upload-2", {Report(kReportA, 0)}).status());
  ASSERT_OK_AND_ASSIGN(plan, ChildPlan(wuding_officer_, child_.child_id()));
  EXPECT_EQ(plan.last_completed_visit_date(), absl::FormatCivilTime(visit_day_));
  EXPECT_EQ(plan.next_visit().kind(), v1::VISIT_KIND_FOLLOW_UP);
  EXPECT_EQ(plan.next_visit().due_date(), absl::FormatCivilTime(visit_day_ + 14));
  EXPECT_EQ(plan.next_visit().overdue_days(), 0);

  v1::VisitReport taken_back = Report(kReportA, 0);
  taken_back.set_outcome(v1::VISIT_OUTCOME_FAMILY_REFUSED);
  v1::EditVisitReportResponse edited;
  ASSERT_TRUE(Edit(wuding_caseworker_, "edit-1", taken_back, 1, &edited).ok());
  ASSERT_OK_AND_ASSIGN(plan, ChildPlan(wuding_officer_, child_.child_id()));
  EXPECT_TRUE(plan.last_completed_visit_date().empty());
  EXPECT_EQ(plan.next_visit().kind(), v1::VISIT_KIND_VERIFICATION);
  EXPECT_EQ(plan.next_visit().due_date(), before.next_visit().due_date());
}

// A report says what was found on a visit made. A "completed" report for next Saturday sent on Wednesday was
// taken and moved the child's schedule on from that Saturday: an extreme-risk child marked visited, off the
// overdue list, before anyone went. It is refused, naming the field, and the plan is unchanged; on the day it
// is taken. An edit of a report whose visit day has not come is refused the same way.
TEST_F(FieldVisitsTest, SubmitVisitReports_CompletedBeforeTheVisitDay_RefusedNamingTheFieldPlanUnchanged) {
  SetUpVisit();
  visits_clock_.Set(absl::FromCivil(absl::CivilSecond(visit_day_ - 3) + 10 * 3600, ShanghaiTimeZone()));
  ASSERT_OK_AND_ASSIGN(const v1::VisitPlan before, ChildPlan(wuding_officer_, child_.child_id()));
  const std::vector<std::string> rows_before = PlanRows();
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse early,
                       Submit(wuding_caseworker_, "upload-early", {Report(kReportA, 0)}));
  ASSERT_EQ(early.results_size(), 1);
  EXPECT_EQ(early.results(0).code(), static_cast<int32_t>(absl::StatusCode::kFailedPrecondition))
      << early.results(0).message();
  EXPECT_EQ(early.results(0).field(), "reports[0].assignment_id");
  EXPECT_EQ(visits_database_->Count("visit_reports"), 0);
  EXPECT_EQ(PlanRows(), rows_before);
  ASSERT_OK_AND_ASSIGN(const v1::VisitPlan after, ChildPlan(wuding_officer_, child_.child_id()));
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());

  // On the visit day (Shanghai's, from its first minute) the same report is taken.
  visits_clock_.Set(absl::FromCivil(absl::CivilSecond(visit_day_), ShanghaiTimeZone()));
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse on_the_day,
                       Submit(wuding_caseworker_, "upload-on-the-day", {Report(kReportA, 0)}));
  EXPECT_EQ(on_the_day.results(0).code(), 0) << on_the_day.results(0).message();

  // A clock one day behind the visit (a report stored ahead of it, by a version before this rule): its edit
  // is refused and the report stays as it was.
  visits_clock_.Set(absl::FromCivil(absl::CivilSecond(visit_day_ - 1) + 23 * 3600, ShanghaiTimeZone()));
  v1::VisitReport edit = Report(kReportA, 0);
  edit.set_summary("提前填写");
  v1::EditVisitReportResponse ignored;
  const grpc::Status refused = Edit(wuding_caseworker_, "edit-early", edit, 1, &ignored);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << refused.error_message();
  EXPECT_EQ(FieldOfGrpcStatus(refused), "report.assignment_id");
  ASSERT_OK_AND_ASSIGN(v1::VisitReport stored, GetReport(wuding_caseworker_, kReportA));
  EXPECT_EQ(stored.version(), 1);
  EXPECT_TRUE(stored.summary().empty());
}

// A volunteer reports abuse noticed in a child's home; then a concern is raised about the volunteer
// themself. Acting as themself they could still read the child's report (health, safety, danger signs) and
// edit it to drop the danger sign. Their reports are now gone for them (NOT_FOUND, nothing changed); the
// caseworker still reads the report as it was.
TEST_F(FieldVisitsTest, ConcernAboutTheVisitor_TheirOwnReportNotFoundForThemNothingChanged_StaffStillRead) {
  SetUpVisit();
  const Principal visitor = VolunteerOf(0);
  ASSERT_OK(CheckIn(visitor, "in-0", 0).status());
  ASSERT_OK(CheckOut(visitor, "out-0", 0).status());
  v1::VisitReport report = Report(kReportA, 0);
  report.add_danger_signs(v1::DANGER_SIGN_ABUSE);
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent, Submit(visitor, "send-1", {report}));
  ASSERT_EQ(sent.results(0).code(), 0) << sent.results(0).message();
  ASSERT_OK(GetReport(visitor, kReportA).status());  // theirs, before the concern

  v1::SafeguardingConcern concern;
  for (const v1::Visitor& v : visitors_) {
    if (v.participant_id() == visitor.subject()) {
      concern.set_visitor_id(v.visitor_id());
      concern.set_organisation_id(v.organisation_id());
      concern.set_division_code(v.home_village_code());
    }
  }
  concern.set_participant_id(visitor.subject());
  concern.set_category(v1::CONCERN_CATEGORY_INAPPROPRIATE_CONTACT);
  concern.set_reporter(v1::CONCERN_REPORTER_CHILD);
  concern.set_account("他让我不要告诉别人。");
  concern.set_child_id(child_.child_id());
  const IdempotencyKey key{"shouhu.visits.v1.VisitsService/RaiseSafeguardingConcern", "caseworker-1",
                           "concern-1", "concern-1"};
  ASSERT_OK(visits_->safeguarding_store()
                .RaiseConcern(key, Actor{"caseworker-1", "ngo-wuding", visits_clock_.Now()}, concern,
                              ShanghaiDay(visits_clock_.Now()))
                .status());

  EXPECT_THAT(GetReport(visitor, kReportA), StatusIs(absl::StatusCode::kNotFound));
  v1::VisitReport dropped = Report(kReportA, 0);  // the danger sign left out
  v1::EditVisitReportResponse ignored;
  EXPECT_EQ(Edit(visitor, "edit-1", dropped, 1, &ignored).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_OK_AND_ASSIGN(v1::VisitReport stored, GetReport(wuding_caseworker_, kReportA));
  EXPECT_EQ(stored.version(), 1);
  ASSERT_EQ(stored.danger_signs_size(), 1);
  EXPECT_EQ(stored.danger_signs(0), v1::DANGER_SIGN_ABUSE);
}

// A Wuding volunteer checks in at 10:00 on Saturday; that afternoon the case moves to another county (the
// visit under way stays). On Monday the phone sends the check-out and the report: admission compared the new
// county's village with the volunteer's jurisdiction, answered NOT_FOUND, and what was seen at the household
// was lost. A visit checked in is judged on the village it was made in.
TEST_F(FieldVisitsTest, CaseMovedCountyAfterTheCheckIn_OldCountysVisitorChecksOutAndReports) {
  SetUpVisit();
  const Principal visitor = VolunteerOf(0);
  const absl::Time ten = visits_clock_.Now();
  ASSERT_OK(CheckIn(visitor, "in-0", 0).status());

  visits_clock_.Advance(absl::Hours(5));
  MoveTheCaseToXixia();

  visits_clock_.Advance(absl::Hours(43));  // Monday, back in signal
  ASSERT_OK(CheckOut(visitor, "out-0", 0, v1::CONTACT_RESULT_MADE, ten + absl::Minutes(50)).status());
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent, Submit(visitor, "send-1", {Report(kReportA, 0)}));
  ASSERT_EQ(sent.results_size(), 1);
  EXPECT_EQ(sent.results(0).code(), 0) << sent.results(0).message();
  EXPECT_EQ(visits_database_->Count("visit_reports"), 1);
}

// A Wuding volunteer visits on Saturday without signal, and the check-in never syncs (the app lost it); on
// Monday morning the case moves to Xixia, another county (a visit of a day gone is not released). The report
// the phone sends on Monday was judged on the case's village now: NOT_FOUND for the volunteer who made the
// visit, what was seen at the household lost, while a Xixia caseworker, who made no visit there, was
// admitted to report on it. A visit is judged on the village it was planned in.
TEST_F(FieldVisitsTest, CaseMovedCountyAfterAVisitWithoutCheckIn_ReportJudgedOnThePlannedVillage) {
  SetUpVisit();
  const Principal visitor = VolunteerOf(0);
  visits_clock_.Advance(absl::Hours(46));  // Monday, 08:00
  MoveTheCaseToXixia();
  EXPECT_EQ(visits_database_->Count("released_assignments"), 0);
  visits_clock_.Advance(absl::Hours(4));

  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse elsewhere,
                       Submit(xixia_caseworker_, "send-x", {Report(kReportB, 1)}));
  ASSERT_EQ(elsewhere.results_size(), 1);
  EXPECT_EQ(elsewhere.results(0).code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(visits_database_->Count("visit_reports"), 0);

  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent, Submit(visitor, "send-1", {Report(kReportA, 0)}));
  ASSERT_EQ(sent.results_size(), 1);
  EXPECT_EQ(sent.results(0).code(), 0) << sent.results(0).message();
  EXPECT_EQ(visits_database_->Count("visit_reports"), 1);
  // Stored where the visit was made: the old county reads it, the new one does not.
  EXPECT_OK(GetReport(wuding_caseworker_, kReportA).status());
  EXPECT_THAT(GetReport(xixia_officer_, kReportA), StatusIs(absl::StatusCode::kNotFound));
}

// A Wuding volunteer checks in at 10:05 on Saturday without signal; at 14:00 the case moves to Xixia and its
// visits from that day are released, this one with them (no check-in of it had reached the server). That
// evening the phone sends the report, then the check-in naming 10:05, the check-out and the report again.
// Judged on the case's village now, the report was NOT_FOUND instead of "send the check-in first", and the
// check-in NOT_FOUND too: the record of a visit made before the move was lost, and a Xixia caseworker could
// put the visit back with a check-in of theirs. The late check-in is judged on the village the visit was
// planned in, and the visit comes back there.
TEST_F(FieldVisitsTest, CaseMovedCountyAfterAnUnsentCheckIn_LateCheckInJudgedOnThePlannedVillage) {
  SetUpVisit();
  const Principal visitor = VolunteerOf(0);
  const absl::Time ten = visits_clock_.Now();
  visits_clock_.Advance(absl::Hours(4));
  MoveTheCaseToXixia();
  ASSERT_EQ(visits_database_->Count("visit_assignments"), 0);
  ASSERT_EQ(visits_database_->Count("released_assignments"), 2);
  visits_clock_.Advance(absl::Hours(4));

  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse early,
                       Submit(visitor, "send-0", {Report(kReportA, 0)}));
  ASSERT_EQ(early.results_size(), 1);
  EXPECT_EQ(early.results(0).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition))
      << early.results(0).message();
  EXPECT_TRUE(absl::StrContains(early.results(0).message(), "check-in first")) << early.results(0).message();
  EXPECT_THAT(CheckIn(xixia_caseworker_, "in-x", 1, ten + absl::Minutes(5)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 0);

  ASSERT_OK(CheckIn(visitor, "in-0", 0, ten + absl::Minutes(5)).status());
  ASSERT_OK(CheckOut(visitor, "out-0", 0, v1::CONTACT_RESULT_MADE, ten + absl::Minutes(50)).status());
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent, Submit(visitor, "send-1", {Report(kReportA, 0)}));
  ASSERT_EQ(sent.results_size(), 1);
  EXPECT_EQ(sent.results(0).code(), 0) << sent.results(0).message();
  EXPECT_EQ(visits_database_->Count("visit_reports"), 1);
  EXPECT_OK(GetReport(wuding_caseworker_, kReportA).status());
  EXPECT_THAT(GetReport(xixia_officer_, kReportA), StatusIs(absl::StatusCode::kNotFound));
}

// A team reaches the household on Saturday at 10:00; the family will not let them in and the visit ends at
// the gate, with no check-in: the first visitor sends the report at 10:30. At 14:00 the case moves to Xixia
// and its visits from that day are released: this one went too (no check-in), reported as it was, and the
// partner's report sent that evening was refused, told to send first a check-in the partner never made. A
// visit with a report is made: a case's release keeps it, and the partner's report is taken.
TEST_F(FieldVisitsTest, CaseMovedCountyAfterAReportWithoutCheckIn_TheVisitStaysAndThePartnersReportIsTaken) {
  SetUpVisit();
  visits_clock_.Advance(absl::Minutes(30));
  v1::VisitReport first = Report(kReportA, 0);
  first.set_outcome(v1::VISIT_OUTCOME_FAMILY_REFUSED);
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent, Submit(VolunteerOf(0), "send-0", {first}));
  ASSERT_EQ(sent.results_size(), 1);
  ASSERT_EQ(sent.results(0).code(), 0) << sent.results(0).message();

  visits_clock_.Advance(absl::Minutes(210));  // 14:00
  MoveTheCaseToXixia();
  EXPECT_EQ(visits_database_->Count("released_assignments"), 0);
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 2);

  visits_clock_.Advance(absl::Hours(6));
  v1::VisitReport partners = Report(kReportB, 1);
  partners.set_outcome(v1::VISIT_OUTCOME_FAMILY_REFUSED);
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse later, Submit(VolunteerOf(1), "send-1", {partners}));
  ASSERT_EQ(later.results_size(), 1);
  EXPECT_EQ(later.results(0).code(), 0) << later.results(0).message();
  EXPECT_EQ(visits_database_->Count("visit_reports"), 2);
}

// A Wuding volunteer checks in at 10:00 on Saturday and finds the family without food (an urgent need,
// reported at 10:50); at 14:00 the case moves to Xixia, where the child now lives. On Monday the report is
// edited to add that the child has no winter quilt, and the partner sends their report naming a medical need.
// The needs found after the move were sent with the village the visit was made in, so the allowance service
// drafted the relief in a Wuding program, which no longer serves the child, and Xixia's officers never saw
// it. An urgent need goes to where the child lives when it is raised; the report and its record stay where
// the visit was made.
TEST_F(FieldVisitsTest, CaseMovedCountyAfterTheVisit_UrgentNeedRaisedThenGoesToTheCountyTheChildLivesIn) {
  SetUpVisit();
  auto with_need = [](v1::VisitReport report, v1::UrgentNeedKind kind) {
    v1::NeedFound* need = report.add_needs();
    need->set_kind(kind);
    need->set_urgent(true);
    need->set_estimated_amount_fen(50'000);
    return report;
  };
  ASSERT_OK(CheckIn(VolunteerOf(0), "in-0", 0).status());
  visits_clock_.Advance(absl::Minutes(50));
  const v1::VisitReport first = with_need(Report(kReportA, 0), v1::URGENT_NEED_KIND_FOOD);
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent, Submit(VolunteerOf(0), "send-0", {first}));
  ASSERT_EQ(sent.results_size(), 1);
  ASSERT_EQ(sent.results(0).code(), 0) << sent.results(0).message();

  visits_clock_.Advance(absl::Minutes(190));  // 14:00
  MoveTheCaseToXixia();
  visits_clock_.Advance(absl::Hours(42));  // Monday, 08:00
  v1::EditVisitReportResponse edited;
  const grpc::Status edit =
      Edit(VolunteerOf(0), "edit-0", with_need(first, v1::URGENT_NEED_KIND_CLOTHING_BEDDING), 1, &edited);
  ASSERT_TRUE(edit.ok()) << edit.error_message();
  ASSERT_OK_AND_ASSIGN(
      v1::SubmitVisitReportsResponse partners,
      Submit(VolunteerOf(1), "send-1", {with_need(Report(kReportB, 1), v1::URGENT_NEED_KIND_MEDICAL)}));
  ASSERT_EQ(partners.results_size(), 1);
  ASSERT_EQ(partners.results(0).code(), 0) << partners.results(0).message();

  const std::vector<v1::UrgentNeedFound> needs = EventsOf<v1::UrgentNeedFound>();
  ASSERT_EQ(needs.size(), 3u);
  EXPECT_EQ(needs[0].kind(), v1::URGENT_NEED_KIND_FOOD);
  EXPECT_EQ(needs[0].division_code(), registry::testing::kWudingVillage);  // raised before the move
  EXPECT_EQ(needs[1].kind(), v1::URGENT_NEED_KIND_CLOTHING_BEDDING);
  EXPECT_EQ(needs[1].division_code(), registry::testing::kXixiaVillage);
  EXPECT_EQ(needs[2].kind(), v1::URGENT_NEED_KIND_MEDICAL);
  EXPECT_EQ(needs[2].division_code(), registry::testing::kXixiaVillage);
  for (const v1::UrgentNeedFound& need : needs) EXPECT_EQ(need.organisation_id(), "ngo-wuding");
  // The record of the visit stays where it was made.
  for (const v1::VisitReportSubmitted& report : EventsOf<v1::VisitReportSubmitted>()) {
    EXPECT_EQ(report.division_code(), registry::testing::kWudingVillage);
  }
  EXPECT_OK(GetReport(wuding_caseworker_, kReportB).status());
}

// A report naming an urgent need and the case's move to Xixia at the same moment: the report waits for the
// move's hold on the case and then sends the need to Xixia, where the child now lives. Read without that
// lock, the report did not wait and sent the need to Wuding, whose programs no longer serve the child.
TEST_F(FieldVisitsTest, UrgentNeedReported_WhileTheCaseMovesCounty_WaitsThenGoesToTheNewCounty) {
  SetUpVisit();
  v1::VisitReport report = Report(kReportA, 0);
  report.set_outcome(v1::VISIT_OUTCOME_CHILD_NOT_AT_HOME);
  v1::NeedFound* need = report.add_needs();
  need->set_kind(v1::URGENT_NEED_KIND_FOOD);
  need->set_urgent(true);
  std::atomic<bool> answered{false};
  absl::StatusOr<v1::SubmitVisitReportsResponse> sent = absl::UnknownError("not called");
  std::thread field;
  // The move as the follower of the registry folds it: the case's plan locked and re-homed, not yet
  // committed.
  ASSERT_OK(visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
    RETURN_IF_ERROR(
        tx.Query("SELECT case_id FROM case_plans WHERE case_id = ? FOR UPDATE", {child_.case_id()}).status());
    RETURN_IF_ERROR(tx.Execute("UPDATE case_plans SET village_code = ? WHERE case_id = ?",
                               {std::string(registry::testing::kXixiaVillage), child_.case_id()})
                        .status());
    field = std::thread([&] {
      sent = Submit(VolunteerOf(0), "send-0", {report});
      answered = true;
    });
    absl::SleepFor(absl::Milliseconds(700));
    EXPECT_FALSE(answered.load()) << "the report did not wait for the move";
    return absl::OkStatus();
  }));
  field.join();
  ASSERT_OK(sent.status());
  ASSERT_EQ(sent->results_size(), 1);
  EXPECT_EQ(sent->results(0).code(), 0) << sent->results(0).message();
  const std::vector<v1::UrgentNeedFound> needs = EventsOf<v1::UrgentNeedFound>();
  ASSERT_EQ(needs.size(), 1u);
  EXPECT_EQ(needs[0].division_code(), registry::testing::kXixiaVillage);
}

// Rolling upgrade (visits 0044): a replica older than the planned village plans, releases and restores
// visits without it. Such a visit is judged on its case's village, as before: its report and its late
// check-in are taken, not refused for a village the row does not hold.
TEST_F(FieldVisitsTest, VisitsAnOlderReplicaWroteWithoutTheirVillage_JudgedOnTheCasesVillage) {
  SetUpVisit();
  const absl::Time ten = visits_clock_.Now();
  ASSERT_OK(visits_database_->pool().Autocommit([](db::Session& s) {
    return s.Execute("UPDATE visit_assignments SET village_code = NULL", {}).status();
  }));
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent,
                       Submit(VolunteerOf(1), "send-1", {Report(kReportB, 1)}));
  ASSERT_EQ(sent.results_size(), 1);
  EXPECT_EQ(sent.results(0).code(), 0) << sent.results(0).message();
  EXPECT_EQ(visits_database_->Count("visit_reports"), 1);

  // Taken off visits at 14:00 (the visit, with no check-in, goes whole); the check-in naming 10:05 is taken.
  visits_clock_.Advance(absl::Hours(4));
  ASSERT_OK(visits_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
    return ReleaseFutureAssignments(tx, VolunteerOf(1).subject(), visit_day_, "test", visits_clock_.Now())
        .status();
  }));
  ASSERT_EQ(visits_database_->Count("released_assignments"), 2);
  EXPECT_OK(CheckIn(VolunteerOf(0), "in-0", 0, ten + absl::Minutes(5)).status());
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 1);
}

// Rolling upgrade (visits 0044): a visit an older replica planned without its village, released by a move a
// newer replica follows. The release copied the village it did not have, so the visit was judged where the
// case went: the check-in naming 10:05, sent that evening by the Wuding volunteer who made the visit, was
// NOT_FOUND. The release keeps the village the case is leaving, where the visit was planned.
TEST_F(FieldVisitsTest, VisitAnOlderReplicaPlannedWithoutItsVillage_ReleasedByAMove_KeepsThePlannedVillage) {
  SetUpVisit();
  const absl::Time ten = visits_clock_.Now();
  ASSERT_OK(visits_database_->pool().Autocommit([](db::Session& s) {
    return s.Execute("UPDATE visit_assignments SET village_code = NULL", {}).status();
  }));
  visits_clock_.Advance(absl::Hours(4));
  MoveTheCaseToXixia();
  ASSERT_EQ(visits_database_->Count("released_assignments"), 2);
  ASSERT_OK(visits_database_->pool().Autocommit([](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT village_code FROM released_assignments", {}));
    for (const db::Row& row : rows) {
      EXPECT_FALSE(row.IsNull(0));
      if (!row.IsNull(0)) {
        EXPECT_EQ(row.String(0), registry::testing::kWudingVillage);
      }
    }
    return absl::OkStatus();
  }));
  visits_clock_.Advance(absl::Hours(4));
  EXPECT_THAT(CheckIn(xixia_caseworker_, "in-x", 1, ten + absl::Minutes(5)),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(CheckIn(VolunteerOf(0), "in-0", 0, ten + absl::Minutes(5)).status());
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 1);
}

// A visit released by a county move before visits 0044 kept the village it was planned in (the migration
// left such rows empty, as an older replica's release still writes them): the family was visited two weeks
// before (checked in, reported); this weekend the volunteer checks in at 10:05 without signal and at 14:00
// the case moves to Xixia, releasing the visit. Judged on the case's village now, the report sent that
// evening was NOT_FOUND instead of "send the check-in first", the volunteer's check-in naming 10:05
// NOT_FOUND, and a Xixia caseworker of the same organisation, who made no visit there, could put the visit
// back with a check-in of theirs. Such a visit is judged on the village of the case's last check-in before
// the release.
TEST_F(FieldVisitsTest, VisitReleasedByAMoveWithoutItsVillage_LateCheckInJudgedOnTheVillageLastVisited) {
  SetUpVisit();
  ASSERT_OK(CheckIn(VolunteerOf(0), "in-first", 0).status());
  visits_clock_.Advance(absl::Minutes(50));
  ASSERT_OK(CheckOut(VolunteerOf(0), "out-first", 0).status());
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse first,
                       Submit(VolunteerOf(0), "send-first", {Report(kReportB, 0)}));
  ASSERT_EQ(first.results(0).code(), 0) << first.results(0).message();

  // The follow-up visit, due two weeks later.
  saturday_ += 14;
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse plan, Plan("plan-2"));
  ASSERT_EQ(plan.assignments_size(), 2);
  assignments_.assign(plan.assignments().begin(), plan.assignments().end());
  ASSERT_OK_AND_ASSIGN(visit_day_, ParseDay(assignments_[0].visit_date(), "visit_date"));
  const absl::Time ten = absl::FromCivil(absl::CivilSecond(visit_day_) + 10 * 3600, ShanghaiTimeZone());
  visits_clock_.Set(ten + absl::Hours(4));
  MoveTheCaseToXixia();
  ASSERT_EQ(visits_database_->Count("released_assignments"), 2);
  ASSERT_OK(visits_database_->pool().Autocommit([](db::Session& s) {
    return s.Execute("UPDATE released_assignments SET village_code = NULL", {}).status();
  }));
  visits_clock_.Advance(absl::Hours(4));

  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse early,
                       Submit(VolunteerOf(0), "send-0", {Report(kReportA, 0)}));
  ASSERT_EQ(early.results_size(), 1);
  EXPECT_EQ(early.results(0).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition))
      << early.results(0).message();
  EXPECT_THAT(CheckIn(xixia_caseworker_, "in-x", 1, ten + absl::Minutes(5)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(visits_database_->Count("visit_contacts"), 1);

  ASSERT_OK(CheckIn(VolunteerOf(0), "in-0", 0, ten + absl::Minutes(5)).status());
  ASSERT_OK(CheckOut(VolunteerOf(0), "out-0", 0, v1::CONTACT_RESULT_MADE, ten + absl::Minutes(50)).status());
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent,
                       Submit(VolunteerOf(0), "send-1", {Report(kReportA, 0)}));
  ASSERT_EQ(sent.results_size(), 1);
  EXPECT_EQ(sent.results(0).code(), 0) << sent.results(0).message();
  EXPECT_OK(GetReport(wuding_caseworker_, kReportA).status());
  EXPECT_THAT(GetReport(xixia_officer_, kReportA), StatusIs(absl::StatusCode::kNotFound));
}

// A child's visits after the child moved county (DESIGN.md: a record outside the caller's jurisdiction does
// not exist). The visits were listed by the case's village now: the Wuding officer, whose county made them,
// no longer saw them (their own work record, whose reports they still read), while Xixia's officer saw them,
// with the Wuding household's check-in points, and could read none of their reports. A visit is the record
// of the county it was made in: Wuding lists both, Xixia none (the child's case, risk and follow-ups reach
// Xixia through the registry).
TEST_F(FieldVisitsTest, ListChildVisits_AfterTheCaseMovedCounty_TheVisitsStayWithTheCountyThatMadeThem) {
  SetUpVisit();
  ASSERT_OK(CheckIn(VolunteerOf(0), "in-0", 0).status());
  visits_clock_.Advance(absl::Hours(4));
  MoveTheCaseToXixia();
  ASSERT_EQ(visits_database_->Count("visit_assignments"), 2);  // under way: it stays

  v1::ListChildVisitsRequest request;
  request.set_child_id(child_.child_id());
  request.set_purpose("个案回顾");
  v1::ListChildVisitsResponse in_xixia;
  auto as_xixia = principals_.Context(xixia_officer_);
  ASSERT_TRUE(visits_stub_->ListChildVisits(as_xixia.get(), request, &in_xixia).ok());
  EXPECT_EQ(in_xixia.visits_size(), 0);
  v1::ListChildVisitsResponse in_wuding;
  auto as_wuding = principals_.Context(wuding_officer_);
  ASSERT_TRUE(visits_stub_->ListChildVisits(as_wuding.get(), request, &in_wuding).ok());
  ASSERT_EQ(in_wuding.visits_size(), 2);
  for (const v1::VisitRecord& v : in_wuding.visits()) {
    EXPECT_EQ(v.village_code(), registry::testing::kWudingVillage);
  }
}

// Rolling upgrade (visits 0044): an older replica planned Saturday's visit without its village; the check-in
// never synced, and on Monday morning the case moves to Xixia (a visit of a day gone stays). Judged on the
// case's village now, the report the Wuding volunteer sent that afternoon was NOT_FOUND and a Xixia
// caseworker of the same organisation, who made no visit there, could report on it. The move gives the case's
// visits planned without their village the one the case is leaving, where they were planned.
TEST_F(FieldVisitsTest,
       VisitAnOlderReplicaPlannedWithoutItsVillage_CaseMovedAfterTheDay_ReportJudgedWhereItWas) {
  SetUpVisit();
  ASSERT_OK(visits_database_->pool().Autocommit([](db::Session& s) {
    return s.Execute("UPDATE visit_assignments SET village_code = NULL", {}).status();
  }));
  visits_clock_.Advance(absl::Hours(46));  // Monday, 08:00
  MoveTheCaseToXixia();
  ASSERT_EQ(visits_database_->Count("released_assignments"), 0);
  visits_clock_.Advance(absl::Hours(4));

  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse elsewhere,
                       Submit(xixia_caseworker_, "send-x", {Report(kReportB, 1)}));
  ASSERT_EQ(elsewhere.results_size(), 1);
  EXPECT_EQ(elsewhere.results(0).code(), static_cast<int>(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse sent,
                       Submit(VolunteerOf(0), "send-1", {Report(kReportA, 0)}));
  ASSERT_EQ(sent.results_size(), 1);
  EXPECT_EQ(sent.results(0).code(), 0) << sent.results(0).message();
  EXPECT_EQ(visits_database_->Count("visit_reports"), 1);
  EXPECT_OK(GetReport(wuding_caseworker_, kReportA).status());
}

// What an older version left (visits 0032): completed visits stored while the plans stayed due for their
// verification visits. A starting visits service brings such plans up to their reports, once: after the
// repair is recorded, a later start walks nothing.
TEST_F(FieldVisitsTest, PlansBehindTheirCompletedVisits_BroughtUpWhenVisitsStarts_Once) {
  SetUpVisit();
  ASSERT_OK(Submit(wuding_caseworker_, "upload-1", {Report(kReportA, 0)}).status());
  auto forget_completions = [&](bool and_the_repair) {
    StopVisits();
    ASSERT_OK(visits_database_->pool().Autocommit([&](db::Session& session) -> absl::Status {
      RETURN_IF_ERROR(
          session.Execute("UPDATE case_plans SET last_completed_visit = NULL, last_visitor_id = ''")
              .status());
      if (!and_the_repair) return absl::OkStatus();
      return session.Execute("DELETE FROM data_repairs").status();
    }));
    StartVisits();
    ASSERT_TRUE(visits_->completed_visits_repair().AwaitFinished(absl::Seconds(30)));
  };

  forget_completions(/*and_the_repair=*/true);
  ASSERT_OK_AND_ASSIGN(v1::VisitPlan plan, ChildPlan(wuding_officer_, child_.child_id()));
  EXPECT_EQ(plan.last_completed_visit_date(), absl::FormatCivilTime(visit_day_));
  EXPECT_EQ(plan.next_visit().kind(), v1::VISIT_KIND_FOLLOW_UP);
  EXPECT_EQ(plan.next_visit().due_date(), absl::FormatCivilTime(visit_day_ + 14));
  EXPECT_EQ(visits_database_->Count("data_repairs"), 1);

  forget_completions(/*and_the_repair=*/false);
  ASSERT_OK_AND_ASSIGN(plan, ChildPlan(wuding_officer_, child_.child_id()));
  EXPECT_TRUE(plan.last_completed_visit_date().empty());
}

// Raw bytes of a column in every row of a visits table, for looking for plain text where none may be.
std::vector<std::string> RawColumn(db::Pool& pool, const std::string& sql) {
  std::vector<std::string> values;
  EXPECT_OK(pool.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(sql));
    for (const db::Row& row : rows) values.push_back(row.IsNull(0) ? "<null>" : row.String(0));
    return absl::OkStatus();
  }));
  return values;
}

TEST_F(FieldVisitsTest, ReportContent_StoredSealed_NoPlainTextInTheReportOrTheRetryRecord) {
  SetUpVisit();
  ASSERT_OK(Submit(wuding_caseworker_, "upload-1", {Report(kReportA, 0)}).status());
  v1::VisitReport edit = Report(kReportA, 0);
  edit.set_summary("父亲在外打工, 孩子由奶奶照顾");
  v1::EditVisitReportResponse edited;
  ASSERT_TRUE(Edit(wuding_caseworker_, "edit-1", edit, 1, &edited).ok());

  db::Pool& pool = visits_database_->pool();
  EXPECT_THAT(RawColumn(pool, "SELECT body FROM visit_reports"), ::testing::ElementsAre("<null>"));
  const std::vector<std::string> sealed = RawColumn(pool, "SELECT body_sealed FROM visit_reports");
  ASSERT_EQ(sealed.size(), 1u);
  const std::vector<std::string> answers =
      RawColumn(pool, "SELECT response FROM idempotency_records WHERE method LIKE '%EditVisitReport%'");
  ASSERT_EQ(answers.size(), 1u);
  for (const std::string& text : {std::string("奶奶做了午饭"), std::string("下次带作业本"), edit.summary()}) {
    EXPECT_EQ(sealed[0].find(text), std::string::npos) << "plain text in visit_reports.body_sealed";
    EXPECT_EQ(answers[0].find(text), std::string::npos) << "plain text in the recorded answer";
  }

  // The retry still answers with the whole report, as the first call did.
  v1::EditVisitReportResponse retried;
  ASSERT_TRUE(Edit(wuding_caseworker_, "edit-1", edit, 1, &retried).ok());
  EXPECT_EQ(retried.SerializeAsString(), edited.SerializeAsString());
  EXPECT_EQ(retried.report().summary(), edit.summary());
  EXPECT_EQ(retried.report().observations(0).note(), "奶奶做了午饭");
  ASSERT_OK_AND_ASSIGN(v1::VisitReport stored, GetReport(wuding_officer_, kReportA));
  EXPECT_EQ(stored.version(), 2);
  EXPECT_EQ(stored.summary(), edit.summary());
}

TEST_F(FieldVisitsTest, ReportsWrittenBeforeSealing_ReadAsTheyWere_AndSealedWhenVisitsStarts) {
  SetUpVisit();
  ASSERT_OK(Submit(wuding_caseworker_, "upload-1", {Report(kReportA, 0), Report(kReportB, 1)}).status());
  ASSERT_OK_AND_ASSIGN(v1::VisitReport a_before, GetReport(wuding_officer_, kReportA));
  // Back to how reports were stored before visits migration 0021: the content in body, nothing sealed.
  ASSERT_OK_AND_ASSIGN(PiiCrypto crypto, PiiCrypto::Create(pii_seal_key_, pii_lookup_key_));
  db::Pool& pool = visits_database_->pool();
  ASSERT_OK(pool.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, tx.Query("SELECT id, body_sealed FROM visit_reports FOR UPDATE"));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(std::string body, crypto.Open(row.String(1), row.String(0)));
      RETURN_IF_ERROR(tx.Execute("UPDATE visit_reports SET body = ?, body_sealed = NULL WHERE id = ?",
                                 {body, row.String(0)})
                          .status());
    }
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(v1::VisitReport a_plain, GetReport(wuding_officer_, kReportA));
  EXPECT_EQ(a_plain.SerializeAsString(), a_before.SerializeAsString());

  StopVisits();
  StartVisits();
  ASSERT_TRUE(visits_->report_sealing().AwaitFinished(absl::Seconds(30)));
  EXPECT_THAT(RawColumn(pool, "SELECT body FROM visit_reports"), ::testing::ElementsAre("<null>", "<null>"));
  for (const std::string& sealed : RawColumn(pool, "SELECT body_sealed FROM visit_reports")) {
    EXPECT_NE(sealed, "<null>");
    EXPECT_EQ(sealed.find("奶奶做了午饭"), std::string::npos);
  }
  ASSERT_OK_AND_ASSIGN(v1::VisitReport a_sealed, GetReport(wuding_officer_, kReportA));
  EXPECT_EQ(a_sealed.SerializeAsString(), a_before.SerializeAsString());
  ASSERT_OK_AND_ASSIGN(v1::VisitReport b_sealed, GetReport(wuding_officer_, kReportB));
  EXPECT_EQ(b_sealed.observations(0).note(), "奶奶做了午饭");
}

TEST_F(FieldVisitsTest, EditVisitReport_BadField_InvalidArgumentNamingItNothingWritten) {
  SetUpVisit();
  ASSERT_OK(Submit(wuding_caseworker_, "upload-1", {Report(kReportA, 0)}).status());
  v1::VisitReport bad = Report(kReportA, 0);
  bad.mutable_follow_ups(0)->set_due_date("2027-02-30");
  v1::EditVisitReportResponse ignored;
  const grpc::Status status = Edit(wuding_caseworker_, "edit-1", bad, 1, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOfGrpcStatus(status), "report.follow_ups[0].due_date");
  ASSERT_OK_AND_ASSIGN(v1::VisitReport stored, GetReport(wuding_caseworker_, kReportA));
  EXPECT_EQ(stored.version(), 1);
}

TEST_F(FieldVisitsTest, SubmitVisitReports_DangerSignAndUrgentNeed_EventsOnStreamInTheReportsTransaction) {
  SetUpVisit();
  v1::VisitReport report = Report(kReportA, 0);
  report.add_danger_signs(v1::DANGER_SIGN_NO_CAREGIVER);
  v1::NeedFound* need = report.add_needs();
  need->set_kind(v1::URGENT_NEED_KIND_CLOTHING_BEDDING);
  need->set_urgent(true);
  need->set_estimated_amount_fen(30'000);
  v1::NeedFound* later = report.add_needs();
  later->set_kind(v1::URGENT_NEED_KIND_SCHOOLING);  // not urgent: no event
  ASSERT_OK_AND_ASSIGN(v1::SubmitVisitReportsResponse response, Submit(VolunteerOf(0), "upload-1", {report}));
  ASSERT_EQ(response.results(0).code(), 0) << response.results(0).message();

  const std::vector<v1::DangerSignsRaised> danger = EventsOf<v1::DangerSignsRaised>();
  ASSERT_EQ(danger.size(), 1u);
  EXPECT_EQ(danger[0].report_id(), kReportA);
  EXPECT_EQ(danger[0].child_id(), child_.child_id());
  EXPECT_EQ(danger[0].case_id(), child_.case_id());
  EXPECT_THAT(danger[0].danger_signs(), ::testing::ElementsAre(v1::DANGER_SIGN_NO_CAREGIVER));
  const std::vector<v1::UrgentNeedFound> urgent = EventsOf<v1::UrgentNeedFound>();
  ASSERT_EQ(urgent.size(), 1u);
  EXPECT_EQ(urgent[0].report_id(), kReportA);
  EXPECT_EQ(urgent[0].visit_id(), assignments_[0].assignment_id());
  EXPECT_EQ(urgent[0].kind(), v1::URGENT_NEED_KIND_CLOTHING_BEDDING);
  EXPECT_EQ(urgent[0].estimated_amount_fen(), 30'000);
  EXPECT_EQ(urgent[0].division_code(), registry::testing::kWudingVillage);
  EXPECT_EQ(urgent[0].organisation_id(), "ngo-wuding");
  EXPECT_EQ(urgent[0].reported_by(), VolunteerOf(0).subject());

  // An edit that keeps them raises nothing again; one that adds a sign raises only that one.
  v1::EditVisitReportResponse edited;
  report.add_danger_signs(v1::DANGER_SIGN_ABUSE);
  ASSERT_TRUE(Edit(VolunteerOf(0), "edit-1", report, 1, &edited).ok());
  const std::vector<v1::DangerSignsRaised> after = EventsOf<v1::DangerSignsRaised>();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_THAT(after[1].danger_signs(), ::testing::ElementsAre(v1::DANGER_SIGN_ABUSE));
  EXPECT_EQ(EventsOf<v1::UrgentNeedFound>().size(), 1u);
}

TEST_F(FieldVisitsTest, Reads_AnotherCountyOrOrganisation_NotFoundAndListsExclude) {
  SetUpVisit();
  ASSERT_OK(CheckIn(wuding_caseworker_, "in-0", 0).status());
  ASSERT_OK(Submit(wuding_caseworker_, "upload-1", {Report(kReportA, 0)}).status());
  EXPECT_THAT(GetReport(xixia_officer_, kReportA), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(GetReport(other_ngo_caseworker_, kReportA), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(GetReport(VolunteerOf(1), kReportA), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(GetReport(auditor_, kReportA).status());

  v1::ListChildVisitsRequest request;
  request.set_child_id(child_.child_id());
  request.set_purpose("个案回顾");
  for (const Principal* as : {&xixia_officer_, &other_ngo_caseworker_}) {
    v1::ListChildVisitsResponse response;
    auto context = principals_.Context(*as);
    ASSERT_TRUE(visits_stub_->ListChildVisits(context.get(), request, &response).ok());
    EXPECT_EQ(response.visits_size(), 0);
  }
  v1::ListChildVisitsResponse response;
  auto context = principals_.Context(wuding_officer_);
  ASSERT_TRUE(visits_stub_->ListChildVisits(context.get(), request, &response).ok());
  ASSERT_EQ(response.visits_size(), 2);
  int with_report = 0;
  for (const v1::VisitRecord& v : response.visits()) with_report += v.report_id() == kReportA ? 1 : 0;
  EXPECT_EQ(with_report, 1);

  // What was shown is in the registry's access log under the child, with who and why (DESIGN.md: every read
  // of a child's personal data); refused reads and pages that showed nothing are not. None was logged before.
  const std::vector<rv1::AccessLogEntry> reports = AccessLogOf(child_.child_id(), "visits.GetVisitReport");
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].subject(), auditor_.subject());
  EXPECT_EQ(reports[0].fields(), "visit_report");
  EXPECT_EQ(reports[0].purpose(), "家访跟进");
  const std::vector<rv1::AccessLogEntry> histories = AccessLogOf(child_.child_id(), "visits.ListChildVisits");
  ASSERT_EQ(histories.size(), 1u);
  EXPECT_EQ(histories[0].subject(), wuding_officer_.subject());
  EXPECT_EQ(histories[0].purpose(), "个案回顾");
  // A read that gives no reason is refused.
  v1::GetVisitReportRequest no_purpose;
  no_purpose.set_report_id(kReportA);
  v1::GetVisitReportResponse unanswered;
  auto as_auditor = principals_.Context(auditor_);
  EXPECT_EQ(visits_stub_->GetVisitReport(as_auditor.get(), no_purpose, &unanswered).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(AccessLogOf(child_.child_id(), "visits.GetVisitReport").size(), 1u);
}

TEST_F(FieldVisitsTest, GetVisitStatistics_TeamVisitMade_CountsTheHouseholdOnceWithPeopleSeen) {
  SetUpVisit();
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_OK(CheckIn(wuding_caseworker_, absl::StrCat("in-", i), i).status());
    ASSERT_OK(CheckOut(wuding_caseworker_, absl::StrCat("out-", i), i).status());
  }
  v1::GetVisitStatisticsRequest request;
  const std::string month = absl::FormatCivilTime(absl::CivilMonth(visit_day_));
  request.set_first_month(month);
  request.set_last_month(month);
  v1::GetVisitStatisticsResponse response;
  auto context = principals_.Context(wuding_officer_);
  ASSERT_TRUE(visits_stub_->GetVisitStatistics(context.get(), request, &response).ok());
  ASSERT_EQ(response.rows_size(), 1);
  EXPECT_EQ(response.rows(0).county_code(), "532329");
  EXPECT_EQ(response.rows(0).month(), month);
  EXPECT_EQ(response.rows(0).visits_made(), 1);
  EXPECT_EQ(response.rows(0).visits_attempted(), 0);
  EXPECT_EQ(response.rows(0).person_times(), 2);  // the child and a guardian
  EXPECT_EQ(response.rows(0).distinct_children(), 1);

  v1::GetVisitStatisticsResponse other;
  auto xixia = principals_.Context(xixia_officer_);
  ASSERT_TRUE(visits_stub_->GetVisitStatistics(xixia.get(), request, &other).ok());
  EXPECT_EQ(other.rows_size(), 0);
  request.set_last_month("not-a-month");
  auto bad = principals_.Context(wuding_officer_);
  const grpc::Status status = visits_stub_->GetVisitStatistics(bad.get(), request, &other);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOfGrpcStatus(status), "last_month");
}

TEST_F(FieldVisitsTest, PlanWeekend_AgainAfterANewCase_PlacesOnlyTheNewOneAndThenNothing) {
  SetUpVisit();
  const rv1::Case second = RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  AwaitRegistryEvents();
  for (const char* tag : {"c", "d"}) {
    ASSERT_OK_AND_ASSIGN(v1::Visitor v, Register(wuding_ngo_admin_, Registration(absl::StrCat("reg-", tag))));
    training_->SetQualified(v.participant_id(), true);
  }
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse replan, Plan("plan-2"));
  EXPECT_EQ(replan.already_planned(), 1);
  ASSERT_EQ(replan.assignments_size(), 2);
  for (const v1::Assignment& a : replan.assignments()) {
    EXPECT_EQ(a.case_id(), second.case_id());
    for (const v1::Assignment& kept : assignments_) EXPECT_NE(a.visitor_id(), kept.visitor_id());
  }
  ASSERT_OK_AND_ASSIGN(v1::PlanWeekendResponse third, Plan("plan-3"));
  EXPECT_EQ(third.already_planned(), 2);
  EXPECT_EQ(third.assignments_size(), 0);
  EXPECT_EQ(third.unplaced_size(), 0);
  EXPECT_EQ(visits_database_->Count("visit_assignments"), 4);
}

// Verification after payment, the visits end: the allowance service's HouseholdVerificationRequested (a test
// event source on its own schema stands in for the allowance's StreamEvents, the shape every service's
// has) followed by a real EventConsumer applying the module's follower; the next visit to the child shows
// what to check; the result is recorded once during the visit and raised for the allowance service.
class PaymentVerificationTest : public FieldVisitsTest {
 protected:
  void SetUp() override {
    FieldVisitsTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(source_db_, shouhu::testing::TestDatabase::Create({}));
    source_ = std::make_unique<shouhu::testing::EventSource>(source_db_->pool());
  }
  void TearDown() override {
    source_.reset();
    source_db_.reset();
    FieldVisitsTest::TearDown();
  }

  std::unique_ptr<EventConsumer> Follow(const std::string& name) {
    EventConsumerOptions options;
    options.name = name;
    options.method = shouhu::testing::kEventSourceStreamMethod;
    options.channel = source_->channel();
    options.identify = allowance_identity_.ForSelf();
    options.min_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(100);
    const PaymentVerificationFollower* follower = &visits_->payment_verification_follower();
    auto consumer = std::make_unique<EventConsumer>(
        visits_database_->pool(), metrics_, logger_, options,
        [follower](db::Session& tx, const common::v1::Event& e) { return follower->Apply(tx, e); });
    consumer->Start();
    return consumer;
  }

  void AwaitCheckpoint(EventConsumer& consumer, int64_t sequence) {
    const absl::Time give_up = absl::Now() + absl::Minutes(1);
    while (consumer.Checkpoint().value_or(0) < sequence && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_OK_AND_ASSIGN(int64_t checkpoint, consumer.Checkpoint());
    ASSERT_EQ(checkpoint, sequence);
  }

  absl::Status Publish(const std::string& payment_id, const std::string& child_id, int64_t amount_fen) {
    allowance::v1::HouseholdVerificationRequested requested;
    requested.set_payment_id(payment_id);
    requested.set_program_id("01JPROGRAM0000000000000000");
    requested.set_child_id(child_id);
    requested.set_division_code(registry::testing::kWudingVillage);
    requested.set_type(allowance::v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
    requested.set_amount_fen(amount_fen);
    requested.set_paid_on("2026-11-28");
    return source_db_->pool().Transaction(
        [&](db::Session& tx) { return source_->outbox().Append(tx, payment_id, requested, absl::Now()); });
  }

  absl::StatusOr<v1::ListVisitorAssignmentsResponse> AssignmentsOf(size_t i) {
    v1::ListVisitorAssignmentsRequest request;
    request.set_visitor_id(assignments_[i].visitor_id());
    request.set_weekend_date(absl::FormatCivilTime(saturday_));
    v1::ListVisitorAssignmentsResponse response;
    auto context = principals_.Context(wuding_caseworker_);
    grpc::Status status = visits_stub_->ListVisitorAssignments(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  absl::StatusOr<v1::RecordPaymentVerificationResponse> Record(const Principal& as,
                                                               const std::string& request_id,
                                                               const std::string& payment_id,
                                                               v1::PaymentVerificationResult result,
                                                               const std::string& note) {
    v1::RecordPaymentVerificationRequest request;
    request.set_request_id(request_id);
    request.set_assignment_id(assignments_[0].assignment_id());
    request.set_payment_id(payment_id);
    request.set_result(result);
    request.set_note(note);
    v1::RecordPaymentVerificationResponse response;
    auto context = principals_.Context(as);
    grpc::Status status = visits_stub_->RecordPaymentVerification(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  int64_t PendingRows() {
    int64_t pending = -1;
    EXPECT_OK(visits_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<db::Row> row,
                       s.QueryOne("SELECT COUNT(*) FROM payment_verifications WHERE result = 0"));
      pending = row ? row->Int(0) : 0;
      return absl::OkStatus();
    }));
    return pending;
  }

  const ServiceIdentity allowance_identity_{"allowance", shouhu::testing::TestServiceKey("allowance"),
                                            clock_};
  std::unique_ptr<shouhu::testing::TestDatabase> source_db_;
  std::unique_ptr<shouhu::testing::EventSource> source_;
};

constexpr char kPaymentOfChild[] = "01JPAYMENT0000000000000001";
constexpr char kPaymentOfOther[] = "01JPAYMENT0000000000000002";

TEST_F(PaymentVerificationTest, NextVisit_ShowsWhatToCheck_ResultRecordedOnceAndRaised_ReplayChangesNothing) {
  SetUpVisit();
  ASSERT_OK(Publish(kPaymentOfChild, child_.child_id(), 80'000));
  ASSERT_OK(Publish(kPaymentOfOther, "01JOTHERCHILD0000000000000", 50'000));
  ASSERT_OK(Publish(kPaymentOfChild, child_.child_id(), 80'000));  // published twice
  {
    std::unique_ptr<EventConsumer> consumer = Follow("visits-from-allowance-test");
    AwaitCheckpoint(*consumer, 3);
  }
  EXPECT_EQ(visits_database_->Count("payment_verifications"), 2);

  // The visitor's view of the weekend: what to ask the household about, nothing more.
  ASSERT_OK_AND_ASSIGN(v1::ListVisitorAssignmentsResponse view, AssignmentsOf(0));
  ASSERT_EQ(view.assignments_size(), 1);
  ASSERT_EQ(view.assignments(0).payments_to_verify_size(), 1);
  const v1::PaymentToVerify& check = view.assignments(0).payments_to_verify(0);
  EXPECT_EQ(check.payment_id(), kPaymentOfChild);
  EXPECT_EQ(check.allowance_type(), "ALLOWANCE_TYPE_EMERGENCY_RELIEF");
  EXPECT_EQ(check.amount_fen(), 80'000);
  EXPECT_EQ(check.paid_on(), "2026-11-28");

  // Not before the visit has started; bad input names its field; neither writes anything.
  EXPECT_THAT(Record(VolunteerOf(0), "verify-early", kPaymentOfChild,
                     v1::PAYMENT_VERIFICATION_RESULT_NOT_RECEIVED, "奶奶说没收到"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(CheckIn(VolunteerOf(0), "in-1", 0));
  auto missing_note =
      Record(VolunteerOf(0), "verify-bad", kPaymentOfChild, v1::PAYMENT_VERIFICATION_RESULT_NOT_RECEIVED, "");
  EXPECT_THAT(missing_note, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(missing_note.status().message(), ::testing::HasSubstr("note"));
  auto no_result = Record(VolunteerOf(0), "verify-bad-2", kPaymentOfChild,
                          v1::PAYMENT_VERIFICATION_RESULT_UNSPECIFIED, "");
  EXPECT_THAT(no_result, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(no_result.status().message(), ::testing::HasSubstr("result"));
  // Another child's payment is not this visit's to check; another visitor's assignment is not theirs.
  EXPECT_THAT(Record(VolunteerOf(0), "verify-other", kPaymentOfOther,
                     v1::PAYMENT_VERIFICATION_RESULT_RECEIVED_IN_FULL, ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Record(VolunteerOf(1), "verify-not-mine", kPaymentOfChild,
                     v1::PAYMENT_VERIFICATION_RESULT_RECEIVED_IN_FULL, ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(PendingRows(), 2);
  EXPECT_TRUE(EventsOf<v1::PaymentVerificationRecorded>().empty());

  ASSERT_OK_AND_ASSIGN(v1::RecordPaymentVerificationResponse first,
                       Record(VolunteerOf(0), "verify-1", kPaymentOfChild,
                              v1::PAYMENT_VERIFICATION_RESULT_RECEIVED_PARTLY, "奶奶说只收到一半"));
  EXPECT_EQ(first.verification().result(), v1::PAYMENT_VERIFICATION_RESULT_RECEIVED_PARTLY);
  EXPECT_EQ(first.verification().child_id(), child_.child_id());
  // A retry answers the first answer; a second result is refused.
  ASSERT_OK_AND_ASSIGN(v1::RecordPaymentVerificationResponse retry,
                       Record(VolunteerOf(0), "verify-1", kPaymentOfChild,
                              v1::PAYMENT_VERIFICATION_RESULT_RECEIVED_PARTLY, "奶奶说只收到一半"));
  EXPECT_EQ(retry.verification().recorded_at().seconds(), first.verification().recorded_at().seconds());
  EXPECT_THAT(Record(wuding_caseworker_, "verify-2", kPaymentOfChild,
                     v1::PAYMENT_VERIFICATION_RESULT_RECEIVED_IN_FULL, ""),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  const std::vector<v1::PaymentVerificationRecorded> raised = EventsOf<v1::PaymentVerificationRecorded>();
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].payment_id(), kPaymentOfChild);
  EXPECT_EQ(raised[0].program_id(), "01JPROGRAM0000000000000000");
  EXPECT_EQ(raised[0].result(), v1::PAYMENT_VERIFICATION_RESULT_RECEIVED_PARTLY);
  EXPECT_EQ(raised[0].note(), "奶奶说只收到一半");

  // Checked: the next view no longer asks.
  ASSERT_OK_AND_ASSIGN(view, AssignmentsOf(0));
  EXPECT_EQ(view.assignments(0).payments_to_verify_size(), 0);

  // A second consumer from sequence 0 (a checkpoint reset): nothing pending again, nothing new.
  std::unique_ptr<EventConsumer> replay = Follow("visits-from-allowance-replay");
  AwaitCheckpoint(*replay, 3);
  EXPECT_EQ(visits_database_->Count("payment_verifications"), 2);
  EXPECT_EQ(PendingRows(), 1);  // the other child's, still waiting for its visit
  ASSERT_OK_AND_ASSIGN(view, AssignmentsOf(0));
  EXPECT_EQ(view.assignments(0).payments_to_verify_size(), 0);
}

}  // namespace
}  // namespace shouhu::visits::testing
