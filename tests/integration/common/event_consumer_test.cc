// EventConsumer against the test event source over loopback gRPC, each on its own schema of the test
// MariaDB: a consumer process killed with SIGKILL between an effect and its checkpoint (and right after the
// commit) leaves every effect exactly once; replicas racing on one checkpoint apply each event once; a
// failing apply is retried, and the events before it in its batch commit; a backlog is applied many events
// to a transaction, in order; the lag is exported.
#include "common/event_consumer.h"

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "tests/integration/common/event_source.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

extern char** environ;

namespace shouhu {
namespace {

using ::shouhu::testing::EventSource;
using ::shouhu::testing::TestDatabase;

// The consumer's own schema: one row per effect, with no unique key on the sequence, so an effect applied
// twice would show as two rows.
std::vector<db::Migration> Effects() {
  return {{"consumer", 1, "0001_effects",
           "CREATE TABLE effects (effect_id CHAR(26) NOT NULL PRIMARY KEY, sequence BIGINT NOT NULL,"
           " KEY effects_sequence (sequence)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"}};
}

// sequence → how many effects it has.
std::map<int64_t, int64_t> EffectCounts(TestDatabase& database) {
  std::map<int64_t, int64_t> counts;
  EXPECT_OK(database.pool().Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::Rows rows,
        session.Query("SELECT sequence, COUNT(*) FROM effects GROUP BY sequence ORDER BY sequence"));
    for (const db::Row& row : rows) counts[row.Int(0)] = row.Int(1);
    return absl::OkStatus();
  }));
  return counts;
}

std::map<int64_t, int64_t> OncePerSequence(int64_t last) {
  std::map<int64_t, int64_t> counts;
  for (int64_t s = 1; s <= last; ++s) counts[s] = 1;
  return counts;
}

int64_t StoredCheckpoint(TestDatabase& database, const std::string& consumer) {
  int64_t checkpoint = -1;
  EXPECT_OK(database.pool().Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::optional<db::Row> row,
        session.QueryOne("SELECT last_sequence FROM event_checkpoints WHERE consumer = ?", {consumer}));
    checkpoint = row ? row->Int(0) : 0;
    return absl::OkStatus();
  }));
  return checkpoint;
}

// Starts the consumer program with `settings` added to this process's environment.
pid_t StartProgram(const std::vector<std::string>& settings) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.insert(env.end(), settings.begin(), settings.end());
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string program = EVENT_CONSUMER_PROGRAM;
  char* argv[] = {program.data(), nullptr};
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, envp.data()), 0);
  return pid;
}

