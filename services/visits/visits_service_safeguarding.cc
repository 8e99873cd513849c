// The safeguarding half of the visits service's gRPC edge: concerns about visitors, raised by whoever took
// them down, read and reviewed only by safeguarding leads and auditors (the roles are the proto's), scoped
// where the visitor lives and by their organisation (outside scope: NOT_FOUND).
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/visits/safeguarding_validation.h"
#include "services/visits/visits_service.h"

namespace shouhu::visits {
namespace {

RecordScope ScopeOf(const v1::SafeguardingConcern& concern) {
  return {concern.division_code(), concern.organisation_id()};
}

}  // namespace

grpc::ServerUnaryReactor* VisitsService::RaiseSafeguardingConcern(
    grpc::CallbackServerContext* ctx, const v1::RaiseSafeguardingConcernRequest* req,
    v1::RaiseSafeguardingConcernResponse* resp) {
  return edge_.Unary(ctx, "RaiseSafeguardingConcern", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRaiseSafeguardingConcern(*req));
    ASSIGN_OR_RETURN(std::optional<v1::Visitor> visitor, store_.GetVisitor(req->visitor_id()));
    if (!visitor) return absl::NotFoundError("visitor not found");
    RETURN_IF_ERROR(RequireInScope(p, {visitor->home_village_code(), visitor->organisation_id()}, "visitor"));
    v1::SafeguardingConcern concern;
    concern.set_visitor_id(visitor->visitor_id());
    concern.set_participant_id(visitor->participant_id());
    concern.set_organisation_id(visitor->organisation_id());
    concern.set_division_code(visitor->home_village_code());
    concern.set_category(req->category());
    concern.set_reporter(req->reporter());
    concern.set_account(req->account());
    concern.set_child_id(req->child_id());
    concern.set_assignment_id(req->assignment_id());
    const absl::Time now = clock_.Now();
    ASSIGN_OR_RETURN(
        *resp, safeguarding_.RaiseConcern(edge_.Key("RaiseSafeguardingConcern", p, req->request_id(), *req),
                                          ActorOf(p, now), concern, ShanghaiDay(now)));
    // The concern and the release of the visits are committed; the suspension follows at once when training
    // answers, else the sync job carries it (the answer says which).
    resp->set_suspension_confirmed(desk_.SyncConcern(resp->concern_id()).ok());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::GetSafeguardingConcern(grpc::CallbackServerContext* ctx,
                                                                const v1::GetSafeguardingConcernRequest* req,
                                                                v1::GetSafeguardingConcernResponse* resp) {
  return edge_.Unary(ctx, "GetSafeguardingConcern", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->concern_id(), "concern_id"));
    ASSIGN_OR_RETURN(std::optional<v1::SafeguardingConcern> concern,
                     safeguarding_.GetConcern(req->concern_id()));
    if (!concern) return absl::NotFoundError("safeguarding concern not found");
    RETURN_IF_ERROR(RequireInScope(p, ScopeOf(*concern), "safeguarding concern"));
    *resp->mutable_concern() = *std::move(concern);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::ListSafeguardingConcerns(
    grpc::CallbackServerContext* ctx, const v1::ListSafeguardingConcernsRequest* req,
    v1::ListSafeguardingConcernsResponse* resp) {
  return edge_.Unary(ctx, "ListSafeguardingConcerns", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateListSafeguardingConcerns(*req));
    ConcernFilter filter;
    ASSIGN_OR_RETURN(filter.division_prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(filter.organisation_id, ScopedOrganisation(p, ""));
    ASSIGN_OR_RETURN(filter.page, ReadPageRequest(req->page_size(), req->page_token()));
    filter.state = req->state();
    ASSIGN_OR_RETURN(std::vector<v1::SafeguardingConcern> concerns, safeguarding_.ListConcerns(filter));
    resp->set_next_page_token(NextPageToken(concerns, filter.page.limit,
                                            [](const v1::SafeguardingConcern& c) { return c.concern_id(); }));
    for (v1::SafeguardingConcern& c : concerns) *resp->add_concerns() = std::move(c);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::ReviewSafeguardingConcern(
    grpc::CallbackServerContext* ctx, const v1::ReviewSafeguardingConcernRequest* req,
    v1::ReviewSafeguardingConcernResponse* resp) {
  return edge_.Unary(ctx, "ReviewSafeguardingConcern", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateReviewSafeguardingConcern(*req));
    ASSIGN_OR_RETURN(
        *resp, safeguarding_.ReviewConcern(edge_.Key("ReviewSafeguardingConcern", p, req->request_id(), *req),
                                           ActorOf(p, clock_.Now()), req->concern_id(), req->decision(),
                                           req->note(), [&](const v1::SafeguardingConcern& c) {
                                             return RequireInScope(p, ScopeOf(c), "safeguarding concern");
                                           }));
    resp->mutable_concern()->set_review_note(req->note());
    // A reinstatement owed goes out now when training answers, else with the sync job.
    (void)desk_.SyncConcern(req->concern_id());
    return absl::OkStatus();
  });
}

}  // namespace shouhu::visits
