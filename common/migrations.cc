#include "common/migrations.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/db.h"
#include "common/status_macros.h"

namespace shouhu::db {
namespace {

constexpr absl::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " component VARCHAR(64) NOT NULL, version INT NOT NULL, name VARCHAR(255) NOT NULL,"
    " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), PRIMARY KEY (component, version)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";
constexpr absl::string_view kCreateLockTable =
    "CREATE TABLE IF NOT EXISTS schema_migration_lock (id TINYINT NOT NULL PRIMARY KEY) ENGINE=InnoDB";
constexpr absl::string_view kSeedLockRow = "INSERT IGNORE INTO schema_migration_lock (id) VALUES (1)";
constexpr absl::string_view kTakeLock = "SELECT id FROM schema_migration_lock WHERE id = 1 FOR UPDATE";
constexpr absl::string_view kApplied = "SELECT component, version FROM schema_migrations";
constexpr absl::string_view kRecord =
    "INSERT INTO schema_migrations (component, version, name) VALUES (?, ?, ?)";

}  // namespace

std::vector<std::string> SplitStatements(const std::string& sql) {
  std::vector<std::string> statements;
  std::string current;
  for (absl::string_view line : absl::StrSplit(sql, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "--")) continue;
    absl::StrAppend(&current, line, "\n");
    if (absl::EndsWith(trimmed, ";")) {
      std::string statement(absl::StripAsciiWhitespace(current));
      statement.pop_back();  // the ';'
      if (!statement.empty()) statements.push_back(std::move(statement));
      current.clear();
    }
  }
  std::string rest(absl::StripAsciiWhitespace(current));
  if (!rest.empty()) statements.push_back(std::move(rest));
  return statements;
}

absl::Status ApplyMigrations(Pool& pool, const std::vector<Migration>& migrations) {
  ASSIGN_OR_RETURN(Lease holder, pool.Acquire());
  RETURN_IF_ERROR(holder->ExecuteConstant(kCreateMigrationsTable));
  RETURN_IF_ERROR(holder->ExecuteConstant(kCreateLockTable));
  RETURN_IF_ERROR(holder->ExecuteConstant(kSeedLockRow));
  // A replica waiting behind another's long migration should wait, not give up after the default 50 s.
  RETURN_IF_ERROR(holder->ExecuteConstant("SET SESSION innodb_lock_wait_timeout = 600"));
  RETURN_IF_ERROR(holder->ExecuteConstant("START TRANSACTION"));
  absl::Status status = holder->Query(kTakeLock).status();
  if (status.ok()) {
    status = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(Lease worker, pool.Acquire());
      ASSIGN_OR_RETURN(Rows applied_rows, worker->Query(kApplied));
      std::set<std::pair<std::string, int64_t>> applied;
      for (const Row& row : applied_rows) applied.emplace(row.String(0), row.Int(1));
      for (const Migration& m : migrations) {
        if (applied.count({m.component, m.version}) > 0) continue;
        for (const std::string& statement : SplitStatements(m.sql)) {
          absl::Status s = worker->ExecuteConstant(statement);
          if (!s.ok()) {
            return absl::Status(s.code(),
                                absl::StrCat("migration ", m.component, "/", m.name, ": ", s.message()));
          }
        }
        RETURN_IF_ERROR(worker->Execute(kRecord, {m.component, int64_t{m.version}, m.name}).status());
      }
      return absl::OkStatus();
    }();
  }
  absl::Status end = holder->ExecuteConstant(status.ok() ? "COMMIT" : "ROLLBACK");
  return status.ok() ? end : status;
}

std::vector<Migration> CommonMigrations() {
  return {
      {"common", 1, "0001_idempotency",
       R"sql(
CREATE TABLE IF NOT EXISTS idempotency_records (
  method VARCHAR(128) NOT NULL,
  caller VARCHAR(191) NOT NULL,
  request_id VARCHAR(128) NOT NULL,
  request_hash BINARY(32) NOT NULL,
  result_ref VARCHAR(191) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (method, caller, request_id),
  KEY idempotency_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
)sql"},
      {"common", 2, "0002_outbox",
       R"sql(
CREATE TABLE IF NOT EXISTS outbox_events (
  sequence BIGINT NOT NULL PRIMARY KEY,
  event_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event_type VARCHAR(128) NOT NULL,
  aggregate_id VARCHAR(64) NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  payload LONGBLOB NOT NULL,
  UNIQUE KEY outbox_event_id (event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE IF NOT EXISTS outbox_sequence (
  id TINYINT NOT NULL PRIMARY KEY,
  last_sequence BIGINT NOT NULL
) ENGINE=InnoDB;
INSERT IGNORE INTO outbox_sequence (id, last_sequence) VALUES (1, 0);
)sql"},
      // An EventConsumer's progress through another service's stream: the last sequence whose effect
      // committed, advanced in the same transaction as the effect.
      {"common", 3, "0003_event_checkpoints",
       R"sql(
CREATE TABLE IF NOT EXISTS event_checkpoints (
  consumer VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  last_sequence BIGINT NOT NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
)sql"},
      // One row per run of a periodic job (common/periodic_job.h): the claim that makes it run once per
      // period across replicas, and its lease.
      {"common", 4, "0004_periodic_runs",
       R"sql(
CREATE TABLE IF NOT EXISTS periodic_runs (
  job VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  period_start DATETIME(6) NOT NULL,
  period_end DATETIME(6) NOT NULL,
  claim VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  claimed_by VARCHAR(128) NOT NULL,
  lease_until DATETIME(6) NOT NULL,
  attempts INT NOT NULL,
  finished_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (job, period_start),
  KEY periodic_runs_unfinished (job, finished_at, lease_until)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
)sql"},
      // The first answer, replayed to a retry (common/idempotency.h). NULL on records made before it.
      {"common", 5, "0005_idempotent_answers",
       R"sql(
ALTER TABLE idempotency_records ADD COLUMN response LONGBLOB NULL;
)sql"},
      // Events are numbered after they commit (common/outbox.h): a producing transaction inserts its event at
      // an AUTO_INCREMENT position with sequence NULL, and the sequencer numbers committed events in position
      // order. One statement, so a crash leaves the table old or new, never half-changed. Existing events
      // keep their sequences; their positions follow them (the copy reads the old table in its primary key,
      // the sequence). The unique key on sequence allows any number of NULLs and finds them with one lookup
      // (the sequencer's "unsequenced, by position"); a reader's "sequence > N" is a range on it that never
      // sees them.
      {"common", 6, "0006_outbox_sequence_after_commit",
       R"sql(
ALTER TABLE outbox_events
  DROP PRIMARY KEY,
  ADD COLUMN position BIGINT NOT NULL AUTO_INCREMENT FIRST,
  ADD PRIMARY KEY (position),
  MODIFY sequence BIGINT NULL,
  ADD UNIQUE KEY outbox_sequence (sequence);
)sql"},
      // The sequencer's "unsequenced, by position" read in index order: the unique key above finds the NULLs
      // but MariaDB does not extend a unique key by the primary key, so it sorted them (a filesort per batch,
      // some 17% of the server's time under the payments benchmark). This index holds (NULL, position) in
      // order, so the read stops after its batch. The unique key stays: it is what guarantees that no
      // sequence is ever given twice, whatever a sequencer does.
      {"common", 7, "0007_outbox_unsequenced_by_position",
       R"sql(
ALTER TABLE outbox_events ADD KEY outbox_unsequenced (sequence, position);
)sql"},
  };
}

}  // namespace shouhu::db
