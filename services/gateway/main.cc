// The gateway process: flags → config → database (created when SHOUHU_DB_CREATE=1, waited for, migrated) →
// the gateway → serve until SIGTERM (with --migrate_only: exit once migrated). Unlike the domain services it
// does not use ServeMain, which builds a synchronous server: the gateway forwards with the callback API end
// to end.
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
  auto pool = OpenServiceDatabase(config->service.db, GatewayMigrations(), logger);
  if (!pool.ok()) return 1;
  if (config->service.migrate_only) {
    logger.Info("migrations applied; not serving (--migrate_only)");
    return 0;
  }

  SystemClock clock;
  Metrics metrics("gateway");
  (*pool)->ReportDroppedTo(logger, metrics);
  std::unique_ptr<MetricsEndpoint> metrics_endpoint;
  if (!config->service.server.metrics_address.empty()) {
    auto endpoint = MetricsEndpoint::Start(config->service.server.metrics_address, metrics);
    if (!endpoint.ok()) {
      logger.Error("metrics endpoint", {{"error", std::string(endpoint.status().message())}});
      return 2;
    }
    metrics_endpoint = *std::move(endpoint);
  }
  auto gateway =
      gateway::Gateway::Start(*config, **pool, logger, metrics, clock, gateway::PublicProtoFiles());
  if (!gateway.ok()) {
    logger.Error("gateway could not start", {{"error", std::string(gateway.status().message())}});
    return 2;
  }
  const int signal = WaitForTermination();
  logger.Info("termination signal", {{"signal", signal}});
  (*gateway)->Shutdown(config->service.server.drain_grace);
  logger.Info("stopped");
  return 0;
}
