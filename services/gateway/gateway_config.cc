#include "services/gateway/gateway_config.h"

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/gateway/backends.h"

ABSL_FLAG(
    std::string, routes,
    shouhu::EnvOr("SHOUHU_ROUTES",
                  "registry=127.0.0.1:50051,visits=127.0.0.1:50052,allowance=127.0.0.1:50053,"
                  "training=127.0.0.1:50054"),
    "package → service address: registry=host:port,training=host:port,… (SHOUHU_ROUTE_<SVC> overrides one)");
ABSL_FLAG(std::string, policy_file, shouhu::EnvOr("SHOUHU_GATEWAY_POLICY", ""),
          "method policy JSON file (required)");
ABSL_FLAG(std::string, token_issuer, shouhu::EnvOr("SHOUHU_TOKEN_ISSUER", ""),
          "required iss of bearer tokens");
ABSL_FLAG(std::string, token_audience, shouhu::EnvOr("SHOUHU_TOKEN_AUDIENCE", "shouhu-gateway"),
          "required aud of bearer tokens");
ABSL_FLAG(std::string, token_keys_dir, shouhu::EnvOr("SHOUHU_TOKEN_KEYS_DIR", ""),
          "folder of <kid>.pem public keys (and <kid>.hmac secrets when HS256 is allowed)");
ABSL_FLAG(std::string, token_jwks_file, shouhu::EnvOr("SHOUHU_TOKEN_JWKS_FILE", ""),
          "JWKS file of token keys");
ABSL_FLAG(bool, token_allow_hs256, shouhu::EnvOr("SHOUHU_TOKEN_ALLOW_HS256", "0") == "1",
          "accept HS256 tokens for keys given as secrets");
ABSL_FLAG(std::string, token_leeway_seconds, shouhu::EnvOr("SHOUHU_TOKEN_LEEWAY_SECONDS", "30"),
          "clock leeway for exp and nbf");
ABSL_FLAG(std::string, token_keys_reload_seconds, shouhu::EnvOr("SHOUHU_TOKEN_KEYS_RELOAD_SECONDS", "10"),
          "how often the key files and the method policy file are re-read");
ABSL_FLAG(std::string, max_deadline_ms, shouhu::EnvOr("SHOUHU_MAX_DEADLINE_MS", "30000"),
          "cap on the deadline passed to the services (also the deadline of calls that set none)");
ABSL_FLAG(std::string, rate_per_second, shouhu::EnvOr("SHOUHU_RATE_PER_SECOND", "50"),
          "calls per second per client on average (0 turns limiting off)");
ABSL_FLAG(std::string, rate_burst, shouhu::EnvOr("SHOUHU_RATE_BURST", "100"),
          "calls a client may make at once");
ABSL_FLAG(std::string, api_client_recheck_ms, shouhu::EnvOr("SHOUHU_API_CLIENT_RECHECK_MS", "2000"),
          "how long an API client's remembered login is used before it is confirmed against the tables: how "
          "long a revocation made through another replica can take to arrive");
ABSL_FLAG(std::string, credential_workers, shouhu::EnvOr("SHOUHU_CREDENTIAL_WORKERS", "2"),
          "threads for API clients' slow secret checks (~0.1 s each), and as many again for confirmations");
ABSL_FLAG(
    std::string, forwarded_by, shouhu::EnvOr("SHOUHU_FORWARDED_BY", ""),
    "CIDR blocks of the proxies in front (the ingress controller) whose X-Real-IP names the caller, for "
    "the audit log: 10.0.0.0/8,fd00::/8; empty: every peer is the caller");
ABSL_FLAG(std::string, http_address, shouhu::EnvOr("SHOUHU_HTTP_ADDRESS", "0.0.0.0:8080"),
          "host:port of the HTTP/JSON face ('off' disables it)");
ABSL_FLAG(std::string, http_threads, shouhu::EnvOr("SHOUHU_HTTP_THREADS", "2"),
          "HTTP/JSON face I/O threads (each serves many connections)");
ABSL_FLAG(std::string, http_max_body_bytes, shouhu::EnvOr("SHOUHU_HTTP_MAX_BODY_BYTES", "1048576"),
          "larger HTTP request bodies get 413");

namespace shouhu::gateway {
namespace {

absl::StatusOr<int64_t> Number(const std::string& text, const char* setting, int64_t min, int64_t max) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", setting, " must be a whole number from ", min, " to ", max, ", got '", text, "'"));
  }
  return value;
}

