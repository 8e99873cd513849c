#include "services/registry/registry_service.h"

#include "common/call_workers.h"
#include "common/event_stream.h"
#include "common/grpc_status.h"
#include "common/idempotency.h"
#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "common/validation.h"
#include "services/registry/logged_read.h"
#include "services/registry/registry_access.h"
#include "services/registry/registry_validation.h"
#include "services/registry/statistics_disclosure.h"
#include "services/registry/triage.h"

namespace shouhu::registry {
namespace {

constexpr size_t kMaxReasonChars = 1000;
constexpr size_t kMaxSubjectChars = 191;
// The log's columns (migration 0044): method VARCHAR(64), fields VARCHAR(255).
constexpr size_t kMaxLoggedMethodChars = 64;
constexpr size_t kMaxLoggedFieldsChars = 255;
// A service's read logged in one call: a page of a child's visits at most.
constexpr int kMaxRecordsOfOneRead = 500;

void MaskResidentId(const Principal& p, v1::ChildDetails* child) {
  if (!child->resident_id().empty() && !MaySeeFullResidentId(p)) {
    child->set_resident_id(shouhu::MaskResidentId(child->resident_id()));
  }
}

ShowReferral Show(const Principal& p) {
  return [&p](const ReferralRecord& r) { return ReferralAsSeenBy(p, r); };
}

Authorize<v1::Referral> TriageScope(const Principal& p) {
  return [&p](const v1::Referral& r) { return RequireTriageScope(p, r); };
}

// Checks every lifecycle request shares, before its own fields.
absl::Status ValidateCaseChange(const std::string& request_id, const std::string& case_id) {
  RETURN_IF_ERROR(ValidateRequestId(request_id));
  return ValidateRecordId(case_id, "case_id");
}

}  // namespace

// ---- divisions
// ------------------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* RegistryService::GetDivision(grpc::CallbackServerContext* ctx,
                                                       const v1::GetDivisionRequest* req,
                                                       v1::GetDivisionResponse* resp) {
  return edge_.Unary(ctx, "GetDivision", [=](const Principal&) -> absl::Status {
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
  return edge_.Unary(ctx, "ListChildDivisions", [=](const Principal&) -> absl::Status {
    if (!req->parent_code().empty()) RETURN_IF_ERROR(ValidateDivisionCode(req->parent_code(), "parent_code"));
    // The token is the last division code of the previous page, not a record id.
    if (!req->page_token().empty() && DivisionLevel(req->page_token()) == 0) {
      return InvalidField("page_token", "is not a token this service issued");
    }
    ASSIGN_OR_RETURN(int limit, ReadPageSize(req->page_size()));
    ASSIGN_OR_RETURN(auto divisions, store_.ListChildDivisions(req->parent_code(), req->page_token(), limit));
    resp->set_next_page_token(
        NextPageToken(divisions, limit, [](const v1::Division& d) { return d.code(); }));
    for (auto& d : divisions) *resp->add_divisions() = std::move(d);
    return absl::OkStatus();
  });
}

// ---- referrals
// ------------------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* RegistryService::SubmitReferral(grpc::CallbackServerContext* ctx,
                                                          const v1::SubmitReferralRequest* req,
                                                          v1::SubmitReferralResponse* resp) {
  // Checked on arrival and queued for the intake's group commit (common/group_commit.h), whose committer
  // answers the call once the referral is durable. Only a village whose division the store has not yet
  // cached (its first referral since this process started) sends the call to a worker to read it.
  return edge_.UnaryQueued(ctx, "SubmitReferral", [=](const Principal& p, CallWorkers::Finish finish) {
    absl::StatusOr<v1::Referral> referral = [&]() -> absl::StatusOr<v1::Referral> {
      RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
      ASSIGN_OR_RETURN(v1::Referral checked, ValidateSubmission(*req, ShanghaiDay(clock_.Now())));
      // Outside the jurisdiction a village does not exist, as every record there does not.
      if (!InJurisdiction(p, checked.household().village_code()))
        return absl::NotFoundError("household.village_code: village not found");
      return checked;
    }();
    if (!referral.ok()) return finish(referral.status());
    const std::string village = referral->household().village_code();
    if (std::optional<v1::Division> known = store_.KnownDivision(village)) {
      return Intake(p, *req, *std::move(referral), known, resp, std::move(finish));
    }
    workers_.Continue(
        *ctx, std::move(finish),
        [this, p, req, resp, village, referral = *std::move(referral)](CallWorkers::Finish finish) {
          absl::StatusOr<std::optional<v1::Division>> division = store_.GetDivision(village);
          if (!division.ok()) return finish(division.status());
          Intake(p, *req, referral, *division, resp, std::move(finish));
        });
  });
}

void RegistryService::Intake(const Principal& p, const v1::SubmitReferralRequest& req, v1::Referral referral,
                             const std::optional<v1::Division>& division, v1::SubmitReferralResponse* resp,
                             CallWorkers::Finish finish) {
  if (!division || division->level() != v1::DIVISION_LEVEL_VILLAGE) {
    return finish(InvalidField("household.village_code", "is not a known village"));
  }
  std::string resident_id = referral.child().resident_id();  // as validated
  // Duplicates (the same resident id is the same child, wherever they are registered; a similar name with
  // the same birth date and village is flagged for the triager, never merged) are matched by the store in the
  // batch's transaction, one statement for the batch. Every match is kept on the referral; the submitter is
  // shown only those their own scope holds. The committer shows the answer after this thread has moved on:
  // `show` owns its principal.
  ReferralOrder order{edge_.Key("SubmitReferral", p, req.request_id(), req), ActorOf(p, clock_.Now()),
                      ReferralRecord{std::move(referral), std::nullopt, {}},
                      [p](const ReferralRecord& r) { return ReferralAsSeenBy(p, r); }};
  intake_.Submit(std::move(order),
                 [p, resident_id = std::move(resident_id), resp,
                  finish = std::move(finish)](absl::StatusOr<v1::SubmitReferralResponse> answer) {
                   if (!answer.ok()) return finish(answer.status());
                   *resp = *std::move(answer);
                   // The kept answer holds no resident id; this request's is the first one's, since their
                   // hashes matched.
                   resp->mutable_referral()->mutable_child()->set_resident_id(resident_id);
                   MaskResidentId(p, resp->mutable_referral()->mutable_child());
                   finish(absl::OkStatus());
                 });
}

grpc::ServerUnaryReactor* RegistryService::GetReferral(grpc::CallbackServerContext* ctx,
                                                       const v1::GetReferralRequest* req,
                                                       v1::GetReferralResponse* resp) {
  return LoggedRead(edge_, store_, ctx, "GetReferral", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateRecordId(req->referral_id(), "referral_id"));
    ASSIGN_OR_RETURN(std::optional<ReferralRecord> referral, store_.GetReferral(req->referral_id()));
    if (!referral || !CanSeeReferral(p, *referral)) return absl::NotFoundError("referral not found");
    *resp->mutable_referral() = ReferralAsSeenBy(p, *referral);
    MaskResidentId(p, resp->mutable_referral()->mutable_child());
    return std::vector<AccessRecord>{Access(p, "referral", req->referral_id(),
                                            ReferralAccessVillage(p, *referral),
                                            "child,household,guardians,reason", "triage", "GetReferral")};
  });
}

