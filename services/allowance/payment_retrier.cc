#include "services/allowance/payment_retrier.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace shouhu::allowance {
namespace {

// This process in the job's claims: the pod's name under Kubernetes.
std::string ReplicaName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "allowance";
  return absl::StrCat("allowance@", host);
}

}  // namespace

PaymentRetrier::PaymentRetrier(db::Pool& pool, AllowanceStore& store, const Clock& clock, Logger& logger,
                               absl::Duration period)
    : store_(store),
      clock_(clock),
      logger_(logger),
      job_(pool, clock, "allowance.payment-retry", Schedule::Every(period), kPaymentRetryLease, ReplicaName(),
           [this](const PeriodicRun&) -> absl::Status {
             absl::StatusOr<int> sent = ResendOnce();
             if (!sent.ok()) return sent.status();
             if (*sent > 0) logger_.Info("failed payments sent again", {{"count", *sent}});
             return absl::OkStatus();
           }) {}

void PaymentRetrier::Start(absl::Duration poll) { job_.Start(poll, logger_); }

absl::StatusOr<int> PaymentRetrier::ResendOnce() {
  return store_.ResendFailedPayments(clock_.Now());
}

}  // namespace shouhu::allowance
