// The group-activity half of the visits service's gRPC edge: activities at care sites, schools and villages,
// led by facilitators training says are qualified for group activities on the day, with children's
// attendance counted once per child per activity (人次). Scoped where the activity is held and by the
// organisation that runs it (outside scope: NOT_FOUND). Facilitators who later lose the qualification are
// taken off by the follower of training's events; the organiser names others here.
#include "absl/strings/str_cat.h"
#include "common/call_identity.h"
#include "common/clock.h"
#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "services/visits/group_activity_rules.h"
#include "services/visits/group_activity_validation.h"
#include "services/visits/visits_service.h"

namespace shouhu::visits {
namespace {

RecordScope ScopeOf(const v1::GroupActivity& activity) {
  return {activity.division_code(), activity.organisation_id()};
}

// True when `key`'s request committed before and `response` now holds its first answer
// (group_activity_store.h).
template <typename Response>
absl::StatusOr<bool> AnsweredBefore(GroupActivityStore& groups, const IdempotencyKey& key,
                                    Response& response) {
  ASSIGN_OR_RETURN(std::optional<std::string> first, groups.FirstAnswer(key));
  if (!first) return false;
  if (!response.ParseFromString(*first)) return absl::InternalError("a recorded answer does not parse");
  return true;
}

}  // namespace

absl::Status VisitsService::RequireQualifiedFacilitators(const grpc::CallbackServerContext& ctx,
                                                         const std::vector<std::string>& ids,
                                                         absl::CivilDay day, absl::string_view field) const {
  ASSIGN_OR_RETURN(
      std::vector<training::v1::QualificationResult> results,
      training_.BatchCheckQualification(ForCaller(ctx), ids, training::v1::ACTIVITY_GROUP_ACTIVITY,
                                        absl::FormatCivilTime(day)));
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i < results.size() && results[i].participant_id() == ids[i] && results[i].qualified()) continue;
    std::string why = "not known to training";
    if (i < results.size() && results[i].reasons_size() > 0) {
      why = training::v1::QualificationReason_Name(results[i].reasons(0).reason());
    }
    return absl::FailedPreconditionError(
        absl::StrCat(field, "[", i, "] is not qualified for group activities on the day (", why, ")"));
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* VisitsService::ScheduleGroupActivity(grpc::CallbackServerContext* ctx,
                                                               const v1::ScheduleGroupActivityRequest* req,
                                                               v1::ScheduleGroupActivityResponse* resp) {
  return edge_.Unary(ctx, "ScheduleGroupActivity", [=](const Principal& p) -> absl::Status {
    ASSIGN_OR_RETURN(absl::CivilDay day, ValidateScheduleGroupActivity(*req));
    // Holding an activity outside the caller's jurisdiction or for another organisation: that place does not
    // exist for them, the same answer as reading a record there.
    RETURN_IF_ERROR(RequireInScope(p, ScopeOf(req->activity()), "division"));
    const IdempotencyKey key = edge_.Key("ScheduleGroupActivity", p, req->request_id(), *req);
    ASSIGN_OR_RETURN(bool retry, AnsweredBefore(groups_, key, *resp));
    if (retry) return absl::OkStatus();
    const std::vector<std::string> leads(req->activity().facilitator_participant_ids().begin(),
                                         req->activity().facilitator_participant_ids().end());
    // Read before training is asked: the store refuses a facilitator whose loss arrived after this.
    ASSIGN_OR_RETURN(FacilitatorLossesSeen losses, groups_.FacilitatorLossesOf(leads));
    RETURN_IF_ERROR(RequireQualifiedFacilitators(*ctx, leads, day, "activity.facilitator_participant_ids"));
    ASSIGN_OR_RETURN(*resp,
                     groups_.ScheduleActivity(key, ActorOf(p, clock_.Now()), req->activity(), day, losses));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::ChangeGroupActivityFacilitators(
    grpc::CallbackServerContext* ctx, const v1::ChangeGroupActivityFacilitatorsRequest* req,
    v1::ChangeGroupActivityFacilitatorsResponse* resp) {
  return edge_.Unary(ctx, "ChangeGroupActivityFacilitators", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateChangeGroupActivityFacilitators(*req));
    // Scope first, so that nobody outside learns of the activity; then a retry's first answer; then the day,
    // so that training is not asked about an activity already held. The store checks scope and day again
    // under the activity's lock.
    ASSIGN_OR_RETURN(std::optional<v1::GroupActivity> activity, groups_.GetActivity(req->activity_id()));
    if (!activity) return absl::NotFoundError("group activity not found");
    RETURN_IF_ERROR(RequireInScope(p, ScopeOf(*activity), "group activity"));
    const IdempotencyKey key = edge_.Key("ChangeGroupActivityFacilitators", p, req->request_id(), *req);
    ASSIGN_OR_RETURN(bool retry, AnsweredBefore(groups_, key, *resp));
    if (retry) return absl::OkStatus();
    ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(activity->activity_date(), "activity_date"));
    const absl::Time now = clock_.Now();
    RETURN_IF_ERROR(FacilitatorsMayChange(day, ShanghaiDay(now)));
    const std::vector<std::string> leads(req->facilitator_participant_ids().begin(),
                                         req->facilitator_participant_ids().end());
    ASSIGN_OR_RETURN(FacilitatorLossesSeen losses, groups_.FacilitatorLossesOf(leads));
    RETURN_IF_ERROR(RequireQualifiedFacilitators(*ctx, leads, day, "facilitator_participant_ids"));
    ASSIGN_OR_RETURN(*resp, groups_.ChangeFacilitators(key, ActorOf(p, now), req->activity_id(), leads,
                                                       losses, [&](const v1::GroupActivity& a) {
                                                         return RequireInScope(p, ScopeOf(a),
                                                                               "group activity");
                                                       }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::RecordGroupAttendance(grpc::CallbackServerContext* ctx,
                                                               const v1::RecordGroupAttendanceRequest* req,
                                                               v1::RecordGroupAttendanceResponse* resp) {
  return edge_.Unary(ctx, "RecordGroupAttendance", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordGroupAttendance(*req));
    const std::vector<std::string> children(req->child_ids().begin(), req->child_ids().end());
    ASSIGN_OR_RETURN(*resp,
                     groups_.RecordAttendance(edge_.Key("RecordGroupAttendance", p, req->request_id(), *req),
                                              ActorOf(p, clock_.Now()), req->activity_id(), children,
                                              [&](const v1::GroupActivity& a) {
                                                return RequireInScope(p, ScopeOf(a), "group activity");
                                              }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::ListGroupActivities(grpc::CallbackServerContext* ctx,
                                                             const v1::ListGroupActivitiesRequest* req,
                                                             v1::ListGroupActivitiesResponse* resp) {
  return edge_.Unary(ctx, "ListGroupActivities", [=](const Principal& p) -> absl::Status {
    GroupActivityFilter filter;
    ASSIGN_OR_RETURN(filter.division_prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(filter.organisation_id, ScopedOrganisation(p, ""));
    filter.needing_facilitator = req->needing_facilitator();
    filter.today = ShanghaiDay(clock_.Now());
    ASSIGN_OR_RETURN(filter.page, ReadPageRequest(req->page_size(), req->page_token()));
    ASSIGN_OR_RETURN(std::vector<v1::GroupActivity> activities, groups_.ListActivities(filter));
    resp->set_next_page_token(NextPageToken(activities, filter.page.limit,
                                            [](const v1::GroupActivity& a) { return a.activity_id(); }));
    for (v1::GroupActivity& a : activities) *resp->add_activities() = std::move(a);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::SummarizeGroupActivities(
    grpc::CallbackServerContext* ctx, const v1::SummarizeGroupActivitiesRequest* req,
    v1::SummarizeGroupActivitiesResponse* resp) {
  return edge_.Unary(ctx, "SummarizeGroupActivities", [=](const Principal& p) -> absl::Status {
    ASSIGN_OR_RETURN(MonthRange months, ValidateSummarizeGroupActivities(*req));
    GroupActivityPeriod period;
    ASSIGN_OR_RETURN(period.division_prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(period.organisation_id, ScopedOrganisation(p, ""));
    period.first_day = months.first_day;
    period.last_day = months.last_day;
    ASSIGN_OR_RETURN(GroupActivitySummary summary, groups_.Summarize(period));
    resp->set_activities(summary.activities);
    resp->set_person_times(summary.person_times);
    resp->set_distinct_children(summary.distinct_children);
    return absl::OkStatus();
  });
}

}  // namespace shouhu::visits
