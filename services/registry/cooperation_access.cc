#include "services/registry/cooperation_access.h"

#include "common/scope.h"

namespace shouhu::registry {

bool IsSender(const Principal& p, const v1::ServiceReferral& r) {
  return InScope(p, {r.village_code(), r.from_organisation_id()});
}

bool IsReceiver(const Principal& p, const v1::ServiceReferral& r) {
  return !p.organisation_id().empty() && p.organisation_id() == r.to_organisation_id();
}

bool ReceiverSeesChild(v1::ServiceReferralStatus status) {
  return status == v1::SERVICE_REFERRAL_STATUS_SENT || status == v1::SERVICE_REFERRAL_STATUS_ACCEPTED;
}

absl::Status RequireReceiver(const Principal& p, const v1::ServiceReferral& r) {
  if (IsReceiver(p, r)) return absl::OkStatus();
  if (IsSender(p, r))
    return absl::PermissionDeniedError("only the receiving organisation answers a referral");
  return absl::NotFoundError("service referral not found");
}

bool IsSendingSide(const Principal& p, const v1::CountyTransfer& t) {
  return InScope(p, {t.from_village_code(), t.from_organisation_id()});
}

bool IsReceivingSide(const Principal& p, const v1::CountyTransfer& t) {
  if (!InJurisdiction(p, t.to_village_code())) return false;
  return !OrganisationBound(p) ||
         (!t.to_organisation_id().empty() && t.to_organisation_id() == p.organisation_id());
}

absl::Status RequireReceivingSide(const Principal& p, const v1::CountyTransfer& t) {
  if (IsReceivingSide(p, t)) return absl::OkStatus();
  if (IsSendingSide(p, t)) return absl::PermissionDeniedError("only the receiving county answers a transfer");
  return absl::NotFoundError("transfer not found");
}

absl::Status RequireSendingSide(const Principal& p, const v1::CountyTransfer& t) {
  if (IsSendingSide(p, t)) return absl::OkStatus();
  if (IsReceivingSide(p, t)) return absl::PermissionDeniedError("only the sending side cancels a transfer");
  return absl::NotFoundError("transfer not found");
}

absl::Status RequireReportInScope(const Principal& p, const v1::MandatoryReport& r) {
  if (InJurisdiction(p, r.village_code())) return absl::OkStatus();
  return absl::NotFoundError("report not found");
}

}  // namespace shouhu::registry
