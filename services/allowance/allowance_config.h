// The allowance service's own settings, read once at start from flags and the environment and checked;
// after that code gets this struct, never the environment. Common settings (database, ports) are in
// common/config.h.
#ifndef SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_CONFIG_H_
#define SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/allowance/monthly_cycles_config.h"

namespace shouhu::allowance {

inline constexpr int kMaxBudgetSlot = 1023;

struct AllowanceConfig {
  // The registry (is the child active, where, in which categories) and training (is the organisation's
  // qualification current) services, host:port (SHOUHU_REGISTRY_ADDRESS, SHOUHU_TRAINING_ADDRESS). Required.
  std::string registry_address;
  std::string training_address;
  // How often failed payments are sent again (SHOUHU_PAYMENT_RETRY_SECONDS, default 60; 0 starts no retry
  // job: tests drive it by hand).
  absl::Duration payment_retry_interval = absl::Seconds(60);
  // How many times a payment is sent before a failure abandons it and reverses its amount
  // (SHOUHU_PAYMENT_MAX_ATTEMPTS, 1..20, default 3).
  int max_payment_attempts = 3;
  // How many payment batches this replica has in flight (SHOUHU_PAYMENT_COMMITTERS, 1..8, default 1): with
  // more than one, committers take turns, one writing the next batch while the one before it commits and
  // answers its callers (common/group_commit.h). Each holds a database connection while it works. On the
  // benchmark's VM (fast fsync) two cost MariaDB about a seventh more CPU per payment and gave fewer payments
  // a second (tests/bench/README.md, Allowance); they are for disks whose commit waits long (network
  // storage, Galera).
  int payment_committers = 1;
  // This replica's slot of every program's budget (services/allowance/budget_slots.h): its approvals reserve
  // from the (program, slot) row, so replicas on different Galera nodes do not conflict on one row. Either
  // SHOUHU_ALLOWANCE_BUDGET_SLOT, a number from 0 to kMaxBudgetSlot; or, unset, SHOUHU_ALLOWANCE_BUDGET_SLOTS
  // (N, 1..kMaxBudgetSlot+1) with SHOUHU_POD_NAME: a stable hash of the pod's name mod N (SlotOfReplica),
  // which is how deploy/k8s sets it (a Deployment's pods have no ordinal; the downward API gives the name).
  // Default 0. Any assignment is correct (two replicas may share a slot); distinct slots only avoid
  // contention.
  int budget_slot = 0;
  // The monthly basic living allowance, verification sample and urgent-need follower (their own file).
  MonthlyCyclesConfig cycles;
};

// INVALID_ARGUMENT naming the setting when a value is missing or malformed.
absl::StatusOr<AllowanceConfig> LoadAllowanceConfig();

// The same checks for a config built in code (the tests build the module as main does).
absl::Status ValidateAllowanceConfig(const AllowanceConfig& config);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_ALLOWANCE_CONFIG_H_
