// The gateway process: flags → config → database (created when SHOUHU_DB_CREATE=1, waited for, migrated) →
// the gateway → serve until SIGTERM. Unlike the domain services it does not use ServeMain, which builds a
// synchronous server: the gateway forwards with the callback API end to end.
#include <signal.h>

#include "absl/time/clock.h"
#include "common/metrics.h"
#include "common/migrations.h"
#include "common/server.h"
#include "services/gateway/gateway.h"
#include "services/gateway/public_services.h"

namespace shouhu {
std::vector<db::Migration> GatewayMigrations();
}

int main(int argc, char** argv) {
  using namespace shouhu;
  InitProcess(argc, argv, "Shouhu gateway: see README.md for flags and SHOUHU_* environment variables");
  Logger logger("gateway");
  auto config = gateway::LoadGatewayConfig();
  if (!config.ok()) {
    logger.Error("bad configuration", {{"error", std::string(config.status().message())}});
    return 2;
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(120);
  if (EnvOr("SHOUHU_DB_CREATE", "0") == "1") {
    while (!db::CreateDatabaseIfMissing(config->service.db).ok() && absl::Now() < give_up) {
      logger.Warn("waiting for the database");
      absl::SleepFor(absl::Seconds(1));
    }
  }
  auto pool = db::Pool::Open(config->service.db);
  if (!pool.ok()) {
    logger.Error("database configuration", {{"error", std::string(pool.status().message())}});
    return 2;
  }
  std::vector<db::Migration> migrations = db::CommonMigrations();
  for (db::Migration& m : GatewayMigrations()) migrations.push_back(std::move(m));
  absl::Status migrated;
  do {
    migrated = db::ApplyMigrations(**pool, migrations);
    if (migrated.ok() || migrated.code() != absl::StatusCode::kUnavailable) break;
    logger.Warn("waiting for the database", {{"error", std::string(migrated.message())}});
    absl::SleepFor(absl::Seconds(1));
  } while (absl::Now() < give_up);
  if (!migrated.ok()) {
    logger.Error("migrations failed", {{"error", std::string(migrated.message())}});
    return 1;
  }

  SystemClock clock;
  Metrics metrics("gateway");
  std::unique_ptr<MetricsEndpoint> metrics_endpoint;
  if (!config->service.server.metrics_address.empty()) {
    auto endpoint = MetricsEndpoint::Start(config->service.server.metrics_address, metrics);
    if (!endpoint.ok()) {
      logger.Error("metrics endpoint", {{"error", std::string(endpoint.status().message())}});
      return 2;
    }
    metrics_endpoint = *std::move(endpoint);
  }
  auto gateway = gateway::Gateway::Start(*config, **pool, logger, metrics, clock, gateway::PublicProtoFiles());
  if (!gateway.ok()) {
    logger.Error("gateway could not start", {{"error", std::string(gateway.status().message())}});
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal = 0;
  sigwait(&set, &signal);
  logger.Info("termination signal", {{"signal", signal}});
  (*gateway)->Shutdown(config->service.server.drain_grace);
  logger.Info("stopped");
  return 0;
}