grpc::ServerUnaryReactor* RegistryService::ListReferrals(grpc::CallbackServerContext* ctx,
                                                         const v1::ListReferralsRequest* req,
                                                         v1::ListReferralsResponse* resp) {
  return LoggedRead(edge_, store_, ctx, "ListReferrals", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateEnumFilter(req->status(), v1::ReferralStatus_IsValid, "status"));
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(req->page_size(), req->page_token()));
    ASSIGN_OR_RETURN(std::string prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(std::string organisation, ScopedOrganisation(p, ""));
    ReferralFilter filter{prefix,    req->incoming_duplicates(), req->status(), organisation, page.after_id,
                          page.limit};
    ASSIGN_OR_RETURN(std::vector<ReferralRecord> records, store_.ListReferrals(filter));
    resp->set_next_page_token(
        NextPageToken(records, page.limit, [](const ReferralRecord& r) { return r.referral.referral_id(); }));
    std::vector<AccessRecord> access;
    for (const ReferralRecord& r : records) {
      if (!CanSeeReferral(p, r)) continue;  // the query's filter already holds this; checked once more here
      access.push_back(Access(p, "referral", r.referral.referral_id(), ReferralAccessVillage(p, r),
                              "child,household,guardians,reason", "triage", "ListReferrals"));
      v1::Referral& seen = *resp->add_referrals() = ReferralAsSeenBy(p, r);
      MaskResidentId(p, seen.mutable_child());
    }
    return access;
  });
}

