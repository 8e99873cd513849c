#include "common/db.h"

#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status_macros.h"

namespace shouhu::db {
namespace {

// Connections dropped for an answer we do not expect (Pool::ReportDroppedTo), by error code.
constexpr char kConnectionsDropped[] = "shouhu_db_connections_dropped_total";
// Transactions run again (Pool::Transaction), by the error number that ended the attempt.
constexpr char kTransactionsRetried[] = "shouhu_db_transactions_retried_total";

// MariaDB / MySQL client and server error numbers we treat specially.
constexpr int kDuplicateKey = 1062;
constexpr int kLockWaitTimeout = 1205;
constexpr int kDeadlock = 1213;
constexpr int kForeignKeyParent = 1452;
constexpr int kDataTooLong = 1406;
constexpr int kServerShutdown = 1053;
constexpr int kConnectionKilled = 1927;
constexpr int kClientConnectError[] = {2002, 2003, 2005, 2006, 2013, 2055};
// A Galera node outside the primary component, or still joining, answers every statement that touches a
// table with ER_UNKNOWN_COM_ERROR ("WSREP has not yet prepared node for application use"): the database is
// not available through this node until it is Synced again.
constexpr int kNodeNotReady = 1047;

bool IsConnectionLoss(int code) {
  if (code == kServerShutdown || code == kConnectionKilled) return true;
  for (int c : kClientConnectError) {
    if (code == c) return true;
  }
  return false;
}

// The server's words for a fault, for the operator who has to find its cause: "database error 6" alone did
// not say which file the server failed to delete. What the server quotes ('...') can be a value of ours, a
// name or an identity number in a duplicate key, and a value may hold a quote itself, so everything from the
// first quote that opens (after a space or a sign) to the last that closes (before one) is cut; an
// apostrophe inside a word ("doesn't") does neither. What is left is the message's own text, backquoted table
// and column names and the operating system's error. Bytes outside printable ASCII become '?' (the log is
// JSON).
std::string ServerWordsWithoutValues(absl::string_view words) {
  constexpr size_t kLongest = 200;
  const auto in_word = [&](size_t i) {
    const auto byte = static_cast<unsigned char>(words[i]);
    return std::isalnum(byte) || byte >= 0x80;
  };
  size_t opens = absl::string_view::npos;
  size_t closes = absl::string_view::npos;
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] != '\'') continue;
    if (opens == absl::string_view::npos && (i == 0 || !in_word(i - 1))) opens = i;
    if (opens != absl::string_view::npos && i > opens && (i + 1 == words.size() || !in_word(i + 1)))
      closes = i;
  }
  std::string kept(words);
  if (opens != absl::string_view::npos) {
    kept = closes == absl::string_view::npos
               ? absl::StrCat(words.substr(0, opens), "'...")
               : absl::StrCat(words.substr(0, opens), "'...'", words.substr(closes + 1));
  }
  if (kept.size() > kLongest) kept = absl::StrCat(kept.substr(0, kLongest), "...");
  for (char& c : kept) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e) c = '?';
  }
  return kept;
}

// Only the number and SQLSTATE of an error we meet on purpose (a duplicate key, a lock conflict, a missing
// parent, a value too long): their statuses can reach the caller. A fault's (INTERNAL, UNAVAILABLE) adds the
// server's words without their values: at the edge it becomes a plain message, so they go to the log only.
absl::Status StatusFromSqlError(const sql::SQLException& e) {
  const int code = e.getErrorCode();
  const std::string where = absl::StrCat("database error ", code, " (", e.getSQLState(), ")");
  if (code == kDuplicateKey) return absl::AlreadyExistsError(where);
  if (code == kDeadlock || code == kLockWaitTimeout) return MarkRetryable(absl::AbortedError(where));
  if (code == kForeignKeyParent) return absl::FailedPreconditionError(where);
  if (code == kDataTooLong) return absl::InvalidArgumentError(where);
  const std::string words = ServerWordsWithoutValues(e.what());
  const std::string fault = words.empty() ? where : absl::StrCat(where, ": ", words);
  if (IsConnectionLoss(code) || code == kNodeNotReady) return absl::UnavailableError(fault);
  return absl::InternalError(fault);
}

