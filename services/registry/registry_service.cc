#include "services/registry/registry_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/event_stream.h"
#include "common/grpc_status.h"
#include "common/idempotency.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/registry/access_policy.h"
#include "services/registry/duplicates.h"
#include "services/registry/referral_validation.h"

namespace shouhu::registry {
namespace {

constexpr char kMethodPrefix[] = "shouhu.registry.v1.RegistryService/";
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

absl::Status PermissionDenied() { return absl::PermissionDeniedError("your role may not call this method"); }

absl::StatusOr<int> PageSize(int requested) {
  if (requested < 0) return InvalidField("page_size", "must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

// Page tokens are the last record id of the previous page: ids sort stably.
absl::Status ValidatePageToken(const std::string& token) {
  if (token.empty() || IsWellFormedId(token)) return absl::OkStatus();
  return InvalidField("page_token", "is not a token this service issued");
}

// The division prefix to work in: the requested one if it lies within the caller's jurisdiction, else the
// caller's first jurisdiction when none was requested. Outside the jurisdiction → NOT_FOUND.
absl::StatusOr<std::string> ResolvePrefix(const Principal& p, const std::string& requested) {
  if (requested.empty()) {
    if (p.jurisdictions().empty()) return absl::NotFoundError("no jurisdiction");
    return p.jurisdictions(0);
  }
  RETURN_IF_ERROR(ValidateDivisionCode(requested, "division_prefix"));
  if (!InJurisdiction(p, requested)) return absl::NotFoundError("division not found");
  return requested;
}

absl::Status RequirePurpose(const std::string& purpose) { return ValidateText(purpose, "purpose", 1, 255); }

IdempotencyKey Key(const std::string& method, const Principal& p, const std::string& request_id,
                   const google::protobuf::Message& request) {
  return {absl::StrCat(kMethodPrefix, method), p.subject(), request_id, RequestHash(request)};
}

void MaskResidentId(const Principal& p, v1::ChildDetails* child) {
  if (!child->resident_id().empty() && !MaySeeFullResidentId(p)) {
    child->set_resident_id(shouhu::MaskResidentId(child->resident_id()));
  }
}

AccessRecord Access(const Principal& p, const std::string& type, const std::string& id,
                    const std::string& village, std::string fields, std::string purpose, const char* method) {
  return {p.subject(), p.organisation_id(), type, id, village, std::move(fields), std::move(purpose), method};
}

}  // namespace

// ---- divisions
// ------------------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* RegistryService::GetDivision(grpc::CallbackServerContext* ctx,
                                                       const v1::GetDivisionRequest* req,
                                                       v1::GetDivisionResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    RETURN_IF_ERROR(verifier_.Verify(*ctx).status());
    RETURN_IF_ERROR(ValidateDivisionCode(req->code(), "code"));
    ASSIGN_OR_RETURN(std::optional<v1::Division> division, store_.GetDivision(req->code()));
    if (!division) return absl::NotFoundError("division not found");
    *resp->mutable_division() = *division;
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::ListChildDivisions(grpc::CallbackServerContext* ctx,
                                                              const v1::ListChildDivisionsRequest* req,
                                                              v1::ListChildDivisionsResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    RETURN_IF_ERROR(verifier_.Verify(*ctx).status());
    if (!req->parent_code().empty()) RETURN_IF_ERROR(ValidateDivisionCode(req->parent_code(), "parent_code"));
    if (!req->page_token().empty() && DivisionLevel(req->page_token()) == 0) {
      return InvalidField("page_token", "is not a token this service issued");
    }
    ASSIGN_OR_RETURN(int limit, PageSize(req->page_size()));
    ASSIGN_OR_RETURN(auto divisions, store_.ListChildDivisions(req->parent_code(), req->page_token(), limit));
    if (static_cast<int>(divisions.size()) == limit) resp->set_next_page_token(divisions.back().code());
    for (auto& d : divisions) *resp->add_divisions() = std::move(d);
    return absl::OkStatus();
  });
}

// ---- referrals
// ------------------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* RegistryService::SubmitReferral(grpc::CallbackServerContext* ctx,
                                                          const v1::SubmitReferralRequest* req,
                                                          v1::SubmitReferralResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    if (!MaySubmitReferral(p)) return PermissionDenied();
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    ASSIGN_OR_RETURN(v1::Referral referral, ValidateSubmission(*req, ShanghaiDay(clock_.Now())));
    const std::string& village = referral.household().village_code();
    if (!InJurisdiction(p, village)) {
      return absl::PermissionDeniedError("household.village_code: is outside your jurisdiction");
    }
    ASSIGN_OR_RETURN(std::optional<v1::Division> division, store_.GetDivision(village));
    if (!division || division->level() != v1::DIVISION_LEVEL_VILLAGE) {
      return InvalidField("household.village_code", "is not a known village");
    }
    // Duplicates: the same resident id is the same child; a similar name with the same birth date and
    // village is flagged for the triager, never merged.
    if (!referral.child().resident_id().empty()) {
      ASSIGN_OR_RETURN(std::optional<std::string> linked,
                       store_.FindChildByResidentId(referral.child().resident_id()));
      if (linked) referral.set_linked_child_id(*linked);
    }
    if (referral.linked_child_id().empty()) {
      ASSIGN_OR_RETURN(auto candidates, store_.ChildrenBornIn(village, referral.child().birth_date()));
      for (const auto& c : candidates) {
        if (SimilarNames(c.name, referral.child().name()))
          referral.add_possible_duplicate_child_ids(c.child_id);
      }
    }
    ASSIGN_OR_RETURN(v1::Referral stored,
                     store_.SubmitReferral(Key("SubmitReferral", p, req->request_id(), *req),
                                           {p.subject(), p.organisation_id()}, referral));
    MaskResidentId(p, stored.mutable_child());
    *resp->mutable_referral() = std::move(stored);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::GetReferral(grpc::CallbackServerContext* ctx,
                                                       const v1::GetReferralRequest* req,
                                                       v1::GetReferralResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    if (!MayReadChildren(p)) return PermissionDenied();
    RETURN_IF_ERROR(ValidateRecordId(req->referral_id(), "referral_id"));
    ASSIGN_OR_RETURN(std::optional<v1::Referral> referral, store_.GetReferral(req->referral_id()));
    if (!referral || !CanSeeReferral(p, *referral)) return absl::NotFoundError("referral not found");
    RETURN_IF_ERROR(store_.RecordAccess(
        {Access(p, "referral", referral->referral_id(), referral->household().village_code(),
                "child,household,guardians,reason", "triage", "GetReferral")}));
    MaskResidentId(p, referral->mutable_child());
    *resp->mutable_referral() = *std::move(referral);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::ListReferrals(grpc::CallbackServerContext* ctx,
                                                         const v1::ListReferralsRequest* req,
                                                         v1::ListReferralsResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    if (!MayReadChildren(p)) return PermissionDenied();
    if (req->status() != 0 && !v1::ReferralStatus_IsValid(req->status())) {
      return InvalidField("status", "must be one of the listed values");
    }
    RETURN_IF_ERROR(ValidatePageToken(req->page_token()));
    ASSIGN_OR_RETURN(int limit, PageSize(req->page_size()));
    ASSIGN_OR_RETURN(std::string prefix, ResolvePrefix(p, req->division_prefix()));
    ReferralFilter filter{prefix, req->status(), OrganisationScoped(p) ? p.organisation_id() : "",
                          req->page_token(), limit};
    ASSIGN_OR_RETURN(auto referrals, store_.ListReferrals(filter));
    std::vector<AccessRecord> access;
    for (auto& r : referrals) {
      access.push_back(Access(p, "referral", r.referral_id(), r.household().village_code(),
                              "child,household,guardians,reason", "triage", "ListReferrals"));
      MaskResidentId(p, r.mutable_child());
    }
    RETURN_IF_ERROR(store_.RecordAccess(std::move(access)));
    if (static_cast<int>(referrals.size()) == limit)
      resp->set_next_page_token(referrals.back().referral_id());
    for (auto& r : referrals) *resp->add_referrals() = std::move(r);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::AcceptReferral(grpc::CallbackServerContext* ctx,
                                                          const v1::AcceptReferralRequest* req,
                                                          v1::AcceptReferralResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    if (!MayTriage(p)) return PermissionDenied();
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->referral_id(), "referral_id"));
    RETURN_IF_ERROR(ValidateIdentifier(req->organisation_id(), "organisation_id", 64));
    RETURN_IF_ERROR(ValidateIdentifier(req->caseworker_id(), "caseworker_id", 191));
    if (req->risk_level() == 0 || !v1::RiskLevel_IsValid(req->risk_level())) {
      return InvalidField("risk_level", "must be one of the listed values");
    }
    if (!req->existing_child_id().empty())
      RETURN_IF_ERROR(ValidateRecordId(req->existing_child_id(), "existing_child_id"));
    if (OrganisationScoped(p) && req->organisation_id() != p.organisation_id()) {
      return absl::PermissionDeniedError(
          "organisation_id: you may only accept cases for your own organisation");
    }
    Acceptance acceptance{req->referral_id(), req->organisation_id(), req->caseworker_id(), req->risk_level(),
                          req->existing_child_id()};
    ASSIGN_OR_RETURN(
        v1::Case c,
        store_.AcceptReferral(
            Key("AcceptReferral", p, req->request_id(), *req), {p.subject(), p.organisation_id()}, acceptance,
            [&](const v1::Referral& r) -> absl::Status {
              if (!CanSeeReferral(p, r)) return absl::NotFoundError("referral not found");
              if (OrganisationScoped(p) && r.assigned_organisation_id() != p.organisation_id()) {
                return absl::PermissionDeniedError("the referral is with another organisation for triage");
              }
              return absl::OkStatus();
            }));
    *resp->mutable_case_() = std::move(c);
    return absl::OkStatus();
  });
}

