// The visits service's storage: the plan per case (case_plans), folded from the registry's case events. SQL
// only; the rules that decide what a plan owes are cadence.h's. A small interface for the edge, and the
// MariaDB implementation, whose static parts run inside the event consumer's transaction.
#ifndef SHOUHU_SERVICES_VISITS_VISITS_STORE_H_
#define SHOUHU_SERVICES_VISITS_VISITS_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/migrations.h"
#include "common/paging.h"
#include "services/visits/cadence.h"
#include "services/visits/visitor_releases.h"
#include "shouhu/visits/v1/visits_service.pb.h"

namespace shouhu {

// Generated from migrations/ (cmake/Migrations.cmake).
std::vector<db::Migration> VisitsMigrations();

namespace visits {

// Which overdue plans a list wants: open, in [division_prefix…], of one organisation when set, due before
// `today`, after the page's case id.
struct OverdueFilter {
  std::string division_prefix;
  std::string organisation_id;  // empty: any
  absl::CivilDay today;
  PageRequest page;
};

// One case's plan: its standing (cadence.h) and where and whose the case is, for scope.
struct CasePlan {
  CaseStanding standing;
  std::string village_code;
  std::string organisation_id;
  int64_t last_event_sequence = 0;  // the registry event last folded in
};

// A plan as the event consumer writes it, with its next visit due (none: future visits cancelled).
struct PlanToSave {
  CasePlan plan;
  std::optional<VisitDue> next;
};

// Case id → the registry event last folded into its plan (CasePlan::last_event_sequence), as a plan read it.
using CasesSeen = absl::flat_hash_map<std::string, int64_t>;

class VisitsStore {
 public:
  virtual ~VisitsStore() = default;
  // The child's open case's plan, else its most recently opened one; nothing when the child has none.
  virtual absl::StatusOr<std::optional<CasePlan>> GetChildPlan(const std::string& child_id) = 0;
  // By case id.
  virtual absl::StatusOr<std::vector<CasePlan>> ListOverdue(const OverdueFilter& filter) = 0;

  // The visitor with a fresh id; ALREADY_EXISTS when the participant is a visitor already.
  virtual absl::StatusOr<v1::RegisterVisitorResponse> RegisterVisitor(const IdempotencyKey& key,
                                                                      const Actor& actor,
                                                                      const v1::Visitor& visitor) = 0;
  virtual absl::StatusOr<std::optional<v1::Visitor>> GetVisitor(const std::string& visitor_id) = 0;

  // A weekend's planning inputs within [division_prefix…] (of one organisation when set): the open plans
  // whose next visit is due by `last_day`, and the visitors who live there (none under a safeguarding
  // concern that still holds).
  virtual absl::StatusOr<std::vector<CasePlan>> ListDueBy(const std::string& division_prefix,
                                                          const std::string& organisation_id,
                                                          absl::CivilDay last_day) = 0;
  virtual absl::StatusOr<std::vector<v1::Visitor>> ListVisitorsIn(const std::string& division_prefix,
                                                                  const std::string& organisation_id) = 0;
  // How many times each visitor in [division_prefix…] was taken off their future visits, read before a plan
  // judges who may visit: StoreWeekendPlan refuses a plan if a count moved since (a later-day release only
  // when it reaches one of the visitor's days in the plan).
  virtual absl::StatusOr<VisitorReleases> ReleasesIn(const std::string& division_prefix,
                                                     const std::string& organisation_id) = 0;
  // Assignments on days in [first, last] whose household or visitor lies in [division_prefix…]: what earlier
  // plans of the weekend placed.
  virtual absl::StatusOr<std::vector<v1::Assignment>> ListAssignmentsIn(const std::string& division_prefix,
                                                                        absl::CivilDay first,
                                                                        absl::CivilDay last) = 0;
  // Stores `answer`'s assignments (ids assigned here) in one transaction and returns it. ABORTED when a
  // visitor's day and slot is taken, or a household of the plan already has a visit on a day in
  // [first, last] (another plan, made at the same time with other visitors, placed it first), or a visitor
  // of the plan was taken off their visits since `releases_seen` was read (ReleasesIn, before the plan
  // judged who may visit) from a day the plan has them visit on or before, or a household's case changed
  // since `cases_seen` was read (closed, transferred, moved county, re-graded: the registry event that did it
  // cancelled or re-timed its visits, and this plan would put them back): nothing is stored.
  virtual absl::StatusOr<v1::PlanWeekendResponse> StoreWeekendPlan(
      const IdempotencyKey& key, const Actor& actor, absl::CivilDay first, absl::CivilDay last,
      const VisitorReleases& releases_seen, const CasesSeen& cases_seen, v1::PlanWeekendResponse answer) = 0;
  // A visitor's assignments on days in [first, last], by day and slot.
  virtual absl::StatusOr<std::vector<v1::Assignment>> ListAssignments(const std::string& visitor_id,
                                                                      absl::CivilDay first,
                                                                      absl::CivilDay last) = 0;
};

class MariaDbVisitsStore final : public VisitsStore {
 public:
  MariaDbVisitsStore(db::Pool& pool, IdGenerator& ids) : pool_(pool), ids_(ids) {}

