#include "services/visits/visits_module.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"

namespace shouhu::visits {
namespace {

// Every CN-<year>.csv in `dir`, each parsed and checked for its year.
absl::StatusOr<VisitCalendar> LoadCalendar(const std::string& dir) {
  std::error_code error;
  std::vector<YearCalendar> years;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    int year = 0;
    if (!absl::StartsWith(name, "CN-") || !absl::EndsWith(name, ".csv") ||
        !absl::SimpleAtoi(name.substr(3, name.size() - 7), &year) || CalendarFileName(year) != name) {
      continue;
    }
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return absl::FailedPreconditionError(absl::StrCat("calendar ", name, " unreadable"));
    ASSIGN_OR_RETURN(YearCalendar calendar, ParseYearCalendar(year, text.str()));
    years.push_back(std::move(calendar));
  }
  if (error) return absl::FailedPreconditionError("SHOUHU_CALENDARS_DIR is not a readable folder");
  if (years.empty()) return absl::FailedPreconditionError("SHOUHU_CALENDARS_DIR holds no CN-<year>.csv");
  return VisitCalendar::Create(std::move(years));
}

// Each year's official arrangement is published in November and ships in the image (a new year's file is a
// new image): from this many days before the calendars end, the service says so at every start.
constexpr int kCalendarNoticeDays = 60;

// The day after the last one the calendars cover, as a gauge an alert compares with time(), and a warning
// once that day is near: PlanWeekend then refuses weekends past it.
void ReportCalendarCover(const VisitCalendar& calendar, const ServiceContext& context) {
  const absl::CivilDay today = ShanghaiDay(context.clock.Now());
  const absl::CivilDay refused_from = calendar.CoveredThrough(today) + 1;
  context.metrics.Set(
      "shouhu_visits_calendar_covered_until_seconds", "",
      static_cast<double>(absl::ToUnixSeconds(absl::FromCivil(refused_from, ShanghaiTimeZone()))));
  if (std::optional<std::string> warning = CalendarRunningOut(calendar, today, kCalendarNoticeDays)) {
    context.logger.Warn(*warning, {{"refused_from", absl::FormatCivilTime(refused_from)}});
  }
}

// A suspension owed to training is retried every period (a failed run releases its claim, so the next poll
// on any replica tries again): a minute keeps a person on the suspended list in training at most about that
// long after training comes back, while they are off every visit here from the start.
constexpr absl::Duration kSafeguardingSyncPeriod = absl::Minutes(1);
constexpr absl::Duration kSafeguardingSyncLease = absl::Minutes(5);

}  // namespace

