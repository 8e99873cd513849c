// MariaDB access for every store: a bounded pool of connections, each caching its prepared statements; one
// transaction guard that rolls back unless committed and retries the whole unit on deadlock or lock-wait
// timeout (which is also how a Galera certification conflict surfaces). This is the one place that catches
// Connector/C++ exceptions and maps MariaDB error numbers to absl::Status.
#ifndef SHOUHU_COMMON_DB_H_
#define SHOUHU_COMMON_DB_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/config.h"

namespace sql {
class Connection;
class Driver;
class PreparedStatement;
}  // namespace sql

namespace shouhu {
// Reported to (Pool::ReportDroppedTo) through pointers only.
class Logger;
class Metrics;
}  // namespace shouhu

namespace shouhu::db {

struct Null {};
// A statement parameter. Strings are bound as bytes, so they carry binary values (hashes, ciphertext) too.
using Value = std::variant<Null, int64_t, std::string, double>;

inline Value Opt(const std::optional<std::string>& v) { return v ? Value(*v) : Value(Null{}); }
inline Value Opt(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(Null{}); }

// One result row, every cell as text (or NULL): MariaDB sends numbers and dates as text we parse at the
// store.
class Row {
 public:
  explicit Row(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}
  size_t size() const { return cells_.size(); }
  bool IsNull(size_t i) const { return !cells_.at(i).has_value(); }
  // "" for NULL.
  const std::string& String(size_t i) const;
  std::optional<std::string> OptString(size_t i) const { return cells_.at(i); }
  // The cell's text moved out ("" for NULL; the cell is left moved-from): for a reader that hands a long cell
  // (an id) on to its answer and reads it no more, one allocation and copy fewer than String().
  std::string Take(size_t i);
  // 0 for NULL or non-numbers; use on integer columns only.
  int64_t Int(size_t i) const;

 private:
  std::vector<std::optional<std::string>> cells_;
};
using Rows = std::vector<Row>;

// One connection, lent out for a unit of work. Statements are prepared once per connection and reused.
class Session {
 public:
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Rows matched (not merely changed) for UPDATE; rows inserted for INSERT.
  absl::StatusOr<uint64_t> Execute(absl::string_view sql, const std::vector<Value>& params = {});
  absl::StatusOr<Rows> Query(absl::string_view sql, const std::vector<Value>& params = {});
  // At most one row; nullopt when there is none.
  absl::StatusOr<std::optional<Row>> QueryOne(absl::string_view sql, const std::vector<Value>& params = {});
  // Constant SQL with no parameters and no user data (schema migrations, transaction control).
  absl::Status ExecuteConstant(absl::string_view sql);

  // A transaction on this session, for a unit of work that keeps its lease and retries on its own (the
  // access log's batch writer); Pool::Transaction is built on these. After a Begin that returned OK, end with
  // exactly one Commit or Rollback; one that failed has left no transaction open. On a Galera node (wsrep_on)
  // Begin turns autocommit off and marks the transaction in a temporary table of this session; Commit deletes
  // the mark first, and finding none (the cluster rolled the transaction back without its client being told,
  // and what followed ran in a new one) rolls back and returns ABORTED, retryable (db.cc, kMarkTransaction).
  // Commit and Rollback leave the session in autocommit, or broken (dropped by the pool) if it cannot be put
  // back.
  absl::Status Begin();
  // For a row this transaction wrote and then could not read back (or an UPDATE of it that found none). On a
  // Galera node the cluster rolled the transaction back without its client being told, and the read ran in
  // a new one (Commit would find the mark gone): ABORTED, retryable, naming `what`. Elsewhere it cannot
  // happen short of a bug: INTERNAL.
  absl::Status WriteVanished(absl::string_view what) const;
  // A failure before the COMMIT was sent rolls back, and is retryable when the connection was lost or left
  // in a state we do not know (nothing of it committed). A failed COMMIT is not: it may have landed.
  absl::Status Commit();
  void Rollback();

  // Inside Pool::Transaction: runs `hook` once the transaction has committed (COMMIT returned OK), on the
  // committing thread, after its connection went back to the pool. Not on rollback, and not for an attempt
  // that is retried (the retry registers its own). For effects outside the database that must follow the
  // commit, never precede it (waking the outbox reader). A hook registered outside Pool::Transaction is
  // dropped when the session returns to the pool.
  void AfterCommit(std::function<void()> hook) { after_commit_.push_back(std::move(hook)); }

 private:
  friend class Pool;
  explicit Session(std::unique_ptr<sql::Connection> connection);
  absl::StatusOr<sql::PreparedStatement*> Prepare(absl::string_view sql);
  absl::Status Fail(const std::exception& e, absl::string_view sql);
  void AutocommitAgain();

