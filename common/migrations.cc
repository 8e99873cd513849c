#include "common/migrations.h"

#include <sodium.h>

#include <memory>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
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
// The lease a cluster honours. On Galera a row lock is local to its node (SELECT … FOR UPDATE on one node
// does not make another node's wait), and only a committed write is certified against the other nodes'. So
// the claim is a committed conditional UPDATE: two replicas claiming at once on two nodes both match the free
// row, and certification lets the first commit stand and fails the other's as a deadlock; its retry then
// sees the row held and waits. Held until released, or until it lapses (a replica killed mid-migration):
// kLeaseSeconds, renewed before each migration, so only one statement longer than that could let a
// second migrator in (which would then fail on the first one's DDL and exit, not corrupt anything).
constexpr absl::string_view kCreateLeaseTable =
    "CREATE TABLE IF NOT EXISTS schema_migration_lease (id TINYINT NOT NULL PRIMARY KEY,"
    " holder VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, lease_until DATETIME(6) NOT NULL"
    ") ENGINE=InnoDB";
constexpr absl::string_view kSeedLeaseRow =
    "INSERT IGNORE INTO schema_migration_lease (id, holder, lease_until) VALUES (1, '', '2000-01-01')";
constexpr absl::string_view kClaimLease =
    "UPDATE schema_migration_lease SET holder = ?, lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND"
    " WHERE id = 1 AND (holder = '' OR holder = ? OR lease_until < UTC_TIMESTAMP(6))";
constexpr absl::string_view kReleaseLease =
    "UPDATE schema_migration_lease SET holder = '' WHERE id = 1 AND holder = ?";
constexpr int64_t kLeaseSeconds = 600;
// As long as a replica waits for another's migrations (the single-server lock above, the lease), and as long
// as one migration statement may run (an index built over a province's rows).
constexpr absl::Duration kLeaseWait = absl::Seconds(600);
// Whether a table exists, answered without an error (a statement that fails to prepare is counted by the
// server as prepared and never closed).
constexpr absl::string_view kTableExists =
    "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?";
constexpr absl::string_view kApplied = "SELECT component, version FROM schema_migrations";
constexpr absl::string_view kRecord =
    "INSERT INTO schema_migrations (component, version, name) VALUES (?, ?, ?)";

// Creates a bookkeeping table only when it is missing. On Galera every DDL runs as total order isolation on
// all nodes, even a CREATE TABLE IF NOT EXISTS that finds the table, and aborts whatever holds that table on
// any node: a replica starting late would abort the running migrator's record of a version it had just
// applied (its retry would then apply that version twice). A read does not.
absl::Status EnsureTable(Session& session, const std::string& table, absl::string_view create) {
  ASSIGN_OR_RETURN(std::optional<Row> exists, session.QueryOne(kTableExists, {table}));
  if (exists && exists->Int(0) > 0) return absl::OkStatus();
  return session.ExecuteConstant(create);
}

// Records an applied version. Retried in place when a replicated write aborted it: the version's statements
// already ran and must not run again. ALREADY_EXISTS on a retry means the aborted attempt had landed after
// all.
absl::Status Record(Session& session, const Migration& m) {
  for (int attempt = 1;; ++attempt) {
    absl::Status s = session.Execute(kRecord, {m.component, int64_t{m.version}, m.name}).status();
    if (s.ok() || (attempt > 1 && s.code() == absl::StatusCode::kAlreadyExists)) return absl::OkStatus();
    if (!IsRetryable(s) || attempt >= 20) return s;
    absl::SleepFor(absl::Milliseconds(10 * attempt));
  }
}

// Claims (or renews) the lease for `holder`, committed. OK once held; ABORTED when another holder keeps it.
absl::Status ClaimLease(Session& session, const std::string& holder) {
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<uint64_t> matched = session.Execute(kClaimLease, {holder, kLeaseSeconds, holder});
    if (matched.ok()) {
      if (*matched == 1) return absl::OkStatus();
      return absl::AbortedError("schema migrations are being applied by another replica");
    }
    // A certification conflict with another node's claim: its commit stands; look again.
    if (!IsRetryable(matched.status()) || attempt >= 20) return matched.status();
  }
}

// Waits (polling, jittered) until this holder has the lease.
absl::Status AwaitLease(Session& session, const std::string& holder) {
  const absl::Time give_up = absl::Now() + kLeaseWait;
  while (true) {
    absl::Status claimed = ClaimLease(session, holder);
    if (claimed.code() != absl::StatusCode::kAborted || absl::Now() >= give_up) return claimed;
    absl::SleepFor(absl::Milliseconds(100 + randombytes_uniform(200)));
  }
}

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