// Whether the connection that raised `e` is still one we know the state of. The errors our statements are
// written to meet (a lock conflict; a duplicate key, a missing parent or a value the table refuses: SQLSTATE
// classes 23 and 22) leave it as it was, as does a statement an operator stopped (KILL QUERY, or
// max_statement_time: class 70), which a transaction must then not run again. Any other answer to a statement
// the tests run is a sign that the connection is not in the state we think: under load on a Galera cluster
// one pooled connection once answered every statement afterwards with a syntax error (1064), failing every
// transaction it was lent to. A fresh connection costs about a millisecond.
bool LeavesConnectionSound(const sql::SQLException& e) {
  const int code = e.getErrorCode();
  if (code == kDeadlock || code == kLockWaitTimeout) return true;  // SQLSTATE 40001 and HY000
  const std::string state(e.getSQLState());
  return absl::StartsWith(state, "22") || absl::StartsWith(state, "23") || absl::StartsWith(state, "70");
}

// Applied to every new connection: UTC so DATETIME columns hold UTC, READ COMMITTED to keep gap locks (and
// the deadlocks they cause between concurrent inserts) out of the way, and strict mode so bad data is an
// error rather than a silent truncation.
constexpr absl::string_view kSessionSetup[] = {
    "SET time_zone = '+00:00'",
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "SET sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE,"
    "NO_ZERO_IN_DATE'",
};

// Galera aborts a local transaction that conflicts with a commit replicated from another node (a brute-force
// abort). Its client should hear ER_LOCK_DEADLOCK on its next statement, but with this connector's prepared
// statements the error was seen lost: a claim's INSERT succeeded and the SELECT of the row it had just
// written, next in the same transaction, found nothing (tests/cluster/galera/arrears_claim_test.cc, about one
// race in twenty): the transaction had been rolled back and the statements after it ran in a new one, which
// COMMIT would have committed on its own. So on a Galera node each transaction writes a row into a temporary
// table of its session first (not replicated, rolled back with the transaction) and deletes it right before
// COMMIT: no row to delete means the transaction is not the one that began, and it is rolled back and run
// again.
constexpr char kIsGalera[] = "SELECT @@wsrep_on";
constexpr absl::string_view kCreateTransactionMark =
    "CREATE TEMPORARY TABLE shouhu_transaction_mark (n TINYINT PRIMARY KEY) ENGINE=InnoDB";
constexpr absl::string_view kMarkTransaction = "INSERT INTO shouhu_transaction_mark VALUES (1)";
constexpr char kUnmarkTransaction[] = "DELETE FROM shouhu_transaction_mark";
constexpr absl::string_view kAutocommitOff = "SET autocommit = 0";
constexpr absl::string_view kAutocommitOn = "SET autocommit = 1";

bool IsSafeIdentifier(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
}

sql::ConnectOptionsMap ConnectOptions(const DbConfig& config, bool with_schema) {
  sql::ConnectOptionsMap options;
  options["hostName"] = config.socket.empty()
                            ? sql::SQLString(absl::StrCat("tcp://", config.host, ":", config.port))
                            : sql::SQLString(absl::StrCat("unix://", config.socket));
  options["userName"] = sql::SQLString(config.user);
  options["password"] = sql::SQLString(config.password);
  if (with_schema) options["schema"] = sql::SQLString(config.database);
  options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  options["OPT_CONNECT_TIMEOUT"] = static_cast<int>(absl::ToInt64Seconds(config.connect_timeout));
  options["OPT_READ_TIMEOUT"] = static_cast<int>(absl::ToInt64Seconds(config.io_timeout));
  options["OPT_WRITE_TIMEOUT"] = static_cast<int>(absl::ToInt64Seconds(config.io_timeout));
  options["OPT_RECONNECT"] = false;
  options["CLIENT_FOUND_ROWS"] = true;
  return options;
}

