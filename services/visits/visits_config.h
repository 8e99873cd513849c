// The visits service's own settings, read once at start from flags and the environment and checked; after
// that code gets this struct, never the environment. Common settings (database, ports) are in
// common/config.h.
#ifndef SHOUHU_SERVICES_VISITS_VISITS_CONFIG_H_
#define SHOUHU_SERVICES_VISITS_VISITS_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/visits/cadence.h"
#include "services/visits/field_visit_rules.h"

namespace shouhu::visits {

struct VisitsConfig {
  // The folder of official calendars, CN-<year>.csv (SHOUHU_CALENDARS_DIR or --calendars_dir). Required:
  // a process that fell back to the source tree's copy would plan from whatever checkout it ran beside.
  std::string calendars_dir;
  // The registry (its case events) and training (who is qualified) services, host:port
  // (SHOUHU_REGISTRY_ADDRESS, SHOUHU_TRAINING_ADDRESS). Required.
  std::string registry_address;
  std::string training_address;
  // The allowance service, whose HouseholdVerificationRequested events put payment checks on the next visit
  // (SHOUHU_ALLOWANCE_ADDRESS). Empty: not followed — a region may run visits without the allowance service.
  std::string allowance_address;
  // How often each risk level is visited; cadence.h's defaults (extreme weekly .. low quarterly).
  CadencePolicy cadence;
  // When slots end (field_visit_rules.h) and how long after its slot's end a visit not checked out raises
  // VisitCheckOutMissing (SHOUHU_CHECKOUT_GRACE_MINUTES, default 180).
  VisitTimes visit_times;
  // How often the missing-check-out sweep runs (SHOUHU_CHECKOUT_SWEEP_SECONDS, default 300); zero: the
  // module does not start it (the tests drive it).
  absl::Duration check_out_sweep_interval = absl::Minutes(5);
  // How often each replica looks for its turn to carry safeguarding calls training missed (the job runs once
  // a minute across replicas); zero: the module does not start it (the tests call SyncPending themselves, and
  // a pass of their own beside it would make their counts of training's calls a race).
  absl::Duration safeguarding_sync_poll = absl::Seconds(15);
  // The keys (32 bytes each, hex in SHOUHU_PII_SEAL_KEY and SHOUHU_PII_LOOKUP_KEY, as the registry's) that
  // seal the accounts and review notes of safeguarding concerns at rest (common/pii_crypto.h). Required.
  std::string pii_seal_key;
  std::string pii_lookup_key;
};

// INVALID_ARGUMENT naming the setting when a value is missing or malformed.
absl::StatusOr<VisitsConfig> LoadVisitsConfig();

// The same checks for a config built in code (the tests build the module as main does).
absl::Status ValidateVisitsConfig(const VisitsConfig& config);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_VISITS_CONFIG_H_
