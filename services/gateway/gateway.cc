#include "services/gateway/gateway.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/gateway/public_services.h"

namespace shouhu::gateway {

Gateway::Gateway(const GatewayConfig& config, db::Pool& pool, Logger& logger, Metrics& metrics,
                 const Clock& clock)
    : config_(config),
      logger_(logger),
      metrics_(metrics),
      pool_(pool),
      ids_(clock),
      store_(pool),
      signer_(config.service.signing_key, clock),
      limiter_(config.rate_limit, clock) {}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(const GatewayConfig& config, db::Pool& pool,
                                                        Logger& logger, Metrics& metrics, const Clock& clock,
                                                        const std::vector<std::string>& proto_files) {
  std::unique_ptr<Gateway> g(new Gateway(config, pool, logger, metrics, clock));
  // The admin service checks the principals the gateway itself signed, with the same keys as any service.
  auto trusted_keys = TrustedKeys::Load(config.service.trusted_keys_dir);
  if (!trusted_keys.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--trusted_keys_dir: ", trusted_keys.status().message()));
  }
  g->trusted_keys_ = *std::move(trusted_keys);
  g->trusted_keys_->ReloadEvery(config.service.trusted_keys_reload, logger);
  g->verifier_ = std::make_unique<PrincipalVerifier>(*g->trusted_keys_, clock, GatewayKeySigns::kCallersOnly);
  ASSIGN_OR_RETURN(g->policy_, PolicyFile::Load(config.policy_file));
  ASSIGN_OR_RETURN(g->tokens_, TokenVerifier::Create(config.tokens, clock, logger));
  g->clients_ = std::make_unique<ApiClientAuthenticator>(g->store_, clock, config.api_client_cache_ttl,
                                                         config.api_client_recheck, config.credential_workers,
                                                         &metrics, &logger);
  g->admission_ = std::make_unique<Admission>(*g->tokens_, g->clients_.get(), *g->policy_, g->limiter_);
  g->audit_ = std::make_unique<AuditWriter>(g->store_, logger, metrics);
  g->backends_ = std::make_unique<Backends>(config.routes);

  // The admin service, on a server of its own reached in process: behind the same forwarding as any service.
  g->admin_ = std::make_unique<AdminService>(g->store_, *g->clients_, *g->verifier_, clock, g->ids_, logger);
  {
    grpc::ServerBuilder builder;
    builder.RegisterService(g->admin_.get());
    g->admin_server_ = builder.BuildAndStart();
    if (g->admin_server_ == nullptr) return absl::InternalError("the admin service did not start");
    g->backends_->Add("gateway", g->admin_server_->InProcessChannel(grpc::ChannelArguments()));
  }

  g->env_.reset(new ForwardingEnv{*g->admission_, *g->backends_, g->signer_, *g->audit_, metrics, g->ids_,
                                  logger, config.max_deadline, g->config_.forwarded_by});
  g->forwarder_ = std::make_unique<Forwarder>(*g->env_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.service.server.grpc_address, grpc::InsecureServerCredentials(),
                           &g->grpc_port_);
  for (const std::string& service : ServicesIn(proto_files)) {
    g->stand_ins_.push_back(ReflectionStandIn(service));
    builder.RegisterService(g->stand_ins_.back().get());
  }
  builder.RegisterCallbackGenericService(g->forwarder_.get());
  g->server_ = builder.BuildAndStart();
  if (g->server_ == nullptr || g->grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.service.server.grpc_address));
  }
  if (auto* health = g->server_->GetHealthCheckService()) health->SetServingStatus(true);
  // As every service exports it (common/server.cc): what the alert rules watch
  // (deploy/k8s/components/alerts).
  metrics.Set("shouhu_ready", "", 1);
  metrics.Add("shouhu_gateway_token_key_reload_failures_total", "", 0);  // exported from the start
  if (config.http_enabled) {
    ASSIGN_OR_RETURN(g->http_, HttpFace::Start(config.http, *g->env_));
  }

  Gateway* self = g.get();
  g->reload_thread_ = std::thread([self] {
    const absl::Duration tick = std::min(self->config_.key_reload_interval, absl::Seconds(2));
    absl::Time next_reload = absl::Now() + self->config_.key_reload_interval;
    bool serving = true;
    while (!self->stop_reload_.WaitForNotificationWithTimeout(tick)) {
      if (absl::Now() >= next_reload) {
        next_reload = absl::Now() + self->config_.key_reload_interval;
        if (absl::Status reloaded = self->tokens_->Reload(); !reloaded.ok()) {
          // Counted for an alert: the keys in force stay, so a removed key keeps verifying until it is fixed.
          self->metrics_.Add("shouhu_gateway_token_key_reload_failures_total", "", 1);
          self->logger_.Warn("token keys not reloaded; keeping the previous keys",
                             {{"error", std::string(reloaded.message())}});
        }
        if (absl::Status reloaded = self->policy_->Reload(); !reloaded.ok()) {
          self->logger_.Warn("method policy not reloaded; keeping the policy in force",
                             {{"error", std::string(reloaded.message())}});
        }
      }
      const absl::Status db = self->pool_.Ping();
      if (db.ok() != serving && !self->stopped_) {
        serving = db.ok();
        if (auto* health = self->server_->GetHealthCheckService()) health->SetServingStatus(serving);
        self->metrics_.Set("shouhu_ready", "", serving ? 1 : 0);
        if (serving) {
          self->logger_.Info("database reachable: serving");
        } else {
          self->logger_.Warn("database unreachable: not serving", {{"error", std::string(db.message())}});
        }
      }
    }
  });
  logger.Info("gateway serving", {{"grpc_port", g->grpc_port_}, {"http_port", g->http_port()}});
  return g;
}

void Gateway::Shutdown(absl::Duration grace) {
  if (stopped_) return;
  stopped_ = true;
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
  const absl::Time deadline = absl::Now() + grace;
  if (http_ != nullptr) http_->Shutdown(grace);
  server_->Shutdown(absl::ToChronoTime(std::max(deadline, absl::Now())));
  server_->Wait();
  admin_server_->Shutdown(absl::ToChronoTime(absl::Now()));
  admin_server_->Wait();
  stop_reload_.Notify();
  if (reload_thread_.joinable()) reload_thread_.join();
  audit_->Stop();  // bounded; what cannot be written in time is counted as dropped
}

Gateway::~Gateway() {
  if (server_ != nullptr) Shutdown(absl::ZeroDuration());
  if (reload_thread_.joinable()) {
    stop_reload_.Notify();
    reload_thread_.join();
  }
}

}  // namespace shouhu::gateway
