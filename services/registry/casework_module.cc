#include "services/registry/casework_module.h"

namespace shouhu::registry {

Casework::Casework(const ServiceContext& context, const CaseworkConfig& config, MariaDbRegistryStore& cases) {
  store_ = std::make_unique<CaseworkStore>(context.pool, context.ids, cases,
                                           CaseworkRules{config.schedule, config.self_approval});
  if (!config.visits_address.empty()) {
    visits_channel_ = ServiceChannel::Connect(config.visits_address);
    EventConsumerOptions options;
    options.name = kVisitsConsumerName;
    options.method = kVisitsStreamMethod;
    options.channel = visits_channel_->channel();
    const ServiceIdentity* identity = &context.identity;
    options.identify = [identity](grpc::ClientContext& call) { identity->Attach(call); };
    CaseworkStore* store = store_.get();
    visits_consumer_ =
        std::make_unique<EventConsumer>(context.pool, context.metrics, context.logger, std::move(options),
                                        [store](db::Session& tx, const common::v1::Event& event) {
                                          return store->ApplyVisitEvent(tx, event);
                                        });
    visits_consumer_->Start();
  }
  service_ =
      std::make_unique<CaseworkService>(*store_, cases, context.verifier, context.clock, context.workers);
}

Casework::~Casework() { Drain(); }

void Casework::Drain() {
  if (visits_consumer_) visits_consumer_->Stop();
}

}  // namespace shouhu::registry
