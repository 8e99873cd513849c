// The monthly basic living allowance's job: once per Shanghai month across all replicas (common/periodic_job:
// the run is claimed by a row), it takes up the month's new enrolments (the core's approved monthly
// applications; the child's birth date and categories read once from the registry), generates the month's
// cycle and roster per program (MonthlyRosterStore::GenerateMonth: once per child per month however often or
// concurrently it runs), gives back to the budget what the enrolments whose first month is not owed under
// them (replaced, aged out, stopped, not in the category) had reserved for it (ReleaseFirstMonthsNotOwed;
// one paid before its line is logged, not undone), then forecasts every running program and raises
// ProgramBudgetAtRisk once for a program forecast to run out before its period ends.
#ifndef SHOUHU_SERVICES_ALLOWANCE_MONTHLY_ROSTER_JOB_H_
#define SHOUHU_SERVICES_ALLOWANCE_MONTHLY_ROSTER_JOB_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/call_identity.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/periodic_job.h"
#include "services/allowance/monthly_roster_store.h"
#include "services/registry/registry_client.h"

namespace shouhu::allowance {

// Far longer than a month's generation takes (100,000 children in well under a minute); only a crashed run
// waits it out before another replica takes the month over.
inline constexpr absl::Duration kMonthlyRosterLease = absl::Minutes(30);
// The forecast looks back this many days for the pace of one-time spending.
inline constexpr int kForecastPaceWindowDays = 90;

// Calendar months in Asia/Shanghai.
Schedule MonthlySchedule();

// The facts the monthly allowance's rules need of a child, from the registry's record: its birth date
// (INVALID_ARGUMENT when unreadable) and whether it is an orphan or de facto unsupported.
absl::StatusOr<LivingAllowanceChildFacts> LivingAllowanceFactsOf(const registry::v1::Child& child);

// The forecast of one program as GetProgramForecast answers it, raising ProgramBudgetAtRisk the first time
// it is at risk. NOT_FOUND when there is no such program.
absl::StatusOr<v1::ProgramForecast> ForecastProgram(MonthlyRosterStore& store, const std::string& program_id,
                                                    absl::Time now);

class MonthlyRosterJob {
 public:
  // `metrics`: shouhu_allowance_first_months_paid_before_total, the first months paid through their
  // application before their roster line said they were not owed (an alert tells the finance officers).
  MonthlyRosterJob(db::Pool& pool, MonthlyRosterStore& store, const registry::RegistryClient& registry,
                   const ServiceIdentity& identity, const Clock& clock, Logger& logger, Metrics& metrics);

  void Start(absl::Duration poll);
  // The periodic job's step: runs when the current month (or an abandoned one) is this replica's to run.
  absl::StatusOr<std::optional<PeriodicRun>> RunIfDue();
  // Takes up new enrolments and generates `month`, whatever the job has done: safe to call again and from
  // several threads or replicas at once.
  absl::StatusOr<GenerationResult> RunMonth(absl::CivilMonth month);
  // Takes up one enrolment now, as the month's run would (a change made for one kind needs its kind): OK when
  // it is taken up, or is no open monthly enrolment; UNAVAILABLE when the registry cannot tell its child's
  // categories now, FAILED_PRECONDITION when what it tells cannot be read. Safe beside the month's run.
  absl::Status TakeUpEnrolment(const std::string& application_id);

 private:
  absl::Status TakeUpEnrolments();
  // The child's facts when `pending` does not have them recorded yet (nullopt when it does); the registry's
  // error, or FAILED_PRECONDITION when its answer's birth date is unreadable.
  absl::StatusOr<std::optional<LivingAllowanceChildFacts>> FactsToRecord(const PendingEnrolment& pending);
  absl::Status ForecastRunningPrograms();

  MonthlyRosterStore& store_;
  const registry::RegistryClient& registry_;
  const ServiceIdentity& identity_;
  const Clock& clock_;
  Logger& logger_;
  Metrics& metrics_;
  PeriodicJob job_;  // last: its thread stops before the rest goes
};

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_MONTHLY_ROSTER_JOB_H_