grpc::ServerUnaryReactor* RegistryService::AcceptReferral(grpc::CallbackServerContext* ctx,
                                                          const v1::AcceptReferralRequest* req,
                                                          v1::AcceptReferralResponse* resp) {
  return edge_.Unary(ctx, "AcceptReferral", [=](const Principal& p) -> absl::Status {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->referral_id(), "referral_id"));
    RETURN_IF_ERROR(ValidateIdentifier(req->organisation_id(), "organisation_id", kMaxOrganisationIdChars));
    RETURN_IF_ERROR(ValidateIdentifier(req->caseworker_id(), "caseworker_id", kMaxSubjectChars));
    RETURN_IF_ERROR(ValidateRequiredEnum(req->risk_level(), v1::RiskLevel_IsValid, "risk_level"));
    if (!req->existing_child_id().empty())
      RETURN_IF_ERROR(ValidateRecordId(req->existing_child_id(), "existing_child_id"));
    // Organisation-bound triagers open cases for their own organisation only.
    RETURN_IF_ERROR(ScopedOrganisation(p, req->organisation_id()).status());
    Acceptance acceptance{req->referral_id(), req->organisation_id(), req->caseworker_id(), req->risk_level(),
                          req->existing_child_id()};
    ASSIGN_OR_RETURN(*resp, store_.AcceptReferral(
                                edge_.Key("AcceptReferral", p, req->request_id(), *req),
                                ActorOf(p, clock_.Now()), acceptance, TriageScope(p),
                                [&p](const RegisteredChild& child) { return CheckAcceptOnto(p, child); }));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::RejectReferral(grpc::CallbackServerContext* ctx,
                                                          const v1::RejectReferralRequest* req,
                                                          v1::RejectReferralResponse* resp) {
  // The answer is the whole referral: its read is logged as GetReferral's is. A decision whose read cannot
  // be logged is not answered (it stands, and its retry is answered and logged).
  return LoggedRead(edge_, store_, ctx, "RejectReferral", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->referral_id(), "referral_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxReasonChars));
    ASSIGN_OR_RETURN(ReferralRecord seen, ReferralSeenNow(p, req->referral_id()));
    ASSIGN_OR_RETURN(*resp, store_.RejectReferral(edge_.Key("RejectReferral", p, req->request_id(), *req),
                                                  ActorOf(p, clock_.Now()), req->referral_id(), req->reason(),
                                                  TriageScope(p), Show(p)));
    MaskResidentId(p, resp->mutable_referral()->mutable_child());
    return std::vector<AccessRecord>{Access(p, "referral", req->referral_id(), ReferralAccessVillage(p, seen),
                                            "child,household,guardians,reason", "triage", "RejectReferral")};
  });
}

grpc::ServerUnaryReactor* RegistryService::TransferReferral(grpc::CallbackServerContext* ctx,
                                                            const v1::TransferReferralRequest* req,
                                                            v1::TransferReferralResponse* resp) {
  // As RejectReferral.
  return LoggedRead(edge_, store_, ctx, "TransferReferral", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateRequestId(req->request_id()));
    RETURN_IF_ERROR(ValidateRecordId(req->referral_id(), "referral_id"));
    RETURN_IF_ERROR(
        ValidateIdentifier(req->to_organisation_id(), "to_organisation_id", kMaxOrganisationIdChars));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxReasonChars));
    ASSIGN_OR_RETURN(ReferralRecord seen, ReferralSeenNow(p, req->referral_id()));
    ASSIGN_OR_RETURN(
        *resp, store_.TransferReferral(edge_.Key("TransferReferral", p, req->request_id(), *req),
                                       ActorOf(p, clock_.Now()), req->referral_id(),
                                       req->to_organisation_id(), req->reason(), TriageScope(p), Show(p)));
    MaskResidentId(p, resp->mutable_referral()->mutable_child());
    return std::vector<AccessRecord>{Access(p, "referral", req->referral_id(), ReferralAccessVillage(p, seen),
                                            "child,household,guardians,reason", "triage",
                                            "TransferReferral")};
  });
}

absl::StatusOr<ReferralRecord> RegistryService::ReferralSeenNow(const Principal& p,
                                                                const std::string& referral_id) {
  ASSIGN_OR_RETURN(std::optional<ReferralRecord> referral, store_.GetReferral(referral_id));
  if (!referral || !CanSeeReferral(p, referral->referral)) return absl::NotFoundError("referral not found");
  return *std::move(referral);
}

