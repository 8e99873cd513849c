// EventFeed's own rules with an in-memory outbox and followers whose writes the test completes by hand: one
// write in flight per follower, ending on drain or cancel only once that write is done, a table that cannot
// be read ends the stream UNAVAILABLE, the window stays within its budget.
#include "common/event_feed.h"

#include <gtest/gtest.h>

#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace shouhu {
namespace {

// The outbox's table, in memory; reads fail while `broken`.
class Table {
 public:
  void Add(int64_t sequence) {
    absl::MutexLock lock(&mu_);
    common::v1::Event& event = events_.emplace_back();
    event.set_sequence(sequence);
    event.set_type("test.Event");
  }
  void Break() {
    absl::MutexLock lock(&mu_);
    broken_ = true;
  }
  absl::StatusOr<std::vector<common::v1::Event>> ReadAfter(int64_t after, int limit) {
    absl::MutexLock lock(&mu_);
    if (broken_) return absl::UnavailableError("database error 2002 (HY000)");
    std::vector<common::v1::Event> out;
    for (const auto& e : events_) {
      if (e.sequence() > after && static_cast<int>(out.size()) < limit) out.push_back(e);
    }
    return out;
  }
  absl::StatusOr<int64_t> Last() {
    absl::MutexLock lock(&mu_);
    if (broken_) return absl::UnavailableError("database error 2002 (HY000)");
    return events_.empty() ? 0 : events_.back().sequence();
  }

 private:
  absl::Mutex mu_;
  std::vector<common::v1::Event> events_ ABSL_GUARDED_BY(mu_);
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
};

// A stream whose writes stay in flight until the test says they are done.
class HeldFollower final : public EventFollower {
 public:
  void Write(const common::v1::Event& event) override {
    absl::MutexLock lock(&mu_);
    EXPECT_FALSE(writing_) << "a second write while one is in flight";
    writing_ = true;
    written_.push_back(event.sequence());
  }
  void End(const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    EXPECT_FALSE(writing_) << "ended with a write in flight";
    EXPECT_FALSE(ended_.has_value()) << "ended twice";
    ended_ = status;
  }
  // Waits (a minute at most) for a write in flight; false if none came.
  bool AwaitWrite() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&writing_), absl::Minutes(1));
  }
  bool AwaitEnd() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(
        absl::Condition(
            +[](std::optional<absl::Status>* ended) { return ended->has_value(); }, &ended_),
        absl::Minutes(1));
  }
  // Completes the write in flight, as gRPC's OnWriteDone would.
  void FinishWrite(EventFeed& feed, bool ok = true) {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
    }
    feed.WriteDone(this, ok);
  }
  std::vector<int64_t> written() {
    absl::MutexLock lock(&mu_);
    return written_;
  }
  std::optional<absl::Status> ended() {
    absl::MutexLock lock(&mu_);
    return ended_;
  }

 private:
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<int64_t> written_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> ended_ ABSL_GUARDED_BY(mu_);
};

EventFeed FeedOver(Table& table, EventFeedOptions options = {}) {
  return EventFeed([&table](int64_t after, int limit) { return table.ReadAfter(after, limit); },
                   [&table] { return table.Last(); }, options);
}

// Takes `n` writes, completing each.
void Take(HeldFollower& follower, EventFeed& feed, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(follower.AwaitWrite());
    follower.FinishWrite(feed);
  }
}

TEST(EventFeed, OneWriteInFlight_TheNextOnlyAfterWriteDone_AllInOrder) {
  Table table;
  for (int s = 1; s <= 5; ++s) table.Add(s);
  EventFeed feed = FeedOver(table);
  HeldFollower follower;
  ASSERT_TRUE(feed.Attach(&follower, 0).ok());
  ASSERT_TRUE(follower.AwaitWrite());
  absl::SleepFor(absl::Milliseconds(50));  // gives a wrong second write the chance to happen (Write checks)
  EXPECT_EQ(follower.written(), std::vector<int64_t>{1});
  follower.FinishWrite(feed);
  Take(follower, feed, 4);
  EXPECT_EQ(follower.written(), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  feed.Cancel(&follower);
  ASSERT_TRUE(follower.AwaitEnd());
  EXPECT_EQ(follower.ended()->code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(feed.FollowerCount(), 0u);
}

TEST(EventFeed, EndStreams_WithAWriteInFlight_EndsUnavailableOnlyOnceItIsDone_AndRefusesNewFollowers) {
  Table table;
  table.Add(1);
  EventFeed feed = FeedOver(table);
  HeldFollower writing;
  ASSERT_TRUE(feed.Attach(&writing, 0).ok());
  ASSERT_TRUE(writing.AwaitWrite());
  feed.EndStreams();
  EXPECT_FALSE(writing.ended().has_value());  // its write is still in flight
  writing.FinishWrite(feed);
  ASSERT_TRUE(writing.AwaitEnd());
  EXPECT_EQ(writing.ended()->code(), absl::StatusCode::kUnavailable);
  HeldFollower late;
  EXPECT_EQ(feed.Attach(&late, 0).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(feed.FollowerCount(), 0u);
}

TEST(EventFeed, TableUnreadableWhileCatchingUp_StreamEndsUnavailable) {
  Table table;
  for (int s = 1; s <= 3; ++s) table.Add(s);
  EventFeedOptions options;
  options.read_batch = 1;
  EventFeed feed = FeedOver(table, options);
  HeldFollower follower;
  ASSERT_TRUE(feed.Attach(&follower, 0).ok());
  ASSERT_TRUE(follower.AwaitWrite());
  table.Break();
  follower.FinishWrite(feed);  // its next event needs a read of the broken table
  ASSERT_TRUE(follower.AwaitEnd());
  EXPECT_EQ(follower.ended()->code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(follower.ended()->message().find("2002"), std::string::npos);  // no database detail
}

TEST(EventFeed, ManyEventsThroughASmallWindow_WindowStaysWithinBudget_FollowerGetsAll) {
  Table table;
  EventFeedOptions options;
  options.window_bytes = 2048;
  options.poll_interval = absl::Milliseconds(5);
  EventFeed feed = FeedOver(table, options);
  HeldFollower follower;
  ASSERT_TRUE(feed.Attach(&follower, 0).ok());
  for (int s = 1; s <= 300; ++s) {
    table.Add(s);
    if (s % 50 == 0) feed.Wake();
  }
  Take(follower, feed, 300);
  std::vector<int64_t> all;
  for (int s = 1; s <= 300; ++s) all.push_back(s);
  EXPECT_EQ(follower.written(), all);
  EXPECT_LE(feed.WindowBytes(), options.window_bytes);
  feed.Cancel(&follower);
  ASSERT_TRUE(follower.AwaitEnd());
}

}  // namespace
}  // namespace shouhu
