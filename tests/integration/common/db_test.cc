// The pool and transaction guard against a real MariaDB.
#include "common/db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace shouhu {
namespace {

using ::shouhu::testing::StatusIs;
using ::shouhu::testing::TestDatabase;

std::vector<db::Migration> Accounts() {
  return {{"test", 1, "0001_accounts",
           "CREATE TABLE accounts (id VARCHAR(8) PRIMARY KEY, name VARCHAR(64) NOT NULL, balance BIGINT NOT "
           "NULL, "
           "secret VARBINARY(64) NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
           "INSERT INTO accounts VALUES ('a', 'A', 100, NULL), ('b', 'B', 100, NULL);\n"}};
}

TEST(Pool, Transaction_RollsBackWhenTheBodyFails) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  absl::Status status = database->pool().Transaction([](db::Session& tx) -> absl::Status {
    RETURN_IF_ERROR(
        tx.Execute("UPDATE accounts SET balance = balance - 10 WHERE id = ?", {std::string("a")}).status());
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(database->pool().Autocommit([](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT balance FROM accounts WHERE id = ?", {std::string("a")}));
    EXPECT_EQ(row->Int(0), 100);
    return absl::OkStatus();
  }));
}

// A writer that keeps its own lease (the access log's batch) ends its transactions itself: Rollback leaves
// nothing, Commit keeps everything, and the session serves autocommitted statements after either.
TEST(Session, BeginThenRollbackOrCommit_EndsTheTransactionEitherWay) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  const auto balance_of_a = [&database]() -> int64_t {
    int64_t balance = -1;
    EXPECT_OK(database->pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT balance FROM accounts WHERE id = ?", {std::string("a")}));
      balance = row->Int(0);
      return absl::OkStatus();
    }));
    return balance;
  };
  ASSERT_OK_AND_ASSIGN(db::Lease lease, database->pool().Acquire());
  ASSERT_OK(lease->Begin());
  ASSERT_OK(lease->Execute("UPDATE accounts SET balance = 1 WHERE id = ?", {std::string("a")}).status());
  lease->Rollback();
  EXPECT_EQ(balance_of_a(), 100);
  ASSERT_OK(lease->Begin());
  ASSERT_OK(lease->Execute("UPDATE accounts SET balance = 2 WHERE id = ?", {std::string("a")}).status());
  ASSERT_OK(lease->Commit());
  EXPECT_EQ(balance_of_a(), 2);
  ASSERT_OK(lease->Execute("UPDATE accounts SET balance = 3 WHERE id = ?", {std::string("a")}).status());
  EXPECT_EQ(balance_of_a(), 3) << "after Commit the session is in autocommit";
}

// On one server a row a transaction wrote cannot vanish from it: a store that finds it gone has a bug, which
// no retry would mend (on a Galera node it is the cluster's untold rollback: GaleraTest).
TEST(Session, WriteVanished_OnOneServer_IsInternalAndNotRetried) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  ASSERT_OK_AND_ASSIGN(db::Lease lease, database->pool().Acquire());
  const absl::Status vanished = lease->WriteVanished("the account");
  EXPECT_THAT(vanished, StatusIs(absl::StatusCode::kInternal));
  EXPECT_FALSE(IsRetryable(vanished));
  EXPECT_THAT(std::string(vanished.message()), ::testing::HasSubstr("the account"));
}

