// The group-activity half of the visits service's gRPC edge: activities at care sites, schools and villages,
// led by facilitators training says are qualified for group activities on the day, with children's
// attendance counted once per child per activity (人次). Scoped where the activity is held and by the
// organisation that runs it (outside scope: NOT_FOUND).
#include "absl/strings/str_cat.h"
#include "common/call_identity.h"
#include "common/clock.h"
#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "services/visits/group_activity_validation.h"
#include "services/visits/visits_service.h"

namespace shouhu::visits {
namespace {

RecordScope ScopeOf(const v1::GroupActivity& activity) {
  return {activity.division_code(), activity.organisation_id()};
}

}  // namespace

absl::Status VisitsService::RequireQualifiedFacilitators(const grpc::CallbackServerContext& ctx,
                                                         const v1::GroupActivity& activity,
                                                         absl::CivilDay day) const {
  const std::vector<std::string> ids(activity.facilitator_participant_ids().begin(),
                                     activity.facilitator_participant_ids().end());
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
    return absl::FailedPreconditionError(absl::StrCat("activity.facilitator_participant_ids[", i,
                                                      "] is not qualified for group activities on the day (",
                                                      why, ")"));
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
    RETURN_IF_ERROR(RequireQualifiedFacilitators(*ctx, req->activity(), day));
    ASSIGN_OR_RETURN(*resp,
                     groups_.ScheduleActivity(edge_.Key("ScheduleGroupActivity", p, req->request_id(), *req),
                                              ActorOf(p, clock_.Now()), req->activity()));
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