// ---- cases
// ----------------------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* RegistryService::GetCase(grpc::CallbackServerContext* ctx,
                                                   const v1::GetCaseRequest* req, v1::GetCaseResponse* resp) {
  // The caregiver's name and the history's reasons are the child's personal data: logged as a read of the
  // child before the answer leaves (LoggedRead).
  return LoggedRead(edge_, store_, ctx, "GetCase", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateRecordId(req->case_id(), "case_id"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->purpose(), "purpose", kMaxPurposeChars));
    ASSIGN_OR_RETURN(std::optional<v1::Case> c, store_.GetCase(req->case_id(), /*with_history=*/true));
    if (!c) return absl::NotFoundError("case not found");
    RETURN_IF_ERROR(RequireInScope(p, CaseScope(*c), "case"));
    std::vector<AccessRecord> shown = {Access(p, "child", c->child_id(), c->village_code(),
                                              "case,care_arrangement,history", req->purpose(), "GetCase")};
    *resp->mutable_case_() = *std::move(c);
    return shown;
  });
}

namespace {

// A case change is answered with the case as changed, its history (others' reasons) and care arrangement
// (the caregiver's name) included: a read of the child, logged as GetCase's is, before the answer leaves. A
// change whose answer cannot be logged stands and is not answered; its retry is answered and logged.
std::vector<AccessRecord> ChangeAnswerRead(const Principal& p, const v1::Case& c, const char* method) {
  return {Access(p, "child", c.child_id(), c.village_code(), "case,care_arrangement,history",
                 "the answer to the caller's own change of the case", method)};
}

}  // namespace

absl::StatusOr<v1::Case> RegistryService::ChangeCase(
    const Principal& p, const google::protobuf::Message& request, absl::string_view method,
    const std::string& request_id, const std::string& case_id,
    const std::function<absl::StatusOr<CaseChange>(const v1::Case&, const Actor&)>& rule) {
  return store_.ChangeCase(
      edge_.Key(method, p, request_id, request), ActorOf(p, clock_.Now()), case_id,
      [&](const v1::Case& c) { return RequireInScope(p, CaseScope(c), "case"); }, rule);
}

grpc::ServerUnaryReactor* RegistryService::CompleteVerification(grpc::CallbackServerContext* ctx,
                                                                const v1::CompleteVerificationRequest* req,
                                                                v1::CompleteVerificationResponse* resp) {
  return LoggedRead(edge_, store_, ctx, "CompleteVerification", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateCaseChange(req->request_id(), req->case_id()));
    RETURN_IF_ERROR(ValidateText(req->note(), "note", 0, kMaxReasonChars));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(p, *req, "CompleteVerification", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::CompleteVerification(c, a, req->note());
                                }));
    return ChangeAnswerRead(p, resp->case_(), "CompleteVerification");
  });
}

grpc::ServerUnaryReactor* RegistryService::TransferCase(grpc::CallbackServerContext* ctx,
                                                        const v1::TransferCaseRequest* req,
                                                        v1::TransferCaseResponse* resp) {
  return LoggedRead(edge_, store_, ctx, "TransferCase", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateCaseChange(req->request_id(), req->case_id()));
    RETURN_IF_ERROR(
        ValidateIdentifier(req->to_organisation_id(), "to_organisation_id", kMaxOrganisationIdChars));
    RETURN_IF_ERROR(ValidateIdentifier(req->to_caseworker_id(), "to_caseworker_id", kMaxSubjectChars));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxReasonChars));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(p, *req, "TransferCase", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::TransferCase(c, a, req->to_organisation_id(),
                                                                req->to_caseworker_id(), req->reason());
                                }));
    return ChangeAnswerRead(p, resp->case_(), "TransferCase");
  });
}

grpc::ServerUnaryReactor* RegistryService::ChangeCareArrangement(grpc::CallbackServerContext* ctx,
                                                                 const v1::ChangeCareArrangementRequest* req,
                                                                 v1::ChangeCareArrangementResponse* resp) {
  return LoggedRead(edge_, store_, ctx, "ChangeCareArrangement", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateCaseChange(req->request_id(), req->case_id()));
    RETURN_IF_ERROR(ValidateCareArrangement(req->care_arrangement(), "care_arrangement"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxReasonChars));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(p, *req, "ChangeCareArrangement", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::ChangeCareArrangement(c, a, req->care_arrangement(),
                                                                         req->reason());
                                }));
    return ChangeAnswerRead(p, resp->case_(), "ChangeCareArrangement");
  });
}

