// Wires the monthly basic living allowance and what is built beside it into the allowance service: its
// store over the core's, the monthly roster job, the registry follower that stops allowances (and, on an
// installation upgraded to migration 0070, the case standing's backfill beside it), and the visits followers
// that draft relief from urgent needs and record what visits found of sampled payments.
// AllowanceModule owns one and serves its store's RPCs.
#ifndef SHOUHU_SERVICES_ALLOWANCE_MONTHLY_CYCLES_MODULE_H_
#define SHOUHU_SERVICES_ALLOWANCE_MONTHLY_CYCLES_MODULE_H_

#include <memory>

#include "common/event_consumer.h"
#include "common/server.h"
#include "common/service_channel.h"
#include "services/allowance/case_standing_backfill.h"
#include "services/allowance/living_allowance_follower.h"
#include "services/allowance/monthly_cycles_config.h"
#include "services/allowance/monthly_roster_job.h"
#include "services/allowance/monthly_roster_store.h"
#include "services/allowance/payment_check_follower.h"
#include "services/allowance/sent_back_cycles.h"
#include "services/allowance/urgent_need_follower.h"
#include "services/registry/registry_client.h"

namespace shouhu::allowance {

class MonthlyCycles {
 public:
  // `registry_address`: the registry whose case events are followed (the same the core asks).
  MonthlyCycles(const ServiceContext& context, const MonthlyCyclesConfig& config,
                const std::string& registry_address, MariaDbAllowanceStore& core,
                const registry::RegistryClient& registry);
  ~MonthlyCycles();

  // Stops following the registry and visits (the event being applied commits or rolls back whole).
  void Drain();

  MonthlyRosterStore& store() { return *store_; }
  MonthlyRosterJob& job() { return *job_; }
  EventConsumer* registry_consumer() { return registry_consumer_.get(); }
  EventConsumer* visits_consumer() { return visits_consumer_.get(); }
  // Null unless this start found the backfill behind the living follower (PlanCaseStandingBackfill).
  EventConsumer* standing_backfill_consumer() { return standing_backfill_consumer_.get(); }
  const CaseStandingBackfill& standing_backfill() const { return *standing_backfill_; }
  const LivingAllowanceFollower& living_follower() const { return *living_follower_; }
  const UrgentNeedFollower& urgent_follower() const { return *urgent_follower_; }
  const PaymentCheckFollower& check_follower() const { return *check_follower_; }
  SentBackCycles& sent_back() { return *sent_back_; }

 private:
  std::unique_ptr<MonthlyRosterStore> store_;
  std::unique_ptr<MonthlyRosterJob> job_;
  std::unique_ptr<LivingAllowanceFollower> living_follower_;
  std::unique_ptr<UrgentNeedFollower> urgent_follower_;
  std::unique_ptr<PaymentCheckFollower> check_follower_;
  std::unique_ptr<CaseStandingBackfill> standing_backfill_;
  std::unique_ptr<SentBackCycles> sent_back_;
  std::unique_ptr<ServiceChannel> registry_channel_;
  std::unique_ptr<ServiceChannel> visits_channel_;
  std::unique_ptr<EventConsumer> registry_consumer_;  // after what they use: stop first
  std::unique_ptr<EventConsumer> standing_backfill_consumer_;
  std::unique_ptr<EventConsumer> visits_consumer_;
};

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_MONTHLY_CYCLES_MODULE_H_
