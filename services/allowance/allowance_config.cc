#include "services/allowance/allowance_config.h"

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/status_macros.h"
#include "services/allowance/budget_slots.h"

ABSL_FLAG(std::string, allowance_registry_address, shouhu::EnvOr("SHOUHU_REGISTRY_ADDRESS", ""),
          "the registry service, host:port");
ABSL_FLAG(std::string, allowance_training_address, shouhu::EnvOr("SHOUHU_TRAINING_ADDRESS", ""),
          "the training service, host:port");
ABSL_FLAG(std::string, payment_retry_seconds, shouhu::EnvOr("SHOUHU_PAYMENT_RETRY_SECONDS", "60"),
          "seconds between sends of failed payments; 0: no retry job");
ABSL_FLAG(std::string, payment_max_attempts, shouhu::EnvOr("SHOUHU_PAYMENT_MAX_ATTEMPTS", "3"),
          "sends of a payment before a failure abandons it");
ABSL_FLAG(std::string, payment_committers, shouhu::EnvOr("SHOUHU_PAYMENT_COMMITTERS", "1"),
          "payment batches in flight, one written while the one before it commits, 1..8");
ABSL_FLAG(std::string, allowance_budget_slot, shouhu::EnvOr("SHOUHU_ALLOWANCE_BUDGET_SLOT", ""),
          "this replica's slot of every program's budget, 0..1023 (default 0)");
ABSL_FLAG(
    std::string, allowance_budget_slots, shouhu::EnvOr("SHOUHU_ALLOWANCE_BUDGET_SLOTS", ""),
    "without --allowance_budget_slot: the number of slots, the slot then a hash of --allowance_pod_name");
ABSL_FLAG(std::string, allowance_pod_name, shouhu::EnvOr("SHOUHU_POD_NAME", ""),
          "this replica's name (Kubernetes: the pod's, from the downward API)");

namespace shouhu::allowance {
namespace {

// The slot from its settings (AllowanceConfig::budget_slot).
absl::StatusOr<int> BudgetSlotFrom(const std::string& slot, const std::string& slots,
                                   const std::string& pod) {
  int value = 0;
  if (!slot.empty()) {
    if (!absl::SimpleAtoi(slot, &value) || value < 0 || value > kMaxBudgetSlot) {
      return absl::InvalidArgumentError("SHOUHU_ALLOWANCE_BUDGET_SLOT must be a whole number from 0 to 1023");
    }
    return value;
  }
  if (slots.empty()) return 0;
  if (!absl::SimpleAtoi(slots, &value) || value < 1 || value > kMaxBudgetSlot + 1) {
    return absl::InvalidArgumentError("SHOUHU_ALLOWANCE_BUDGET_SLOTS must be a whole number from 1 to 1024");
  }
  if (pod.empty()) {
    return absl::InvalidArgumentError(
        "SHOUHU_ALLOWANCE_BUDGET_SLOTS needs SHOUHU_POD_NAME (--allowance_pod_name)");
  }
  return SlotOfReplica(pod, value);
}

}  // namespace

absl::Status ValidateAllowanceConfig(const AllowanceConfig& config) {
  if (config.registry_address.empty()) {
    return absl::InvalidArgumentError("SHOUHU_REGISTRY_ADDRESS (--allowance_registry_address) is required");
  }
  if (config.training_address.empty()) {
    return absl::InvalidArgumentError("SHOUHU_TRAINING_ADDRESS (--allowance_training_address) is required");
  }
  if (config.payment_retry_interval < absl::ZeroDuration() ||
      config.payment_retry_interval > absl::Hours(24)) {
    return absl::InvalidArgumentError("SHOUHU_PAYMENT_RETRY_SECONDS must be from 0 to 86400");
  }
  if (config.max_payment_attempts < 1 || config.max_payment_attempts > 20) {
    return absl::InvalidArgumentError("SHOUHU_PAYMENT_MAX_ATTEMPTS must be from 1 to 20");
  }
  if (config.payment_committers < 1 || config.payment_committers > 8) {
    return absl::InvalidArgumentError("SHOUHU_PAYMENT_COMMITTERS must be from 1 to 8");
  }
  if (config.budget_slot < 0 || config.budget_slot > kMaxBudgetSlot) {
    return absl::InvalidArgumentError("SHOUHU_ALLOWANCE_BUDGET_SLOT must be from 0 to 1023");
  }
  RETURN_IF_ERROR(ValidateMonthlyCyclesConfig(config.cycles));
  return absl::OkStatus();
}

absl::StatusOr<AllowanceConfig> LoadAllowanceConfig() {
  AllowanceConfig config;
  config.registry_address = absl::GetFlag(FLAGS_allowance_registry_address);
  config.training_address = absl::GetFlag(FLAGS_allowance_training_address);
  int seconds = 0;
  const std::string retry = absl::GetFlag(FLAGS_payment_retry_seconds);
  if (!absl::SimpleAtoi(retry, &seconds)) {
    return absl::InvalidArgumentError("SHOUHU_PAYMENT_RETRY_SECONDS must be a whole number of seconds");
  }
  config.payment_retry_interval = absl::Seconds(seconds);
  const std::string attempts = absl::GetFlag(FLAGS_payment_max_attempts);
  if (!absl::SimpleAtoi(attempts, &config.max_payment_attempts)) {
    return absl::InvalidArgumentError("SHOUHU_PAYMENT_MAX_ATTEMPTS must be a whole number");
  }
  if (!absl::SimpleAtoi(absl::GetFlag(FLAGS_payment_committers), &config.payment_committers)) {
    return absl::InvalidArgumentError("SHOUHU_PAYMENT_COMMITTERS must be a whole number");
  }
  ASSIGN_OR_RETURN(config.budget_slot, BudgetSlotFrom(absl::GetFlag(FLAGS_allowance_budget_slot),
                                                      absl::GetFlag(FLAGS_allowance_budget_slots),
                                                      absl::GetFlag(FLAGS_allowance_pod_name)));
  ASSIGN_OR_RETURN(config.cycles, LoadMonthlyCyclesConfig());
  RETURN_IF_ERROR(ValidateAllowanceConfig(config));
  return config;
}

}  // namespace shouhu::allowance
