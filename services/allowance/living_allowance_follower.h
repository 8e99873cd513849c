// Folds the registry's case events into the monthly allowance's children (an EventConsumer's ApplyEvent over
// RegistryService.StreamEvents, checkpointed): a closed case, a case transferred to another organisation or
// moved to another county (CaseMovedCounty: the receiving county enrols the child in its own program), and a
// child placed in a child-welfare institution (who leaves the family-based allowance's category: the
// institution is funded for the child's care) stop the child's monthly allowance from the month after the
// event's day (Asia/Shanghai). Rosters already generated keep what they computed.
//
// A closed case also cancels the child's applications not yet paid (submitted, awaiting approval, approved),
// their reservations going back to the budget through the ledger, in the same transaction as the checkpoint
// (MariaDbAllowanceStore::CancelApplicationsOfClosedCase); paid and in-payment ones are left as they are.
//
// The registry publishes no event when a child's categories change (they are set at referral); if it comes
// to, its event maps to StopReason::kLeftCategory here. Replays change nothing: each child records the
// sequence of the last event folded in.
#ifndef SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_FOLLOWER_H_
#define SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_FOLLOWER_H_

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "services/allowance/allowance_store.h"
#include "shouhu/common/v1/events.pb.h"

namespace shouhu::allowance {

inline constexpr char kLivingAllowanceConsumerName[] = "allowance-living-from-registry";
inline constexpr char kLivingAllowanceStreamMethod[] = "/shouhu.registry.v1.RegistryService/StreamEvents";
// Who the ledger and the applications record as cancelling for a closed case.
inline constexpr char kCaseClosedCanceller[] = "system:allowance-case-closed";

class LivingAllowanceFollower {
 public:
  LivingAllowanceFollower(MariaDbAllowanceStore& core, const Clock& clock, Logger& logger)
      : core_(core), clock_(clock), logger_(logger) {}

  absl::Status Apply(db::Session& tx, const common::v1::Event& event) const;

 private:
  MariaDbAllowanceStore& core_;
  const Clock& clock_;
  Logger& logger_;
};

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_LIVING_ALLOWANCE_FOLLOWER_H_
