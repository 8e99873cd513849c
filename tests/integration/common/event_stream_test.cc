// Event streams served by ServeEventStream from one EventFeed per outbox, over real gRPC on loopback and a
// real MariaDB: many followers at once, a follower that stops reading, a cancelled one, a restart.
#include "common/event_stream.h"

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "tests/integration/common/event_source.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace shouhu {
namespace {

using ::shouhu::testing::EventSource;
using ::shouhu::testing::MakePrincipal;
using ::shouhu::testing::TestDatabase;
using ::shouhu::testing::TestPrincipals;
using Stub = eventsource::v1::EventSource::Stub;

Principal System() { return MakePrincipal("visits", "visits", common::v1::ROLE_SYSTEM, {}); }

// Waits (up to a minute, so a broken build fails instead of hanging) until `done` holds.
bool Eventually(const std::function<bool()>& done) {
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// One StreamEvents call read on a thread of its own until it has `want` events (then it cancels) or the
// stream ends.
class Follower {
 public:
  Follower(const std::shared_ptr<grpc::Channel>& channel, const TestPrincipals& principals, int64_t after,
           int want)
      : stub_(eventsource::v1::EventSource::NewStub(channel)), context_(principals.Context(System())) {
    eventsource::v1::StreamEventsRequest request;
    request.set_after_sequence(after);
    reader_ = stub_->StreamEvents(context_.get(), request);
    thread_ = std::thread([this, want] {
      eventsource::v1::StreamEventsResponse response;
      while (static_cast<int>(received_count()) < want && reader_->Read(&response)) {
        absl::MutexLock lock(&mu_);
        sequences_.push_back(response.event().sequence());
      }
      context_->TryCancel();
      while (reader_->Read(&response)) {
      }
      status_ = reader_->Finish();
    });
  }
  ~Follower() { Join(); }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  void Cancel() { context_->TryCancel(); }
  size_t received_count() {
    absl::MutexLock lock(&mu_);
    return sequences_.size();
  }
  std::vector<int64_t> sequences() {
    absl::MutexLock lock(&mu_);
    return sequences_;
  }
  // After Join.
  const grpc::Status& status() const { return status_; }

 private:
  std::unique_ptr<Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<eventsource::v1::StreamEventsResponse>> reader_;
  absl::Mutex mu_;
  std::vector<int64_t> sequences_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_;
  std::thread thread_;
};

std::vector<int64_t> Range(int64_t first, int64_t last) {
  std::vector<int64_t> out;
  for (int64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

TEST(EventStream,
     SixtyFourFollowers_EventsAppendedConcurrently_EachGetsEveryEventInOrder_UnaryCallsComplete) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}, 16));
  // A window of a few events, so followers also fall behind it and catch up from the table while writers
  // race them, and a catch-up budget small enough that many of those reads take one event at a time.
  EventFeedOptions feed;
  feed.window_bytes = 4096;
  feed.catch_up_bytes = 16384;
  EventSource source(database->pool(), feed);
  SystemClock clock;
  TestPrincipals principals(clock);
  constexpr int kFollowers = 64;
  constexpr int kBefore = 10;
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 50;
  constexpr int kTotal = kBefore + kWriters * kPerWriter;
  for (int i = 0; i < kBefore; ++i) ASSERT_OK(source.Append("before", "e"));

  std::vector<std::unique_ptr<Follower>> followers;
  for (int f = 0; f < kFollowers; ++f) {
    followers.push_back(std::make_unique<Follower>(source.channel(), principals, 0, kTotal));
  }
  ASSERT_TRUE(Eventually([&] {
    for (auto& f : followers) {
      if (f->received_count() < kBefore) return false;
    }
    return true;
  }));

  // All 64 streams are open and waiting: unary calls of the same server are still served.
  std::vector<std::thread> callers;
  std::atomic<int> answered{0};
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      auto stub = eventsource::v1::EventSource::NewStub(source.channel());
      for (int i = 0; i < 10; ++i) {
        auto context = principals.Context(System());
        eventsource::v1::GetLastSequenceResponse response;
        grpc::Status status = stub->GetLastSequence(context.get(), {}, &response);
        EXPECT_TRUE(status.ok()) << status.error_message();
        EXPECT_EQ(response.last_sequence(), kBefore);
        answered += status.ok();
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(answered.load(), 40);
  EXPECT_EQ(source.feed().FollowerCount(), static_cast<size_t>(kFollowers));  // none ended meanwhile

  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        EXPECT_OK(source.Append("writer-" + std::to_string(w), std::string(100, 'x')));
      }
    });
  }
  for (auto& t : writers) t.join();
  for (auto& f : followers) f->Join();
  for (auto& f : followers) EXPECT_EQ(f->sequences(), Range(1, kTotal));
  EXPECT_TRUE(Eventually([&] { return source.feed().FollowerCount() == 0; }));
}