grpc::ServerUnaryReactor* RegistryService::SetRiskLevel(grpc::CallbackServerContext* ctx,
                                                        const v1::SetRiskLevelRequest* req,
                                                        v1::SetRiskLevelResponse* resp) {
  return LoggedRead(edge_, store_, ctx, "SetRiskLevel", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateCaseChange(req->request_id(), req->case_id()));
    RETURN_IF_ERROR(ValidateRequiredEnum(req->risk_level(), v1::RiskLevel_IsValid, "risk_level"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxReasonChars));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(p, *req, "SetRiskLevel", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::SetRiskLevel(c, a, req->risk_level(), req->reason());
                                }));
    return ChangeAnswerRead(p, resp->case_(), "SetRiskLevel");
  });
}

grpc::ServerUnaryReactor* RegistryService::MoveHousehold(grpc::CallbackServerContext* ctx,
                                                         const v1::MoveHouseholdRequest* req,
                                                         v1::MoveHouseholdResponse* resp) {
  return LoggedRead(edge_, store_, ctx, "MoveHousehold", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateCaseChange(req->request_id(), req->case_id()));
    RETURN_IF_ERROR(ValidateHousehold(req->household(), "household"));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxReasonChars));
    // As a referral's: outside the jurisdiction a village does not exist, and it must be a known village.
    const std::string& village = req->household().village_code();
    if (!InJurisdiction(p, village)) return absl::NotFoundError("household.village_code: village not found");
    ASSIGN_OR_RETURN(std::optional<v1::Division> division, store_.GetDivision(village));
    if (!division || division->level() != v1::DIVISION_LEVEL_VILLAGE) {
      return InvalidField("household.village_code", "is not a known village");
    }
    ASSIGN_OR_RETURN(
        *resp->mutable_case_(),
        store_.MoveHousehold(edge_.Key("MoveHousehold", p, req->request_id(), *req), ActorOf(p, clock_.Now()),
                             req->case_id(), req->household(), req->reason(),
                             [&](const v1::Case& c) { return RequireInScope(p, CaseScope(c), "case"); }));
    return ChangeAnswerRead(p, resp->case_(), "MoveHousehold");
  });
}

grpc::ServerUnaryReactor* RegistryService::CloseCase(grpc::CallbackServerContext* ctx,
                                                     const v1::CloseCaseRequest* req,
                                                     v1::CloseCaseResponse* resp) {
  return LoggedRead(edge_, store_, ctx, "CloseCase", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateCaseChange(req->request_id(), req->case_id()));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxReasonChars));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(p, *req, "CloseCase", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::CloseCase(c, a, req->reason());
                                }));
    return ChangeAnswerRead(p, resp->case_(), "CloseCase");
  });
}

grpc::ServerUnaryReactor* RegistryService::ReopenCase(grpc::CallbackServerContext* ctx,
                                                      const v1::ReopenCaseRequest* req,
                                                      v1::ReopenCaseResponse* resp) {
  return LoggedRead(edge_, store_, ctx, "ReopenCase", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateCaseChange(req->request_id(), req->case_id()));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->reason(), "reason", kMaxReasonChars));
    ASSIGN_OR_RETURN(*resp->mutable_case_(),
                     ChangeCase(p, *req, "ReopenCase", req->request_id(), req->case_id(),
                                [&](const v1::Case& c, const Actor& a) {
                                  return registry::ReopenCase(c, a, req->reason());
                                }));
    return ChangeAnswerRead(p, resp->case_(), "ReopenCase");
  });
}