namespace {

// One pass: takes the lock row and the lease, applies what is missing, releases both.
absl::Status ApplyOnce(Pool& pool, const std::vector<Migration>& migrations,
                       const std::string& lease_holder) {
  ASSIGN_OR_RETURN(Lease holder, pool.Acquire());
  RETURN_IF_ERROR(EnsureTable(*holder, "schema_migrations", kCreateMigrationsTable));
  RETURN_IF_ERROR(EnsureTable(*holder, "schema_migration_lock", kCreateLockTable));
  RETURN_IF_ERROR(holder->ExecuteConstant(kSeedLockRow));
  RETURN_IF_ERROR(EnsureTable(*holder, "schema_migration_lease", kCreateLeaseTable));
  RETURN_IF_ERROR(holder->ExecuteConstant(kSeedLeaseRow));
  RETURN_IF_ERROR(holder->ExecuteConstant("START TRANSACTION"));
  // The row lock serialises replicas on one server (and replicas of older versions, which know no lease);
  // the lease, taken under it, serialises replicas on different nodes of a Galera cluster.
  absl::Status status = holder->Query(kTakeLock).status();
  if (status.ok()) {
    status = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(Lease worker, pool.Acquire());
      RETURN_IF_ERROR(AwaitLease(*worker, lease_holder));
      absl::Status applied_all = [&]() -> absl::Status {
        // Read under the lease: a claim that committed on this node saw the previous holder's release, and
        // Galera commits in one order everywhere, so every migration recorded before it is visible here.
        ASSIGN_OR_RETURN(Rows applied_rows, worker->Query(kApplied));
        std::set<std::pair<std::string, int64_t>> applied;
        for (const Row& row : applied_rows) applied.emplace(row.String(0), row.Int(1));
        for (const Migration& m : migrations) {
          if (applied.count({m.component, m.version}) > 0) continue;
          RETURN_IF_ERROR(ClaimLease(*worker, lease_holder));  // renewed: still ours, for another period
          for (const std::string& statement : SplitStatements(m.sql)) {
            absl::Status s = worker->ExecuteConstant(statement);
            if (!s.ok()) {
              return absl::Status(s.code(),
                                  absl::StrCat("migration ", m.component, "/", m.name, ": ", s.message()));
            }
          }
          RETURN_IF_ERROR(Record(*worker, m));
        }
        return absl::OkStatus();
      }();
      absl::Status released = worker->Execute(kReleaseLease, {lease_holder}).status();
      return applied_all.ok() ? released : applied_all;
    }();
  }
  // The holder only read: ending its transaction cannot lose anything, and on Galera a replicated write of
  // the lock row (another node's seed) may have aborted it already. Nor does it need Session::Begin's mark:
  // on Galera its lock holds nothing back anyway (the lease does), and what the worker writes commits on its
  // own.
  (void)holder->ExecuteConstant("ROLLBACK");
  return status;
}

}  // namespace

absl::Status ApplyMigrations(Pool& pool, const std::vector<Migration>& migrations) {
  // On connections of their own, held to kLeaseWait: a replica waits that long behind another's migrations,
  // and a statement may run that long, both far past the lock wait and the I/O timeout the service's calls
  // are held to (DbConfig), which would end the wait early or cut the connection under a running ALTER.
  DbConfig config = pool.config();
  config.pool_size = 2;  // the lock's holder and the worker
  config.lock_wait_timeout = kLeaseWait;
  config.io_timeout = kLeaseWait + absl::Minutes(1);
  ASSIGN_OR_RETURN(std::unique_ptr<Pool> own, Pool::Open(config));
  unsigned char random[12];
  randombytes_buf(random, sizeof random);
  std::string lease_holder;
  for (unsigned char c : random) absl::StrAppend(&lease_holder, absl::Hex(c, absl::kZeroPad2));
  // On Galera a replicated write can abort one of ours (reported as a deadlock): the seeds racing from
  // several nodes, or the lock row written under our FOR UPDATE. Every step is safe to run again (IF NOT
  // EXISTS, INSERT IGNORE, a lease this holder already has, versions already recorded skipped), so run it
  // again.
  absl::Status status;
  for (int attempt = 1; attempt <= 10; ++attempt) {
    status = ApplyOnce(*own, migrations, lease_holder);
    if (!IsRetryable(status)) return status;
    absl::SleepFor(absl::Milliseconds(20 + randombytes_uniform(100)));
  }
  return status;
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
      // One sequencer per schema (outbox.h): the lease to number events, kept in the counter row that every
      // numbering batch writes anyway, so claiming it and numbering are certified on the same row by Galera.
      // An expired lease (the default) is free: the first sequencer to look claims it.
      {"common", 8, "0008_outbox_sequencer_lease",
       R"sql(
ALTER TABLE outbox_sequence
  ADD COLUMN IF NOT EXISTS holder VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS lease_until DATETIME(6) NOT NULL DEFAULT '2000-01-01 00:00:00';
)sql"},
      // An idempotency key is compared byte for byte. Under the table's case-insensitive collation "r1" and
      // "R1" were one request (the second got the first's answer and did nothing), and two subjects differing
      // only in case shared their keys, so one caller could be answered with another's first answer. Binary
      // keys only split what was merged, so every existing row stays unique. The method and request id are
      // ASCII (request ids are validated printable ASCII), which also makes the key a third of its width;
      // the subject keeps utf8mb4, without trailing-space padding.
      {"common", 9, "0009_idempotency_binary_keys",
       R"sql(
ALTER TABLE idempotency_records
  MODIFY method VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY caller VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  MODIFY request_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
)sql"},
  };
}

}  // namespace shouhu::db
