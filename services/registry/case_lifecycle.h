// The case lifecycle, as pure rules: referred → verifying → active → closed, closed → active on reopening;
// transfers, risk and care-arrangement changes on open cases only. Each rule takes the case as it is and
// returns the case as it will be, the history entry and the event to publish — or FAILED_PRECONDITION.
#ifndef SHOUHU_SERVICES_REGISTRY_CASE_LIFECYCLE_H_
#define SHOUHU_SERVICES_REGISTRY_CASE_LIFECYCLE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/idempotency.h"
#include "google/protobuf/message.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::registry {

using v1::Case;
using v1::CaseHistoryEntry;

struct CaseChange {
  Case updated;
  CaseHistoryEntry entry;
  std::shared_ptr<google::protobuf::Message> event;
};

absl::StatusOr<CaseChange> CompleteVerification(const Case& current, const Actor& actor,
                                                const std::string& note);
absl::StatusOr<CaseChange> TransferCase(const Case& current, const Actor& actor,
                                        const std::string& to_organisation, const std::string& to_caseworker,
                                        const std::string& reason);
absl::StatusOr<CaseChange> SetRiskLevel(const Case& current, const Actor& actor, v1::RiskLevel risk,
                                        const std::string& reason);
absl::StatusOr<CaseChange> ChangeCareArrangement(const Case& current, const Actor& actor,
                                                 const v1::CareArrangement& arrangement,
                                                 const std::string& reason);
// Whether `to` names another home than `from`: another village, address or coordinates (the same to the
// micro-degree, as the registry keeps them).
bool IsAnotherHome(const v1::Household& from, const v1::Household& to);

// The child of an open case moved home, from `home` (where the registry has them) to `to`, inside the case's
// county: the case moves to the new village. Another county is a county transfer, which that county accepts.
absl::StatusOr<CaseChange> MoveHousehold(const Case& current, const v1::Household& home,
                                         const v1::Household& to, const Actor& actor,
                                         const std::string& reason);
absl::StatusOr<CaseChange> CloseCase(const Case& current, const Actor& actor, const std::string& reason);
absl::StatusOr<CaseChange> ReopenCase(const Case& current, const Actor& actor, const std::string& reason);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_CASE_LIFECYCLE_H_