// How the program ended: the exit code, or 128 + the signal that killed it.
int WaitForProgram(pid_t pid) {
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

TEST(EventConsumer, KilledBetweenEffectAndCheckpointAndAfterCommit_EveryEffectExactlyOnce) {
  ASSERT_OK_AND_ASSIGN(auto source_db, TestDatabase::Create({}));
  ASSERT_OK_AND_ASSIGN(auto consumer_db, TestDatabase::Create(Effects()));
  EventSource source(source_db->pool());
  for (int i = 0; i < 30; ++i) ASSERT_OK(source.Append("before", "e"));
  const std::vector<std::string> common = {
      absl::StrCat("SHOUHU_TEST_SOURCE=", source.address()),
      absl::StrCat("SHOUHU_TEST_CONSUMER_DB=", consumer_db->config().database)};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    return extra;
  };

  // Killed after writing the 5th effect, before its checkpoint and commit: that effect is rolled back with
  // the rest of its transaction (the events before it in the same batch too), and what stands is exactly
  // the effects up to the checkpoint.
  EXPECT_EQ(WaitForProgram(StartProgram(with(
                {"SHOUHU_TEST_KILL_AFTER=5", "SHOUHU_TEST_KILL_POINT=effect", "SHOUHU_TEST_STOP_AT=30"}))),
            128 + SIGKILL);
  const int64_t after_first_kill = StoredCheckpoint(*consumer_db, "kill-test");
  EXPECT_LE(after_first_kill, 4);
  EXPECT_EQ(EffectCounts(*consumer_db), OncePerSequence(after_first_kill));

  // Restarted, killed right after the commit of its 3rd effect: effect and checkpoint both stand.
  EXPECT_EQ(WaitForProgram(StartProgram(with(
                {"SHOUHU_TEST_KILL_AFTER=3", "SHOUHU_TEST_KILL_POINT=commit", "SHOUHU_TEST_STOP_AT=30"}))),
            128 + SIGKILL);
  const int64_t after_second_kill = StoredCheckpoint(*consumer_db, "kill-test");
  EXPECT_GE(after_second_kill, after_first_kill + 3);
  EXPECT_EQ(EffectCounts(*consumer_db), OncePerSequence(after_second_kill));

  // Killed again mid-way, this time while new events are being appended.
  pid_t third = StartProgram(
      with({"SHOUHU_TEST_KILL_AFTER=10", "SHOUHU_TEST_KILL_POINT=effect", "SHOUHU_TEST_STOP_AT=50"}));
  for (int i = 0; i < 10; ++i) ASSERT_OK(source.Append("during", "e"));
  EXPECT_EQ(WaitForProgram(third), 128 + SIGKILL);

  // Runs to the end while the rest arrives.
  const std::string metrics_file = ::testing::TempDir() + "/event_consumer_metrics.txt";
  pid_t last = StartProgram(with({"SHOUHU_TEST_STOP_AT=50", "SHOUHU_TEST_METRICS_FILE=" + metrics_file}));
  for (int i = 0; i < 10; ++i) ASSERT_OK(source.Append("after", "e"));
  EXPECT_EQ(WaitForProgram(last), 0);

  EXPECT_EQ(EffectCounts(*consumer_db), OncePerSequence(50));
  EXPECT_EQ(StoredCheckpoint(*consumer_db, "kill-test"), 50);
  std::ifstream in(metrics_file);
  std::stringstream metrics;
  metrics << in.rdbuf();
  EXPECT_NE(metrics.str().find("shouhu_event_consumer_checkpoint{service=\"event-consumer-program\","
                               "consumer=\"kill-test\"} 50"),
            std::string::npos)
      << metrics.str();
  EXPECT_NE(metrics.str().find("shouhu_event_consumer_lag_events{service=\"event-consumer-program\","
                               "consumer=\"kill-test\"} 0"),
            std::string::npos)
      << metrics.str();
}

// In-process consumers of the test source, speaking as the visits service's own system principal.
class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(source_db_, TestDatabase::Create({}));
    ASSERT_OK_AND_ASSIGN(consumer_db_, TestDatabase::Create(Effects()));
    source_ = std::make_unique<EventSource>(source_db_->pool());
  }

  std::unique_ptr<EventConsumer> Consumer(const std::string& name, ApplyEvent apply,
                                          absl::Duration stream_lifetime = absl::Minutes(30)) {
    EventConsumerOptions options;
    options.stream_lifetime = stream_lifetime;
    options.name = name;
    options.method = testing::kEventSourceStreamMethod;
    options.channel = source_->channel();
    options.identify = identity_.ForSelf();
    options.min_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(100);
    return std::make_unique<EventConsumer>(consumer_db_->pool(), metrics_, logger_, options,
                                           std::move(apply));
  }

  // The effect every test consumer applies: one row of `effects`.
  static absl::Status Record(db::Session& tx, const common::v1::Event& event, IdGenerator& ids) {
    return tx
        .Execute("INSERT INTO effects (effect_id, sequence) VALUES (?, ?)", {ids.Next(), event.sequence()})
        .status();
  }

  bool CheckpointReaches(const std::string& name, int64_t sequence) {
    const absl::Time give_up = absl::Now() + absl::Minutes(1);
    while (StoredCheckpoint(*consumer_db_, name) < sequence) {
      if (absl::Now() > give_up) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return true;
  }

  SystemClock clock_;
  IdGenerator ids_{clock_};
  Logger logger_{"consumer-test"};
  Metrics metrics_{"consumer-test"};
  const ServiceIdentity identity_{"visits", testing::TestServiceKey("visits"), clock_};
  std::unique_ptr<TestDatabase> source_db_;
  std::unique_ptr<TestDatabase> consumer_db_;
  std::unique_ptr<EventSource> source_;
};