TEST(Pool, AfterCommit_RunsOnceTheChangeIsVisible_NeverOnRollback) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  int64_t seen_by_hook = -1;
  int runs = 0;
  ASSERT_OK(database->pool().Transaction([&](db::Session& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.Execute("UPDATE accounts SET balance = 7 WHERE id = ?", {std::string("a")}).status());
    tx.AfterCommit([&] {
      ++runs;
      // Another connection already sees the change: the hook follows the commit.
      EXPECT_OK(database->pool().Autocommit([&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(auto row,
                         s.QueryOne("SELECT balance FROM accounts WHERE id = ?", {std::string("a")}));
        seen_by_hook = row->Int(0);
        return absl::OkStatus();
      }));
    });
    return absl::OkStatus();
  }));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(seen_by_hook, 7);

  bool ran_after_rollback = false;
  EXPECT_THAT(database->pool().Transaction([&](db::Session& tx) -> absl::Status {
    tx.AfterCommit([&] { ran_after_rollback = true; });
    return absl::FailedPreconditionError("changed my mind");
  }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(ran_after_rollback);
  // Nor does a dropped hook linger on the pooled connection for the next transaction.
  ASSERT_OK(database->pool().Transaction([](db::Session&) { return absl::OkStatus(); }));
  EXPECT_FALSE(ran_after_rollback);
}

TEST(Pool, AfterCommit_OfARetriedAttempt_DoesNotRun_OnlyTheCommittedAttemptsHookRuns) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  int attempt = 0;
  std::vector<int> hooks_run;
  ASSERT_OK(database->pool().Transaction([&](db::Session& tx) -> absl::Status {
    const int this_attempt = ++attempt;
    tx.AfterCommit([&hooks_run, this_attempt] { hooks_run.push_back(this_attempt); });
    if (this_attempt < 3) return MarkRetryable(absl::AbortedError("deadlock"));
    return absl::OkStatus();
  }));
  EXPECT_EQ(attempt, 3);
  EXPECT_EQ(hooks_run, std::vector<int>{3});
}

TEST(Pool, ChineseTextAndBinaryValues_RoundTrip) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  const std::string binary("\x00\xff\x10\x00z", 5);
  ASSERT_OK(database->pool().Transaction([&](db::Session& tx) {
    return tx
        .Execute("INSERT INTO accounts VALUES (?, ?, ?, ?)",
                 {std::string("c"), std::string("张小明😀"), int64_t{5}, binary})
        .status();
  }));
  ASSERT_OK(database->pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto row,
                     s.QueryOne("SELECT name, secret FROM accounts WHERE id = ?", {std::string("c")}));
    EXPECT_EQ(row->String(0), "张小明😀");
    EXPECT_EQ(row->String(1), binary);
    return absl::OkStatus();
  }));
}

TEST(Pool, DuplicateKey_IsAlreadyExists) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  absl::Status status = database->pool().Transaction([](db::Session& tx) {
    return tx.Execute("INSERT INTO accounts VALUES ('a', 'again', 1, NULL)").status();
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAlreadyExists));
}

// A fault's status carries the server's words for the operator's log ("database error 6" alone did not say
// which file the server failed to delete), without what the server quotes: a value of ours can be a child's
// name or identity number. An error met on purpose, which can reach a caller, carries the number only.
TEST(Pool, ServerFault_StatusHasTheServersWordsWithoutTheValuesItQuotes) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  const absl::Status missing = database->pool().Autocommit([](db::Session& s) {
    return s.Query("SELECT balance FROM no_such_accounts WHERE id = ?", {std::string("a")}).status();
  });
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(std::string(missing.message()), "database error 1146 (42S02): Table '...' doesn't exist");

  // The value holds a quote that closes and an apostrophe: all of it is cut, the message around it kept.
  const absl::Status refused = database->pool().Autocommit([](db::Session& s) {
    return s.Execute("UPDATE accounts SET balance = ? WHERE id = 'a'", {std::string("张小明' 110101's")})
        .status();
  });
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInternal));
  EXPECT_TRUE(
      absl::StartsWith(refused.message(), "database error 1366 (22007): Incorrect integer value: '...' "))
      << refused.message();
  EXPECT_TRUE(absl::StrContains(refused.message(), "`balance` at row 1")) << refused.message();
  for (absl::string_view value : {"110101", "?"}) {
    EXPECT_FALSE(absl::StrContains(refused.message(), value)) << refused.message();
  }

  const absl::Status duplicate = database->pool().Autocommit([](db::Session& s) {
    return s.Execute("INSERT INTO accounts VALUES (?, ?, 1, NULL)", {std::string("a"), std::string("张小明")})
        .status();
  });
  EXPECT_THAT(duplicate, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(std::string(duplicate.message()), "database error 1062 (23000)");
}

