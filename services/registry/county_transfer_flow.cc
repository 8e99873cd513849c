#include "services/registry/county_transfer_flow.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/registry/child_columns.h"

namespace shouhu::registry {
namespace {

absl::StatusOr<v1::CountyTransfer> Decide(const v1::CountyTransfer& current, const Actor& actor,
                                          v1::CountyTransferStatus to, const std::string& reason,
                                          absl::string_view step) {
  if (current.status() != v1::COUNTY_TRANSFER_STATUS_REQUESTED) {
    return absl::FailedPreconditionError(
        absl::StrCat("the transfer is already decided: it cannot be ", step));
  }
  v1::CountyTransfer next = current;
  next.set_status(to);
  next.set_decided_by(actor.subject);
  *next.mutable_decided_at() = ToProtoTimestamp(actor.at);
  next.set_decision_reason(reason);
  return next;
}

}  // namespace

absl::Status CheckTransferDestination(absl::string_view from_village, absl::string_view to_village) {
  if (CountyOf(from_village) == CountyOf(to_village)) {
    return InvalidField("to_village_code", "lies in the case's own county");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::CountyTransfer> AcceptCountyTransfer(const v1::CountyTransfer& current,
                                                        const Actor& actor) {
  return Decide(current, actor, v1::COUNTY_TRANSFER_STATUS_ACCEPTED, "", "accepted");
}

absl::StatusOr<v1::CountyTransfer> RejectCountyTransfer(const v1::CountyTransfer& current, const Actor& actor,
                                                        const std::string& reason) {
  return Decide(current, actor, v1::COUNTY_TRANSFER_STATUS_REJECTED, reason, "rejected");
}

absl::StatusOr<v1::CountyTransfer> CancelCountyTransfer(const v1::CountyTransfer& current, const Actor& actor,
                                                        const std::string& reason) {
  return Decide(current, actor, v1::COUNTY_TRANSFER_STATUS_CANCELLED, reason, "cancelled");
}

std::string ReceivingOrganisation(const v1::CountyTransfer& transfer, const Actor& accepted_by) {
  return transfer.to_organisation_id().empty() ? accepted_by.organisation_id : transfer.to_organisation_id();
}

}  // namespace shouhu::registry
