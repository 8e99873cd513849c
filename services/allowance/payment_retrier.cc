#include "services/allowance/payment_retrier.h"

#include "absl/strings/str_cat.h"

namespace shouhu::allowance {
PaymentRetrier::PaymentRetrier(db::Pool& pool, AllowanceStore& store, const Clock& clock, Logger& logger,
                               absl::Duration period)
    : store_(store),
      clock_(clock),
      logger_(logger),
      job_(pool, clock, "allowance.payment-retry", Schedule::Every(period), kPaymentRetryLease,
           ReplicaName("allowance"), [this](const PeriodicRun&) -> absl::Status {
             absl::StatusOr<int> sent = ResendOnce();
             if (!sent.ok()) return sent.status();
             if (*sent > 0) logger_.Info("failed payments sent again", {{"count", *sent}});
             return absl::OkStatus();
           }) {}

void PaymentRetrier::Start(absl::Duration poll) { job_.Start(poll, logger_); }

absl::StatusOr<int> PaymentRetrier::ResendOnce() { return store_.ResendFailedPayments(clock_.Now()); }

}  // namespace shouhu::allowance
