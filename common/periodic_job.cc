#include "common/periodic_job.h"

#include <sodium.h>
#include <unistd.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace shouhu {
namespace {

// A new run: fails with ALREADY_EXISTS (duplicate key) when another replica claimed the period first.
constexpr absl::string_view kInsertRun =
    "INSERT INTO periodic_runs (job, period_start, period_end, claim, claimed_by, lease_until, attempts, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)";
// The oldest run whose claimant stopped renewing its lease without finishing.
constexpr absl::string_view kAbandoned =
    "SELECT period_start, period_end FROM periodic_runs WHERE job = ? AND finished_at IS NULL AND "
    "lease_until < ? ORDER BY period_start LIMIT 1";
// Takes an abandoned run over. Matches nothing when another replica took it first or it finished meanwhile:
// the conditions are re-checked on the row, under its lock.
constexpr absl::string_view kTakeOver =
    "UPDATE periodic_runs SET claim = ?, claimed_by = ?, lease_until = ?, attempts = attempts + 1 "
    "WHERE job = ? AND period_start = ? AND finished_at IS NULL AND lease_until < ?";
constexpr absl::string_view kAttempts =
    "SELECT attempts FROM periodic_runs WHERE job = ? AND period_start = ? AND claim = ?";
// Only the current claimant finishes or releases a run: one whose lease was taken over changes nothing.
constexpr absl::string_view kFinish =
    "UPDATE periodic_runs SET finished_at = ? WHERE job = ? AND period_start = ? AND claim = ?";
constexpr absl::string_view kRelease =
    "UPDATE periodic_runs SET lease_until = ? WHERE job = ? AND period_start = ? AND claim = ? AND "
    "finished_at IS NULL";

// Names one claim, so that only its holder finishes or releases the run.
std::string ClaimToken(absl::string_view replica) {
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof bytes);
  return absl::StrCat(
      replica, "/",
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes)));
}

}  // namespace

Schedule Schedule::Every(absl::Duration length) {
  return Schedule{
      [length](absl::Time t) { return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), length); },
      [length](absl::Time t) {
        return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), length) + length;
      }};
}

Schedule Schedule::Daily(absl::TimeZone zone) {
  return Schedule{[zone](absl::Time t) { return absl::FromCivil(absl::ToCivilDay(t, zone), zone); },
                  [zone](absl::Time t) { return absl::FromCivil(absl::ToCivilDay(t, zone) + 1, zone); }};
}

std::string ReplicaName(absl::string_view service) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return std::string(service);
  return absl::StrCat(service, "@", host);
}

struct PeriodicJob::Claim {
  std::string token;
  PeriodicRun run;
};

PeriodicJob::PeriodicJob(db::Pool& pool, const Clock& clock, std::string name, Schedule schedule,
                         absl::Duration lease, std::string replica, Work work)
    : pool_(pool),
      clock_(clock),
      name_(std::move(name)),
      schedule_(std::move(schedule)),
      lease_(lease),
      replica_(std::move(replica)),
      work_(std::move(work)) {}

PeriodicJob::~PeriodicJob() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void PeriodicJob::Start(absl::Duration poll, Logger& logger) {
  thread_ = std::thread([this, poll, &logger] {
    do {
      absl::StatusOr<std::optional<PeriodicRun>> ran = RunDue();
      if (!ran.ok()) {
        logger.Warn("periodic job failed", {{"job", name_}, {"error", std::string(ran.status().message())}});
      }
    } while (!stop_.WaitForNotificationWithTimeout(poll));
  });
}

absl::StatusOr<std::optional<PeriodicRun>> PeriodicJob::RunDue() {
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(std::optional<Claim> claim, ClaimAbandoned(now));
  if (!claim) {
    ASSIGN_OR_RETURN(claim, ClaimCurrent(now));
  }
  if (!claim) return std::optional<PeriodicRun>();
  return RunClaimed(*claim);
}

absl::StatusOr<std::optional<PeriodicJob::Claim>> PeriodicJob::ClaimAbandoned(absl::Time now) {
  std::optional<Claim> claim;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    claim.reset();
    ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kAbandoned, {name_, ToSqlTimestamp(now)}));
    if (!row) return absl::OkStatus();
    Claim candidate;
    candidate.token = ClaimToken(replica_);
    ASSIGN_OR_RETURN(candidate.run.period_start, FromSqlTimestamp(row->String(0)));
    ASSIGN_OR_RETURN(candidate.run.period_end, FromSqlTimestamp(row->String(1)));
    ASSIGN_OR_RETURN(uint64_t taken,
                     tx.Execute(kTakeOver, {candidate.token, replica_, ToSqlTimestamp(now + lease_), name_,
                                            row->String(0), ToSqlTimestamp(now)}));
    if (taken == 0) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<db::Row> attempts,
                     tx.QueryOne(kAttempts, {name_, row->String(0), candidate.token}));
    candidate.run.attempt = attempts ? static_cast<int>(attempts->Int(0)) : 2;
    claim = std::move(candidate);
    return absl::OkStatus();
  }));
  return claim;
}

absl::StatusOr<std::optional<PeriodicJob::Claim>> PeriodicJob::ClaimCurrent(absl::Time now) {
  Claim claim;
  claim.token = ClaimToken(replica_);
  claim.run.period_start = schedule_.period_start(now);
  claim.run.period_end = schedule_.next_start(now);
  absl::Status inserted = pool_.Transaction([&](db::Session& tx) -> absl::Status {
    return tx
        .Execute(kInsertRun,
                 {name_, ToSqlTimestamp(claim.run.period_start), ToSqlTimestamp(claim.run.period_end),
                  claim.token, replica_, ToSqlTimestamp(now + lease_), ToSqlTimestamp(now)})
        .status();
  });
  if (inserted.code() == absl::StatusCode::kAlreadyExists) return std::optional<Claim>();
  RETURN_IF_ERROR(inserted);
  return std::optional<Claim>(std::move(claim));
}

absl::StatusOr<std::optional<PeriodicRun>> PeriodicJob::RunClaimed(const Claim& claim) {
  const std::string start = ToSqlTimestamp(claim.run.period_start);
  const absl::Status worked = work_(claim.run);
  if (!worked.ok()) {
    // Let the next call, here or on another replica, try this period again at once.
    RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
      return tx.Execute(kRelease, {ToSqlTimestamp(clock_.Now()), name_, start, claim.token}).status();
    }));
    return worked;
  }
  uint64_t finished = 0;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(finished,
                     tx.Execute(kFinish, {ToSqlTimestamp(clock_.Now()), name_, start, claim.token}));
    return absl::OkStatus();
  }));
  if (finished == 0) {
    return absl::AbortedError(
        absl::StrCat("job ", name_, ": the lease ran out and another replica took the run"));
  }
  return std::optional<PeriodicRun>(claim.run);
}

}  // namespace shouhu
