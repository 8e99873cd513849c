#include "services/allowance/monthly_roster_job.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::allowance {
namespace {

// A first month paid through its application before its roster line said it was not owed, counted by the run
// that finds it (a run repeated for its month counts it again): the alert
// ShouhuAllowanceFirstMonthPaidNotOwed.
constexpr char kFirstMonthsPaidBefore[] = "shouhu_allowance_first_months_paid_before_total";

absl::CivilMonth ShanghaiMonth(absl::Time t) { return absl::CivilMonth(ShanghaiDay(t)); }

// How many enrolments are taken up per read; the rest come on the next pass of the loop.
constexpr int kTakeUpBatch = 500;

}  // namespace

absl::StatusOr<LivingAllowanceChildFacts> LivingAllowanceFactsOf(const registry::v1::Child& child) {
  LivingAllowanceChildFacts facts;
  ASSIGN_OR_RETURN(facts.birth_date, ParseDay(child.birth_date(), "birth_date"));
  for (int c : child.categories()) {
    if (c == registry::v1::CHILD_CATEGORY_ORPHAN) facts.orphan = true;
    if (c == registry::v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED) facts.de_facto_unsupported = true;
  }
  return facts;
}

Schedule MonthlySchedule() {
  Schedule s;
  s.period_start = [](absl::Time t) { return ShanghaiMonthStart(ShanghaiMonth(t)); };
  s.next_start = [](absl::Time t) { return ShanghaiMonthStart(ShanghaiMonth(t) + 1); };
  return s;
}

absl::StatusOr<v1::ProgramForecast> ForecastProgram(MonthlyRosterStore& store, const std::string& program_id,
                                                    absl::Time now) {
  const absl::CivilDay today = ShanghaiDay(now);
  ASSIGN_OR_RETURN(std::optional<ProgramFigures> figures,
                   store.ReadProgramFigures(program_id, today, kForecastPaceWindowDays));
  if (!figures) return absl::NotFoundError("program not found");
  ASSIGN_OR_RETURN(ForecastResult result, Forecast(figures->input));
  RETURN_IF_ERROR(store.RaiseBudgetAlertOnce(figures->program, result, now).status());
  v1::ProgramForecast f;
  f.set_program_id(program_id);
  f.set_as_of(absl::FormatCivilTime(today));
  f.set_budget_fen(figures->input.budget_fen);
  f.set_paid_fen(figures->input.paid_fen);
  f.set_reserved_fen(figures->input.reserved_fen);
  f.set_pipeline_fen(figures->input.pipeline_fen);
  f.set_arrears_owed_fen(figures->input.arrears_owed_fen);
  f.set_uncommitted_fen(result.uncommitted_fen);
  f.set_monthly_rosters_to_come_fen(result.rosters_to_come_fen);
  f.set_one_time_to_come_fen(result.one_time_to_come_fen);
  if (result.runs_out_on) f.set_runs_out_on(absl::FormatCivilTime(*result.runs_out_on));
  f.set_at_risk(result.at_risk);
  f.set_left_at_period_end_fen(result.left_at_period_end_fen);
  return f;
}

MonthlyRosterJob::MonthlyRosterJob(db::Pool& pool, MonthlyRosterStore& store,
                                   const registry::RegistryClient& registry, const ServiceIdentity& identity,
                                   const Clock& clock, Logger& logger, Metrics& metrics)
    : store_(store),
      registry_(registry),
      identity_(identity),
      clock_(clock),
      logger_(logger),
      metrics_(metrics),
      job_(pool, clock, "allowance.monthly-roster", MonthlySchedule(), kMonthlyRosterLease,
           ReplicaName("allowance"), [this](const PeriodicRun& run) -> absl::Status {
             ASSIGN_OR_RETURN(GenerationResult result, RunMonth(ShanghaiMonth(run.period_start)));
             logger_.Info("monthly roster generated",
                          {{"cycles", result.cycles},
                           {"children", result.children},
                           {"lines_written", result.lines_written},
                           {"first_months_released", result.first_months_released},
                           {"first_months_paid_before", result.first_months_paid_before}});
             return ForecastRunningPrograms();
           }) {
  // Exported from the start, so that the alert on its increase sees the first one.
  metrics_.Add(kFirstMonthsPaidBefore, "", 0);
}

void MonthlyRosterJob::Start(absl::Duration poll) { job_.Start(poll, logger_); }