namespace {
Authorize<v1::Referral> TriageScope(const Principal& p) {
  return [&p](const v1::Referral& r) -> absl::Status {
    if (!CanSeeReferral(p, r)) return absl::NotFoundError("referral not found");
    if (OrganisationScoped(p) && r.assigned_organisation_id() != p.organisation_id()) {
      return absl::PermissionDeniedError("the referral is with another organisation for triage");
    }
    return absl::OkStatus();
  };
}
}  // namespace

grpc::ServerUnaryReactor* RegistryService::RejectReferral(grpc::CallbackServerContext* ctx,
                                                          const v1::RejectReferralRequest* req,
                                                          v1::RejectReferralResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    if (!MayTriage(p)) return PermissionDenied();
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->referral_id(), "referral_id"));
    RETURN_IF_ERROR(ValidateText(req->reason(), "reason", 1, 1000));
    ASSIGN_OR_RETURN(v1::Referral r,
                     store_.RejectReferral(Key("RejectReferral", p, req->request_id(), *req),
                                           {p.subject(), p.organisation_id()}, req->referral_id(),
                                           req->reason(), TriageScope(p)));
    MaskResidentId(p, r.mutable_child());
    *resp->mutable_referral() = std::move(r);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::TransferReferral(grpc::CallbackServerContext* ctx,
                                                            const v1::TransferReferralRequest* req,
                                                            v1::TransferReferralResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    if (!MayTriage(p)) return PermissionDenied();
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->referral_id(), "referral_id"));
    RETURN_IF_ERROR(ValidateIdentifier(req->to_organisation_id(), "to_organisation_id", 64));
    RETURN_IF_ERROR(ValidateText(req->reason(), "reason", 1, 1000));
    ASSIGN_OR_RETURN(v1::Referral r,
                     store_.TransferReferral(Key("TransferReferral", p, req->request_id(), *req),
                                             {p.subject(), p.organisation_id()}, req->referral_id(),
                                             req->to_organisation_id(), req->reason(), TriageScope(p)));
    MaskResidentId(p, r.mutable_child());
    *resp->mutable_referral() = std::move(r);
    return absl::OkStatus();
  });
}