// ---- children
// -------------------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* RegistryService::GetChild(grpc::CallbackServerContext* ctx,
                                                    const v1::GetChildRequest* req,
                                                    v1::GetChildResponse* resp) {
  // Checked on arrival and handed to the access log, whose transaction reads the child together with the
  // other children of its batch; there (on its committer) the caller's scope and what they may see decide
  // the answer and the read to log, and the call finishes once that read has committed: logged before the
  // answer leaves, and if the log cannot be written, the read fails (gRPC sends no message with an error).
  return edge_.UnaryQueued(ctx, "GetChild", [=](const Principal& p, CallWorkers::Finish finish) {
    absl::Status valid = ValidateRecordId(req->child_id(), "child_id");
    if (valid.ok()) valid = ValidateMeaningfulText(req->purpose(), "purpose", kMaxPurposeChars);
    if (!valid.ok()) return finish(std::move(valid));
    // A caller who gave up while the read waited for the log's batch is not shown the child, so the log
    // does not say they read it (and under overload the batch writes nothing for them).
    auto decide = [ctx, p, req, resp](std::optional<v1::Child> child) -> absl::StatusOr<AccessRead> {
      if (CallerGaveUp(*ctx)) return absl::CancelledError(kGaveUpMessage);
      if (!child) return absl::NotFoundError("child not found");
      RETURN_IF_ERROR(
          RequireInScope(p, {child->household().village_code(), child->organisation_id()}, "child"));
      const bool full_id = MaySeeFullResidentId(p);
      if (!child->resident_id().empty() && !full_id)
        child->set_resident_id(shouhu::MaskResidentId(child->resident_id()));
      AccessRead read{p.subject(),
                      p.organisation_id(),
                      "child",
                      full_id ? "name,sex,birth_date,resident_id,household,guardians,categories"
                              : "name,sex,birth_date,resident_id_masked,household,guardians,categories",
                      req->purpose(),
                      "GetChild",
                      {{"", child->child_id(), child->household().village_code(), ""}}};
      *resp->mutable_child() = *std::move(child);
      return read;
    };
    store_.ReadChildThen(req->child_id(), std::move(decide), std::move(finish));
  });
}

grpc::ServerUnaryReactor* RegistryService::SearchChildren(grpc::CallbackServerContext* ctx,
                                                          const v1::SearchChildrenRequest* req,
                                                          v1::SearchChildrenResponse* resp) {
  // As GetChild: the page's access-log rows commit on the log writer, which finishes the call.
  return edge_.UnaryThen(ctx, "SearchChildren", [=](const Principal& p, CallWorkers::Finish finish) {
    absl::StatusOr<AccessRead> access = [&]() -> absl::StatusOr<AccessRead> {
      RETURN_IF_ERROR(ValidateMeaningfulText(req->purpose(), "purpose", kMaxPurposeChars));
      RETURN_IF_ERROR(ValidateEnumFilter(req->category(), v1::ChildCategory_IsValid, "category"));
      RETURN_IF_ERROR(ValidateEnumFilter(req->risk_level(), v1::RiskLevel_IsValid, "risk_level"));
      RETURN_IF_ERROR(ValidateEnumFilter(req->case_status(), v1::CaseStatus_IsValid, "case_status"));
      RETURN_IF_ERROR(
          ValidateOptionalIdentifier(req->organisation_id(), "organisation_id", kMaxOrganisationIdChars));
      ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(req->page_size(), req->page_token()));
      ASSIGN_OR_RETURN(std::string prefix, ScopedDivisionPrefix(p, req->division_prefix()));
      ASSIGN_OR_RETURN(std::string organisation, ScopedOrganisation(p, req->organisation_id()));
      ChildFilter filter{prefix,       req->category(), req->risk_level(), req->case_status(),
                         organisation, page.after_id,   page.limit};
      ASSIGN_OR_RETURN(auto children, store_.SearchChildren(filter));
      // The page is one read of the log: who, why and which fields once, then each child shown.
      AccessRead read{p.subject(),    p.organisation_id(), "child", "name,sex,birth_date,village",
                      req->purpose(), "SearchChildren",    {}};
      read.records.reserve(children.size());
      for (const auto& c : children) {
        read.records.push_back({"", c.child_id(), c.household().village_code(), ""});
      }
      resp->set_next_page_token(
          NextPageToken(children, page.limit, [](const v1::Child& c) { return c.child_id(); }));
      for (auto& c : children) *resp->add_children() = std::move(c);
      return read;
    }();
    if (!access.ok()) return finish(access.status());
    // Logged before the answer leaves, as GetChild; not for a caller who gave up during the page's read.
    if (CallerGaveUp(*ctx)) return finish(absl::CancelledError(kGaveUpMessage));
    store_.RecordReadThen(*std::move(access), std::move(finish));
  });
}