absl::StatusOr<std::optional<PeriodicRun>> MonthlyRosterJob::RunIfDue() { return job_.RunDue(); }

absl::StatusOr<GenerationResult> MonthlyRosterJob::RunMonth(absl::CivilMonth month) {
  RETURN_IF_ERROR(TakeUpEnrolments());
  ASSIGN_OR_RETURN(GenerationResult result, store_.GenerateMonth(month, clock_.Now()));
  // After the lines, whichever run wrote them: a run that died between the two leaves it to the next.
  ASSIGN_OR_RETURN(FirstMonthsNotOwed not_owed, store_.ReleaseFirstMonthsNotOwed(month, clock_.Now()));
  result.first_months_released = not_owed.released;
  result.first_months_paid_before = static_cast<int>(not_owed.paid_before.size());
  // Nothing is taken back of a first month paid before its line said it was not owed (it was owed on what
  // was known when it was paid), but the finance officers hear of it: recovering money is theirs to decide.
  for (const MonthlyDecision& d : not_owed.paid_before) {
    logger_.Warn("first month paid through the application before its roster line said it was not owed",
                 {{"application_id", d.enrolment_id},
                  {"month", absl::FormatCivilTime(month)},
                  {"outcome", MonthlyOutcomeName(d.outcome)}});
  }
  metrics_.Add(kFirstMonthsPaidBefore, "", static_cast<double>(not_owed.paid_before.size()));
  return result;
}

absl::Status MonthlyRosterJob::TakeUpEnrolments() {
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<PendingEnrolment> pending, store_.PendingEnrolments(kTakeUpBatch));
    int taken = 0;
    for (const PendingEnrolment& p : pending) {
      absl::StatusOr<std::optional<LivingAllowanceChildFacts>> facts = FactsToRecord(p);
      if (!facts.ok()) {
        // The registry is down, the child is outside this service's reach or its birth date is unreadable:
        // try again next run; the other enrolments go on.
        logger_.Warn("enrolment not taken up", {{"application_id", p.application_id},
                                                {"reason", std::string(facts.status().message())}});
        continue;
      }
      RETURN_IF_ERROR(store_.TakeUp(p, *facts, clock_.Now()));
      ++taken;
    }
    if (static_cast<int>(pending.size()) < kTakeUpBatch || taken == 0) return absl::OkStatus();
  }
}

absl::Status MonthlyRosterJob::TakeUpEnrolment(const std::string& application_id) {
  ASSIGN_OR_RETURN(std::optional<PendingEnrolment> pending, store_.PendingEnrolmentOf(application_id));
  if (!pending) return absl::OkStatus();
  absl::StatusOr<std::optional<LivingAllowanceChildFacts>> facts = FactsToRecord(*pending);
  if (absl::IsFailedPrecondition(facts.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("kind: the enrolment cannot be taken up: ", facts.status().message()));
  }
  if (!facts.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the enrolment's kind is not known yet: its child's categories could not be read from the "
        "registry (",
        facts.status().message(), "); try again"));
  }
  return store_.TakeUp(*pending, *facts, clock_.Now());
}

absl::StatusOr<std::optional<LivingAllowanceChildFacts>> MonthlyRosterJob::FactsToRecord(
    const PendingEnrolment& pending) {
  if (pending.child_known) return std::optional<LivingAllowanceChildFacts>();
  ASSIGN_OR_RETURN(registry::v1::Child child,
                   registry_.GetChild(identity_.ForSelf(), pending.child_id,
                                      "monthly living allowance: age and category rules"));
  absl::StatusOr<LivingAllowanceChildFacts> read = LivingAllowanceFactsOf(child);
  // The registry's own errors are other codes: a call that may go through later.
  if (!read.ok())
    return absl::FailedPreconditionError("the child's birth date in the registry is unreadable");
  return std::optional<LivingAllowanceChildFacts>(*read);
}

absl::Status MonthlyRosterJob::ForecastRunningPrograms() {
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(std::vector<std::string> programs, store_.RunningPrograms(ShanghaiDay(now)));
  for (const std::string& id : programs) {
    absl::StatusOr<v1::ProgramForecast> forecast = ForecastProgram(store_, id, now);
    if (!forecast.ok()) {
      logger_.Warn("program forecast failed",
                   {{"program_id", id}, {"reason", std::string(forecast.status().message())}});
    }
  }
  return absl::OkStatus();
}

}  // namespace shouhu::allowance