// ---- cases
// ----------------------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* RegistryService::GetCase(grpc::CallbackServerContext* ctx,
                                                   const v1::GetCaseRequest* req, v1::GetCaseResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    if (!MayReadChildren(p)) return PermissionDenied();
    RETURN_IF_ERROR(ValidateRecordId(req->case_id(), "case_id"));
    ASSIGN_OR_RETURN(std::optional<v1::Case> c, store_.GetCase(req->case_id(), /*with_history=*/true));
    if (!c || !CanSeeCase(p, *c)) return absl::NotFoundError("case not found");
    *resp->mutable_case_() = *std::move(c);
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Case> RegistryService::ChangeCase(
    grpc::ServerContextBase* ctx, const google::protobuf::Message& request, const std::string& method,
    const std::string& request_id, const std::string& case_id,
    const std::function<absl::StatusOr<CaseChange>(const v1::Case&, const Actor&)>& rule) {
  ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
  if (!MayChangeCases(p)) return PermissionDenied();
  RETURN_IF_ERROR(ValidateRequestId(request_id));
  RETURN_IF_ERROR(ValidateRecordId(case_id, "case_id"));
  const Actor actor{p.subject(), clock_.Now()};
  return store_.ChangeCase(
      Key(method, p, request_id, request), case_id,
      [&](const v1::Case& c) -> absl::Status {
        return CanSeeCase(p, c) ? absl::OkStatus() : absl::NotFoundError("case not found");
      },
      [&](const v1::Case& c) { return rule(c, actor); });
}

