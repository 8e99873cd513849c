// The audit writer against a real MariaDB: rows that cannot be written are counted and logged as errors,
// never lost silently, and a batch that fails for good does not stop the rows after it.
#include "services/gateway/audit_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "services/gateway/gateway_store.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace shouhu {
std::vector<db::Migration> GatewayMigrations();
}

namespace shouhu::gateway {
namespace {

using testing::TestDatabase;

double Dropped(const Metrics& metrics) {
  for (absl::string_view line : absl::StrSplit(metrics.Render(), '\n')) {
    if (!absl::StartsWith(line, "shouhu_gateway_audit_dropped_total{")) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) return value;
  }
  return 0;
}

AuditRecord Row(const std::string& audit_id, const std::string& face = "grpc") {
  AuditRecord row;
  row.audit_id = audit_id;
  row.occurred_at = absl::Now();
  row.request_id = "req-" + audit_id;
  row.subject = "officer-1";
  row.organisation_id = "org-1";
  row.method = "/shouhu.echo.v1.EchoService/WhoAmI";
  row.face = face;
  row.grpc_code = 0;
  row.latency_us = 10;
  return row;
}

class AuditWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = std::tmpfile();
    ASSERT_NE(log_, nullptr);
    logger_ = std::make_unique<Logger>("audit-test", log_);
  }
  void TearDown() override { std::fclose(log_); }

  std::string LogText() {
    std::fflush(log_);
    std::rewind(log_);
    std::string text;
    char buffer[1024];
    while (std::fgets(buffer, sizeof buffer, log_) != nullptr) text += buffer;
    return text;
  }

  // A store whose database never answers (nothing listens on its port): rows stay queued.
  absl::StatusOr<GatewayStore*> UnreachableStore() {
    DbConfig config;
    config.host = "127.0.0.1";
    config.port = testing::ClosedPort();
    config.database = "nowhere";
    ASSIGN_OR_RETURN(unreachable_pool_, db::Pool::Open(config));
    unreachable_store_ = std::make_unique<GatewayStore>(*unreachable_pool_);
    return unreachable_store_.get();
  }

  std::FILE* log_ = nullptr;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<db::Pool> unreachable_pool_;
  std::unique_ptr<GatewayStore> unreachable_store_;
  Metrics metrics_{"gateway"};
};

// The same batch written twice (as after a lost answer) leaves each row once and is not an error.
TEST_F(AuditWriterTest, InsertAudit_SameRowsAgain_IsOkAndWritesEachOnce) {
  auto db = TestDatabase::Create(GatewayMigrations());
  ASSERT_OK(db);
  GatewayStore store((*db)->pool());
  const std::vector<AuditRecord> batch = {Row("01JAAAAAAAAAAAAAAAAAAAAAA1"),
                                          Row("01JAAAAAAAAAAAAAAAAAAAAAA2")};
  ASSERT_OK(store.InsertAudit(batch));
  EXPECT_OK(store.InsertAudit(batch));
  EXPECT_EQ((*db)->Count("audit_log"), 2);
}

// A batch the database refuses for good (here a value too long for its column) is dropped after its attempts,
// counted and logged as an error; the rows recorded after it are written.
TEST_F(AuditWriterTest, UnwritableBatch_IsDroppedAfterItsAttemptsCountedAndLogged_AndLaterRowsAreWritten) {
  auto db = TestDatabase::Create(GatewayMigrations());
  ASSERT_OK(db);
  GatewayStore store((*db)->pool());
  AuditWriterOptions options;
  options.first_backoff = absl::Milliseconds(10);
  options.max_attempts = 3;
  AuditWriter writer(store, *logger_, metrics_, options);
  writer.Record(Row("01JBBBBBBBBBBBBBBBBBBBBBB1", std::string(50, 'x')));
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (Dropped(metrics_) == 0 && absl::Now() < give_up) writer.Flush();
  EXPECT_EQ(Dropped(metrics_), 1);
  writer.Record(Row("01JBBBBBBBBBBBBBBBBBBBBBB2"));
  writer.Flush();
  EXPECT_EQ((*db)->Count("audit_log"), 1);
  const std::string log = LogText();
  EXPECT_TRUE(absl::StrContains(log, R"("level":"error")")) << log;
  EXPECT_TRUE(absl::StrContains(log, "dropped")) << log;
}

// The database is away when the gateway stops: what is queued is tried for the stop bound, then counted as
// dropped and logged as an error, and Stop returns.
TEST_F(AuditWriterTest, DatabaseAwayAtStop_QueuedRowsAreCountedAsDroppedWithinTheBound) {
  ASSERT_OK_AND_ASSIGN(GatewayStore * unreachable, UnreachableStore());
  GatewayStore& store = *unreachable;
  AuditWriterOptions options;
  options.first_backoff = absl::Milliseconds(10);
  options.stop_bound = absl::Milliseconds(300);
  AuditWriter writer(store, *logger_, metrics_, options);
  for (int i = 0; i < 3; ++i) writer.Record(Row("01JCCCCCCCCCCCCCCCCCCCCCC" + std::to_string(i)));
  writer.Flush();                   // the first attempt has failed
  EXPECT_EQ(Dropped(metrics_), 0);  // an unreachable database is waited for, not given up on
  const absl::Time start = absl::Now();
  writer.Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));  // bounded (generously: the bound is 300 ms)
  EXPECT_EQ(Dropped(metrics_), 3);
  writer.Record(Row("01JCCCCCCCCCCCCCCCCCCCCCC9"));  // too late: counted too
  EXPECT_EQ(Dropped(metrics_), 4);
  const std::string log = LogText();
  EXPECT_TRUE(absl::StrContains(log, "before the gateway stopped")) << log;
}