  absl::StatusOr<std::optional<CasePlan>> GetChildPlan(const std::string& child_id) override;
  absl::StatusOr<std::vector<CasePlan>> ListOverdue(const OverdueFilter& filter) override;
  absl::StatusOr<v1::RegisterVisitorResponse> RegisterVisitor(const IdempotencyKey& key, const Actor& actor,
                                                              const v1::Visitor& visitor) override;
  absl::StatusOr<std::optional<v1::Visitor>> GetVisitor(const std::string& visitor_id) override;
  absl::StatusOr<std::vector<CasePlan>> ListDueBy(const std::string& division_prefix,
                                                  const std::string& organisation_id,
                                                  absl::CivilDay last_day) override;
  absl::StatusOr<std::vector<v1::Visitor>> ListVisitorsIn(const std::string& division_prefix,
                                                          const std::string& organisation_id) override;
  absl::StatusOr<std::vector<v1::Assignment>> ListAssignmentsIn(const std::string& division_prefix,
                                                                absl::CivilDay first,
                                                                absl::CivilDay last) override;
  absl::StatusOr<VisitorReleases> ReleasesIn(const std::string& division_prefix,
                                             const std::string& organisation_id) override;
  absl::StatusOr<v1::PlanWeekendResponse> StoreWeekendPlan(const IdempotencyKey& key, const Actor& actor,
                                                           absl::CivilDay first, absl::CivilDay last,
                                                           const VisitorReleases& releases_seen,
                                                           const CasesSeen& cases_seen,
                                                           v1::PlanWeekendResponse answer) override;
  absl::StatusOr<std::vector<v1::Assignment>> ListAssignments(const std::string& visitor_id,
                                                              absl::CivilDay first,
                                                              absl::CivilDay last) override;

  // In `tx` (the event consumer's): the plans of those cases that have one, by case id, their rows locked
  // until the transaction ends; one statement.
  static absl::StatusOr<absl::flat_hash_map<std::string, CasePlan>> LockCasePlans(
      db::Session& tx, const std::vector<std::string>& case_ids);
  // In `tx`: writes each plan with its next visit due (none: future visits cancelled), inserting or
  // replacing; a statement per power-of-two chunk (batch_statements.h). A case appears at most once.
  static absl::Status SaveCasePlans(db::Session& tx, const std::vector<PlanToSave>& plans, absl::Time now);
  // In `tx`, after a visit report of the case was written or changed: the plan's last completed visit becomes
  // the latest visit reported completed since the case was (re)opened (an edit may take a completion back),
  // and its next visit due follows from it by `cadence`. Nothing when the case has no plan or it is
  // unchanged.
  static absl::Status FollowCompletedVisits(db::Session& tx, const std::string& child_id,
                                            const std::string& case_id, const CadencePolicy& cadence,
                                            absl::Time now);

  // The repair of plans whose completed visits were reported before reports moved plans (visits 0032): the
  // next `limit` plans after `after_case_id` (moved past them), those behind their reports brought up by
  // FollowCompletedVisits, in one transaction. Returns the plans walked; at the end (fewer than `limit`)
  // the repair is recorded as finished, and once it is, every later call walks nothing.
  absl::StatusOr<int64_t> RepairCompletedVisits(std::string& after_case_id, int64_t limit,
                                                const CadencePolicy& cadence, absl::Time now);

 private:
  db::Pool& pool_;
  IdGenerator& ids_;
};

}  // namespace visits
}  // namespace shouhu

#endif  // SHOUHU_SERVICES_VISITS_VISITS_STORE_H_
