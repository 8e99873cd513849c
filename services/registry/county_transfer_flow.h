// A case's transfer between counties, as a state machine: REQUESTED → ACCEPTED, REJECTED or CANCELLED, each
// only once. The destination must be a village of another county. Rules return the transfer as it will be,
// or FAILED_PRECONDITION for a step out of order.
#ifndef SHOUHU_SERVICES_REGISTRY_COUNTY_TRANSFER_FLOW_H_
#define SHOUHU_SERVICES_REGISTRY_COUNTY_TRANSFER_FLOW_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/idempotency.h"
#include "shouhu/registry/v1/cooperation_service.pb.h"

namespace shouhu::registry {

// INVALID_ARGUMENT on to_village_code when the destination lies in the case's own county (a move within a
// county is not a transfer between counties).
absl::Status CheckTransferDestination(absl::string_view from_village, absl::string_view to_village);

absl::StatusOr<v1::CountyTransfer> AcceptCountyTransfer(const v1::CountyTransfer& current,
                                                        const Actor& actor);
absl::StatusOr<v1::CountyTransfer> RejectCountyTransfer(const v1::CountyTransfer& current, const Actor& actor,
                                                        const std::string& reason);
absl::StatusOr<v1::CountyTransfer> CancelCountyTransfer(const v1::CountyTransfer& current, const Actor& actor,
                                                        const std::string& reason);

// The organisation that holds the case after acceptance: the one the request named, else the accepting
// officer's.
std::string ReceivingOrganisation(const v1::CountyTransfer& transfer, const Actor& accepted_by);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_COUNTY_TRANSFER_FLOW_H_
