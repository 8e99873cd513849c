// The gateway's configuration: the common service settings plus its own (routes, policy file, token issuer
// and keys, deadline cap, rate limit, HTTP face), read once from flags and SHOUHU_* environment variables.
#ifndef SHOUHU_SERVICES_GATEWAY_GATEWAY_CONFIG_H_
#define SHOUHU_SERVICES_GATEWAY_GATEWAY_CONFIG_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config.h"
#include "services/gateway/caller_address.h"
#include "services/gateway/http_face.h"
#include "services/gateway/rate_limiter.h"
#include "services/gateway/token_verifier.h"

namespace shouhu::gateway {

struct GatewayConfig {
  ServiceConfig service;
  std::map<std::string, std::string> routes;  // "registry" → "127.0.0.1:50051"
  std::string policy_file;
  TokenPolicy tokens;
  absl::Duration key_reload_interval = absl::Seconds(10);
  absl::Duration max_deadline = absl::Seconds(30);
  RateLimit rate_limit;
  bool http_enabled = true;
  HttpFaceOptions http;
  absl::Duration api_client_cache_ttl = absl::Minutes(10);
  // A remembered API-client success older than this is confirmed against the tables (one cheap read) before
  // use: how long a revocation made on another replica can take to arrive.
  absl::Duration api_client_recheck = absl::Seconds(2);
  // Threads for API clients' slow secret checks, and as many again for confirming remembered successes.
  int credential_workers = 2;
  // Proxies whose X-Real-IP (or last X-Forwarded-For entry) names the caller (caller_address.h).
  ForwardingProxies forwarded_by;
};

inline const ServiceDefaults kGatewayDefaults{"gateway", 50050, 9150};

// After InitProcess has parsed the flags.
absl::StatusOr<GatewayConfig> LoadGatewayConfig();

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_GATEWAY_CONFIG_H_
