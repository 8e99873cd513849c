// The scaffold every service process stands on: a gRPC server for callback-API services whose blocking work
// runs on CallWorkers sized to the database pool (call_workers.h says why, with the measurement),
// grpc.health.v1 (NOT_SERVING while the readiness check fails or while draining), server reflection, the
// metrics interceptor and /metrics endpoint, and graceful drain on SIGTERM.
#ifndef SHOUHU_COMMON_SERVER_H_
#define SHOUHU_COMMON_SERVER_H_

#include <grpcpp/impl/codegen/service_type.h>
#include <grpcpp/server.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/call_identity.h"
#include "common/call_workers.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/db.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/migrations.h"
#include "common/principal.h"

namespace shouhu {

class ServiceHost {
 public:
  ServiceHost(ServerConfig config, Logger& logger, Metrics& metrics)
      : config_(std::move(config)), logger_(logger), metrics_(metrics) {}
  ~ServiceHost();

  // The services to serve and their fully-qualified names for the health service.
  void Register(grpc::Service* service, std::string full_name);
  // Run when draining begins, before the server stops taking calls: ends what would otherwise run until the
  // drain grace is up (event streams: EventFeed::EndStreams).
  void OnDrain(std::function<void()> hook) { drain_hooks_.push_back(std::move(hook)); }
  // Polled every `interval`; while it fails the health status is NOT_SERVING.
  void SetReadinessCheck(std::function<absl::Status()> check, absl::Duration interval = absl::Seconds(2));

  absl::Status Start();
  int port() const { return port_; }
  // Marks NOT_SERVING, lets in-flight calls finish for the drain grace, then cancels what is left.
  void Shutdown();
  // Start, then serve until SIGTERM or SIGINT (which InitProcess blocked), then Shutdown.
  absl::Status Run();

 private:
  void SetServing(bool serving);

  ServerConfig config_;
  Logger& logger_;
  Metrics& metrics_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::vector<std::function<void()>> drain_hooks_;
  std::function<absl::Status()> readiness_;
  absl::Duration readiness_interval_ = absl::Seconds(2);
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  int port_ = 0;
  std::atomic<bool> draining_{false};
  absl::Notification stop_readiness_;
  std::thread readiness_thread_;
};

// Parses flags and blocks SIGTERM/SIGINT in every thread the process will start, so ServiceHost::Run can
// wait for them. Call first in main.
void InitProcess(int argc, char** argv, const char* usage);

// What a service's factory gets to build its store and service from.
struct ServiceContext {
  const ServiceConfig& config;
  db::Pool& pool;
  const Clock& clock;
  IdGenerator& ids;
  Logger& logger;
  Metrics& metrics;
  const PrincipalVerifier& verifier;
  // The service's own system principal, for calls it makes for itself (event consumers, periodic jobs).
  const ServiceIdentity& identity;
  CallWorkers& workers;
};

// The built service: the gRPC services to register and whatever must live as long (store, background
// workers), released after the server has stopped.
struct BuiltService {
  std::vector<std::pair<grpc::Service*, std::string>> services;
  std::shared_ptr<void> keep_alive;
  // ServiceHost::OnDrain hooks, e.g. ending the outbox's event streams.
  std::vector<std::function<void()>> on_drain;
};

using ServiceFactory = std::function<absl::StatusOr<BuiltService>(const ServiceContext&)>;

// What makes one service process: its defaults, its migrations, its own settings and its wiring. Each
// service's <svc>_module.h offers one (RegistryDefinition(), TrainingDefinition()); main.cc only hands it to
// ServeMain.
struct ServiceDefinition {
  ServiceDefaults defaults;
  std::vector<db::Migration> migrations;
  // Reads and checks the service's own settings (flags are parsed by then) into the module's typed config,
  // before the database is touched: a bad value stops the process with a clear message.
  std::function<absl::Status()> load_settings;
  // Builds the store, clients and service from the context and the settings just read.
  ServiceFactory build;
};

// The ServiceDefinition of a service whose module offers `static StatusOr<unique_ptr<Module>>
// Create(const ServiceContext&, const Config&)`, `service()` and `Drain()` (run when draining starts: ends
// its event streams), and whose settings load with
// `StatusOr<Config> load()`: every domain service, so each <Svc>Definition() is a single call.
template <typename Module, typename Config>
ServiceDefinition DefineService(ServiceDefaults defaults, std::vector<db::Migration> migrations,
                                absl::StatusOr<Config> (*load)(), std::string service_name) {
  auto config = std::make_shared<Config>();
  ServiceDefinition definition;
  definition.defaults = std::move(defaults);
  definition.migrations = std::move(migrations);
  definition.load_settings = [config, load]() -> absl::Status {
    absl::StatusOr<Config> loaded = load();
    if (!loaded.ok()) return loaded.status();
    *config = *std::move(loaded);
    return absl::OkStatus();
  };
  definition.build = [config, service_name](const ServiceContext& context) -> absl::StatusOr<BuiltService> {
    absl::StatusOr<std::unique_ptr<Module>> module = Module::Create(context, *config);
    if (!module.ok()) return module.status();
    std::shared_ptr<Module> shared = *std::move(module);
    BuiltService built;
    built.services.emplace_back(&shared->service(), service_name);
    built.on_drain.push_back([module = shared.get()] { module->Drain(); });
    built.keep_alive = std::move(shared);
    return built;
  };
  return definition;
}

// The database part of every process's start: create the schema when config.create_if_missing, wait (up to
// two minutes) while the server is unreachable, then apply common's and `migrations`. Failures are logged.
absl::StatusOr<std::unique_ptr<db::Pool>> OpenServiceDatabase(const DbConfig& config,
                                                              const std::vector<db::Migration>& migrations,
                                                              Logger& logger);

// Blocks until SIGTERM or SIGINT (blocked by InitProcess) arrives; returns the signal.
int WaitForTermination();

// The whole main of a domain service: flags → common config and the service's own settings → database
// (created first when asked, waited for while unreachable, then migrated) → the service's wiring → serve
// until SIGTERM; with --migrate_only, exits 0 once migrated. Returns the process exit code (2 for bad
// configuration).
int ServeMain(int argc, char** argv, const ServiceDefinition& service);

// ServeMain with `rules_clock` as the service's clock (ServiceContext::clock: its days, due dates and the
// times it records), while the principals it is called with and signs are judged on the machine's. For a
// benchmark that runs a service's calendar ahead of the machine's (tests/bench/scale); every service's own
// main uses the machine's clock for both.
int ServeMain(int argc, char** argv, const ServiceDefinition& service, const Clock& rules_clock);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_SERVER_H_