absl::Status RunAdminStatement(const DbConfig& config, const std::string& statement) {
  try {
    sql::Driver* driver = sql::mysql::get_mysql_driver_instance();
    sql::ConnectOptionsMap options = ConnectOptions(config, /*with_schema=*/false);
    std::unique_ptr<sql::Connection> connection(driver->connect(options));
    std::unique_ptr<sql::Statement> stmt(connection->createStatement());
    stmt->execute(statement);
    return absl::OkStatus();
  } catch (const sql::SQLException& e) {
    return StatusFromSqlError(e);
  }
}

}  // namespace

const std::string& Row::String(size_t i) const {
  static const std::string* const kEmpty = new std::string();
  const auto& cell = cells_.at(i);
  return cell ? *cell : *kEmpty;
}

std::string Row::Take(size_t i) {
  auto& cell = cells_.at(i);
  return cell ? std::move(*cell) : std::string();
}

int64_t Row::Int(size_t i) const {
  int64_t value = 0;
  const auto& cell = cells_.at(i);
  if (cell && absl::SimpleAtoi(*cell, &value)) return value;
  return 0;
}

Session::Session(std::unique_ptr<sql::Connection> connection) : connection_(std::move(connection)) {}
Session::~Session() = default;

absl::Status Session::Fail(const std::exception& e, absl::string_view sql) {
  if (const auto* sql_error = dynamic_cast<const sql::SQLException*>(&e)) {
    last_error_code_ = sql_error->getErrorCode();
    if (!LeavesConnectionSound(*sql_error)) {
      broken_ = true;
      const int code = sql_error->getErrorCode();
      if (!IsConnectionLoss(code) && code != kNodeNotReady && unknown_state_code_ == 0) {
        unknown_state_code_ = code;
        unknown_state_statement_ = std::string(sql.substr(0, 200));
      }
    }
    return StatusFromSqlError(*sql_error);
  }
  broken_ = true;
  return absl::InternalError("database client failure");
}

absl::StatusOr<sql::PreparedStatement*> Session::Prepare(absl::string_view sql) {
  auto it = statements_.find(std::string(sql));
  if (it != statements_.end()) {
    recency_.splice(recency_.begin(), recency_, it->second.recency);
    return it->second.statement.get();
  }
  try {
    std::unique_ptr<sql::PreparedStatement> stmt(
        connection_->prepareStatement(sql::SQLString(std::string(sql))));
    auto* raw = stmt.get();
    if (statements_.size() >= kMaxCachedStatements) {
      statements_.erase(recency_.back());  // closes it on the server
      recency_.pop_back();
    }
    recency_.push_front(std::string(sql));
    statements_.emplace(std::string(sql), CachedStatement{std::move(stmt), recency_.begin()});
    return raw;
  } catch (const std::exception& e) {
    return Fail(e, sql);
  }
}

namespace {
void Bind(sql::PreparedStatement& stmt, const std::vector<Value>& params) {
  stmt.clearParameters();
  for (size_t i = 0; i < params.size(); ++i) {
    const unsigned index = static_cast<unsigned>(i + 1);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, Null>) {
            stmt.setNull(index, 0);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            stmt.setInt64(index, v);
          } else if constexpr (std::is_same_v<T, double>) {
            stmt.setDouble(index, v);
          } else {
            stmt.setString(index, sql::SQLString(v));
          }
        },
        params[i]);
  }
}
}  // namespace

absl::StatusOr<uint64_t> Session::Execute(absl::string_view sql, const std::vector<Value>& params) {
  ASSIGN_OR_RETURN(sql::PreparedStatement * stmt, Prepare(sql));
  try {
    Bind(*stmt, params);
    return static_cast<uint64_t>(stmt->executeUpdate());
  } catch (const std::exception& e) {
    return Fail(e, sql);
  }
}