grpc::ServerUnaryReactor* RegistryService::CompleteVerification(grpc::CallbackServerContext* ctx,
                                                                const v1::CompleteVerificationRequest* req,
                                                                v1::CompleteVerificationResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    RETURN_IF_ERROR(ValidateText(req->note(), "note", 0, 1000));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(ctx, *req, "CompleteVerification", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::CompleteVerification(c, a, req->note());
                                }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::TransferCase(grpc::CallbackServerContext* ctx,
                                                        const v1::TransferCaseRequest* req,
                                                        v1::TransferCaseResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    RETURN_IF_ERROR(ValidateIdentifier(req->to_organisation_id(), "to_organisation_id", 64));
    RETURN_IF_ERROR(ValidateIdentifier(req->to_caseworker_id(), "to_caseworker_id", 191));
    RETURN_IF_ERROR(ValidateText(req->reason(), "reason", 1, 1000));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(ctx, *req, "TransferCase", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::TransferCase(c, a, req->to_organisation_id(),
                                                                req->to_caseworker_id(), req->reason());
                                }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::ChangeCareArrangement(grpc::CallbackServerContext* ctx,
                                                                 const v1::ChangeCareArrangementRequest* req,
                                                                 v1::ChangeCareArrangementResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    RETURN_IF_ERROR(ValidateCareArrangement(req->care_arrangement(), "care_arrangement"));
    RETURN_IF_ERROR(ValidateText(req->reason(), "reason", 1, 1000));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(ctx, *req, "ChangeCareArrangement", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::ChangeCareArrangement(c, a, req->care_arrangement(),
                                                                         req->reason());
                                }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::SetRiskLevel(grpc::CallbackServerContext* ctx,
                                                        const v1::SetRiskLevelRequest* req,
                                                        v1::SetRiskLevelResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    if (req->risk_level() == 0 || !v1::RiskLevel_IsValid(req->risk_level())) {
      return InvalidField("risk_level", "must be one of the listed values");
    }
    RETURN_IF_ERROR(ValidateText(req->reason(), "reason", 1, 1000));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(ctx, *req, "SetRiskLevel", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::SetRiskLevel(c, a, req->risk_level(), req->reason());
                                }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::CloseCase(grpc::CallbackServerContext* ctx,
                                                     const v1::CloseCaseRequest* req,
                                                     v1::CloseCaseResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    RETURN_IF_ERROR(ValidateText(req->reason(), "reason", 1, 1000));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(ctx, *req, "CloseCase", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::CloseCase(c, a, req->reason());
                                }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::ReopenCase(grpc::CallbackServerContext* ctx,
                                                      const v1::ReopenCaseRequest* req,
                                                      v1::ReopenCaseResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    RETURN_IF_ERROR(ValidateText(req->reason(), "reason", 1, 1000));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(ctx, *req, "ReopenCase", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::ReopenCase(c, a, req->reason());
                                }));
    return absl::OkStatus();
  });
}

// ---- children
// -------------------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* RegistryService::GetChild(grpc::CallbackServerContext* ctx,
                                                    const v1::GetChildRequest* req,
                                                    v1::GetChildResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    if (!MayReadChildren(p)) return PermissionDenied();
    RETURN_IF_ERROR(ValidateRecordId(req->child_id(), "child_id"));
    RETURN_IF_ERROR(RequirePurpose(req->purpose()));
    ASSIGN_OR_RETURN(std::optional<v1::Child> child, store_.GetChild(req->child_id()));
    if (!child || !InJurisdiction(p, child->household().village_code()) ||
        (OrganisationScoped(p) && child->organisation_id() != p.organisation_id())) {
      return absl::NotFoundError("child not found");
    }
    const bool full_id = MaySeeFullResidentId(p);
    if (!child->resident_id().empty() && !full_id)
      child->set_resident_id(shouhu::MaskResidentId(child->resident_id()));
    // Logged before the answer leaves; if the log cannot be written, the read fails.
    RETURN_IF_ERROR(store_.RecordAccess(
        {Access(p, "child", child->child_id(), child->household().village_code(),
                full_id ? "name,sex,birth_date,resident_id,household,guardians,categories"
                        : "name,sex,birth_date,resident_id_masked,household,guardians,categories",
                req->purpose(), "GetChild")}));
    *resp->mutable_child() = *std::move(child);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::SearchChildren(grpc::CallbackServerContext* ctx,
                                                          const v1::SearchChildrenRequest* req,
                                                          v1::SearchChildrenResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    if (!MayReadChildren(p)) return PermissionDenied();
    RETURN_IF_ERROR(RequirePurpose(req->purpose()));
    if (req->category() != 0 && !v1::ChildCategory_IsValid(req->category())) {
      return InvalidField("category", "must be one of the listed values");
    }
    if (req->risk_level() != 0 && !v1::RiskLevel_IsValid(req->risk_level())) {
      return InvalidField("risk_level", "must be one of the listed values");
    }
    if (req->case_status() != 0 && !v1::CaseStatus_IsValid(req->case_status())) {
      return InvalidField("case_status", "must be one of the listed values");
    }
    RETURN_IF_ERROR(ValidatePageToken(req->page_token()));
    ASSIGN_OR_RETURN(int limit, PageSize(req->page_size()));
    ASSIGN_OR_RETURN(std::string prefix, ResolvePrefix(p, req->division_prefix()));
    std::string organisation = req->organisation_id();
    if (OrganisationScoped(p)) {
      if (!organisation.empty() && organisation != p.organisation_id())
        return absl::NotFoundError("organisation not found");
      organisation = p.organisation_id();
    }
    ChildFilter filter{
        prefix, req->category(), req->risk_level(), req->case_status(), organisation, req->page_token(),
        limit};
    ASSIGN_OR_RETURN(auto children, store_.SearchChildren(filter));
    std::vector<AccessRecord> access;
    for (const auto& c : children) {
      access.push_back(Access(p, "child", c.child_id(), c.household().village_code(),
                              "name,sex,birth_date,village", req->purpose(), "SearchChildren"));
    }
    RETURN_IF_ERROR(store_.RecordAccess(std::move(access)));
    for (auto& c : children) *resp->add_children() = std::move(c);
    if (static_cast<int>(children.size()) == limit)
      resp->set_next_page_token(resp->children().rbegin()->child_id());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::GetStatistics(grpc::CallbackServerContext* ctx,
                                                         const v1::GetStatisticsRequest* req,
                                                         v1::GetStatisticsResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    if (!MayReadStatistics(p)) return PermissionDenied();
    ASSIGN_OR_RETURN(std::string prefix, ResolvePrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(Statistics stats, store_.GetStatistics(prefix));
    for (const auto& row : stats.by_county) {
      auto* out = resp->add_by_county();
      out->set_county_code(row.county_code);
      out->set_case_status(row.status);
      out->set_children(row.children);
    }
    for (const auto& [category, count] : stats.by_category) {
      auto* out = resp->add_by_category();
      out->set_category(category);
      out->set_children(count);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::ListAccessLog(grpc::CallbackServerContext* ctx,
                                                         const v1::ListAccessLogRequest* req,
                                                         v1::ListAccessLogResponse* resp) {
  return workers_.Serve(ctx, [=]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    if (!MayReadAccessLog(p)) return PermissionDenied();
    if (!req->record_id().empty()) RETURN_IF_ERROR(ValidateRecordId(req->record_id(), "record_id"));
    if (!req->subject().empty()) RETURN_IF_ERROR(ValidateIdentifier(req->subject(), "subject", 191));
    RETURN_IF_ERROR(ValidatePageToken(req->page_token()));
    ASSIGN_OR_RETURN(int limit, PageSize(req->page_size()));
    ASSIGN_OR_RETURN(std::string prefix, ResolvePrefix(p, ""));
    ASSIGN_OR_RETURN(auto entries, store_.ListAccessLog(
                                       {prefix, req->record_id(), req->subject(), req->page_token(), limit}));
    for (auto& e : entries) *resp->add_entries() = std::move(e);
    if (static_cast<int>(entries.size()) == limit)
      resp->set_next_page_token(resp->entries().rbegin()->entry_id());
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::StreamEventsResponse>* RegistryService::StreamEvents(
    grpc::CallbackServerContext* ctx, const v1::StreamEventsRequest* req) {
  auto authorize = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal p, verifier_.Verify(*ctx));
    return MayReadEvents(p) ? absl::OkStatus() : PermissionDenied();
  };
  return ServeEventStream<v1::StreamEventsResponse>(ctx, req->after_sequence(), store_.event_feed(),
                                                    authorize);
}

}  // namespace shouhu::registry
