// Sends failed payments again. A periodic job (common/periodic_job.h) runs once per period across all
// replicas; each resend locks the payment and moves it from FAILED to ISSUED with one more attempt in the
// transaction that writes its PaymentIssued event, so a run taken over from a crashed replica, or two jobs
// racing, send each failure once. Attempts are bounded: the failure recorded after the last one abandons the
// payment and reverses its amount (allowance_rules.h DecideOutcome).
#ifndef SHOUHU_SERVICES_ALLOWANCE_PAYMENT_RETRIER_H_
#define SHOUHU_SERVICES_ALLOWANCE_PAYMENT_RETRIER_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "common/periodic_job.h"
#include "services/allowance/allowance_store.h"

namespace shouhu::allowance {

// Far longer than a run takes (a few hundred failures at most); only a crashed run waits it out.
inline constexpr absl::Duration kPaymentRetryLease = absl::Minutes(10);

class PaymentRetrier {
 public:
  // `period`: one run per period across replicas.
  PaymentRetrier(db::Pool& pool, AllowanceStore& store, const Clock& clock, Logger& logger,
                 absl::Duration period);

  // Polls every `poll` on a thread of its own until destroyed.
  void Start(absl::Duration poll);
  // One resend of everything due now, whatever the job has done; returns how many were sent.
  absl::StatusOr<int> ResendOnce();

 private:
  AllowanceStore& store_;
  const Clock& clock_;
  Logger& logger_;
  PeriodicJob job_;  // last: its thread stops before the rest goes
};

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_PAYMENT_RETRIER_H_
