#include "common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/server_builder.h>
#include <signal.h>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/idempotency_retention.h"
#include "common/status_macros.h"

namespace shouhu {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void InitProcess(int argc, char** argv, const char* usage) {
  absl::SetProgramUsageMessage(usage);
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles (a debugging aid); it showed in the
  // registry's profile under load. Tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ServiceHost::~ServiceHost() {
  if (server_ != nullptr && !draining_) Shutdown();
}

void ServiceHost::Register(grpc::Service* service, std::string full_name) {
  services_.emplace_back(service, std::move(full_name));
}

void ServiceHost::SetReadinessCheck(std::function<absl::Status()> check, absl::Duration interval) {
  readiness_ = std::move(check);
  readiness_interval_ = interval;
}

void ServiceHost::SetServing(bool serving) {
  auto* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);  // every registered name, including "" (the whole server)
}

absl::Status ServiceHost::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.grpc_address, grpc::InsecureServerCredentials(), &port_);
  // gRPC listens with SO_REUSEPORT by default, so a second process started on a port already served (a
  // stray replica, another stack's registry in a benchmark) started without a word and took a share of the
  // connections: calls signed for one went to the other, and failed as if unauthenticated. One server a
  // port: the second does not start, and says why.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  grpc::ResourceQuota quota(absl::StrCat(config_.service_name, "-quota"));
  // Only reflection is served synchronously now (the domain services use the callback API, see
  // call_workers.h); its threads stay bounded. The sync server answers RESOURCE_EXHAUSTED instead of
  // queueing once the quota is used up (grpc/grpc#16356), so the quota is a ceiling, not a queue.
  quota.SetMaxThreads(4 * config_.max_threads + 64);
  builder.SetResourceQuota(quota);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 2);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(metrics_.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  for (auto& [service, name] : services_) builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config_.grpc_address));
  }
  if (!config_.metrics_address.empty()) {
    ASSIGN_OR_RETURN(metrics_endpoint_, MetricsEndpoint::Start(config_.metrics_address, metrics_));
  }
  const bool initially_ready = !readiness_ || readiness_().ok();
  SetServing(initially_ready);
  metrics_.Set("shouhu_ready", "", initially_ready ? 1 : 0);
  if (readiness_) {
    readiness_thread_ = std::thread([this, ready = initially_ready]() mutable {
      while (!stop_readiness_.WaitForNotificationWithTimeout(readiness_interval_)) {
        const absl::Status status = readiness_();
        if (status.ok() != ready && !draining_) {
          ready = status.ok();
          SetServing(ready);
          if (ready) {
            logger_.Info("database reachable: serving");
          } else {
            logger_.Warn("database unreachable: not serving", {{"error", std::string(status.message())}});
          }
        }
        metrics_.Set("shouhu_ready", "", ready ? 1 : 0);
      }
    });
  }
  logger_.Info("serving",
               {{"grpc", config_.grpc_address}, {"port", port_}, {"metrics", config_.metrics_address}});
  return absl::OkStatus();
}

void ServiceHost::Shutdown() {
  if (server_ == nullptr || draining_.exchange(true)) return;
  logger_.Info("draining", {{"grace_seconds", absl::ToInt64Seconds(config_.drain_grace)}});
  SetServing(false);
  for (const auto& hook : drain_hooks_) hook();
  stop_readiness_.Notify();
  if (readiness_thread_.joinable()) readiness_thread_.join();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + config_.drain_grace));
  server_->Wait();
  metrics_endpoint_.reset();
  logger_.Info("stopped");
}