grpc::ServerUnaryReactor* RegistryService::GetStatistics(grpc::CallbackServerContext* ctx,
                                                         const v1::GetStatisticsRequest* req,
                                                         v1::GetStatisticsResponse* resp) {
  return edge_.Unary(ctx, "GetStatistics", [=](const Principal& p) -> absl::Status {
    ASSIGN_OR_RETURN(std::string prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    const bool organisation_staff = OrganisationBound(p);
    if (organisation_staff) RETURN_IF_ERROR(CheckWholeCountiesOnly(prefix));
    ASSIGN_OR_RETURN(Statistics stats, store_.GetStatistics(prefix));
    if (organisation_staff) {
      WithholdSmallCounts(stats, kSmallestCountShown);
      resp->set_withheld_below(kSmallestCountShown);
    }
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
    for (const auto& [risk, count] : stats.by_risk) {
      auto* out = resp->add_by_risk();
      out->set_risk_level(risk);
      out->set_children(count);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::ListAccessLog(grpc::CallbackServerContext* ctx,
                                                         const v1::ListAccessLogRequest* req,
                                                         v1::ListAccessLogResponse* resp) {
  return edge_.Unary(ctx, "ListAccessLog", [=](const Principal& p) -> absl::Status {
    if (!req->record_id().empty()) RETURN_IF_ERROR(ValidateRecordId(req->record_id(), "record_id"));
    RETURN_IF_ERROR(ValidateOptionalIdentifier(req->subject(), "subject", kMaxSubjectChars));
    ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(req->page_size(), req->page_token()));
    ASSIGN_OR_RETURN(std::string prefix, ScopedDivisionPrefix(p, req->division_prefix()));
    ASSIGN_OR_RETURN(auto entries, store_.ListAccessLog({prefix, req->record_id(), req->subject(),
                                                         page.after_id, page.limit}));
    resp->set_next_page_token(
        NextPageToken(entries, page.limit, [](const v1::AccessLogEntry& e) { return e.entry_id(); }));
    for (auto& e : entries) *resp->add_entries() = std::move(e);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistryService::RecordAccess(grpc::CallbackServerContext* ctx,
                                                        const v1::RecordAccessRequest* req,
                                                        v1::RecordAccessResponse*) {
  // Answered once the read is durable in the log, as the registry's own reads (LoggedRead).
  return LoggedRead(edge_, store_, ctx, "RecordAccess", [=](const Principal& p) -> ShownRecords {
    RETURN_IF_ERROR(ValidateIdentifier(req->subject(), "subject", kMaxSubjectChars));
    RETURN_IF_ERROR(
        ValidateOptionalIdentifier(req->organisation_id(), "organisation_id", kMaxOrganisationIdChars));
    RETURN_IF_ERROR(ValidateIdentifier(req->method(), "method", kMaxLoggedMethodChars));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->fields(), "fields", kMaxLoggedFieldsChars));
    RETURN_IF_ERROR(ValidateMeaningfulText(req->purpose(), "purpose", kMaxPurposeChars));
    if (req->children().empty()) return InvalidField("children", "name the children whose data was shown");
    if (req->children_size() > kMaxRecordsOfOneRead) {
      return InvalidField("children", absl::StrCat("at most ", kMaxRecordsOfOneRead, " a call"));
    }
    std::vector<AccessRecord> shown;
    shown.reserve(req->children_size());
    for (int i = 0; i < req->children_size(); ++i) {
      const v1::AccessedChild& child = req->children(i);
      const std::string at = absl::StrCat("children[", i, "]");
      RETURN_IF_ERROR(ValidateRecordId(child.child_id(), absl::StrCat(at, ".child_id")));
      if (DivisionLevel(child.village_code()) != 5) {
        return InvalidField(absl::StrCat(at, ".village_code"), "must be a 12-digit village code");
      }
      // A service logs reads of the children it serves: those of its own jurisdiction.
      if (!InJurisdiction(p, child.village_code())) {
        return absl::NotFoundError(absl::StrCat(at, ".village_code: village not found"));
      }
      shown.push_back({req->subject(), req->organisation_id(), "child", child.child_id(),
                       child.village_code(), req->fields(), req->purpose(), req->method(), ""});
    }
    return shown;
  });
}

grpc::ServerWriteReactor<v1::StreamEventsResponse>* RegistryService::StreamEvents(
    grpc::CallbackServerContext* ctx, const v1::StreamEventsRequest* req) {
  auto authorize = [this, ctx]() -> absl::Status { return edge_.Admit(*ctx, "StreamEvents").status(); };
  return ServeEventStream<v1::StreamEventsResponse>(ctx, req->after_sequence(), store_.event_feed(),
                                                    authorize);
}

}  // namespace shouhu::registry
