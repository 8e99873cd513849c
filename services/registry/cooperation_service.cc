#include "services/registry/cooperation_service.h"

#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/registry/consent_coverage.h"
#include "services/registry/cooperation_access.h"
#include "services/registry/cooperation_validation.h"
#include "services/registry/county_transfer_flow.h"
#include "services/registry/logged_read.h"
#include "services/registry/registry_access.h"
#include "services/registry/service_referral_flow.h"

namespace shouhu::registry {
namespace {

Authorize<v1::Case> CaseInScope(const Principal& p) {
  return [&p](const v1::Case& c) { return RequireInScope(p, CaseScope(c), "case"); };
}

// The read a report change's answer makes, NOT_FOUND unless `p` may see the report now. A retry is answered
// from the first request's record (common/idempotency.h) even when the store's scope check fails on it now,
// so a caller who has left the report's jurisdiction would otherwise still read it by sending the same
// request. A report never leaves its village, so the answer's village is the report's now.
ShownRecords ReportShownAfterChange(const Principal& p, const v1::MandatoryReport& answer,
                                    const char* method) {
  RETURN_IF_ERROR(RequireReportInScope(p, answer));
  return std::vector<AccessRecord>{Access(p, "report", answer.report_id(), answer.village_code(),
                                          "child_name,description", "mandatory report handling", method)};
}

absl::StatusOr<v1::Direction> RequiredDirection(v1::Direction direction) {
  RETURN_IF_ERROR(ValidateRequiredEnum(direction, v1::Direction_IsValid, "direction"));
  return direction;
}

}  // namespace

// ---- consents
// -------------------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* CooperationService::RecordConsent(grpc::CallbackServerContext* ctx,
                                                            const v1::RecordConsentRequest* req,
                                                            v1::RecordConsentResponse* resp) {
  return edge_.Unary(ctx, "RecordConsent", [=](const Principal& p) -> absl::Status {
    const absl::CivilDay today = ShanghaiDay(clock_.Now());
    RETURN_IF_ERROR(ValidateRecordConsent(*req, today));
    v1::Consent draft;
    draft.set_case_id(req->case_id());
    *draft.mutable_consenter() = req->consenter();
    draft.set_recipient_organisation_id(req->recipient_organisation_id());
    draft.set_purpose(req->purpose());
    draft.set_valid_until(req->valid_until());
    const v1::Consenter& consenter = req->consenter();
    ASSIGN_OR_RETURN(
        *resp->mutable_consent(),
        store_.RecordConsent(edge_.Key("RecordConsent", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
                             draft, CaseInScope(p),
                             [&](absl::CivilDay birth) { return CheckConsenter(consenter, birth, today); }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::WithdrawConsent(grpc::CallbackServerContext* ctx,
                                                              const v1::WithdrawConsentRequest* req,
                                                              v1::WithdrawConsentResponse* resp) {
  return edge_.Unary(ctx, "WithdrawConsent", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateWithdrawConsent(*req));
    ASSIGN_OR_RETURN(
        *resp->mutable_consent(),
        store_.WithdrawConsent(edge_.Key("WithdrawConsent", p, req->request_id(), *req),
                               ActorOf(p, clock_.Now()), req->consent_id(), req->reason(), CaseInScope(p)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::ListConsents(grpc::CallbackServerContext* ctx,
                                                           const v1::ListConsentsRequest* req,
                                                           v1::ListConsentsResponse* resp) {
  return edge_.Unary(ctx, "ListConsents", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordId(req->case_id(), "case_id"));
    ASSIGN_OR_RETURN(std::optional<v1::Case> c, registry_.GetCase(req->case_id(), /*with_history=*/false));
    if (!c) return absl::NotFoundError("case not found");
    RETURN_IF_ERROR(RequireInScope(p, CaseScope(*c), "case"));
    ASSIGN_OR_RETURN(std::vector<v1::Consent> consents, store_.ListConsents(c->child_id()));
    for (auto& consent : consents) *resp->add_consents() = std::move(consent);
    return absl::OkStatus();
  });
}

// ---- service referrals
// ----------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* CooperationService::CreateServiceReferral(
    grpc::CallbackServerContext* ctx, const v1::CreateServiceReferralRequest* req,
    v1::CreateServiceReferralResponse* resp) {
  return edge_.Unary(ctx, "CreateServiceReferral", [=](const Principal& p) -> absl::Status {
    const absl::CivilDay today = ShanghaiDay(clock_.Now());
    RETURN_IF_ERROR(ValidateCreateServiceReferral(*req, today));
    v1::ServiceReferral draft;
    draft.set_case_id(req->case_id());
    draft.set_to_organisation_id(req->to_organisation_id());
    draft.set_service(req->service());
    draft.set_due_date(req->due_date());
    draft.set_note(req->note());
    const std::string& to = req->to_organisation_id();
    const v1::SharingPurpose service = req->service();
    auto authorize = [&p, &to](const v1::Case& c) -> absl::Status {
      RETURN_IF_ERROR(RequireInScope(p, CaseScope(c), "case"));
      if (c.organisation_id() == to) {
        return InvalidField("to_organisation_id", "is the case's own organisation: nothing is referred out");
      }
      return absl::OkStatus();
    };
    auto choose = [&](const std::vector<v1::Consent>& consents) {
      return CoveringConsent(consents, to, service, today);
    };
    ASSIGN_OR_RETURN(
        *resp->mutable_service_referral(),
        store_.CreateServiceReferral(edge_.Key("CreateServiceReferral", p, req->request_id(), *req),
                                     ActorOf(p, clock_.Now()), draft, authorize, choose));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::GetServiceReferral(grpc::CallbackServerContext* ctx,
                                                                 const v1::GetServiceReferralRequest* req,
                                                                 v1::GetServiceReferralResponse* resp) {
  return LoggedRead(edge_, registry_, ctx, "GetServiceReferral", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateRecordId(req->service_referral_id(), "service_referral_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->purpose(), "purpose", kMaxPurposeChars));
    ASSIGN_OR_RETURN(std::optional<v1::ServiceReferral> referral,
                     store_.GetServiceReferral(req->service_referral_id()));
    if (!referral) return absl::NotFoundError("service referral not found");
    std::vector<AccessRecord> shown;
    if (IsReceiver(p, *referral) && ReceiverSeesChild(referral->status())) {
      // The receiver is another organisation than the case's owner: the child's data crosses only under a
      // consent that still covers it today, and the log says which.
      ASSIGN_OR_RETURN(std::optional<v1::Consent> consent, store_.GetConsent(referral->consent_id()));
      if (!consent ||
          !Covers(*consent, referral->to_organisation_id(), referral->service(), ShanghaiDay(clock_.Now()))) {
        return absl::FailedPreconditionError(
            "consent: the consent this referral was sent under is withdrawn or expired; the child's data is "
            "no longer shared");
      }
      ASSIGN_OR_RETURN(std::optional<v1::SharedChild> child, store_.GetSharedChild(referral->child_id()));
      if (!child) return absl::NotFoundError("service referral not found");
      shown.push_back(Access(p, "child", child->child_id(), child->village_code(),
                             "name,sex,birth_date,village", req->purpose(), "GetServiceReferral",
                             consent->consent_id()));
      *referral->mutable_child() = *std::move(child);
    } else if (!IsSender(p, *referral) && !IsReceiver(p, *referral)) {
      return absl::NotFoundError("service referral not found");
    }
    *resp->mutable_service_referral() = *std::move(referral);
    return shown;  // the sender is shown its own referral, not the child's data
  });
}

grpc::ServerUnaryReactor* CooperationService::ListServiceReferrals(grpc::CallbackServerContext* ctx,
                                                                   const v1::ListServiceReferralsRequest* req,
                                                                   v1::ListServiceReferralsResponse* resp) {
  return edge_.Unary(ctx, "ListServiceReferrals", [=](const Principal& p) -> absl::Status {
    ASSIGN_OR_RETURN(v1::Direction direction, RequiredDirection(req->direction()));
    RETURN_IF_ERROR(ValidateEnumFilter(req->status(), v1::ServiceReferralStatus_IsValid, "status"));
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(req->page_size(), req->page_token()));
    ServiceReferralFilter filter;
    filter.direction = direction;
    filter.status = req->status();
    filter.after_id = page.after_id;
    filter.limit = page.limit;
    if (direction == v1::DIRECTION_INCOMING) {
      if (!req->division_prefix().empty()) {
        RETURN_IF_ERROR(ValidateDivisionCode(req->division_prefix(), "division_prefix"));
      }
      filter.division_prefix = req->division_prefix();
      filter.organisation_id = p.organisation_id();
    } else {
      ASSIGN_OR_RETURN(filter.division_prefix, ScopedDivisionPrefix(p, req->division_prefix()));
      ASSIGN_OR_RETURN(filter.organisation_id, ScopedOrganisation(p, ""));
    }
    ASSIGN_OR_RETURN(auto referrals, store_.ListServiceReferrals(filter));
    resp->set_next_page_token(NextPageToken(
        referrals, page.limit, [](const v1::ServiceReferral& r) { return r.service_referral_id(); }));
    for (auto& r : referrals) {
      if (IsSender(p, r) || IsReceiver(p, r)) *resp->add_service_referrals() = std::move(r);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::AcceptServiceReferral(
    grpc::CallbackServerContext* ctx, const v1::AcceptServiceReferralRequest* req,
    v1::AcceptServiceReferralResponse* resp) {
  return edge_.Unary(ctx, "AcceptServiceReferral", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->service_referral_id(), "service_referral_id"));
    ASSIGN_OR_RETURN(
        *resp->mutable_service_referral(),
        store_.ChangeServiceReferral(
            edge_.Key("AcceptServiceReferral", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
            req->service_referral_id(), [&p](const v1::ServiceReferral& r) { return RequireReceiver(p, r); },
            [](const v1::ServiceReferral& r, const Actor& a) {
              return registry::AcceptServiceReferral(r, a);
            }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::RejectServiceReferral(
    grpc::CallbackServerContext* ctx, const v1::RejectServiceReferralRequest* req,
    v1::RejectServiceReferralResponse* resp) {
  return edge_.Unary(ctx, "RejectServiceReferral", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->service_referral_id(), "service_referral_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxCooperationTextChars));
    const std::string& reason = req->reason();
    ASSIGN_OR_RETURN(
        *resp->mutable_service_referral(),
        store_.ChangeServiceReferral(
            edge_.Key("RejectServiceReferral", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
            req->service_referral_id(), [&p](const v1::ServiceReferral& r) { return RequireReceiver(p, r); },
            [&reason](const v1::ServiceReferral& r, const Actor& a) {
              return registry::RejectServiceReferral(r, a, reason);
            }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::RecordServiceOutcome(grpc::CallbackServerContext* ctx,
                                                                   const v1::RecordServiceOutcomeRequest* req,
                                                                   v1::RecordServiceOutcomeResponse* resp) {
  return edge_.Unary(ctx, "RecordServiceOutcome", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->service_referral_id(), "service_referral_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->outcome(), "outcome", kMaxCooperationTextChars));
    const std::string& outcome = req->outcome();
    ASSIGN_OR_RETURN(
        *resp->mutable_service_referral(),
        store_.ChangeServiceReferral(
            edge_.Key("RecordServiceOutcome", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
            req->service_referral_id(), [&p](const v1::ServiceReferral& r) { return RequireReceiver(p, r); },
            [&outcome](const v1::ServiceReferral& r, const Actor& a) {
              return registry::RecordServiceOutcome(r, a, outcome);
            }));
    return absl::OkStatus();
  });
}

// ---- county transfers
// -----------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* CooperationService::RequestCountyTransfer(
    grpc::CallbackServerContext* ctx, const v1::RequestCountyTransferRequest* req,
    v1::RequestCountyTransferResponse* resp) {
  return edge_.Unary(ctx, "RequestCountyTransfer", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestCountyTransfer(*req));
    // The destination lies outside the caller's jurisdiction by nature: it is checked against the table,
    // not against the caller's scope.
    ASSIGN_OR_RETURN(std::optional<v1::Division> village, registry_.GetDivision(req->to_village_code()));
    if (!village || village->level() != v1::DIVISION_LEVEL_VILLAGE) {
      return InvalidField("to_village_code", "is not a known village");
    }
    v1::CountyTransfer draft;
    draft.set_case_id(req->case_id());
    draft.set_to_village_code(req->to_village_code());
    draft.set_to_organisation_id(req->to_organisation_id());
    draft.set_reason(req->reason());
    ASSIGN_OR_RETURN(
        *resp->mutable_transfer(),
        store_.RequestCountyTransfer(edge_.Key("RequestCountyTransfer", p, req->request_id(), *req),
                                     ActorOf(p, clock_.Now()), draft, req->to_home(), CaseInScope(p)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::AcceptCountyTransfer(grpc::CallbackServerContext* ctx,
                                                                   const v1::AcceptCountyTransferRequest* req,
                                                                   v1::AcceptCountyTransferResponse* resp) {
  return edge_.Unary(ctx, "AcceptCountyTransfer", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->transfer_id(), "transfer_id"));
    ASSIGN_OR_RETURN(
        *resp->mutable_transfer(),
        store_.ChangeCountyTransfer(
            edge_.Key("AcceptCountyTransfer", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
            req->transfer_id(), [&p](const v1::CountyTransfer& t) { return RequireReceivingSide(p, t); },
            [](const v1::CountyTransfer& t, const Actor& a) {
              return registry::AcceptCountyTransfer(t, a);
            }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::RejectCountyTransfer(grpc::CallbackServerContext* ctx,
                                                                   const v1::RejectCountyTransferRequest* req,
                                                                   v1::RejectCountyTransferResponse* resp) {
  return edge_.Unary(ctx, "RejectCountyTransfer", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->transfer_id(), "transfer_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxCooperationTextChars));
    const std::string& reason = req->reason();
    ASSIGN_OR_RETURN(
        *resp->mutable_transfer(),
        store_.ChangeCountyTransfer(
            edge_.Key("RejectCountyTransfer", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
            req->transfer_id(), [&p](const v1::CountyTransfer& t) { return RequireReceivingSide(p, t); },
            [&reason](const v1::CountyTransfer& t, const Actor& a) {
              return registry::RejectCountyTransfer(t, a, reason);
            }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::CancelCountyTransfer(grpc::CallbackServerContext* ctx,
                                                                   const v1::CancelCountyTransferRequest* req,
                                                                   v1::CancelCountyTransferResponse* resp) {
  return edge_.Unary(ctx, "CancelCountyTransfer", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->transfer_id(), "transfer_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxCooperationTextChars));
    const std::string& reason = req->reason();
    ASSIGN_OR_RETURN(
        *resp->mutable_transfer(),
        store_.ChangeCountyTransfer(
            edge_.Key("CancelCountyTransfer", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
            req->transfer_id(), [&p](const v1::CountyTransfer& t) { return RequireSendingSide(p, t); },
            [&reason](const v1::CountyTransfer& t, const Actor& a) {
              return registry::CancelCountyTransfer(t, a, reason);
            }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::ListCountyTransfers(grpc::CallbackServerContext* ctx,
                                                                  const v1::ListCountyTransfersRequest* req,
                                                                  v1::ListCountyTransfersResponse* resp) {
  return edge_.Unary(ctx, "ListCountyTransfers", [=](const Principal& p) -> absl::Status {
    ASSIGN_OR_RETURN(v1::Direction direction, RequiredDirection(req->direction()));
    RETURN_IF_ERROR(ValidateEnumFilter(req->status(), v1::CountyTransferStatus_IsValid, "status"));
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(req->page_size(), req->page_token()));
    CountyTransferFilter filter;
    filter.direction = direction;
    ASSIGN_OR_RETURN(filter.division_prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(filter.organisation_id, ScopedOrganisation(p, ""));
    filter.status = req->status();
    filter.after_id = page.after_id;
    filter.limit = page.limit;
    ASSIGN_OR_RETURN(auto transfers, store_.ListCountyTransfers(filter));
    resp->set_next_page_token(
        NextPageToken(transfers, page.limit, [](const v1::CountyTransfer& t) { return t.transfer_id(); }));
    for (auto& t : transfers) {
      if (IsSendingSide(p, t) || IsReceivingSide(p, t)) *resp->add_transfers() = std::move(t);
    }
    return absl::OkStatus();
  });
}

// ---- mandatory reports
// ----------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* CooperationService::FileMandatoryReport(grpc::CallbackServerContext* ctx,
                                                                  const v1::FileMandatoryReportRequest* req,
                                                                  v1::FileMandatoryReportResponse* resp) {
  return edge_.Unary(ctx, "FileMandatoryReport", [=](const Principal& p) -> absl::Status {
    ASSIGN_OR_RETURN(std::string resident_id, ValidateFileMandatoryReport(*req, ShanghaiDay(clock_.Now())));
    if (!InJurisdiction(p, req->village_code()))
      return absl::NotFoundError("village_code: village not found");
    ASSIGN_OR_RETURN(std::optional<v1::Division> village, registry_.GetDivision(req->village_code()));
    if (!village || village->level() != v1::DIVISION_LEVEL_VILLAGE) {
      return InvalidField("village_code", "is not a known village");
    }
    v1::MandatoryReport draft;
    draft.set_institution_kind(req->institution_kind());
    draft.set_village_code(req->village_code());
    draft.set_child_name(req->child_name());
    draft.set_harm_kind(req->harm_kind());
    draft.set_description(req->description());
    draft.set_urgency(req->urgency());
    ASSIGN_OR_RETURN(*resp->mutable_report(),
                     store_.FileMandatoryReport(edge_.Key("FileMandatoryReport", p, req->request_id(), *req),
                                                ActorOf(p, clock_.Now()), draft, resident_id, deadlines_));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::GetMandatoryReport(grpc::CallbackServerContext* ctx,
                                                                 const v1::GetMandatoryReportRequest* req,
                                                                 v1::GetMandatoryReportResponse* resp) {
  return LoggedRead(edge_, registry_, ctx, "GetMandatoryReport", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateRecordId(req->report_id(), "report_id"));
    ASSIGN_OR_RETURN(std::optional<v1::MandatoryReport> report, store_.GetMandatoryReport(req->report_id()));
    if (!report) return absl::NotFoundError("report not found");
    RETURN_IF_ERROR(RequireReportInScope(p, *report));
    // A report may name the child: its read is logged as any read of a child's data.
    std::vector<AccessRecord> shown{Access(p, "report", report->report_id(), report->village_code(),
                                           "child_name,description", "mandatory report handling",
                                           "GetMandatoryReport")};
    *resp->mutable_report() = *std::move(report);
    return shown;
  });
}

grpc::ServerUnaryReactor* CooperationService::AcknowledgeMandatoryReport(
    grpc::CallbackServerContext* ctx, const v1::AcknowledgeMandatoryReportRequest* req,
    v1::AcknowledgeMandatoryReportResponse* resp) {
  // The answer is the whole report: its read is logged as GetMandatoryReport's is. A change whose read cannot
  // be logged is not answered (it stands, and its retry is answered and logged).
  return LoggedRead(
      edge_, registry_, ctx, "AcknowledgeMandatoryReport", [=](const Principal& p) -> ShownRecords {
        RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
        RETURN_IF_ERROR(ValidateRecordId(req->report_id(), "report_id"));
        ASSIGN_OR_RETURN(
            *resp->mutable_report(),
            store_.ChangeMandatoryReport(
                edge_.Key("AcknowledgeMandatoryReport", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
                req->report_id(), [&p](const v1::MandatoryReport& r) { return RequireReportInScope(p, r); },
                [](const v1::MandatoryReport& r, const Actor& a) { return AcknowledgeReport(r, a); }));
        return ReportShownAfterChange(p, resp->report(), "AcknowledgeMandatoryReport");
      });
}

grpc::ServerUnaryReactor* CooperationService::ResolveMandatoryReport(
    grpc::CallbackServerContext* ctx, const v1::ResolveMandatoryReportRequest* req,
    v1::ResolveMandatoryReportResponse* resp) {
  // As AcknowledgeMandatoryReport.
  return LoggedRead(edge_, registry_, ctx, "ResolveMandatoryReport", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateResolveMandatoryReport(*req));
    // What it links to must exist in the caller's scope; neither is locked (a link is a pointer, not a
    // change to the referral or case).
    if (!req->linked_case_id().empty()) {
      ASSIGN_OR_RETURN(std::optional<v1::Case> c, registry_.GetCase(req->linked_case_id(), false));
      if (!c || !InScope(p, CaseScope(*c))) return absl::NotFoundError("linked_case_id: case not found");
    }
    if (!req->linked_referral_id().empty()) {
      ASSIGN_OR_RETURN(std::optional<ReferralRecord> r, registry_.GetReferral(req->linked_referral_id()));
      if (!r || !CanSeeReferral(p, *r)) return absl::NotFoundError("linked_referral_id: referral not found");
    }
    const Resolution resolution{req->linked_referral_id(), req->linked_case_id(), req->close(),
                                req->feedback()};
    ASSIGN_OR_RETURN(
        *resp->mutable_report(),
        store_.ChangeMandatoryReport(
            edge_.Key("ResolveMandatoryReport", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
            req->report_id(), [&p](const v1::MandatoryReport& r) { return RequireReportInScope(p, r); },
            [&resolution](const v1::MandatoryReport& r, const Actor& a) {
              return ResolveReport(r, a, resolution);
            }));
    return ReportShownAfterChange(p, resp->report(), "ResolveMandatoryReport");
  });
}

grpc::ServerUnaryReactor* CooperationService::ListOverdueMandatoryReports(
    grpc::CallbackServerContext* ctx, const v1::ListOverdueMandatoryReportsRequest* req,
    v1::ListOverdueMandatoryReportsResponse* resp) {
  return LoggedRead(
      edge_, registry_, ctx, "ListOverdueMandatoryReports", [=](const Principal& p) -> ShownRecords {
        ASSIGN_OR_RETURN(int limit, ReadPageSize(req->page_size()));
        ASSIGN_OR_RETURN(std::string prefix, ScopedDivisionPrefix(p, req->division_prefix()));
        ASSIGN_OR_RETURN(auto reports, store_.ListOverdueMandatoryReports(prefix, clock_.Now(), limit));
        std::vector<AccessRecord> access;
        for (const auto& r : reports) {
          access.push_back(Access(p, "report", r.report_id(), r.village_code(), "child_name,description",
                                  "overdue mandatory reports", "ListOverdueMandatoryReports"));
        }
        for (auto& r : reports) *resp->add_reports() = std::move(r);
        return access;
      });
}

grpc::ServerUnaryReactor* CooperationService::ListMyMandatoryReports(
    grpc::CallbackServerContext* ctx, const v1::ListMyMandatoryReportsRequest* req,
    v1::ListMyMandatoryReportsResponse* resp) {
  return edge_.Unary(ctx, "ListMyMandatoryReports", [=](const Principal& p) -> absl::Status {
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(req->page_size(), req->page_token()));
    ASSIGN_OR_RETURN(auto reports, store_.ListReportsFiledBy(p.subject(), page.after_id, page.limit));
    resp->set_next_page_token(
        NextPageToken(reports, page.limit, [](const v1::MandatoryReport& r) { return r.report_id(); }));
    for (const auto& r : reports) {
      v1::MandatoryReportFeedback& f = *resp->add_reports();
      f.set_report_id(r.report_id());
      *f.mutable_filed_at() = r.filed_at();
      f.set_status(r.status());
      if (r.has_first_response_at()) *f.mutable_first_response_at() = r.first_response_at();
      f.set_feedback(r.feedback());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::UnsealMandatoryReporter(
    grpc::CallbackServerContext* ctx, const v1::UnsealMandatoryReporterRequest* req,
    v1::UnsealMandatoryReporterResponse* resp) {
  return LoggedRead(
      edge_, registry_, ctx, "UnsealMandatoryReporter", [=](const Principal& p) -> ShownRecords {
        RETURN_IF_ERROR(ValidateRecordId(req->report_id(), "report_id"));
        RETURN_IF_ERROR(ValidateMeaningfulText(req->purpose(), "purpose", kMaxPurposeChars));
        ASSIGN_OR_RETURN(std::optional<v1::MandatoryReport> report,
                         store_.GetMandatoryReport(req->report_id()));
        if (!report) return absl::NotFoundError("report not found");
        RETURN_IF_ERROR(RequireReportInScope(p, *report));
        ASSIGN_OR_RETURN(std::optional<Reporter> reporter, store_.UnsealReporter(req->report_id()));
        if (!reporter) return absl::NotFoundError("report not found");
        resp->set_reporter_subject(reporter->subject);
        resp->set_reporter_organisation_id(reporter->organisation_id);
        return std::vector<AccessRecord>{Access(p, "report", report->report_id(), report->village_code(),
                                                "reporter", req->purpose(), "UnsealMandatoryReporter")};
      });
}

// ---- reintegration
// --------------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* CooperationService::RecordReintegrationOutcome(
    grpc::CallbackServerContext* ctx, const v1::RecordReintegrationOutcomeRequest* req,
    v1::RecordReintegrationOutcomeResponse* resp) {
  return edge_.Unary(ctx, "RecordReintegrationOutcome", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRecordReintegrationOutcome(*req, ShanghaiDay(clock_.Now())));
    v1::ReintegrationOutcome draft;
    draft.set_case_id(req->case_id());
    draft.set_outcome(req->outcome());
    draft.set_detail(req->detail());
    draft.set_follow_up_date(req->follow_up_date());
    ASSIGN_OR_RETURN(
        *resp->mutable_outcome(),
        store_.RecordReintegrationOutcome(edge_.Key("RecordReintegrationOutcome", p, req->request_id(), *req),
                                          ActorOf(p, clock_.Now()), draft, CaseInScope(p)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CooperationService::ListReintegrationFollowUpsDue(
    grpc::CallbackServerContext* ctx, const v1::ListReintegrationFollowUpsDueRequest* req,
    v1::ListReintegrationFollowUpsDueResponse* resp) {
  return edge_.Unary(ctx, "ListReintegrationFollowUpsDue", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ParseDay(req->due_by(), "due_by").status());
    ASSIGN_OR_RETURN(int limit, ReadPageSize(req->page_size()));
    ASSIGN_OR_RETURN(std::string prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(std::string organisation, ScopedOrganisation(p, ""));
    ASSIGN_OR_RETURN(auto outcomes,
                     store_.ListReintegrationFollowUpsDue(prefix, organisation, req->due_by(), limit));
    for (auto& o : outcomes) *resp->add_outcomes() = std::move(o);
    return absl::OkStatus();
  });
}

}  // namespace shouhu::registry