int WaitForTermination() {
  sigset_t set = TerminationSignals();
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

absl::StatusOr<std::unique_ptr<db::Pool>> OpenServiceDatabase(const DbConfig& config,
                                                              const std::vector<db::Migration>& migrations,
                                                              Logger& logger) {
  // Wait for the database rather than crash-loop: on a cluster it may come up after us.
  const absl::Time give_up = absl::Now() + absl::Seconds(120);
  if (config.create_if_missing) {
    absl::Status created;
    while (!(created = db::CreateDatabaseIfMissing(config)).ok() && absl::Now() < give_up) {
      logger.Warn("waiting for the database", {{"error", std::string(created.message())}});
      absl::SleepFor(absl::Seconds(1));
    }
  }
  auto pool = db::Pool::Open(config);
  if (!pool.ok()) {
    logger.Error("database configuration", {{"error", std::string(pool.status().message())}});
    return pool.status();
  }
  std::vector<db::Migration> all = db::CommonMigrations();
  all.insert(all.end(), migrations.begin(), migrations.end());
  absl::Status migrated;
  do {
    migrated = db::ApplyMigrations(**pool, all);
    if (migrated.ok() || migrated.code() != absl::StatusCode::kUnavailable) break;
    logger.Warn("waiting for the database", {{"error", std::string(migrated.message())}});
    absl::SleepFor(absl::Seconds(1));
  } while (absl::Now() < give_up);
  if (!migrated.ok()) {
    logger.Error("migrations failed", {{"error", std::string(migrated.message())}});
    return migrated;
  }
  return pool;
}

absl::Status ServiceHost::Run() {
  RETURN_IF_ERROR(Start());
  const int signal = WaitForTermination();
  logger_.Info("termination signal", {{"signal", signal}});
  Shutdown();
  return absl::OkStatus();
}

int ServeMain(int argc, char** argv, const ServiceDefinition& service) {
  SystemClock clock;
  return ServeMain(argc, argv, service, clock);
}

int ServeMain(int argc, char** argv, const ServiceDefinition& service, const Clock& rules_clock) {
  InitProcess(argc, argv, "Shouhu service: see README.md for flags and SHOUHU_* environment variables");
  const ServiceDefaults& defaults = service.defaults;
  Logger logger(defaults.name);
  auto config = LoadServiceConfig(defaults);
  absl::Status settings = config.ok() ? service.load_settings() : config.status();
  if (!settings.ok()) {
    logger.Error("bad configuration", {{"error", std::string(settings.message())}});
    return 2;
  }
  auto trusted_keys = TrustedKeys::Load(config->trusted_keys_dir);
  if (!trusted_keys.ok()) {
    logger.Error("bad configuration",
                 {{"error", absl::StrCat("--trusted_keys_dir: ", trusted_keys.status().message())}});
    return 2;
  }
  (*trusted_keys)->ReloadEvery(config->trusted_keys_reload, logger);
  auto pool = OpenServiceDatabase(config->db, service.migrations, logger);
  if (!pool.ok()) return pool.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  if (config->migrate_only) {
    logger.Info("migrations applied; not serving (--migrate_only)");
    return 0;
  }
  SystemClock clock;
  IdGenerator ids(rules_clock);
  Metrics metrics(defaults.name);
  (*pool)->ReportDroppedTo(logger, metrics);
  // The gateway's key speaks for callers only; SYSTEM and "service:" subjects come from services' own keys.
  PrincipalVerifier verifier(**trusted_keys, clock, GatewayKeySigns::kCallersOnly);
  ServiceIdentity identity(defaults.name, config->signing_key, clock, config->system_jurisdictions);
  // Outlives the server (declared before it): calls in flight finish on these threads while it drains.
  CallWorkers workers(config->db.pool_size, logger);
  ServiceContext context{*config, **pool, rules_clock, ids, logger, metrics, verifier, identity, workers};
  auto built = service.build(context);
  if (!built.ok()) {
    logger.Error("service could not start", {{"error", std::string(built.status().message())}});
    return 2;
  }
  // Started after the service is built and stopped before the pool closes (declared after it).
  IdempotencyRetention retention(**pool, clock, config->idempotency_retention, ReplicaName(defaults.name));
  retention.Start(absl::Minutes(10), logger);
  ServiceHost host(config->server, logger, metrics);
  for (auto& [grpc_service, name] : built->services) host.Register(grpc_service, name);
  for (auto& hook : built->on_drain) host.OnDrain(std::move(hook));
  db::Pool& db_pool = **pool;
  host.SetReadinessCheck([&db_pool] { return db_pool.Ping(); });
  absl::Status ran = host.Run();
  if (!ran.ok()) {
    logger.Error("server failed", {{"error", std::string(ran.message())}});
    return 1;
  }
  return 0;
}

}  // namespace shouhu
