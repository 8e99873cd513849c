#include "services/visits/visits_module.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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

}  // namespace

absl::StatusOr<std::unique_ptr<VisitsModule>> VisitsModule::Create(
    const ServiceContext& context, const VisitsConfig& config,
    std::unique_ptr<training::TrainingClient> training) {
  RETURN_IF_ERROR(ValidateVisitsConfig(config));
  ASSIGN_OR_RETURN(VisitCalendar calendar, LoadCalendar(config.calendars_dir));
  std::unique_ptr<VisitsModule> module(new VisitsModule());
  module->calendar_ = std::make_unique<VisitCalendar>(std::move(calendar));
  module->store_ = std::make_unique<MariaDbVisitsStore>(context.pool, context.ids);
  module->outbox_ = std::make_unique<Outbox>(context.pool, context.ids);
  module->field_store_ =
      std::make_unique<MariaDbFieldVisitStore>(context.pool, *module->outbox_, config.visit_times);
  module->check_out_watch_ = std::make_unique<CheckOutWatch>(
      context.pool, *module->field_store_, config.visit_times, context.clock, context.logger,
      config.check_out_sweep_interval > absl::ZeroDuration() ? config.check_out_sweep_interval
                                                             : absl::Minutes(5));
  module->registry_ = ServiceChannel::Connect(config.registry_address);
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
      [follower](db::Session& tx, const common::v1::Event& event) { return follower->Apply(tx, event); });
  module->service_ = std::make_unique<VisitsService>(*module->store_, *module->field_store_, config.cadence,
                                                     *module->calendar_, *module->training_, context.verifier,
                                                     context.clock, context.workers);
  module->registry_consumer_->Start();
  if (config.check_out_sweep_interval > absl::ZeroDuration()) {
    module->check_out_watch_->Start(config.check_out_sweep_interval);
  }
  return module;
}

void VisitsModule::Drain() {
  registry_consumer_->Stop();
  outbox_->feed().EndStreams();
}

ServiceDefinition VisitsDefinition() {
  return DefineService<VisitsModule, VisitsConfig>({"visits", 50052, 9152}, VisitsMigrations(),
                                                   LoadVisitsConfig, kVisitsServiceName);
}

}  // namespace shouhu::visits