TEST(Pool, Deadlock_IsRetriedUntilBothTransfersLand) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  // Two transfers locking the accounts in opposite orders, repeatedly: InnoDB kills one of each deadlocked
  // pair, and the guard must run it again so that every transfer lands exactly once.
  constexpr int kTransfers = 40;
  auto transfer = [&](const std::string& from, const std::string& to) {
    for (int i = 0; i < kTransfers; ++i) {
      ASSERT_OK(database->pool().Transaction(
          [&](db::Session& tx) -> absl::Status {
            RETURN_IF_ERROR(
                tx.Execute("UPDATE accounts SET balance = balance - 1 WHERE id = ?", {from}).status());
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return tx.Execute("UPDATE accounts SET balance = balance + 1 WHERE id = ?", {to}).status();
          },
          /*max_attempts=*/50));
    }
  };
  std::thread one(transfer, "a", "b"), two(transfer, "b", "a");
  one.join();
  two.join();
  ASSERT_OK(database->pool().Autocommit([](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT balance FROM accounts ORDER BY id"));
    EXPECT_EQ(rows[0].Int(0), 100);
    EXPECT_EQ(rows[1].Int(0), 100);
    return absl::OkStatus();
  }));
}

// Batch writers make a statement text per batch size; a connection keeps a bounded number of them prepared,
// so the server's max_prepared_stmt_count (shared by every client) is never approached by one pool. An
// evicted text is prepared again when next used and still answers. Counted on the connection itself
// (statements it prepared less those it closed), so other tests' connections do not matter.
TEST(Pool, ManyDistinctStatementTexts_KeepABoundedNumberPreparedOnTheConnection) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  ASSERT_OK(database->pool().Autocommit([](db::Session& s) -> absl::Status {
    for (int i = 0; i < 600; ++i) {
      ASSIGN_OR_RETURN(auto row,
                       s.QueryOne(absl::StrCat("SELECT balance + ", i, " FROM accounts WHERE id = ?"),
                                  {std::string("a")}));
      EXPECT_EQ(row->Int(0), 100 + i);
    }
    // The first text was evicted long ago: prepared again, it answers.
    ASSIGN_OR_RETURN(auto row,
                     s.QueryOne("SELECT balance + 0 FROM accounts WHERE id = ?", {std::string("b")}));
    EXPECT_EQ(row->Int(0), 100);
    ASSIGN_OR_RETURN(db::Rows counters, s.Query("SHOW SESSION STATUS LIKE 'Com_stmt_%'"));
    int64_t prepared = -1, closed = -1;
    for (const db::Row& c : counters) {
      if (c.String(0) == "Com_stmt_prepare") prepared = c.Int(1);
      if (c.String(0) == "Com_stmt_close") closed = c.Int(1);
    }
    EXPECT_GE(prepared, 602);
    EXPECT_LE(prepared - closed, 128);  // what the connection holds open now, this SHOW included
    EXPECT_GE(prepared - closed, 100);  // and it does keep statements: a cache, not one prepare per use
    return absl::OkStatus();
  }));
}

// A connection goes to the caller that has waited longest. The holder of the only connection returns it and
// asks again at once, in round after round; each time the caller already waiting is served first. (Without
// the queue of waiters, the holder takes it back ahead of the waiter in most rounds.)
TEST(Pool, Acquire_AWaiterAndOneReturningAndAskingAgain_TheWaiterIsServedFirst) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  DbConfig config = database->config();
  config.pool_size = 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<db::Pool> one, db::Pool::Open(config));
  db::Pool& pool = *one;
  constexpr int kRounds = 20;
  int served_after_the_waiter = 0;
  std::optional<db::Lease> held;
  {
    ASSERT_OK_AND_ASSIGN(db::Lease first, pool.Acquire());
    held.emplace(std::move(first));
  }
  for (int round = 0; round < kRounds; ++round) {
    absl::Notification waiter_served;
    std::thread waiter([&] {
      absl::StatusOr<db::Lease> lease = pool.Acquire();
      EXPECT_OK(lease.status());
      waiter_served.Notify();
    });
    while (pool.waiting() == 0) absl::SleepFor(absl::Milliseconds(1));
    held.reset();
    absl::StatusOr<db::Lease> again = pool.Acquire();
    ASSERT_OK(again.status());
    if (waiter_served.HasBeenNotified()) ++served_after_the_waiter;
    held.emplace(*std::move(again));
    waiter.join();
  }
  EXPECT_EQ(served_after_the_waiter, kRounds);
  EXPECT_EQ(pool.waiting(), 0);
}