TEST_F(ConsumerTest, TwoReplicasOfOneConsumer_RacingOnTheSameEvents_ApplyEachOnce) {
  for (int i = 0; i < 20; ++i) ASSERT_OK(source_->Append("a", "e"));
  auto apply = [this](db::Session& tx, const common::v1::Event& event) { return Record(tx, event, ids_); };
  auto first = Consumer("replicated", apply);
  auto second = Consumer("replicated", apply);
  first->Start();
  second->Start();
  for (int i = 0; i < 40; ++i) ASSERT_OK(source_->Append("b", "e"));
  ASSERT_TRUE(CheckpointReaches("replicated", 60));
  first->Stop();
  second->Stop();
  EXPECT_EQ(EffectCounts(*consumer_db_), OncePerSequence(60));
}

TEST_F(ConsumerTest, ApplyFails_NothingOfItCommits_RetriedAfterBackoff_AppliedOnce) {
  for (int i = 0; i < 10; ++i) ASSERT_OK(source_->Append("a", "e"));
  std::atomic<int> failures{0};
  auto consumer = Consumer("flaky", [&](db::Session& tx, const common::v1::Event& event) -> absl::Status {
    RETURN_IF_ERROR(Record(tx, event, ids_));
    // Event 4 fails twice after writing its effect, which must then roll back with the checkpoint.
    if (event.sequence() == 4 && failures.fetch_add(1) < 2) return absl::UnavailableError("not now");
    return absl::OkStatus();
  });
  consumer->Start();
  ASSERT_TRUE(CheckpointReaches("flaky", 10));
  consumer->Stop();
  EXPECT_EQ(failures.load(), 3);
  EXPECT_EQ(EffectCounts(*consumer_db_), OncePerSequence(10));
  // Once or twice: a batch holding event 4 fails, is applied again one event at a time, and event 4's
  // second failure ends the stream; a batch that was event 4 alone ends it at once.
  EXPECT_NE(metrics_.Render().find(
                "shouhu_event_consumer_reconnects_total{service=\"consumer-test\",consumer=\"flaky\"}"),
            std::string::npos)
      << metrics_.Render();
}

TEST_F(ConsumerTest, ApplyFailsInsideABatch_ItsEventsAreAppliedOneAtATime_TheOthersCommitWithoutAReconnect) {
  for (int i = 0; i < 10; ++i) ASSERT_OK(source_->Append("a", "e"));
  std::atomic<int> failures{0};
  absl::Mutex mu;
  std::vector<std::pair<int64_t, int64_t>> attempts;  // (event, the checkpoint its transaction found)
  auto consumer = Consumer("stuck", [&](db::Session& tx, const common::v1::Event& event) -> absl::Status {
    // The first event is slow, so the other nine arrive meanwhile and go into the next transaction together.
    if (event.sequence() == 1) absl::SleepFor(absl::Milliseconds(200));
    RETURN_IF_ERROR(Record(tx, event, ids_));
    ASSIGN_OR_RETURN(std::optional<db::Row> found,
                     tx.QueryOne("SELECT last_sequence FROM event_checkpoints WHERE consumer = 'stuck'"));
    if (!found) return absl::InternalError("no checkpoint row");
    {
      absl::MutexLock lock(&mu);
      attempts.emplace_back(event.sequence(), found->Int(0));
    }
    if (event.sequence() == 4 && failures.fetch_add(1) == 0) return absl::UnavailableError("not now");
    return absl::OkStatus();
  });
  consumer->Start();
  ASSERT_TRUE(CheckpointReaches("stuck", 10));
  consumer->Stop();
  EXPECT_EQ(EffectCounts(*consumer_db_), OncePerSequence(10));
  absl::MutexLock lock(&mu);
  std::vector<int64_t> found_by_event_4;
  for (const auto& [event, found] : attempts) {
    if (event == 4) found_by_event_4.push_back(found);
  }
  // Its first attempt came in a batch (with the events before it, or, when the stream delivered those apart
  // from it on a busy machine, with those after it: seen once in tests/run); its second came alone, after
  // the events before it had committed. A batch that ended the stream instead shows as a reconnect below.
  ASSERT_EQ(found_by_event_4.size(), 2u);
  EXPECT_LE(found_by_event_4[0], 3);
  EXPECT_EQ(found_by_event_4[1], 3);
  EXPECT_EQ(metrics_.Render().find(
                "shouhu_event_consumer_reconnects_total{service=\"consumer-test\",consumer=\"stuck\"}"),
            std::string::npos)
      << "the failure ended the stream instead of being retried one event at a time";
}

