// The visits service's storage: the plan per case (case_plans), folded from the registry's case events. SQL
// only; the rules that decide what a plan owes are cadence.h's. A small interface for the edge, and the
// MariaDB implementation, whose static parts run inside the event consumer's transaction.
#ifndef SHOUHU_SERVICES_VISITS_VISITS_STORE_H_
#define SHOUHU_SERVICES_VISITS_VISITS_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "common/migrations.h"
#include "services/visits/cadence.h"

namespace shouhu {

// Generated from migrations/ (cmake/Migrations.cmake).
std::vector<db::Migration> VisitsMigrations();

namespace visits {

// One case's plan: its standing (cadence.h) and where and whose the case is, for scope.
struct CasePlan {
  CaseStanding standing;
  std::string village_code;
  std::string organisation_id;
  int64_t last_event_sequence = 0;  // the registry event last folded in
};

class VisitsStore {
 public:
  virtual ~VisitsStore() = default;
  // The child's open case's plan, else its most recently opened one; nothing when the child has none.
  virtual absl::StatusOr<std::optional<CasePlan>> GetChildPlan(const std::string& child_id) = 0;
};

class MariaDbVisitsStore final : public VisitsStore {
 public:
  explicit MariaDbVisitsStore(db::Pool& pool) : pool_(pool) {}

  absl::StatusOr<std::optional<CasePlan>> GetChildPlan(const std::string& child_id) override;

  // In `tx` (the event consumer's): the case's plan, its row locked until the transaction ends.
  static absl::StatusOr<std::optional<CasePlan>> LockCasePlan(db::Session& tx, const std::string& case_id);
  // In `tx`: writes the plan and its next visit due (none: future visits cancelled), inserting or replacing.
  static absl::Status SaveCasePlan(db::Session& tx, const CasePlan& plan, const std::optional<VisitDue>& next,
                                   absl::Time now);

 private:
  db::Pool& pool_;
};

}  // namespace visits
}  // namespace shouhu

#endif  // SHOUHU_SERVICES_VISITS_VISITS_STORE_H_
