#include "services/visits/payment_verification_follower.h"

#include "common/status_macros.h"
#include "services/visits/field_visit_store.h"
#include "shouhu/allowance/v1/monthly_cycles.pb.h"
#include "shouhu/allowance/v1/resources.pb.h"

namespace shouhu::visits {

absl::Status PaymentVerificationFollower::Apply(db::Session& tx, const common::v1::Event& event) const {
  namespace av1 = ::shouhu::allowance::v1;
  if (!event.payload().Is<av1::HouseholdVerificationRequested>()) return absl::OkStatus();
  av1::HouseholdVerificationRequested requested;
  if (!event.payload().UnpackTo(&requested) || requested.payment_id().empty() ||
      requested.child_id().empty()) {
    logger_.Warn("allowance event skipped: unreadable verification request",
                 {{"sequence", event.sequence()}});
    return absl::OkStatus();
  }
  VerificationRequest request;
  request.payment_id = requested.payment_id();
  request.program_id = requested.program_id();
  request.child_id = requested.child_id();
  request.division_code = requested.division_code();
  request.allowance_type = av1::AllowanceType_Name(requested.type());
  request.amount_fen = requested.amount_fen();
  request.paid_on = requested.paid_on();
  return MariaDbFieldVisitStore::RequestPaymentVerification(tx, request, event.sequence(), clock_.Now())
      .status();
}

}  // namespace shouhu::visits