absl::StatusOr<Rows> Session::Query(absl::string_view sql, const std::vector<Value>& params) {
  ASSIGN_OR_RETURN(sql::PreparedStatement * stmt, Prepare(sql));
  try {
    Bind(*stmt, params);
    std::unique_ptr<sql::ResultSet> result(stmt->executeQuery());
    const unsigned columns = result->getMetaData()->getColumnCount();
    Rows rows;
    while (result->next()) {
      std::vector<std::optional<std::string>> cells(columns);
      for (unsigned c = 1; c <= columns; ++c) {
        if (!result->isNull(c)) {
          // getString may copy through an empty value when the column is NULL-able but set; isNull covers it.
          cells[c - 1] = std::string(result->getString(c));
        }
      }
      rows.emplace_back(std::move(cells));
    }
    return rows;
  } catch (const std::exception& e) {
    return Fail(e, sql);
  }
}

absl::StatusOr<std::optional<Row>> Session::QueryOne(absl::string_view sql,
                                                     const std::vector<Value>& params) {
  ASSIGN_OR_RETURN(Rows rows, Query(sql, params));
  if (rows.empty()) return std::optional<Row>();
  if (rows.size() > 1) return absl::InternalError("query expected at most one row");
  return std::optional<Row>(std::move(rows.front()));
}

absl::Status Session::ExecuteConstant(absl::string_view sql) {
  try {
    std::unique_ptr<sql::Statement> stmt(connection_->createStatement());
    stmt->execute(sql::SQLString(std::string(sql)));
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return Fail(e, sql);
  }
}

absl::Status Session::Begin() {
  // On Galera, with autocommit off rather than START TRANSACTION: after a rollback the client was not told
  // of, the next statements then open a new transaction, which the mark finds and rolls back, instead of
  // each committing on its own (GaleraArrearsTest saw an arrears application committed by a claim that had
  // answered "nothing owed": one the checker could have approved and paid a second time).
  if (!galera_) return ExecuteConstant("START TRANSACTION");
  RETURN_IF_ERROR(ExecuteConstant(kAutocommitOff));
  autocommit_off_ = true;
  absl::Status marked = ExecuteConstant(kMarkTransaction);
  // Nothing written: back in autocommit, so that a failed Begin needs no Rollback (a lost connection is
  // dropped).
  if (!marked.ok() && !broken_) Rollback();
  return marked;
}

absl::Status Session::WriteVanished(absl::string_view what) const {
  if (galera_) {
    return MarkRetryable(absl::AbortedError(
        absl::StrCat(what, " not readable after its write: the transaction was rolled back by the cluster")));
  }
  return absl::InternalError(absl::StrCat(what, " not readable after its write in the same transaction"));
}

absl::Status Session::Commit() {
  absl::Status status;
  if (galera_) {
    absl::StatusOr<uint64_t> unmarked = Execute(kUnmarkTransaction);
    if (unmarked.ok() && *unmarked != 1) {
      unmarked = MarkRetryable(absl::AbortedError(
          "the transaction was rolled back by the cluster (a conflicting commit on another node)"));
    }
    status = unmarked.status();
  }
  if (!status.ok()) {
    Rollback();
    // The connection was lost, or answered as one in a state we do not know (Session::Fail), before the
    // COMMIT was sent: nothing of this transaction committed, so it may run again on another connection.
    return broken_ ? MarkRetryable(status) : status;
  }
  status = ExecuteConstant("COMMIT");
  AutocommitAgain();
  return status;
}

void Session::Rollback() {
  // If it fails the connection is discarded, and MariaDB rolls back what a closed connection left open.
  (void)ExecuteConstant("ROLLBACK");
  AutocommitAgain();
}

void Session::AutocommitAgain() {
  if (!autocommit_off_) return;
  if (ExecuteConstant(kAutocommitOn).ok()) {
    autocommit_off_ = false;
  } else {
    broken_ = true;
  }
}

