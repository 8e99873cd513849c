// Verification after payment, the allowance's end: folds what a visit found when it checked a sampled
// payment (visits' PaymentVerificationRecorded, followed through VisitsService.StreamEvents by the same
// checkpointed consumer as urgent needs) into payment_checks. Received in full marks the payment verified;
// partly, not received or could not verify is a discrepancy, listed (ListPaymentChecks) and raised as
// PaymentVerificationDiscrepancy, never corrected. Each payment is checked once: a replay from 0 changes
// nothing.
#ifndef SHOUHU_SERVICES_ALLOWANCE_PAYMENT_CHECK_FOLLOWER_H_
#define SHOUHU_SERVICES_ALLOWANCE_PAYMENT_CHECK_FOLLOWER_H_

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "services/allowance/monthly_roster_store.h"
#include "shouhu/common/v1/events.pb.h"

namespace shouhu::allowance {

class PaymentCheckFollower {
 public:
  PaymentCheckFollower(MonthlyRosterStore& store, const Clock& clock, Logger& logger)
      : store_(store), clock_(clock), logger_(logger) {}

  // An EventConsumer's ApplyEvent; OK for events of no interest.
  absl::Status Apply(db::Session& tx, const common::v1::Event& event) const;

 private:
  MonthlyRosterStore& store_;
  const Clock& clock_;
  Logger& logger_;
};

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_PAYMENT_CHECK_FOLLOWER_H_
