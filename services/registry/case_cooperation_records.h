// A case's cooperation records carry the scope they copied from the case when written: its reintegration
// outcomes (village, organisation), the service referrals sent for it (village, sending organisation) and its
// open county transfer request (sending organisation). They follow the case when it moves, in the move's
// transaction: otherwise the organisation that handed a case over kept reading the child's follow-ups and
// referral notes, while the one that took it saw none of them, got no "service referral due" task and could
// not cancel the transfer request it now owns.
#ifndef SHOUHU_SERVICES_REGISTRY_CASE_COOPERATION_RECORDS_H_
#define SHOUHU_SERVICES_REGISTRY_CASE_COOPERATION_RECORDS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/db.h"

namespace shouhu::registry {

// Moves the records of `case_id` to `organisation_id`, and to `village_code` when the case changed village
// (a county transfer). The case's row is locked by the caller.
absl::Status MoveCooperationRecords(db::Session& tx, const std::string& case_id,
                                    const std::string& organisation_id,
                                    const std::optional<std::string>& village_code);

// Cancels the case's open county transfer request, if any, when the case closes (by `actor`, at `at`, an SQL
// timestamp): a closed case cannot move, so the request could never be accepted, yet it held the case's one
// open-request slot and sat in the receiving county's inbox until someone noticed.
absl::Status CancelOpenTransferRequest(db::Session& tx, const std::string& case_id, const std::string& actor,
                                       const std::string& at);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_CASE_COOPERATION_RECORDS_H_