// A waiter that gives up leaves the queue: the one behind it is served, not held up by its ticket.
TEST(Pool, Acquire_TheOldestWaiterTimesOut_TheNextIsServed) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  DbConfig config = database->config();
  config.pool_size = 1;
  config.acquire_timeout = absl::Seconds(1);
  ASSERT_OK_AND_ASSIGN(auto pool, db::Pool::Open(config));
  std::optional<db::Lease> held;
  {
    ASSERT_OK_AND_ASSIGN(db::Lease lease, pool->Acquire());
    held.emplace(std::move(lease));
  }
  absl::Status first = absl::UnknownError("not yet");
  std::thread oldest([&] { first = pool->Acquire().status(); });
  while (pool->waiting() == 0) absl::SleepFor(absl::Milliseconds(1));
  absl::Status second = absl::UnknownError("not yet");
  std::thread next([&] {
    absl::SleepFor(absl::Milliseconds(500));  // asks after the oldest, and gives up half a second after it
    second = pool->Acquire().status();
  });
  oldest.join();
  EXPECT_THAT(first, StatusIs(absl::StatusCode::kUnavailable));
  held.reset();
  next.join();
  EXPECT_OK(second);
}

int64_t ConnectionId(db::Pool& pool) {
  int64_t id = 0;
  EXPECT_OK(pool.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT CONNECTION_ID()"));
    id = row->Int(0);
    return absl::OkStatus();
  }));
  return id;
}

// A connection that answered a statement in a way none of ours is written to meet (a syntax error, here) is
// not lent again; one that refused a value (the data's fault, SQLSTATE class 22 or 23) is.
TEST(Pool, UnexpectedServerError_TheConnectionIsReplaced_ADataErrorKeepsIt) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  DbConfig config = database->config();
  config.pool_size = 1;
  ASSERT_OK_AND_ASSIGN(auto pool, db::Pool::Open(config));
  const int64_t first = ConnectionId(*pool);
  for (const auto& [refused, code] : std::vector<std::pair<std::string, absl::StatusCode>>{
           {"INSERT INTO accounts VALUES (?, 'A again', 1, NULL)", absl::StatusCode::kAlreadyExists},
           {"UPDATE accounts SET balance = 1 / 0 WHERE id = ?", absl::StatusCode::kInternal},
           {"UPDATE accounts SET balance = 'lots' WHERE id = ?", absl::StatusCode::kInternal}}) {
    EXPECT_THAT(pool->Autocommit([&, refused = refused](db::Session& s) {
      return s.Execute(refused, {std::string("a")}).status();
    }),
                StatusIs(code))
        << refused;
    EXPECT_EQ(ConnectionId(*pool), first) << "kept after: " << refused;
  }
  EXPECT_THAT(
      pool->Autocommit([](db::Session& s) { return s.Query("SELEC balance FROM accounts").status(); }),
      StatusIs(absl::StatusCode::kInternal));
  EXPECT_NE(ConnectionId(*pool), first);
}

// A connection dropped for such an answer is said in the log (the error and the statement, not its values)
// and counted by error code: a transaction run again on another connection would otherwise pass unseen.
TEST(Pool, ConnectionDroppedForAnUnexpectedAnswer_LoggedAndCounted) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  char* text = nullptr;
  size_t size = 0;
  std::FILE* sink = open_memstream(&text, &size);
  ASSERT_NE(sink, nullptr);
  Metrics metrics("db-test");
  {
    Logger log("db-test", sink);
    ASSERT_OK_AND_ASSIGN(auto pool, db::Pool::Open(database->config()));
    pool->ReportDroppedTo(log, metrics);
    EXPECT_THAT(pool->Autocommit([](db::Session& s) {
      return s.Execute("INSERT INTO accounts VALUES (?, 'A again', 1, NULL)", {std::string("a")}).status();
    }),
                StatusIs(absl::StatusCode::kAlreadyExists));
    int attempt = 0;
    ASSERT_OK(pool->Transaction([&](db::Session& tx) -> absl::Status {
      if (++attempt == 1)
        return tx.Query("SELEC balance FROM accounts WHERE id = ?", {std::string("b")}).status();
      return absl::OkStatus();
    }));
    std::fflush(sink);
  }
  std::fclose(sink);
  const std::string logged(text, size);
  std::free(text);
  const size_t line = logged.find("was dropped");
  EXPECT_NE(line, std::string::npos) << logged;
  EXPECT_NE(logged.find("SELEC balance FROM accounts WHERE id = ?"), std::string::npos) << logged;
  EXPECT_NE(logged.find("1064"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("was dropped", line + 1), std::string::npos)
      << "the duplicate key kept its connection";
  EXPECT_NE(metrics.Render().find("shouhu_db_connections_dropped_total{service=\"db-test\",code=\"1064\"} 1"),
            std::string::npos)
      << metrics.Render();
  EXPECT_NE(
      metrics.Render().find("shouhu_db_transactions_retried_total{service=\"db-test\",code=\"1064\"} 1"),
      std::string::npos)
      << metrics.Render();
}