Lease::~Lease() {
  if (pool_ != nullptr && session_ != nullptr) pool_->Return(std::move(session_));
}

absl::StatusOr<std::unique_ptr<Pool>> Pool::Open(const DbConfig& config) {
  if (config.pool_size < 1) return absl::InvalidArgumentError("database pool size must be at least 1");
  if (!IsSafeIdentifier(config.database)) {
    return absl::InvalidArgumentError("database name must be lower-case letters, digits and underscores");
  }
  if (config.lock_wait_timeout < absl::Seconds(1) || config.lock_wait_timeout >= config.io_timeout) {
    return absl::InvalidArgumentError(
        "the database's lock wait timeout must be at least a second and less than its I/O timeout");
  }
  // The driver instance is created on first use and that first call is not thread-safe: do it here, once.
  sql::Driver* driver = sql::mysql::get_mysql_driver_instance();
  return std::unique_ptr<Pool>(new Pool(config, driver));
}

Pool::~Pool() = default;

absl::StatusOr<std::unique_ptr<Session>> Pool::Connect() {
  try {
    sql::ConnectOptionsMap options = ConnectOptions(config_, /*with_schema=*/true);
    std::unique_ptr<sql::Connection> connection(driver_->connect(options));
    auto session = std::unique_ptr<Session>(new Session(std::move(connection)));
    for (absl::string_view setup : kSessionSetup) RETURN_IF_ERROR(session->ExecuteConstant(setup));
    RETURN_IF_ERROR(session->ExecuteConstant(absl::StrCat("SET SESSION innodb_lock_wait_timeout = ",
                                                          absl::ToInt64Seconds(config_.lock_wait_timeout))));
    // A server without the variable (MySQL, TiDB) is no Galera node.
    if (absl::StatusOr<std::optional<Row>> wsrep = session->QueryOne(kIsGalera);
        wsrep.ok() && *wsrep && !(*wsrep)->IsNull(0) && (*wsrep)->Int(0) == 1) {
      RETURN_IF_ERROR(session->ExecuteConstant(kCreateTransactionMark));
      session->galera_ = true;
    }
    return session;
  } catch (const sql::SQLException& e) {
    absl::Status status = StatusFromSqlError(e);
    // Cannot connect at all: the caller may try again later, the database may be starting.
    return MarkRetryable(absl::UnavailableError(status.message()));
  }
}

absl::StatusOr<Lease> Pool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    const uint64_t ticket = next_ticket_++;
    waiting_.push_back(ticket);
    auto my_turn = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return waiting_.front() == ticket && (!idle_.empty() || open_ < config_.pool_size);
    };
    const bool served = mu_.AwaitWithTimeout(absl::Condition(&my_turn), config_.acquire_timeout);
    // Tickets are taken in increasing order, so the queue stays sorted.
    waiting_.erase(std::lower_bound(waiting_.begin(), waiting_.end(), ticket));
    if (!served) return absl::UnavailableError("no database connection became free in time");
    if (!idle_.empty()) {
      auto session = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(session));
    }
    ++open_;  // reserve the slot while connecting outside the lock
  }
  auto session = Connect();
  if (!session.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return session.status();
  }
  return Lease(this, *std::move(session));
}

int Pool::waiting() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(waiting_.size());
}

void Pool::ReportDroppedTo(Logger& log, Metrics& metrics) {
  absl::MutexLock lock(&mu_);
  report_log_ = &log;
  report_metrics_ = &metrics;
}

void Pool::Return(std::unique_ptr<Session> session) {
  session->after_commit_.clear();
  Logger* log = nullptr;
  Metrics* metrics = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (!session->broken_ && !session->autocommit_off_) {
      idle_.push_back(std::move(session));
      return;
    }
    --open_;
    log = report_log_;
    metrics = report_metrics_;
  }
  const int code = session->unknown_state_code_;
  if (code == 0) return;  // lost: the database or the network, said where it is noticed
  if (metrics != nullptr) metrics->Add(kConnectionsDropped, absl::StrCat("code=\"", code, "\""));
  if (log != nullptr) {
    log->Warn("a database connection answered as one in a state we do not know and was dropped",
              {{"error_code", code}, {"statement", session->unknown_state_statement_}});
  }
}

