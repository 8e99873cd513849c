// The audit writer against a real MariaDB: rows that cannot be written are counted and logged as errors,
// never lost silently, and a batch that fails for good does not stop the rows after it.
#include "services/gateway/audit_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
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

  std::FILE* log_ = nullptr;
  std::unique_ptr<Logger> logger_;
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
  DbConfig config;
  config.host = "127.0.0.1";
  config.port = testing::ClosedPort();
  config.database = "nowhere";
  auto pool = db::Pool::Open(config);
  ASSERT_OK(pool);
  GatewayStore store(**pool);
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
  DbConfig config;
  config.host = "127.0.0.1";
  config.port = testing::ClosedPort();
  config.database = "nowhere";
  auto pool = db::Pool::Open(config);
  ASSERT_OK(pool);
  GatewayStore store(**pool);
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

}  // namespace
}  // namespace shouhu::gateway
