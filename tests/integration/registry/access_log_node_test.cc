// The access log written through one preferred database node (RegistryConfig::access_log_db_host; on
// Galera it keeps every replica's log batches out of certification conflicts on the log's turn row): its
// batches go through that node while it answers, and through the main pool, every read still logged, while it
// cannot be reached. The address setting is read strictly.
#include <gmock/gmock.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "common/log.h"
#include "common/metrics.h"
#include "common/migrations.h"
#include "services/registry/access_log_writer.h"
#include "services/registry/registry_config.h"
#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<AccessRecord> ReadOf(const std::string& child_id) {
  return {
      {"officer-wuding", "wuding-ca", "child", child_id, "532329101001", "name", "review", "GetChild", ""}};
}

int64_t Logged(shouhu::testing::TestDatabase& database) {
  return database.Count("pii_access_records_by_week");
}

TEST(AccessLogNode, PreferredNodeAnswers_TheLogIsWrittenThroughIt) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  DbConfig node = database->pool().config();
  node.pool_size = 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<db::Pool> preferred, db::Pool::Open(node));
  SystemClock clock;
  IdGenerator ids(clock);
  Metrics metrics("registry");
  AccessLogWriter log(database->pool(), clock, ids, nullptr, {preferred.get(), nullptr}, &metrics);
  ASSERT_OK(log.Record(ReadOf("01JC0000000000000000000001")));
  EXPECT_TRUE(log.OnPreferredNode());
  EXPECT_EQ(Logged(*database), 1);
  EXPECT_THAT(metrics.Render(), HasSubstr("shouhu_access_log_on_node{service=\"registry\"} 1\n"));
  EXPECT_THAT(metrics.Render(), Not(HasSubstr("shouhu_access_log_node_departures_total")));
  // What the read waited for its commit, and the batch that carried it.
  EXPECT_THAT(metrics.Render(), HasSubstr("shouhu_access_log_wait_seconds_count{service=\"registry\"} 1\n"));
  EXPECT_THAT(metrics.Render(), HasSubstr("shouhu_access_log_batch_seconds_count{service=\"registry\"} 1\n"));
}

TEST(AccessLogNode, PreferredNodeUnreachable_EveryReadIsLoggedThroughThePool_SaidOncePerPause) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  DbConfig node = database->pool().config();
  node.socket.clear();
  node.host = "127.0.0.1";
  node.port = 1;  // nothing listens: refused at once
  node.pool_size = 1;
  node.connect_timeout = absl::Seconds(1);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<db::Pool> unreachable, db::Pool::Open(node));
  char* said = nullptr;
  size_t said_size = 0;
  std::FILE* out = open_memstream(&said, &said_size);
  ASSERT_NE(out, nullptr);
  Logger log_lines("registry-test", out);
  Metrics metrics("registry");
  {
    ManualClock clock(absl::Now());
    IdGenerator ids(clock);
    AccessLogWriter log(database->pool(), clock, ids, nullptr, {unreachable.get(), &log_lines}, &metrics);
    ASSERT_OK(log.Record(ReadOf("01JC0000000000000000000001")));
    EXPECT_FALSE(log.OnPreferredNode());
    ASSERT_OK(log.Record(ReadOf("01JC0000000000000000000002")));
    clock.Advance(absl::Minutes(1));  // past the pause: the node is tried again, and still refuses
    ASSERT_OK(log.Record(ReadOf("01JC0000000000000000000003")));
    EXPECT_FALSE(log.OnPreferredNode());
  }
  std::fclose(out);
  const std::string lines(said, said_size);
  std::free(said);
  EXPECT_EQ(Logged(*database), 3);
  size_t told = 0;
  for (size_t at = lines.find("its node failed"); at != std::string::npos;
       at = lines.find("its node failed", at + 1)) {
    ++told;
  }
  EXPECT_EQ(told, 2u) << "once when it first failed, once when tried again after the pause:\n" << lines;
  // An operator's alert reads the same from the metrics: off the node, and left twice.
  EXPECT_THAT(metrics.Render(), HasSubstr("shouhu_access_log_on_node{service=\"registry\"} 0\n"));
  EXPECT_THAT(metrics.Render(),
              HasSubstr("shouhu_access_log_node_departures_total{service=\"registry\"} 2\n"));
}

TEST(AccessLogNode, Address_HostHostAndPortOrSocket_AnythingElseNamesTheSetting) {
  RegistryConfig config;
  ASSERT_OK(ReadAccessLogDbAddress("mariadb-galera-0.mariadb-galera", config));
  EXPECT_EQ(config.access_log_db_host, "mariadb-galera-0.mariadb-galera");
  EXPECT_EQ(config.access_log_db_port, 0);
  ASSERT_OK(ReadAccessLogDbAddress("127.0.0.1:33071", config));
  EXPECT_EQ(config.access_log_db_host, "127.0.0.1");
  EXPECT_EQ(config.access_log_db_port, 33071);
  ASSERT_OK(ReadAccessLogDbAddress("/srv/galera/node-1/mysqld.sock", config));
  EXPECT_EQ(config.access_log_db_socket, "/srv/galera/node-1/mysqld.sock");
  EXPECT_EQ(config.access_log_db_host, "");
  ASSERT_OK(ReadAccessLogDbAddress("", config));
  EXPECT_EQ(config.access_log_db_host, "");
  EXPECT_EQ(config.access_log_db_socket, "");
  for (const char* bad : {":3306", "node:0", "node:65536", "node:x", "no de", "node/1", "a:b:c"}) {
    absl::Status status = ReadAccessLogDbAddress(bad, config);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_NE(std::string(status.message()).find("SHOUHU_ACCESS_LOG_DB_ADDRESS"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace shouhu::registry::testing