void Pool::CountRetry(int error_code) {
  Metrics* metrics = nullptr;
  {
    absl::MutexLock lock(&mu_);
    metrics = report_metrics_;
  }
  if (metrics != nullptr) metrics->Add(kTransactionsRetried, absl::StrCat("code=\"", error_code, "\""));
}

absl::Status Pool::Transaction(const std::function<absl::Status(Session&)>& body, int max_attempts) {
  absl::Status status;
  absl::Duration backoff = absl::Milliseconds(2);
  std::optional<std::vector<std::function<void()>>> committed_hooks;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    auto lease = Acquire();
    if (!lease.ok()) return lease.status();
    Session& session = **lease;
    session.after_commit_.clear();  // an attempt's hooks are its own
    session.last_error_code_ = 0;
    status = session.Begin();
    if (status.ok()) {
      status = body(session);
      if (status.ok()) {
        // A commit whose connection died may or may not have landed: not ours to retry blindly (Commit does
        // not mark it retryable). The client retries with the same request id, and idempotency answers it.
        // Nor are its hooks run: they follow a commit known to have happened (the outbox reader's poll finds
        // what a lost answer hid).
        status = session.Commit();
        if (status.ok()) {
          committed_hooks = std::move(session.after_commit_);
          session.after_commit_.clear();
          break;
        }
      } else {
        session.Rollback();
        // The connection was lost, or answered as one in a state we do not know (Session::Fail): nothing of
        // this attempt committed, so it runs again on another connection.
        if (session.broken_) status = MarkRetryable(status);
      }
    } else if (status.code() == absl::StatusCode::kUnavailable) {
      status = MarkRetryable(status);  // nothing ran yet: safe to try on a fresh connection
    }
    if (!IsRetryable(status)) return status;
    if (attempt < max_attempts) CountRetry(session.last_error_code_);
    // Jittered, so transactions that deadlocked together do not retry in lockstep.
    absl::SleepFor(backoff / 2 + absl::Microseconds(randombytes_uniform(
                                     static_cast<uint32_t>(absl::ToInt64Microseconds(backoff)) + 1)));
    backoff = std::min(backoff * 2, absl::Milliseconds(100));
  }
  // After the connection went back to the pool, so a hook may use one.
  if (committed_hooks) {
    for (const auto& hook : *committed_hooks) hook();
  }
  return status;
}

absl::Status Pool::Autocommit(const std::function<absl::Status(Session&)>& body) {
  auto lease = Acquire();
  if (!lease.ok()) return lease.status();
  return body(**lease);
}

absl::Status Pool::Ping() {
  // A table, not a bare SELECT 1: a Galera node that left the primary component (or is still joining) still
  // answers statements that touch no table, and would look healthy while it refuses every real query.
  // schema_migrations exists in every schema a process serves (migrations run before it serves).
  return Autocommit(
      [](Session& session) { return session.Query("SELECT 1 FROM schema_migrations LIMIT 1").status(); });
}

absl::Status CreateDatabaseIfMissing(const DbConfig& config) {
  if (!IsSafeIdentifier(config.database)) return absl::InvalidArgumentError("unsafe database name");
  return RunAdminStatement(config, absl::StrCat("CREATE DATABASE IF NOT EXISTS `", config.database,
                                                "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"));
}

absl::Status DropDatabase(const DbConfig& config) {
  if (!IsSafeIdentifier(config.database)) return absl::InvalidArgumentError("unsafe database name");
  return RunAdminStatement(config, absl::StrCat("DROP DATABASE IF EXISTS `", config.database, "`"));
}

}  // namespace shouhu::db
