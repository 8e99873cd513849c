// The visits service's edge for the visit in the field: check-in and check-out, visit reports (a batch from
// the field, an edit against a version, a read), a child's visits, statistics and the event stream. Each
// mutation decides the caller's right to the assignment on the locked row inside the store's transaction
// (RequireMayActOn: scope, and a volunteer's own assignment); outside it a record does not exist.
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/call_identity.h"
#include "common/event_stream.h"
#include "common/grpc_status.h"
#include "common/idempotency.h"
#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/visits/field_visit_rules.h"
#include "services/visits/visits_service.h"

namespace shouhu::visits {
namespace {

Admission MayActOn(const Principal& p, absl::string_view kind) {
  return [&p, kind](const AssignmentParties& parties) { return RequireMayActOn(p, parties, kind); };
}

// When the visitor did it: the request's `at` (checked against the visit day), else now.
template <typename Request>
std::function<absl::StatusOr<absl::Time>(absl::CivilDay)> InstantOf(const Request& req, absl::Time now) {
  return
      [&req, now](absl::CivilDay day) { return FieldInstant(req.has_at() ? &req.at() : nullptr, now, day); };
}

// The store names a field within the report; the batch's answer names it within the batch ("reports[3].").
absl::Status InBatch(absl::Status status, absl::string_view prefix) {
  const std::string field = FieldOf(status);
  if (!field.empty()) status.SetPayload(kFieldPayload, absl::Cord(absl::StrCat(prefix, field)));
  return status;
}

// The longest purpose the registry's access log keeps.
constexpr size_t kMaxReadPurposeChars = 255;

struct ChildShown {
  std::string child_id;
  std::string village_code;
};

// A read of the children's data this service keeps, as the registry's access log records it: the person
// answered, the method, the fields shown and why.
registry::v1::RecordAccessRequest ReadOfChildren(const Principal& p, const char* method, const char* fields,
                                                 const std::string& purpose,
                                                 std::vector<ChildShown> children) {
  registry::v1::RecordAccessRequest read;
  read.set_subject(p.subject());
  read.set_organisation_id(p.organisation_id());
  read.set_method(method);
  read.set_fields(fields);
  read.set_purpose(purpose);
  for (ChildShown& c : children) {
    registry::v1::AccessedChild* shown = read.add_children();
    shown->set_child_id(std::move(c.child_id));
    shown->set_village_code(std::move(c.village_code));
  }
  return read;
}

}  // namespace

grpc::ServerUnaryReactor* VisitsService::CheckIn(grpc::CallbackServerContext* ctx,
                                                 const v1::CheckInRequest* req, v1::CheckInResponse* resp) {
  return edge_.Unary(ctx, "CheckIn", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateCheckIn(*req));
    const absl::Time now = clock_.Now();
    CheckInCommand command;
    command.assignment_id = req->assignment_id();
    command.at = InstantOf(*req, now);
    if (req->has_location()) command.location = req->location();
    ASSIGN_OR_RETURN(*resp, field_.CheckIn(edge_.Key("CheckIn", p, req->request_id(), *req), ActorOf(p, now),
                                           command, MayActOn(p, "assignment")));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::CheckOut(grpc::CallbackServerContext* ctx,
                                                  const v1::CheckOutRequest* req,
                                                  v1::CheckOutResponse* resp) {
  return edge_.Unary(ctx, "CheckOut", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateCheckOut(*req));
    const absl::Time now = clock_.Now();
    CheckOutCommand command;
    command.assignment_id = req->assignment_id();
    command.at = InstantOf(*req, now);
    if (req->has_location()) command.location = req->location();
    command.contact = req->contact();
    ASSIGN_OR_RETURN(*resp, field_.CheckOut(edge_.Key("CheckOut", p, req->request_id(), *req),
                                            ActorOf(p, now), command, MayActOn(p, "assignment")));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::RecordPaymentVerification(
    grpc::CallbackServerContext* ctx, const v1::RecordPaymentVerificationRequest* req,
    v1::RecordPaymentVerificationResponse* resp) {
  return edge_.Unary(ctx, "RecordPaymentVerification", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidatePaymentVerification(*req));
    PaymentVerificationCommand command;
    command.assignment_id = req->assignment_id();
    command.payment_id = req->payment_id();
    command.result = req->result();
    command.note = req->note();
    ASSIGN_OR_RETURN(
        *resp->mutable_verification(),
        field_.RecordPaymentVerification(edge_.Key("RecordPaymentVerification", p, req->request_id(), *req),
                                         ActorOf(p, clock_.Now()), command, MayActOn(p, "assignment")));
    return absl::OkStatus();
  });
}

// Each report is judged and stored on its own, so one bad report from a weekend without signal does not
// hold back the others: its result names its index, code and field. A fault of our own (the database
// unreachable) fails the whole call instead; the client sends the batch again, and the reports already
// stored answer as re-sends (their ids and content make the upload idempotent, not the request id).
grpc::ServerUnaryReactor* VisitsService::SubmitVisitReports(grpc::CallbackServerContext* ctx,
                                                            const v1::SubmitVisitReportsRequest* req,
                                                            v1::SubmitVisitReportsResponse* resp) {
  return edge_.Unary(ctx, "SubmitVisitReports", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    if (req->reports_size() == 0 || req->reports_size() > kMaxReportsPerBatch) {
      return InvalidField("reports", "must hold 1..50 reports");
    }
    const Actor actor = ActorOf(p, clock_.Now());
    for (int i = 0; i < req->reports_size(); ++i) {
      const v1::VisitReport& report = req->reports(i);
      v1::ReportResult* result = resp->add_results();
      result->set_index(i);
      result->set_report_id(report.report_id());
      const std::string prefix = absl::StrCat("reports[", i, "].");
      absl::Status valid = ValidateReport(report, prefix);
      absl::StatusOr<int64_t> version =
          valid.ok() ? field_.SubmitReport(actor, report, MayActOn(p, "assignment")) : valid;
      if (valid.ok() && !version.ok()) version = InBatch(version.status(), prefix);
      if (!version.ok() && IsInternalFault(version.status().code())) return version.status();
      result->set_code(static_cast<int32_t>(version.status().code()));
      if (version.ok()) {
        result->set_version(*version);
      } else {
        result->set_message(std::string(version.status().message()));
        result->set_field(FieldOf(version.status()));
      }
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::EditVisitReport(grpc::CallbackServerContext* ctx,
                                                         const v1::EditVisitReportRequest* req,
                                                         v1::EditVisitReportResponse* resp) {
  return edge_.Unary(ctx, "EditVisitReport", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    if (!req->has_report()) return InvalidField("report", "is required");
    RETURN_IF_ERROR(ValidateReport(req->report(), "report."));
    if (req->base_version() < 1)
      return InvalidField("base_version", "must be the version the edit is based on");
    ASSIGN_OR_RETURN(*resp, field_.EditReport(edge_.Key("EditVisitReport", p, req->request_id(), *req),
                                              ActorOf(p, clock_.Now()), req->report(), req->base_version(),
                                              MayActOn(p, "visit report")));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::GetVisitReport(grpc::CallbackServerContext* ctx,
                                                        const v1::GetVisitReportRequest* req,
                                                        v1::GetVisitReportResponse* resp) {
  // What a visitor saw in the child's home (health, safety, danger signs) is the child's personal data: the
  // read is logged in the registry before the answer leaves, and not answered if it cannot be.
  return edge_.Unary(ctx, "GetVisitReport", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateReportId(req->report_id(), "report_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->purpose(), "purpose", kMaxReadPurposeChars));
    ASSIGN_OR_RETURN(std::optional<StoredReport> stored, field_.GetReport(req->report_id()));
    if (!stored) return absl::NotFoundError("visit report not found");
    RETURN_IF_ERROR(RequireMayActOn(p, stored->parties, "visit report"));
    RETURN_IF_ERROR(access_log_.RecordAccess(
        identity_.ForSelf(), ReadOfChildren(p, "visits.GetVisitReport", "visit_report", req->purpose(),
                                            {{stored->report.child_id(), stored->parties.village_code}})));
    *resp->mutable_report() = std::move(stored->report);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::ListChildVisits(grpc::CallbackServerContext* ctx,
                                                         const v1::ListChildVisitsRequest* req,
                                                         v1::ListChildVisitsResponse* resp) {
  // The child's visits say when visitors were at the child's home and where it is (the check-in and
  // check-out points): logged as GetVisitReport is, once for the page, when it shows any.
  return edge_.Unary(ctx, "ListChildVisits", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->child_id(), "child_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->purpose(), "purpose", kMaxReadPurposeChars));
    ChildVisitsFilter filter;
    filter.child_id = req->child_id();
    ASSIGN_OR_RETURN(filter.page, ReadPageRequest(req->page_size(), req->page_token()));
    ASSIGN_OR_RETURN(std::vector<v1::VisitRecord> visits, field_.ListChildVisits(filter));
    for (const v1::VisitRecord& visit : visits) {
      if (InScope(p, {visit.village_code(), visit.organisation_id()})) *resp->add_visits() = visit;
    }
    if (resp->visits_size() > 0) {
      RETURN_IF_ERROR(access_log_.RecordAccess(
          identity_.ForSelf(),
          ReadOfChildren(p, "visits.ListChildVisits", "visit_records,check_in_location,check_out_location",
                         req->purpose(), {{req->child_id(), resp->visits(0).village_code()}})));
    }
    // The token follows what was read, not what was shown: a page may be short where records were out of
    // scope, and the next one goes on from there.
    resp->set_next_page_token(NextPageToken(
        visits, filter.page.limit, [](const v1::VisitRecord& v) { return v.assignment().assignment_id(); }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VisitsService::GetVisitStatistics(grpc::CallbackServerContext* ctx,
                                                            const v1::GetVisitStatisticsRequest* req,
                                                            v1::GetVisitStatisticsResponse* resp) {
  return edge_.Unary(ctx, "GetVisitStatistics", [=](const Principal& p) -> absl::Status {
    ASSIGN_OR_RETURN(absl::CivilMonth first, ParseMonth(req->first_month(), "first_month"));
    ASSIGN_OR_RETURN(absl::CivilMonth last, ParseMonth(req->last_month(), "last_month"));
    if (last < first) return InvalidField("last_month", "is before first_month");
    if (last - first >= kMaxStatisticsMonths) return InvalidField("last_month", "is more than 36 months on");
    StatisticsFilter filter;
    ASSIGN_OR_RETURN(filter.division_prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(filter.organisation_id, ScopedOrganisation(p, ""));
    filter.first_day = absl::CivilDay(first);
    filter.last_day = absl::CivilDay(last + 1) - 1;
    ASSIGN_OR_RETURN(std::vector<v1::VisitStatisticsRow> rows, field_.Statistics(filter));
    for (v1::VisitStatisticsRow& row : rows) *resp->add_rows() = std::move(row);
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::StreamEventsResponse>* VisitsService::StreamEvents(
    grpc::CallbackServerContext* ctx, const v1::StreamEventsRequest* req) {
  return ServeEventStream<v1::StreamEventsResponse>(ctx, req->after_sequence(), field_.event_feed(), [=] {
    return edge_.Admit(*ctx, "StreamEvents").status();
  });
}

}  // namespace shouhu::visits
