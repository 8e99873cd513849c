// Process configuration shared by every service: read once at start from flags (which win) and environment
// variables (SHOUHU_*), checked, and handed on as typed structs. Nothing reads the environment after that.
#ifndef SHOUHU_COMMON_CONFIG_H_
#define SHOUHU_COMMON_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/principal_keys.h"

namespace shouhu {

struct DbConfig {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string socket;  // when set, used instead of host:port
  std::string user = "root";
  std::string password;
  std::string database;
  int pool_size = 8;
  absl::Duration connect_timeout = absl::Seconds(3);
  // How long a call may wait for a free connection before UNAVAILABLE: the queue in front of the database.
  absl::Duration acquire_timeout = absl::Seconds(10);
  absl::Duration io_timeout = absl::Seconds(30);
  // How long a statement waits for a row lock (innodb_lock_wait_timeout, whole seconds): less than
  // io_timeout, so that a long wait ends as the server's lock wait timeout (ABORTED, run again) and not as
  // the client giving up on the connection (UNAVAILABLE, and a COMMIT's outcome unknown).
  absl::Duration lock_wait_timeout = absl::Seconds(20);
  // CREATE DATABASE IF NOT EXISTS at start (SHOUHU_DB_CREATE=1): the local stack and tests; production
  // schemas are made by ops.
  bool create_if_missing = false;
};

struct ServerConfig {
  std::string service_name;
  std::string grpc_address;
  std::string metrics_address;  // host:port for GET /metrics; empty disables it
  // Bounds the threads of what is still served synchronously (reflection); the domain services' calls run
  // on CallWorkers, as many as the database pool has connections.
  int max_threads = 8;
  absl::Duration drain_grace = absl::Seconds(10);
};

// Defaults that differ per service; everything else is common.
struct ServiceDefaults {
  std::string name;      // "registry"
  int grpc_port = 0;     // 50051
  int metrics_port = 0;  // 9151
};

struct ServiceConfig {
  ServerConfig server;
  DbConfig db;
  // This process's own Ed25519 key (principal_keys.h): the gateway's signs callers' principals, a service's
  // only its own system principal. Which it may sign is decided by how the verifiers' public key is marked.
  SigningKey signing_key;
  // The public keys this process trusts (<kid>.pub files), re-read every trusted_keys_reload.
  std::string trusted_keys_dir;
  absl::Duration trusted_keys_reload = absl::Seconds(30);
  // The division prefixes the service's own SYSTEM principal covers (its event consumers and periodic jobs
  // are scoped like anyone else): the region this deployment serves.
  std::vector<std::string> system_jurisdictions;
  // Apply the migrations, then exit without serving (SHOUHU_MIGRATE_ONLY=1): the init container that
  // migrates before a rollout's pods serve, so no serving replica waits on another's migration.
  bool migrate_only = false;
  // How long idempotency records are kept (idempotency_retention.h).
  absl::Duration idempotency_retention = absl::Hours(24 * 90);
};

// Reads the common flags (see config.cc) with `defaults` filling what neither flags nor environment set.
absl::StatusOr<ServiceConfig> LoadServiceConfig(const ServiceDefaults& defaults);

// Decodes a hex-encoded secret of exactly `bytes` bytes (or at least, when `at_least`), naming `setting` in
// the error.
absl::StatusOr<std::string> DecodeHexSecret(const std::string& hex, const std::string& setting, size_t bytes,
                                            bool at_least = false);

// For ABSL_FLAG defaults: the environment variable, or the fallback.
std::string EnvOr(const char* name, const std::string& fallback);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_CONFIG_H_