// Beyond the queue's bound the oldest rows make room, each one counted, with an error in the log.
TEST_F(AuditWriterTest, QueueFull_DropsTheOldestRowsCountedAndLogged) {
  ASSERT_OK_AND_ASSIGN(GatewayStore * unreachable, UnreachableStore());
  GatewayStore& store = *unreachable;
  AuditWriterOptions options;
  options.flush_interval = absl::Hours(1);  // nothing leaves the queue during the test
  options.max_queued = 2;
  options.stop_bound = absl::ZeroDuration();
  AuditWriter writer(store, *logger_, metrics_, options);
  for (int i = 0; i < 5; ++i) writer.Record(Row("01JDDDDDDDDDDDDDDDDDDDDDD" + std::to_string(i)));
  EXPECT_EQ(Dropped(metrics_), 3);
  EXPECT_TRUE(absl::StrContains(LogText(), "audit queue full")) << LogText();
  writer.Stop();
  EXPECT_EQ(Dropped(metrics_), 5);
}

// Someone without credentials calling as fast as the gateway answers while the database is away: without the
// per-source budget their rows fill the queue and push out the identified callers' rows (here 970 dropped,
// the officers' among them). With it, the source's rows beyond the budget are one counting row, and nothing
// is dropped.
TEST_F(AuditWriterTest, QueueBound_CallsWithoutCredentialsFromOneAddress_PushOutNoIdentifiedCallersRows) {
  ASSERT_OK_AND_ASSIGN(GatewayStore * unreachable, UnreachableStore());
  GatewayStore& store = *unreachable;
  AuditWriterOptions options;
  options.flush_interval = absl::Hours(1);  // nothing leaves the queue during the test
  options.max_queued = 50;
  options.stop_bound = absl::ZeroDuration();
  options.refused.one_by_one = 10;
  AuditWriter writer(store, *logger_, metrics_, options);
  for (int i = 0; i < 1000; ++i) {
    AuditRecord row = Row(absl::StrCat("01JEEEEEEEEEEEEEEEEEEE", absl::Dec(i, absl::kZeroPad4)));
    row.subject.clear();
    row.organisation_id.clear();
    row.grpc_code = 16;
    row.peer = "203.0.113.9";
    writer.Record(std::move(row));
    if (i % 50 == 0)
      writer.Record(Row(absl::StrCat("01JFFFFFFFFFFFFFFFFFFFFF", absl::Dec(i / 50, absl::kZeroPad2))));
  }
  EXPECT_EQ(Dropped(metrics_), 0) << LogText();
  writer.Stop();  // the database never came: the 10 + 20 rows and the counting one are dropped now, counted
  EXPECT_EQ(Dropped(metrics_), 31);
}

// Against a real MariaDB, the writer's own loop ends a source's window: the counting row is written without a
// flush, and it and the rows written one by one account for every call.
TEST_F(AuditWriterTest, CallsWithoutCredentials_TheWindowsCountingRowIsWrittenWhenTheWindowEnds) {
  auto db = TestDatabase::Create(GatewayMigrations());
  ASSERT_OK(db);
  GatewayStore store((*db)->pool());
  AuditWriterOptions options;
  options.flush_interval = absl::Milliseconds(20);
  options.refused.one_by_one = 10;
  options.refused.window = absl::Milliseconds(300);
  AuditWriter writer(store, *logger_, metrics_, options);
  for (int i = 0; i < 100; ++i) {
    AuditRecord row = Row(absl::StrCat("01JGGGGGGGGGGGGGGGGGGGG", absl::Dec(i, absl::kZeroPad3)));
    row.subject = "01JCLAIMEDCLIENTID00000000";
    row.subject_claimed = true;
    row.grpc_code = 16;
    row.peer = "2001:db8::7";
    writer.Record(std::move(row));
  }
  int64_t rows = 0, calls = 0;
  for (const absl::Time give_up = absl::Now() + absl::Seconds(10); calls < 100 && absl::Now() < give_up;) {
    absl::SleepFor(absl::Milliseconds(50));
    ASSERT_OK((*db)->pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT COUNT(*), COALESCE(SUM(repeats), 0) FROM audit_log "
                                            "WHERE peer = '2001:db8::7' AND subject_claimed = 1"));
      rows = row->Int(0);
      calls = row->Int(1);
      return absl::OkStatus();
    }));
  }
  EXPECT_EQ(calls, 100);
  EXPECT_EQ(rows, 11);
  EXPECT_EQ(Dropped(metrics_), 0);
}

}  // namespace
}  // namespace shouhu::gateway
