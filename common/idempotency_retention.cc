#include "common/idempotency_retention.h"

#include "common/status_macros.h"

namespace shouhu {
namespace {

// created_at is indexed (common migration 1), so each batch reads only what it deletes.
constexpr absl::string_view kPurgeBatch = "DELETE FROM idempotency_records WHERE created_at < ? LIMIT ?";

}  // namespace

absl::StatusOr<int64_t> PurgeIdempotencyRecords(db::Pool& pool, absl::Time cutoff, int batch) {
  int64_t purged = 0;
  for (;;) {
    uint64_t deleted = 0;
    RETURN_IF_ERROR(pool.Transaction([&](db::Session& tx) -> absl::Status {
      ASSIGN_OR_RETURN(deleted, tx.Execute(kPurgeBatch, {ToSqlTimestamp(cutoff), int64_t{batch}}));
      return absl::OkStatus();
    }));
    purged += static_cast<int64_t>(deleted);
    if (deleted < static_cast<uint64_t>(batch)) return purged;
  }
}

IdempotencyRetention::IdempotencyRetention(db::Pool& pool, const Clock& clock, absl::Duration retention,
                                           std::string replica)
    : job_(pool, clock, "idempotency-retention", Schedule::Daily(ShanghaiTimeZone()), absl::Hours(1),
           std::move(replica), [&pool, retention](const PeriodicRun& run) -> absl::Status {
             // Counted from the period, not from now, so a takeover of the run deletes the same records.
             return PurgeIdempotencyRecords(pool, run.period_start - retention).status();
           }) {}

}  // namespace shouhu
