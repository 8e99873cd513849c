#include "services/registry/case_cooperation_records.h"

#include "common/status_macros.h"
#include "shouhu/registry/v1/cooperation_service.pb.h"

namespace shouhu::registry {
namespace {

constexpr absl::string_view kMoveOutcomes =
    "UPDATE reintegration_outcomes SET organisation_id = ?, village_code = COALESCE(?, village_code) "
    "WHERE case_id = ?";
constexpr absl::string_view kMoveServiceReferrals =
    "UPDATE service_referrals SET from_org = ?, village_code = COALESCE(?, village_code) WHERE case_id = ?";
// Only a request still open: one answered or cancelled is the record of who asked.
constexpr absl::string_view kMoveOpenTransferRequest =
    "UPDATE county_transfers SET from_org = ? WHERE case_id = ? AND status = ?";

constexpr absl::string_view kCancelOpenTransferRequest =
    "UPDATE county_transfers SET status = ?, open_case_id = NULL, decided_by = ?, decided_at = ?, "
    "decision_reason = 'the case was closed' WHERE open_case_id = ?";

}  // namespace

absl::Status MoveCooperationRecords(db::Session& tx, const std::string& case_id,
                                    const std::string& organisation_id,
                                    const std::optional<std::string>& village_code) {
  const db::Value village = village_code ? db::Value(*village_code) : db::Value(db::Null{});
  RETURN_IF_ERROR(tx.Execute(kMoveOutcomes, {organisation_id, village, case_id}).status());
  RETURN_IF_ERROR(tx.Execute(kMoveServiceReferrals, {organisation_id, village, case_id}).status());
  return tx
      .Execute(kMoveOpenTransferRequest,
               {organisation_id, case_id, int64_t{v1::COUNTY_TRANSFER_STATUS_REQUESTED}})
      .status();
}

absl::Status CancelOpenTransferRequest(db::Session& tx, const std::string& case_id, const std::string& actor,
                                       const std::string& at) {
  return tx
      .Execute(kCancelOpenTransferRequest,
               {int64_t{v1::COUNTY_TRANSFER_STATUS_CANCELLED}, actor, at, case_id})
      .status();
}

}  // namespace shouhu::registry