TEST(EventStream, FollowerThatStopsReading_DoesNotDelayOthers_AndLaterCatchesUpInOrder) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  EventFeedOptions feed;
  feed.window_bytes = 8192;
  EventSource source(database->pool(), feed);
  SystemClock clock;
  TestPrincipals principals(clock);
  // The slow client announces a small flow-control window and never reads until told to, so the server's
  // write to it stays in flight once some 64 KiB are on their way.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  auto slow_channel = grpc::CreateCustomChannel(source.address(), grpc::InsecureChannelCredentials(), args);
  auto slow_stub = eventsource::v1::EventSource::NewStub(slow_channel);
  auto slow_context = principals.Context(System());
  eventsource::v1::StreamEventsRequest from_start;
  auto slow = slow_stub->StreamEvents(slow_context.get(), from_start);
  ASSERT_TRUE(Eventually([&] { return source.feed().FollowerCount() == 1; }));

  // About 400 KiB of events: far beyond what the slow client's window lets through.
  constexpr int kTotal = 200;
  Follower prompt(source.channel(), principals, 0, kTotal);
  for (int i = 0; i < kTotal; ++i) ASSERT_OK(source.Append("big", std::string(2000, 'x')));
  prompt.Join();  // would hang (and fail at the deadline) if the slow one held it back
  EXPECT_EQ(prompt.sequences(), Range(1, kTotal));

  // Now it reads: everything, in order, the early part from the table (the window kept only the latest):
  // it had really been held back, not merely buffered by its client.
  const uint64_t reads_before = source.feed().CatchUpReads();
  std::vector<int64_t> got;
  eventsource::v1::StreamEventsResponse response;
  while (static_cast<int>(got.size()) < kTotal && slow->Read(&response))
    got.push_back(response.event().sequence());
  EXPECT_EQ(got, Range(1, kTotal));
  EXPECT_GT(source.feed().CatchUpReads(), reads_before);
  EXPECT_LE(source.feed().WindowBytes(), feed.window_bytes);
  slow_context->TryCancel();
  while (slow->Read(&response)) {
  }
  EXPECT_EQ(slow->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST(EventStream, CancelledFollowers_AtTheTailOrWithAWriteStuck_AreReleased) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  EventSource source(database->pool());
  SystemClock clock;
  TestPrincipals principals(clock);
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  auto slow_channel = grpc::CreateCustomChannel(source.address(), grpc::InsecureChannelCredentials(), args);
  auto stub = eventsource::v1::EventSource::NewStub(slow_channel);
  auto stuck_context = principals.Context(System());
  auto stuck = stub->StreamEvents(stuck_context.get(), {});  // never reads
  for (int i = 0; i < 100; ++i) ASSERT_OK(source.Append("big", std::string(2000, 'x')));
  Follower at_tail(source.channel(), principals, 0, 1000);  // has all 100, waits for more
  ASSERT_TRUE(Eventually([&] { return at_tail.received_count() == 100; }));
  ASSERT_EQ(source.feed().FollowerCount(), 2u);

  stuck_context->TryCancel();
  ASSERT_TRUE(Eventually([&] { return source.feed().FollowerCount() == 1; }));
  eventsource::v1::StreamEventsResponse response;
  while (stuck->Read(&response)) {
  }
  EXPECT_EQ(stuck->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_OK(source.Append("more", "e"));
  ASSERT_TRUE(Eventually([&] { return at_tail.received_count() == 101; }));  // the other goes on
  at_tail.Cancel();
  at_tail.Join();
  EXPECT_TRUE(Eventually([&] { return source.feed().FollowerCount() == 0; }));
}

TEST(EventStream, ResumingFromSequenceN_AfterARestart_MissesNothingAndGetsNothingTwice) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  SystemClock clock;
  TestPrincipals principals(clock);
  int64_t last_seen = 0;
  {
    EventSource before(database->pool());
    for (int i = 0; i < 20; ++i) ASSERT_OK(before.Append("a", "e"));
    auto stub = eventsource::v1::EventSource::NewStub(before.channel());
    auto context = principals.Context(System());
    auto reader = stub->StreamEvents(context.get(), {});
    eventsource::v1::StreamEventsResponse response;
    for (int i = 0; i < 12 && reader->Read(&response); ++i) last_seen = response.event().sequence();
    ASSERT_EQ(last_seen, 12);
    // The server drains while the stream is open: the stream ends UNAVAILABLE (resume elsewhere), not at
    // the end of the drain grace as CANCELLED.
    std::thread stop([&] { before.Stop(); });
    while (reader->Read(&response)) {
    }
    const grpc::Status ended = reader->Finish();
    stop.join();
    EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
  }
  EventSource after(database->pool());  // a new process on the same schema
  for (int i = 0; i < 10; ++i) ASSERT_OK(after.Append("b", "e"));
  Follower resumed(after.channel(), principals, last_seen, 28);
  for (int i = 0; i < 10; ++i) ASSERT_OK(after.Append("c", "e"));
  resumed.Join();
  EXPECT_EQ(resumed.sequences(), Range(13, 40));
}

TEST(EventStream, UnsignedCaller_Unauthenticated_NegativeSequence_InvalidArgument) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  EventSource source(database->pool());
  SystemClock clock;
  TestPrincipals principals(clock);
  auto stub = eventsource::v1::EventSource::NewStub(source.channel());
  eventsource::v1::StreamEventsResponse response;
  {
    grpc::ClientContext unsigned_context;
    eventsource::v1::StreamEventsRequest request;
    request.set_after_sequence(-1);  // authentication comes first
    auto reader = stub->StreamEvents(&unsigned_context, request);
    EXPECT_FALSE(reader->Read(&response));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    auto context = principals.Context(System());
    eventsource::v1::StreamEventsRequest request;
    request.set_after_sequence(-1);
    auto reader = stub->StreamEvents(context.get(), request);
    EXPECT_FALSE(reader->Read(&response));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(source.feed().FollowerCount(), 0u);
}

}  // namespace
}  // namespace shouhu