absl::StatusOr<double> Rate(const std::string& text, const char* setting) {
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || value < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--", setting, " must be a number ≥ 0, got '", text, "'"));
  }
  return value;
}

}  // namespace

absl::StatusOr<GatewayConfig> LoadGatewayConfig() {
  GatewayConfig config;
  ASSIGN_OR_RETURN(config.service, LoadServiceConfig(kGatewayDefaults));
  ASSIGN_OR_RETURN(config.routes, ParseRoutes(absl::GetFlag(FLAGS_routes)));
  for (const char* svc : {"registry", "training", "visits", "allowance"}) {
    std::string upper = svc;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string address = EnvOr(absl::StrCat("SHOUHU_ROUTE_", upper).c_str(), "");
    if (!address.empty()) config.routes[svc] = address;
  }
  config.policy_file = absl::GetFlag(FLAGS_policy_file);
  if (config.policy_file.empty())
    return absl::InvalidArgumentError("--policy_file (SHOUHU_GATEWAY_POLICY) is required");
  config.tokens.issuer = absl::GetFlag(FLAGS_token_issuer);
  config.tokens.audience = absl::GetFlag(FLAGS_token_audience);
  config.tokens.keys.keys_dir = absl::GetFlag(FLAGS_token_keys_dir);
  config.tokens.keys.jwks_file = absl::GetFlag(FLAGS_token_jwks_file);
  config.tokens.keys.allow_hs256 = absl::GetFlag(FLAGS_token_allow_hs256);
  if (config.tokens.issuer.empty())
    return absl::InvalidArgumentError("--token_issuer (SHOUHU_TOKEN_ISSUER) is required");
  if (config.tokens.keys.keys_dir.empty() && config.tokens.keys.jwks_file.empty()) {
    return absl::InvalidArgumentError("--token_keys_dir or --token_jwks_file is required");
  }
  ASSIGN_OR_RETURN(int64_t leeway,
                   Number(absl::GetFlag(FLAGS_token_leeway_seconds), "token_leeway_seconds", 0, 300));
  config.tokens.leeway = absl::Seconds(leeway);
  ASSIGN_OR_RETURN(int64_t reload, Number(absl::GetFlag(FLAGS_token_keys_reload_seconds),
                                          "token_keys_reload_seconds", 1, 3600));
  config.key_reload_interval = absl::Seconds(reload);
  ASSIGN_OR_RETURN(int64_t deadline,
                   Number(absl::GetFlag(FLAGS_max_deadline_ms), "max_deadline_ms", 1, 3600000));
  config.max_deadline = absl::Milliseconds(deadline);
  ASSIGN_OR_RETURN(config.rate_limit.rate_per_second,
                   Rate(absl::GetFlag(FLAGS_rate_per_second), "rate_per_second"));
  ASSIGN_OR_RETURN(config.rate_limit.burst, Rate(absl::GetFlag(FLAGS_rate_burst), "rate_burst"));
  if (config.rate_limit.rate_per_second > 0 && config.rate_limit.burst < 1) {
    return absl::InvalidArgumentError("--rate_burst must be at least 1");
  }
  ASSIGN_OR_RETURN(int64_t recheck,
                   Number(absl::GetFlag(FLAGS_api_client_recheck_ms), "api_client_recheck_ms", 100, 60000));
  config.api_client_recheck = absl::Milliseconds(recheck);
  ASSIGN_OR_RETURN(int64_t workers,
                   Number(absl::GetFlag(FLAGS_credential_workers), "credential_workers", 1, 64));
  config.credential_workers = static_cast<int>(workers);
  ASSIGN_OR_RETURN(config.forwarded_by,
                   ForwardingProxies::Parse(absl::GetFlag(FLAGS_forwarded_by), "forwarded_by"));
  const std::string http = absl::GetFlag(FLAGS_http_address);
  config.http_enabled = http != "off";
  config.http.address = http;
  ASSIGN_OR_RETURN(int64_t threads, Number(absl::GetFlag(FLAGS_http_threads), "http_threads", 1, 1024));
  config.http.threads = static_cast<int>(threads);
  ASSIGN_OR_RETURN(int64_t body,
                   Number(absl::GetFlag(FLAGS_http_max_body_bytes), "http_max_body_bytes", 1, 64 << 20));
  config.http.max_body_bytes = static_cast<size_t>(body);
  return config;
}

}  // namespace shouhu::gateway
