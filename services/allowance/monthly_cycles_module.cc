#include "services/allowance/monthly_cycles_module.h"

#include "common/status_macros.h"

namespace shouhu::allowance {
namespace {

// `apply`: an ApplyEvent or an ApplyEvents.
template <typename Apply>
std::unique_ptr<EventConsumer> Follow(const ServiceContext& context, const char* name, const char* method,
                                      const ServiceChannel& channel, Apply apply) {
  EventConsumerOptions options;
  options.name = name;
  options.method = method;
  options.channel = channel.channel();
  const ServiceIdentity* identity = &context.identity;
  options.identify = [identity](grpc::ClientContext& call) { identity->Attach(call); };
  auto consumer = std::make_unique<EventConsumer>(context.pool, context.metrics, context.logger,
                                                  std::move(options), std::move(apply));
  consumer->Start();
  return consumer;
}

}  // namespace

MonthlyCycles::MonthlyCycles(const ServiceContext& context, const MonthlyCyclesConfig& config,
                             const std::string& registry_address, MariaDbAllowanceStore& core,
                             const registry::RegistryClient& registry) {
  store_ = std::make_unique<MonthlyRosterStore>(
      context.pool, context.ids, core,
      VerificationSample(config.verification_seed, config.verification_share_ppm));
  job_ = std::make_unique<MonthlyRosterJob>(context.pool, *store_, registry, context.identity, context.clock,
                                            context.logger, context.metrics);
  living_follower_ = std::make_unique<LivingAllowanceFollower>(core, context.clock, context.logger);
  urgent_follower_ = std::make_unique<UrgentNeedFollower>(*store_, context.clock, context.logger);
  check_follower_ = std::make_unique<PaymentCheckFollower>(*store_, context.clock, context.logger);
  standing_backfill_ = std::make_unique<CaseStandingBackfill>(context.clock, context.logger);
  sent_back_ = std::make_unique<SentBackCycles>(*store_, context.metrics, context.logger);
  if (config.follow_registry) {
    registry_channel_ = ServiceChannel::Connect(registry_address);
    // Planned before the living follower moves: on a fresh installation both checkpoints are still 0.
    const absl::StatusOr<CaseStandingBackfillPlan> plan = PlanCaseStandingBackfill(context.pool);
    const LivingAllowanceFollower* follower = living_follower_.get();
    registry_consumer_ =
        Follow(context, kLivingAllowanceConsumerName, kLivingAllowanceStreamMethod, *registry_channel_,
               [follower](db::Session& tx, const common::v1::Event& e) { return follower->Apply(tx, e); });
    if (!plan.ok()) {
      // The next start plans it again; until then closes of the past may read open, as before 0070.
      context.logger.Warn("case standing backfill not planned",
                          {{"error", std::string(plan.status().message())}});
    } else if (plan->run) {
      context.logger.Info("case standing backfill starting", {{"from_sequence", plan->from},
                                                              {"to_sequence", plan->to},
                                                              {"events_to_go", plan->to - plan->from}});
      const CaseStandingBackfill* backfill = standing_backfill_.get();
      standing_backfill_consumer_ =
          Follow(context, kCaseStandingBackfillConsumerName, kLivingAllowanceStreamMethod, *registry_channel_,
                 ApplyEvents([backfill](db::Session& tx, absl::Span<const common::v1::Event> events) {
                   return backfill->Apply(tx, events);
                 }));
    }
  }
  if (!config.visits_address.empty()) {
    visits_channel_ = ServiceChannel::Connect(config.visits_address);
    const UrgentNeedFollower* urgent = urgent_follower_.get();
    const PaymentCheckFollower* checks = check_follower_.get();
    // One consumer of the visits stream for both: each passes the other's events.
    visits_consumer_ = Follow(context, kVisitsConsumerName, kVisitsStreamMethod, *visits_channel_,
                              [urgent, checks](db::Session& tx, const common::v1::Event& e) -> absl::Status {
                                RETURN_IF_ERROR(urgent->Apply(tx, e));
                                return checks->Apply(tx, e);
                              });
  }
  if (config.roster_poll > absl::ZeroDuration()) {
    job_->Start(config.roster_poll);
    sent_back_->Start(config.roster_poll);
  }
}

MonthlyCycles::~MonthlyCycles() { Drain(); }

void MonthlyCycles::Drain() {
  if (registry_consumer_) registry_consumer_->Stop();
  if (standing_backfill_consumer_) standing_backfill_consumer_->Stop();
  if (visits_consumer_) visits_consumer_->Stop();
}

}  // namespace shouhu::allowance
