// Wires the visits service: settings → calendar → store → registry channel and the event consumer that
// follows its cases → service. main.cc (through VisitsDefinition) and the tests build it the same way, so a
// test exercises the wiring the process runs.
#ifndef SHOUHU_SERVICES_VISITS_VISITS_MODULE_H_
#define SHOUHU_SERVICES_VISITS_VISITS_MODULE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/event_consumer.h"
#include "common/outbox.h"
#include "common/periodic_job.h"
#include "common/server.h"
#include "common/service_channel.h"
#include "services/registry/registry_client.h"
#include "services/training/training_client.h"
#include "services/visits/background_walk.h"
#include "services/visits/case_plan_follower.h"
#include "services/visits/check_out_watch.h"
#include "services/visits/field_visit_store.h"
#include "services/visits/group_activity_store.h"
#include "services/visits/payment_verification_follower.h"
#include "services/visits/qualification_follower.h"
#include "services/visits/safeguarding_desk.h"
#include "services/visits/safeguarding_store.h"
#include "services/visits/visit_calendar.h"
#include "services/visits/visits_config.h"
#include "services/visits/visits_service.h"
#include "services/visits/visits_store.h"

namespace shouhu::visits {

inline constexpr char kVisitsServiceName[] = "shouhu.visits.v1.VisitsService";

class VisitsModule {
 public:
  // Loads every CN-<year>.csv in the calendars folder (FAILED_PRECONDITION when there is none) and starts
  // following the registry's case events from the stored checkpoint. `training`: the client of the training
  // service; when null (the process), one over a channel to config.training_address. Training's events are
  // followed over a channel to config.training_address either way.
  static absl::StatusOr<std::unique_ptr<VisitsModule>> Create(
      const ServiceContext& context, const VisitsConfig& config,
      std::unique_ptr<training::TrainingClient> training = nullptr);

  // Stops following the registry, training and allowance (the event being applied commits or rolls back
  // whole) and the safeguarding sync job, and ends the event streams (their clients resume elsewhere).
  void Drain();

  MariaDbVisitsStore& store() { return *store_; }
  MariaDbFieldVisitStore& field_store() { return *field_store_; }
  BackgroundWalk& report_sealing() { return *report_sealing_; }
  BackgroundWalk& completed_visits_repair() { return *completed_visits_repair_; }
  Outbox& outbox() { return *outbox_; }
  // Started when config.check_out_sweep_interval is positive; tests drive it by hand.
  CheckOutWatch& check_out_watch() { return *check_out_watch_; }
  VisitsService& service() { return *service_; }
  EventConsumer& registry_consumer() { return *registry_consumer_; }
  EventConsumer& training_consumer() { return *training_consumer_; }
  // Null when config.allowance_address is empty.
  EventConsumer* allowance_consumer() { return allowance_consumer_.get(); }
  const PaymentVerificationFollower& payment_verification_follower() const { return *verification_follower_; }
  MariaDbSafeguardingStore& safeguarding_store() { return *safeguarding_store_; }
  MariaDbGroupActivityStore& group_store() { return *group_store_; }
  const SafeguardingDesk& safeguarding_desk() const { return *desk_; }
  const VisitCalendar& calendar() const { return *calendar_; }
  const CasePlanFollower& follower() const { return *follower_; }

 private:
  VisitsModule() = default;

  std::unique_ptr<VisitCalendar> calendar_;
  std::unique_ptr<MariaDbVisitsStore> store_;
  std::unique_ptr<Outbox> outbox_;     // the visits service's one outbox: every store appends through it
  std::unique_ptr<PiiCrypto> crypto_;  // before the stores that seal with it
  std::unique_ptr<MariaDbFieldVisitStore> field_store_;
  std::unique_ptr<BackgroundWalk> report_sealing_;           // after its store: stops first
  std::unique_ptr<BackgroundWalk> completed_visits_repair_;  // after its store: stops first
  std::unique_ptr<CheckOutWatch> check_out_watch_;           // after its store: stops first
  std::unique_ptr<ServiceChannel> registry_;
  std::unique_ptr<registry::RegistryClient> registry_client_;  // after its channel: goes first
  std::unique_ptr<ServiceChannel> training_channel_;
  std::unique_ptr<training::TrainingClient> training_;  // after its channel: goes first
  std::unique_ptr<CasePlanFollower> follower_;
  std::unique_ptr<EventConsumer> registry_consumer_;  // after what it uses: stops first
  std::unique_ptr<MariaDbSafeguardingStore> safeguarding_store_;
  std::unique_ptr<MariaDbGroupActivityStore> group_store_;
  std::unique_ptr<SafeguardingDesk> desk_;
  std::unique_ptr<PeriodicJob> safeguarding_sync_;  // after the desk it drives: stops first
  // Training's events over their own channel (the client may be a test's fake; the stream is always real).
  std::unique_ptr<ServiceChannel> training_events_channel_;
  std::unique_ptr<QualificationFollower> qualification_follower_;
  std::unique_ptr<EventConsumer> training_consumer_;
  // The allowance's events: payments whose households are checked on the next visit.
  std::unique_ptr<ServiceChannel> allowance_channel_;
  std::unique_ptr<PaymentVerificationFollower> verification_follower_;
  std::unique_ptr<EventConsumer> allowance_consumer_;
  std::unique_ptr<VisitsService> service_;  // declared last: goes first
};

// The visits process: its defaults, migrations, settings and wiring, for ServeMain.
ServiceDefinition VisitsDefinition();

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_VISITS_MODULE_H_