// A transaction whose connection answered so runs again on another: nothing of the attempt committed.
TEST(Pool, Transaction_ConnectionAnsweredUnexpectedly_RunsAgainOnAnother) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  std::vector<int64_t> connections;
  ASSERT_OK(database->pool().Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto id, tx.QueryOne("SELECT CONNECTION_ID()"));
    connections.push_back(id->Int(0));
    RETURN_IF_ERROR(
        tx.Execute("UPDATE accounts SET balance = balance - 10 WHERE id = ?", {std::string("a")}).status());
    if (connections.size() == 1) return tx.Query("SELEC 1").status();
    return absl::OkStatus();
  }));
  ASSERT_EQ(connections.size(), 2u);
  EXPECT_NE(connections[0], connections[1]);
  ASSERT_OK(database->pool().Autocommit([](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT balance FROM accounts WHERE id = ?", {std::string("a")}));
    EXPECT_EQ(row->Int(0), 90) << "the failed attempt's change rolled back, the second's committed";
    return absl::OkStatus();
  }));
}

// A transaction on `database`'s pool holding account a's row lock until it is rolled back.
absl::StatusOr<db::Lease> HoldAccountA(TestDatabase& database) {
  ASSIGN_OR_RETURN(db::Lease holder, database.pool().Acquire());
  RETURN_IF_ERROR(holder->ExecuteConstant("START TRANSACTION"));
  RETURN_IF_ERROR(
      holder->Execute("UPDATE accounts SET balance = balance WHERE id = ?", {std::string("a")}).status());
  return holder;
}

