#include "common/config.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/idempotency_retention.h"
#include "common/status_macros.h"
#include "common/validation.h"

namespace shouhu {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

}  // namespace shouhu

ABSL_FLAG(std::string, grpc_address, shouhu::EnvOr("SHOUHU_GRPC_ADDRESS", ""),
          "host:port the gRPC server listens on (default 0.0.0.0:<service port>)");
ABSL_FLAG(std::string, metrics_address, shouhu::EnvOr("SHOUHU_METRICS_ADDRESS", ""),
          "host:port serving Prometheus /metrics (default 0.0.0.0:<metrics port>; 'off' disables)");
ABSL_FLAG(std::string, db_host, shouhu::EnvOr("SHOUHU_DB_HOST", "127.0.0.1"), "MariaDB host");
ABSL_FLAG(std::string, db_port, shouhu::EnvOr("SHOUHU_DB_PORT", "3306"), "MariaDB port");
ABSL_FLAG(std::string, db_socket, shouhu::EnvOr("SHOUHU_DB_SOCKET", ""),
          "MariaDB unix socket (wins over host)");
ABSL_FLAG(std::string, db_user, shouhu::EnvOr("SHOUHU_DB_USER", "root"), "MariaDB user");
ABSL_FLAG(std::string, db_name, shouhu::EnvOr("SHOUHU_DB_NAME", ""), "schema (default shouhu_<service>)");
ABSL_FLAG(std::string, db_pool_size, shouhu::EnvOr("SHOUHU_DB_POOL_SIZE", "8"),
          "database connections; as many call workers run each call's database work");
ABSL_FLAG(bool, db_create, shouhu::EnvOr("SHOUHU_DB_CREATE", "0") == "1",
          "create the schema when it is missing (local stack and tests)");
ABSL_FLAG(bool, migrate_only, shouhu::EnvOr("SHOUHU_MIGRATE_ONLY", "0") == "1",
          "apply the migrations and exit 0 without serving (a Kubernetes init container or Job)");
ABSL_FLAG(std::string, drain_seconds, shouhu::EnvOr("SHOUHU_DRAIN_SECONDS", "10"),
          "on SIGTERM: seconds to finish in-flight calls before cancelling them");
ABSL_FLAG(std::string, signing_key_file, shouhu::EnvOr("SHOUHU_SIGNING_KEY_FILE", ""),
          "this process's Ed25519 key, <kid>.key holding 64 hex digits of seed");
ABSL_FLAG(
    std::string, trusted_keys_dir, shouhu::EnvOr("SHOUHU_TRUSTED_KEYS_DIR", ""),
    "folder of trusted public keys, <kid>.pub each holding \"gateway <hex>\" or \"service:<name> <hex>\"");
ABSL_FLAG(std::string, trusted_keys_reload_seconds, shouhu::EnvOr("SHOUHU_TRUSTED_KEYS_RELOAD_SECONDS", "30"),
          "how often the trusted public keys are re-read");
ABSL_FLAG(std::string, idempotency_retention_days, shouhu::EnvOr("SHOUHU_IDEMPOTENCY_RETENTION_DAYS", "90"),
          "how long a request id is remembered for retries (at least 14 days)");
ABSL_FLAG(std::string, system_jurisdictions, shouhu::EnvOr("SHOUHU_SYSTEM_JURISDICTIONS", ""),
          "comma-separated division prefixes the service's own SYSTEM principal covers, e.g. 53,64");

namespace shouhu {
namespace {

absl::StatusOr<int> ParseInt(const std::string& text, const std::string& setting, int min, int max) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(setting, " must be a whole number from ", min, " to ", max, ", got '", text, "'"));
  }
  return value;
}

}  // namespace

absl::StatusOr<std::string> DecodeHexSecret(const std::string& hex, const std::string& setting, size_t bytes,
                                            bool at_least) {
  if (hex.empty()) return absl::InvalidArgumentError(absl::StrCat(setting, " is not set"));
  const bool is_hex =
      hex.size() % 2 == 0 && hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
  std::string raw = is_hex ? absl::HexStringToBytes(hex) : std::string();
  if (!is_hex || (at_least ? raw.size() < bytes : raw.size() != bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(setting, " must be ", at_least ? "at least " : "",
                                                   bytes * 2, " hex digits (", bytes, " bytes)"));
  }
  return raw;
}