TEST_F(ConsumerTest, ABacklog_IsAppliedManyEventsToATransaction_EachOnceInOrder) {
  constexpr int kEvents = 600;
  for (int i = 0; i < kEvents; ++i) ASSERT_OK(source_->Append(absl::StrCat("a", i % 7), "e"));
  absl::Mutex mu;
  std::vector<int64_t> order;
  std::set<int64_t> transactions;
  auto consumer = Consumer("backlog", [&](db::Session& tx, const common::v1::Event& event) -> absl::Status {
    RETURN_IF_ERROR(Record(tx, event, ids_));
    // The checkpoint as this transaction found it: the same for every event of one transaction, and
    // different for each (it advances at every commit).
    ASSIGN_OR_RETURN(std::optional<db::Row> before,
                     tx.QueryOne("SELECT last_sequence FROM event_checkpoints WHERE consumer = 'backlog'"));
    if (!before) return absl::InternalError("no checkpoint row");
    absl::MutexLock lock(&mu);
    order.push_back(event.sequence());
    transactions.insert(before->Int(0));
    return absl::OkStatus();
  });
  consumer->Start();
  ASSERT_TRUE(CheckpointReaches("backlog", kEvents));
  consumer->Stop();
  EXPECT_EQ(EffectCounts(*consumer_db_), OncePerSequence(kEvents));
  absl::MutexLock lock(&mu);
  std::vector<int64_t> in_order(kEvents);
  std::iota(in_order.begin(), in_order.end(), 1);
  EXPECT_EQ(order, in_order);
  // One transaction per event would be 600; what had arrived goes in together, up to 128 at a time.
  EXPECT_GE(transactions.size(), static_cast<size_t>(kEvents) / kMaxEventsPerTransaction);
  EXPECT_LE(transactions.size(), static_cast<size_t>(kEvents) / 4) << "events per transaction too few";
}

TEST_F(ConsumerTest, StreamsOutliveTheirDeadline_ReopenedFromTheCheckpoint_NothingMissedOrRepeated) {
  auto consumer = Consumer(
      "short-lived",
      [this](db::Session& tx, const common::v1::Event& event) { return Record(tx, event, ids_); },
      absl::Milliseconds(100));
  consumer->Start();
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(source_->Append("a", "e"));
    absl::SleepFor(absl::Milliseconds(25));  // spread over several stream deadlines
  }
  ASSERT_TRUE(CheckpointReaches("short-lived", 20));
  consumer->Stop();
  EXPECT_EQ(EffectCounts(*consumer_db_), OncePerSequence(20));
  // It did reconnect on the way (a stream that had lived out its deadline).
  EXPECT_NE(metrics_.Render().find(
                "shouhu_event_consumer_reconnects_total{service=\"consumer-test\",consumer=\"short-lived\"}"),
            std::string::npos);
}

TEST_F(ConsumerTest, Stop_WhileFollowingAnIdleStream_ReturnsAndReleasesTheStream) {
  ASSERT_OK(source_->Append("a", "e"));
  auto consumer = Consumer(
      "idle", [this](db::Session& tx, const common::v1::Event& event) { return Record(tx, event, ids_); });
  consumer->Start();
  ASSERT_TRUE(CheckpointReaches("idle", 1));
  consumer->Stop();  // would hang if the open stream were not cancelled
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  while (source_->feed().FollowerCount() != 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(source_->feed().FollowerCount(), 0u);
  ASSERT_OK(source_->Append("b", "e"));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(EffectCounts(*consumer_db_), OncePerSequence(1));  // stopped means stopped
}

}  // namespace
}  // namespace shouhu
