// Versioned, forward-only schema migrations. Each service embeds its migrations/NNNN_*.sql at build time
// (cmake/Migrations.cmake) together with common's own tables (idempotency, outbox). Several replicas may
// start at once: they serialise on a row of schema_migration_lock held with SELECT … FOR UPDATE on one
// connection while another applies the DDL (DDL commits implicitly, which would drop a lock taken on the same
// connection). No named locks: Galera does not replicate them.
#ifndef SHOUHU_COMMON_MIGRATIONS_H_
#define SHOUHU_COMMON_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace shouhu::db {

class Pool;

struct Migration {
  std::string component;  // "common", "registry", …
  int version = 0;
  std::string name;
  std::string sql;  // statements separated by a ';' that ends a line
};

// Tables every service gets: idempotency_records, outbox_events, outbox_sequence, event_checkpoints.
std::vector<Migration> CommonMigrations();

// Applies, in order, every migration not yet recorded in schema_migrations, on two connections of its own
// made from `pool`'s configuration (with longer waits: a replica may wait minutes for another's migrations).
absl::Status ApplyMigrations(Pool& pool, const std::vector<Migration>& migrations);

// Splits a migration file into statements; exposed for tests.
std::vector<std::string> SplitStatements(const std::string& sql);

}  // namespace shouhu::db

#endif  // SHOUHU_COMMON_MIGRATIONS_H_
