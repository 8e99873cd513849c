// A consumer process for the kill -9 test (event_consumer_test.cc). It follows the test event source
// (SHOUHU_TEST_SOURCE, host:port) into its own schema (SHOUHU_TEST_CONSUMER_DB, created and migrated by the
// test), where each event's effect is one row of `effects`. With SHOUHU_TEST_KILL_AFTER=n it SIGKILLs itself
// at the nth effect of this run: SHOUHU_TEST_KILL_POINT=effect after writing the effect but before the
// checkpoint is advanced and the transaction commits; =commit right after the commit, before the consumer
// goes on. Otherwise it exits 0 once the checkpoint reaches SHOUHU_TEST_STOP_AT (3 if that takes a minute),
// writing its metrics to SHOUHU_TEST_METRICS_FILE when set.
#include <grpcpp/create_channel.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "common/config.h"
#include "common/event_consumer.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "tests/integration/common/event_source.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace shouhu::testing {
namespace {

constexpr absl::string_view kInsertEffect = "INSERT INTO effects (effect_id, sequence) VALUES (?, ?)";

int64_t IntFromEnv(const char* name) {
  int64_t value = 0;
  return absl::SimpleAtoi(EnvOr(name, "0"), &value) ? value : 0;
}

int Run() {
  DbConfig config = TestDbConfig();
  config.database = EnvOr("SHOUHU_TEST_CONSUMER_DB", "");
  config.pool_size = 2;
  auto pool = db::Pool::Open(config);
  if (!pool.ok()) return 2;
  const int64_t kill_after = IntFromEnv("SHOUHU_TEST_KILL_AFTER");
  const bool kill_after_commit = EnvOr("SHOUHU_TEST_KILL_POINT", "effect") == "commit";
  const int64_t stop_at = IntFromEnv("SHOUHU_TEST_STOP_AT");

  SystemClock clock;
  IdGenerator ids(clock);
  Logger logger("event-consumer-program");
  Metrics metrics("event-consumer-program");
  // Consumes as a service would: its own system principal, signed with its own key.
  const ServiceIdentity identity("visits", TestServiceKey("visits"), clock);
  EventConsumerOptions options;
  options.name = "kill-test";
  options.method = kEventSourceStreamMethod;
  options.channel = grpc::CreateChannel(EnvOr("SHOUHU_TEST_SOURCE", ""), grpc::InsecureChannelCredentials());
  options.identify = identity.ForSelf();
  options.min_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(500);
  int64_t effects = 0;
  EventConsumer consumer(
      **pool, metrics, logger, options, [&](db::Session& tx, const common::v1::Event& event) -> absl::Status {
        RETURN_IF_ERROR(tx.Execute(kInsertEffect, {ids.Next(), event.sequence()}).status());
        if (++effects == kill_after) {
          if (!kill_after_commit) std::raise(SIGKILL);
          tx.AfterCommit([] { std::raise(SIGKILL); });
        }
        return absl::OkStatus();
      });
  consumer.Start();
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  while (consumer.Checkpoint().value_or(0) < stop_at) {
    if (absl::Now() > give_up) return 3;
    absl::SleepFor(absl::Milliseconds(10));
  }
  consumer.Stop();
  const std::string metrics_file = EnvOr("SHOUHU_TEST_METRICS_FILE", "");
  if (!metrics_file.empty()) {
    std::FILE* out = std::fopen(metrics_file.c_str(), "w");
    if (out == nullptr) return 4;
    const std::string text = metrics.Render();
    std::fwrite(text.data(), 1, text.size(), out);
    std::fclose(out);
  }
  return 0;
}

}  // namespace
}  // namespace shouhu::testing

int main() { return shouhu::testing::Run(); }
