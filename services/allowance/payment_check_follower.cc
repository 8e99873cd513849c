#include "services/allowance/payment_check_follower.h"

#include "common/status_macros.h"
#include "shouhu/visits/v1/events.pb.h"

namespace shouhu::allowance {
namespace {

namespace vv1 = ::shouhu::visits::v1;

// The visits API's result as the allowance keeps it; the numbers agree, but the mapping is spelt out so
// neither API's renumbering could pass silently.
v1::PaymentCheckResult ResultOf(vv1::PaymentVerificationResult result) {
  switch (result) {
    case vv1::PAYMENT_VERIFICATION_RESULT_RECEIVED_IN_FULL:
      return v1::PAYMENT_CHECK_RESULT_RECEIVED_IN_FULL;
    case vv1::PAYMENT_VERIFICATION_RESULT_RECEIVED_PARTLY:
      return v1::PAYMENT_CHECK_RESULT_RECEIVED_PARTLY;
    case vv1::PAYMENT_VERIFICATION_RESULT_NOT_RECEIVED:
      return v1::PAYMENT_CHECK_RESULT_NOT_RECEIVED;
    case vv1::PAYMENT_VERIFICATION_RESULT_COULD_NOT_VERIFY:
      return v1::PAYMENT_CHECK_RESULT_COULD_NOT_VERIFY;
    default:
      return v1::PAYMENT_CHECK_RESULT_UNSPECIFIED;
  }
}

}  // namespace

absl::Status PaymentCheckFollower::Apply(db::Session& tx, const common::v1::Event& event) const {
  if (!event.payload().Is<vv1::PaymentVerificationRecorded>()) return absl::OkStatus();
  vv1::PaymentVerificationRecorded recorded;
  const v1::PaymentCheckResult result = event.payload().UnpackTo(&recorded)
                                            ? ResultOf(recorded.result())
                                            : v1::PAYMENT_CHECK_RESULT_UNSPECIFIED;
  if (result == v1::PAYMENT_CHECK_RESULT_UNSPECIFIED || recorded.payment_id().empty()) {
    // It can never apply; refusing it would stop the stream for every other payment.
    logger_.Warn("visits event skipped: unreadable payment verification", {{"sequence", event.sequence()}});
    return absl::OkStatus();
  }
  v1::PaymentCheck check;
  check.set_payment_id(recorded.payment_id());
  check.set_result(result);
  check.set_note(recorded.note());
  check.set_assignment_id(recorded.assignment_id());
  if (recorded.has_recorded_at()) *check.mutable_checked_at() = recorded.recorded_at();
  ASSIGN_OR_RETURN(bool recorded_now, store_.RecordPaymentCheck(tx, check, event.sequence(), clock_.Now()));
  if (!recorded_now) {
    logger_.Info("payment verification not recorded: checked before or not ours",
                 {{"sequence", event.sequence()}});
  }
  return absl::OkStatus();
}

}  // namespace shouhu::allowance