// A statement an operator stops (KILL QUERY, here during a lock wait) fails its transaction once: it is not
// run again on another connection, and the connection is kept.
TEST(Pool, Transaction_StatementStoppedByAnOperator_NotRunAgain) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  ASSERT_OK_AND_ASSIGN(db::Lease holder, HoldAccountA(*database));
  DbConfig config = database->config();
  config.pool_size = 1;
  ASSERT_OK_AND_ASSIGN(auto pool, db::Pool::Open(config));
  const int64_t connection = ConnectionId(*pool);
  std::atomic<int> attempts{0};
  absl::Status status;
  std::thread stopped([&] {
    status = pool->Transaction([&](db::Session& tx) {
      ++attempts;
      return tx.Execute("UPDATE accounts SET balance = balance + 1 WHERE id = ?", {std::string("a")})
          .status();
    });
  });
  // The body's one statement still running: waiting for the holder's lock (alone it takes a millisecond).
  const std::string waiting =
      absl::StrCat("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ", connection,
                   " AND INFO LIKE 'UPDATE accounts%'");
  const auto lock_waits = [&]() {
    int64_t seen = -1;
    EXPECT_OK(database->pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(auto row, s.QueryOne(waiting));
      seen = row->Int(0);
      return absl::OkStatus();
    }));
    return seen;
  };
  bool waited = false;
  for (int i = 0; i < 500 && !waited; ++i) {
    waited = lock_waits() == 1;
    if (!waited) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(waited) << "the transaction never waited for the lock";
  EXPECT_OK(database->pool().Autocommit(
      [&](db::Session& s) { return s.ExecuteConstant(absl::StrCat("KILL QUERY ", connection)); }));
  // The lock is let go once the stopped statement has left its wait (a run again would wait anew, then
  // find the row free and commit).
  for (int i = 0; i < 100 && lock_waits() != 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_OK(holder->ExecuteConstant("ROLLBACK"));
  stopped.join();
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(attempts.load(), 1);
  EXPECT_EQ(ConnectionId(*pool), connection);
}

// A pool of one connection on `database` that waits a second for a row lock (and four for an answer).
absl::StatusOr<std::unique_ptr<db::Pool>> OneConnectionWaitingASecond(TestDatabase& database) {
  DbConfig config = database.config();
  config.pool_size = 1;
  config.io_timeout = absl::Seconds(4);
  config.lock_wait_timeout = absl::Seconds(1);
  return db::Pool::Open(config);
}

// A statement kept waiting for a row lock gives up at the pool's lock wait timeout, which is below its I/O
// timeout: ABORTED and retryable (a transaction runs again), its connection kept; not a connection the client
// cut at the I/O timeout (UNAVAILABLE, a COMMIT's outcome then unknown), as the server's default of 50 s did.
TEST(Pool, LockWaitedPastItsTimeout_IsRetryableAbortedOnTheSameConnection) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  ASSERT_OK_AND_ASSIGN(db::Lease holder, HoldAccountA(*database));
  ASSERT_OK_AND_ASSIGN(auto pool, OneConnectionWaitingASecond(*database));
  const int64_t connection = ConnectionId(*pool);
  {
    ASSERT_OK_AND_ASSIGN(db::Lease waiter, pool->Acquire());
    const absl::Status waited =
        waiter->Execute("UPDATE accounts SET balance = balance + 1 WHERE id = ?", {std::string("a")})
            .status();
    EXPECT_THAT(waited, StatusIs(absl::StatusCode::kAborted));
    EXPECT_TRUE(IsRetryable(waited)) << waited;
  }
  ASSERT_OK(holder->ExecuteConstant("ROLLBACK"));
  EXPECT_EQ(ConnectionId(*pool), connection);
}

// A transaction kept waiting past the lock wait timeout runs again and lands once the lock is let go; the
// run again is counted by its error (1205: once, or more on a slow machine), so that contention shows on the
// metrics and not only as latency.
TEST(Pool, Transaction_LockWaitTimedOut_RunsAgainLandsAndIsCounted) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Accounts()));
  ASSERT_OK_AND_ASSIGN(db::Lease holder, HoldAccountA(*database));
  ASSERT_OK_AND_ASSIGN(auto pool, OneConnectionWaitingASecond(*database));
  Metrics metrics("db-test");
  Logger log("db-test", stderr);
  pool->ReportDroppedTo(log, metrics);
  std::thread let_go([&] {
    absl::SleepFor(absl::Milliseconds(1500));
    EXPECT_OK(holder->ExecuteConstant("ROLLBACK"));
  });
  const absl::Status landed = pool->Transaction([](db::Session& tx) {
    return tx.Execute("UPDATE accounts SET balance = balance + 1 WHERE id = ?", {std::string("a")}).status();
  });
  let_go.join();
  EXPECT_OK(landed);
  EXPECT_EQ(database->Count("accounts WHERE id = 'a' AND balance = 101"), 1);
  EXPECT_NE(metrics.Render().find("shouhu_db_transactions_retried_total{service=\"db-test\",code=\"1205\"} "),
            std::string::npos)
      << metrics.Render();
}

TEST(Pool, Open_LockWaitTimeoutNotBelowTheIoTimeout_IsRefused) {
  DbConfig config = testing::TestDbConfig();
  config.database = "nothing";
  config.lock_wait_timeout = config.io_timeout;
  EXPECT_THAT(db::Pool::Open(config), StatusIs(absl::StatusCode::kInvalidArgument));
  config.lock_wait_timeout = absl::Milliseconds(500);
  EXPECT_THAT(db::Pool::Open(config), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Pool, UnreachableServer_IsUnavailable) {
  DbConfig config = testing::TestDbConfig();
  config.socket = "/nonexistent/mysqld.sock";
  config.database = "nothing";
  config.connect_timeout = absl::Seconds(1);
  ASSERT_OK_AND_ASSIGN(auto pool, db::Pool::Open(config));
  EXPECT_THAT(pool->Ping(), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace shouhu