absl::StatusOr<std::unique_ptr<VisitsModule>> VisitsModule::Create(
    const ServiceContext& context, const VisitsConfig& config,
    std::unique_ptr<training::TrainingClient> training) {
  RETURN_IF_ERROR(ValidateVisitsConfig(config));
  ASSIGN_OR_RETURN(VisitCalendar calendar, LoadCalendar(config.calendars_dir));
  std::unique_ptr<VisitsModule> module(new VisitsModule());
  module->calendar_ = std::make_unique<VisitCalendar>(std::move(calendar));
  ReportCalendarCover(*module->calendar_, context);
  module->store_ = std::make_unique<MariaDbVisitsStore>(context.pool, context.ids);
  module->outbox_ = std::make_unique<Outbox>(context.pool, context.ids);
  module->outbox_->ReportFailuresTo(context.logger);
  ASSIGN_OR_RETURN(PiiCrypto crypto, PiiCrypto::Create(config.pii_seal_key, config.pii_lookup_key));
  module->crypto_ = std::make_unique<PiiCrypto>(std::move(crypto));
  module->field_store_ = std::make_unique<MariaDbFieldVisitStore>(
      context.pool, *module->outbox_, config.visit_times, *module->crypto_, config.cadence);
  MariaDbFieldVisitStore* field_store = module->field_store_.get();
  module->report_sealing_ = std::make_unique<BackgroundWalk>(
      "seal older visit reports",
      [field_store](std::string& cursor, int64_t limit) {
        return field_store->SealPlainReports(cursor, limit);
      },
      context.logger);
  MariaDbVisitsStore* store = module->store_.get();
  const Clock* clock = &context.clock;
  module->completed_visits_repair_ = std::make_unique<BackgroundWalk>(
      "bring plans up to their completed visits",
      [store, clock, cadence = config.cadence](std::string& cursor, int64_t limit) {
        return store->RepairCompletedVisits(cursor, limit, cadence, clock->Now());
      },
      context.logger);
  module->check_out_watch_ = std::make_unique<CheckOutWatch>(
      context.pool, *module->field_store_, config.visit_times, context.clock, context.logger,
      config.check_out_sweep_interval > absl::ZeroDuration() ? config.check_out_sweep_interval
                                                             : absl::Minutes(5));
  module->registry_ = ServiceChannel::Connect(config.registry_address);
  module->registry_client_ = std::make_unique<registry::GrpcRegistryClient>(*module->registry_);
  if (training) {
    module->training_ = std::move(training);
  } else {
    module->training_channel_ = ServiceChannel::Connect(config.training_address);
    module->training_ = std::make_unique<training::GrpcTrainingClient>(*module->training_channel_);
  }
  module->follower_ = std::make_unique<CasePlanFollower>(config.cadence, context.clock, context.logger);

  EventConsumerOptions options;
  options.name = kRegistryConsumerName;
  options.method = kRegistryStreamMethod;
  options.channel = module->registry_->channel();
  const ServiceIdentity* identity = &context.identity;
  options.identify = [identity](grpc::ClientContext& call) { identity->Attach(call); };
  const CasePlanFollower* follower = module->follower_.get();
  module->registry_consumer_ = std::make_unique<EventConsumer>(
      context.pool, context.metrics, context.logger, std::move(options),
      [follower](db::Session& tx, absl::Span<const common::v1::Event> events) {
        return follower->ApplyAll(tx, events);
      });
  // Training's events: a lost qualification takes the person off future visits.
  module->training_events_channel_ = ServiceChannel::Connect(config.training_address);
  module->qualification_follower_ = std::make_unique<QualificationFollower>(context.clock, context.logger);
  EventConsumerOptions training_options;
  training_options.name = kTrainingConsumerName;
  training_options.method = kTrainingStreamMethod;
  training_options.channel = module->training_events_channel_->channel();
  training_options.identify = [identity](grpc::ClientContext& call) { identity->Attach(call); };
  const QualificationFollower* qualification = module->qualification_follower_.get();
  module->training_consumer_ = std::make_unique<EventConsumer>(
      context.pool, context.metrics, context.logger, std::move(training_options),
      [qualification](db::Session& tx, const common::v1::Event& event) {
        return qualification->Apply(tx, event);
      });

  // The allowance's events: a sampled payment's household is checked on the next visit.
  module->verification_follower_ =
      std::make_unique<PaymentVerificationFollower>(context.clock, context.logger);
  if (!config.allowance_address.empty()) {
    module->allowance_channel_ = ServiceChannel::Connect(config.allowance_address);
    EventConsumerOptions allowance_options;
    allowance_options.name = kAllowanceConsumerName;
    allowance_options.method = kAllowanceStreamMethod;
    allowance_options.channel = module->allowance_channel_->channel();
    allowance_options.identify = [identity](grpc::ClientContext& call) { identity->Attach(call); };
    const PaymentVerificationFollower* verification = module->verification_follower_.get();
    module->allowance_consumer_ = std::make_unique<EventConsumer>(
        context.pool, context.metrics, context.logger, std::move(allowance_options),
        [verification](db::Session& tx, const common::v1::Event& event) {
          return verification->Apply(tx, event);
        });
  }

  // Safeguarding concerns, and the job that carries what training could not be told at once.
  module->safeguarding_store_ =
      std::make_unique<MariaDbSafeguardingStore>(context.pool, context.ids, *module->crypto_);
  module->desk_ = std::make_unique<SafeguardingDesk>(*module->safeguarding_store_, *module->training_,
                                                     context.identity, context.logger);
  const SafeguardingDesk* desk = module->desk_.get();
  Logger* logger = &context.logger;
  module->safeguarding_sync_ = std::make_unique<PeriodicJob>(
      context.pool, context.clock, "visits.safeguarding-training-sync",
      Schedule::Every(kSafeguardingSyncPeriod), kSafeguardingSyncLease, ReplicaName("visits"),
      [desk, logger](const PeriodicRun&) -> absl::Status {
        absl::StatusOr<int> landed = desk->SyncPending();
        if (!landed.ok()) return landed.status();
        if (*landed > 0) logger->Info("safeguarding calls to training made", {{"count", *landed}});
        return absl::OkStatus();
      });

  module->group_store_ = std::make_unique<MariaDbGroupActivityStore>(context.pool, context.ids);
  module->service_ = std::make_unique<VisitsService>(
      *module->store_, *module->field_store_, config.cadence, *module->calendar_, *module->training_,
      *module->safeguarding_store_, *module->desk_, *module->group_store_, *module->registry_client_,
      context.identity, context.verifier, context.clock, context.workers);
  module->registry_consumer_->Start();
  module->training_consumer_->Start();
  if (module->allowance_consumer_) module->allowance_consumer_->Start();
  if (config.safeguarding_sync_poll > absl::ZeroDuration()) {
    module->safeguarding_sync_->Start(config.safeguarding_sync_poll, context.logger);
  }
  if (config.check_out_sweep_interval > absl::ZeroDuration()) {
    module->check_out_watch_->Start(config.check_out_sweep_interval);
  }
  return module;
}

void VisitsModule::Drain() {
  registry_consumer_->Stop();
  outbox_->feed().EndStreams();
  training_consumer_->Stop();
  if (allowance_consumer_) allowance_consumer_->Stop();
  safeguarding_sync_.reset();
}

ServiceDefinition VisitsDefinition() {
  return DefineService<VisitsModule, VisitsConfig>({"visits", 50052, 9152}, VisitsMigrations(),
                                                   LoadVisitsConfig, kVisitsServiceName);
}

}  // namespace shouhu::visits
