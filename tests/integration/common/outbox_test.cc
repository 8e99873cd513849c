#include "common/outbox.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/db.h"
#include "common/status_macros.h"
#include "shouhu/common/v1/principal.pb.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace shouhu {
namespace {

using ::shouhu::testing::TestDatabase;

common::v1::Principal Payload(const std::string& subject) {
  common::v1::Principal p;  // any message stands in for an event payload
  p.set_subject(subject);
  return p;
}

TEST(Outbox, EventsOfCommittedTransactionsOnly_InSequence) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  SystemClock clock;
  IdGenerator ids(clock);
  Outbox outbox(database->pool(), ids);
  ASSERT_OK(database->pool().Transaction(
      [&](db::Session& tx) { return outbox.Append(tx, "case-1", Payload("first"), clock.Now()); }));
  EXPECT_FALSE(database->pool()
                   .Transaction([&](db::Session& tx) -> absl::Status {
                     RETURN_IF_ERROR(outbox.Append(tx, "case-2", Payload("rolled back"), clock.Now()));
                     return absl::AbortedError("the change failed");
                   })
                   .ok());
  ASSERT_OK(database->pool().Transaction(
      [&](db::Session& tx) { return outbox.Append(tx, "case-3", Payload("third"), clock.Now()); }));

  ASSERT_OK_AND_ASSIGN(auto events, outbox.ReadAfter(0, 100));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].sequence(), 1);
  EXPECT_EQ(events[0].aggregate_id(), "case-1");
  EXPECT_EQ(events[0].type(), "shouhu.common.v1.Principal");
  common::v1::Principal payload;
  ASSERT_TRUE(events[1].payload().UnpackTo(&payload));
  EXPECT_EQ(payload.subject(), "third");
  EXPECT_EQ(events[1].sequence(), 2);  // no gap left by the rolled-back one
  ASSERT_OK_AND_ASSIGN(auto after_first, outbox.ReadAfter(1, 100));
  ASSERT_EQ(after_first.size(), 1u);
  EXPECT_EQ(after_first[0].aggregate_id(), "case-3");
}

TEST(Outbox, ConcurrentWriters_GetDistinctConsecutiveSequences) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}, 16));
  SystemClock clock;
  IdGenerator ids(clock);
  Outbox outbox(database->pool(), ids);
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 10; ++i) {
        ASSERT_OK(database->pool().Transaction([&](db::Session& tx) {
          return outbox.Append(tx, "w" + std::to_string(w), Payload(std::to_string(i)), clock.Now());
        }));
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_OK_AND_ASSIGN(auto events, outbox.ReadAfter(0, 1000));
  ASSERT_EQ(events.size(), 80u);
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].sequence(), static_cast<int64_t>(i + 1));
}

TEST(Outbox, LastSequence_IsTheHighestCommitted) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  SystemClock clock;
  IdGenerator ids(clock);
  Outbox outbox(database->pool(), ids);
  ASSERT_OK_AND_ASSIGN(int64_t empty, outbox.LastSequence());
  EXPECT_EQ(empty, 0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(database->pool().Transaction(
        [&](db::Session& tx) { return outbox.Append(tx, "c", Payload("e"), clock.Now()); }));
  }
  ASSERT_OK_AND_ASSIGN(int64_t last, outbox.LastSequence());
  EXPECT_EQ(last, 3);
}

}  // namespace
}  // namespace shouhu