absl::StatusOr<ServiceConfig> LoadServiceConfig(const ServiceDefaults& defaults) {
  ServiceConfig config;
  config.server.service_name = defaults.name;
  config.server.grpc_address = absl::GetFlag(FLAGS_grpc_address);
  if (config.server.grpc_address.empty()) {
    config.server.grpc_address = absl::StrCat("0.0.0.0:", defaults.grpc_port);
  }
  config.server.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  if (config.server.metrics_address == "off") {
    config.server.metrics_address.clear();
  } else if (config.server.metrics_address.empty()) {
    config.server.metrics_address = absl::StrCat("0.0.0.0:", defaults.metrics_port);
  }
  auto drain = ParseInt(absl::GetFlag(FLAGS_drain_seconds), "--drain_seconds", 0, 600);
  if (!drain.ok()) return drain.status();
  config.server.drain_grace = absl::Seconds(*drain);

  config.db.host = absl::GetFlag(FLAGS_db_host);
  auto port = ParseInt(absl::GetFlag(FLAGS_db_port), "--db_port", 1, 65535);
  if (!port.ok()) return port.status();
  config.db.port = *port;
  config.db.socket = absl::GetFlag(FLAGS_db_socket);
  config.db.user = absl::GetFlag(FLAGS_db_user);
  // Secrets only from the environment: flags show up in `ps`.
  config.db.password = EnvOr("SHOUHU_DB_PASSWORD", "");
  config.db.database = absl::GetFlag(FLAGS_db_name);
  if (config.db.database.empty()) config.db.database = absl::StrCat("shouhu_", defaults.name);
  auto pool = ParseInt(absl::GetFlag(FLAGS_db_pool_size), "--db_pool_size", 1, 512);
  if (!pool.ok()) return pool.status();
  config.db.pool_size = *pool;
  config.db.create_if_missing = absl::GetFlag(FLAGS_db_create);
  config.migrate_only = absl::GetFlag(FLAGS_migrate_only);
  config.server.max_threads = *pool;

  const std::string key_file = absl::GetFlag(FLAGS_signing_key_file);
  if (key_file.empty())
    return absl::InvalidArgumentError("--signing_key_file (SHOUHU_SIGNING_KEY_FILE) is not set");
  auto key = ReadSigningKey(key_file);
  if (!key.ok())
    return absl::InvalidArgumentError(absl::StrCat("--signing_key_file: ", key.status().message()));
  config.signing_key = *std::move(key);
  config.trusted_keys_dir = absl::GetFlag(FLAGS_trusted_keys_dir);
  if (config.trusted_keys_dir.empty()) {
    return absl::InvalidArgumentError("--trusted_keys_dir (SHOUHU_TRUSTED_KEYS_DIR) is not set");
  }
  auto reload =
      ParseInt(absl::GetFlag(FLAGS_trusted_keys_reload_seconds), "--trusted_keys_reload_seconds", 1, 3600);
  if (!reload.ok()) return reload.status();
  config.trusted_keys_reload = absl::Seconds(*reload);
  auto retention = ParseInt(absl::GetFlag(FLAGS_idempotency_retention_days), "--idempotency_retention_days",
                            kMinimumIdempotencyRetention / absl::Hours(24), 3660);
  if (!retention.ok()) return retention.status();
  config.idempotency_retention = absl::Hours(24) * *retention;
  for (absl::string_view prefix :
       absl::StrSplit(absl::GetFlag(FLAGS_system_jurisdictions), ',', absl::SkipWhitespace())) {
    prefix = absl::StripAsciiWhitespace(prefix);
    RETURN_IF_ERROR(ValidateDivisionCode(prefix, "--system_jurisdictions"));
    config.system_jurisdictions.emplace_back(prefix);
  }
  return config;
}

}  // namespace shouhu
