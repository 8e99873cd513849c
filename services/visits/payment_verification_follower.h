// Verification after payment, the visits end: follows the allowance service's events (its StreamEvents, by
// a checkpointed EventConsumer) and records each HouseholdVerificationRequested as a check pending for the
// child, which the next visit to the child carries (ListVisitorAssignments shows what to ask about: type,
// amount, day — never bank details) and RecordPaymentVerification answers. Replaying is harmless: a payment
// is asked about once (its id is the row's key).
#ifndef SHOUHU_SERVICES_VISITS_PAYMENT_VERIFICATION_FOLLOWER_H_
#define SHOUHU_SERVICES_VISITS_PAYMENT_VERIFICATION_FOLLOWER_H_

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "shouhu/common/v1/events.pb.h"

namespace shouhu::visits {

// The consumer's name (its checkpoint key) and the stream it follows.
inline constexpr char kAllowanceConsumerName[] = "visits-from-allowance";
inline constexpr char kAllowanceStreamMethod[] = "/shouhu.allowance.v1.AllowanceService/StreamEvents";

class PaymentVerificationFollower {
 public:
  PaymentVerificationFollower(const Clock& clock, Logger& logger) : clock_(clock), logger_(logger) {}

  // An EventConsumer's ApplyEvent; OK for events of no interest. A payload that does not parse is logged
  // and passed (it can never apply; refusing it would stop the stream for every other household).
  absl::Status Apply(db::Session& tx, const common::v1::Event& event) const;

 private:
  const Clock& clock_;
  Logger& logger_;
};

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_PAYMENT_VERIFICATION_FOLLOWER_H_