  std::unique_ptr<sql::Connection> connection_;
  // Prepared statements by text, the least recently used first out beyond kMaxCachedStatements. Batch
  // writers (group commits) make one text per batch size; unbounded, their variants on every pooled
  // connection would approach the server's max_prepared_stmt_count (16,382 by default, for all clients).
  static constexpr size_t kMaxCachedStatements = 128;
  struct CachedStatement {
    std::unique_ptr<sql::PreparedStatement> statement;
    std::list<std::string>::iterator recency;
  };
  std::unordered_map<std::string, CachedStatement> statements_;
  std::list<std::string> recency_;  // most recently used first
  std::vector<std::function<void()>> after_commit_;
  bool broken_ = false;
  // On a Galera node (wsrep_on): Begin marks each transaction in a temporary table of this session, to see
  // before COMMIT that the cluster has not rolled it back under it (db.cc, kMarkTransaction).
  bool galera_ = false;
  // Between Begin and its Commit or Rollback on a Galera node, autocommit is off; a session returned to the
  // pool in that state is dropped rather than lent out with a transaction open.
  bool autocommit_off_ = false;
  // When the server answered as it would a connection in a state we do not know (db.cc
  // LeavesConnectionSound), not a lost one: the error and the start of the statement, for the pool to report.
  int unknown_state_code_ = 0;
  std::string unknown_state_statement_;
  // The server's (or the client's) error number of the last statement that failed, for the pool to count a
  // transaction it runs again by why.
  int last_error_code_ = 0;
};

class Pool;

// A session borrowed from the pool; returned (or discarded, if the connection broke) when this goes away.
class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<Session> session) : pool_(pool), session_(std::move(session)) {}
  Lease(Lease&&) = default;
  ~Lease();
  Session& operator*() { return *session_; }
  Session* operator->() { return session_.get(); }

 private:
  Pool* pool_;
  std::unique_ptr<Session> session_;
};

class Pool {
 public:
  // Connects lazily: a pool opens while the database is still down and serves once it is up.
  static absl::StatusOr<std::unique_ptr<Pool>> Open(const DbConfig& config);
  ~Pool();

  // Runs `body` in a transaction, committing when it returns OK and rolling back otherwise. A retryable
  // failure (deadlock, lock-wait timeout, a connection lost, or one answering as if in a state we do not
  // know, before the COMMIT was sent) runs the whole body again, so `body` must not have effects outside the
  // database. A lost COMMIT is never retried here: it may have landed.
  absl::Status Transaction(const std::function<absl::Status(Session&)>& body, int max_attempts = 5);
  // Runs `body` with autocommit on: each statement is its own transaction. For single-statement reads.
  absl::Status Autocommit(const std::function<absl::Status(Session&)>& body);
  // From now on a connection dropped because its server answered as one in a state we do not know is said on
  // `log` (the error and the statement, never its values) and counted in shouhu_db_connections_dropped_total
  // by error code: its transaction ran again on another connection and succeeded unseen otherwise. And every
  // transaction Transaction runs again is counted in shouhu_db_transactions_retried_total by the error that
  // ended the attempt (1213 a deadlock, 1205 a lock wait timeout, 2013 a lost connection, 0 none): contention
  // an operator otherwise sees only as latency.
  void ReportDroppedTo(Logger& log, Metrics& metrics);
  // Waits for a free connection (UNAVAILABLE if none frees up or none can be opened in time). Callers are
  // served in the order they asked.
  absl::StatusOr<Lease> Acquire();
  // How many callers are waiting for a connection now.
  int waiting() const;
  // A one-row read of schema_migrations on a pooled connection: the health probe (UNAVAILABLE while the
  // server is unreachable, or is a Galera node not Synced in the primary component).
  absl::Status Ping();

  const DbConfig& config() const { return config_; }

 private:
  friend class Lease;
  explicit Pool(DbConfig config, sql::Driver* driver) : config_(std::move(config)), driver_(driver) {}
  absl::StatusOr<std::unique_ptr<Session>> Connect();
  void Return(std::unique_ptr<Session> session);
  void CountRetry(int error_code);

  const DbConfig config_;
  sql::Driver* const driver_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Session>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle plus lent out
  // Where ReportDroppedTo says dropped connections and counts them and the transactions run again.
  Logger* report_log_ ABSL_GUARDED_BY(mu_) = nullptr;
  Metrics* report_metrics_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Waiting callers' tickets, oldest first: a connection goes to the oldest. Without them a thread that
  // returns a connection and asks again at once takes it back ahead of callers already waiting, and under
  // load one of those waits past acquire_timeout (seen once in the 1,000,000-child scale load).
  std::deque<uint64_t> waiting_ ABSL_GUARDED_BY(mu_);
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
};

// One read in autocommit mode, returning what `read` returns: the shape of every store's Get.
template <typename T, typename Read>
absl::StatusOr<T> ReadOne(Pool& pool, Read&& read) {
  std::optional<T> result;
  absl::Status status = pool.Autocommit([&](Session& session) -> absl::Status {
    absl::StatusOr<T> value = read(session);
    if (!value.ok()) return value.status();
    result = *std::move(value);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return *std::move(result);
}

// CREATE DATABASE IF NOT EXISTS with utf8mb4, for the local stack and tests; production schemas are made by
// ops.
absl::Status CreateDatabaseIfMissing(const DbConfig& config);
absl::Status DropDatabase(const DbConfig& config);

}  // namespace shouhu::db

#endif  // SHOUHU_COMMON_DB_H_
