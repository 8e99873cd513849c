// Drafts an emergency-relief application from each urgent need a visit found (visits' UrgentNeedFound,
// followed through VisitsService.StreamEvents by an EventConsumer with a stored checkpoint): in the program
// of the child's jurisdiction that fits (relief_program_choice.h), as a SUBMITTED application made by the
// service for the visiting organisation, which a person of the program then approves or rejects. When none
// fits, the reason is recorded instead. Each need is consumed once: the report id is the key of its record,
// so a replay from sequence 0, or a second consumer, drafts nothing new.
#ifndef SHOUHU_SERVICES_ALLOWANCE_URGENT_NEED_FOLLOWER_H_
#define SHOUHU_SERVICES_ALLOWANCE_URGENT_NEED_FOLLOWER_H_

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "services/allowance/monthly_roster_store.h"
#include "shouhu/common/v1/events.pb.h"

namespace shouhu::allowance {

inline constexpr char kVisitsConsumerName[] = "allowance-from-visits";
inline constexpr char kVisitsStreamMethod[] = "/shouhu.visits.v1.VisitsService/StreamEvents";

class UrgentNeedFollower {
 public:
  UrgentNeedFollower(MonthlyRosterStore& store, const Clock& clock, Logger& logger)
      : store_(store), clock_(clock), logger_(logger) {}

  absl::Status Apply(db::Session& tx, const common::v1::Event& event) const;

 private:
  MonthlyRosterStore& store_;
  const Clock& clock_;
  Logger& logger_;
};

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_URGENT_NEED_FOLLOWER_H_
