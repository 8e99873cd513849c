#include "common/outbox.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/db.h"
#include "common/log.h"
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

  ASSERT_OK(outbox.SequencePending().status());
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

TEST(Outbox, AppendAll_OneInsertForManyEvents_SequencedInTheirOrder) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  SystemClock clock;
  IdGenerator ids(clock);
  Outbox outbox(database->pool(), ids);
  std::vector<common::v1::Principal> payloads;
  for (int i = 0; i < 40; ++i) payloads.push_back(Payload(absl::StrCat("event-", i)));
  std::vector<Outbox::Pending> pending;
  for (int i = 0; i < 40; ++i)
    pending.push_back({absl::StrCat("aggregate-", i % 3), &payloads[i], clock.Now()});
  ASSERT_OK(database->pool().Transaction([&](db::Session& tx) { return outbox.AppendAll(tx, pending); }));
  EXPECT_FALSE(database->pool()
                   .Transaction([&](db::Session& tx) -> absl::Status {
                     RETURN_IF_ERROR(outbox.AppendAll(tx, pending));
                     return absl::AbortedError("the batch failed");
                   })
                   .ok());
  ASSERT_OK(outbox.SequencePending().status());
  ASSERT_OK_AND_ASSIGN(auto events, outbox.ReadAfter(0, 100));
  ASSERT_EQ(events.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(events[i].sequence(), i + 1);
    EXPECT_EQ(events[i].aggregate_id(), absl::StrCat("aggregate-", i % 3));
    common::v1::Principal payload;
    ASSERT_TRUE(events[i].payload().UnpackTo(&payload));
    EXPECT_EQ(payload.subject(), absl::StrCat("event-", i));
  }
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
  ASSERT_OK(outbox.SequencePending().status());
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
  ASSERT_OK(outbox.SequencePending().status());
  ASSERT_OK_AND_ASSIGN(int64_t last, outbox.LastSequence());
  EXPECT_EQ(last, 3);
}

// A table of aggregates whose row each change locks, as a service's store locks the record it changes.
std::vector<db::Migration> Aggregates() {
  return {{"test", 1, "0001_aggregates",
           "CREATE TABLE aggregates (id VARCHAR(16) PRIMARY KEY, version BIGINT NOT NULL) ENGINE=InnoDB;\n"}};
}

// Changes `aggregate` (its version + 1) and appends an event carrying the new version, in one transaction.
absl::Status Change(db::Pool& pool, Outbox& outbox, const Clock& clock, const std::string& aggregate) {
  return pool.Transaction([&](db::Session& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.Execute("INSERT INTO aggregates (id, version) VALUES (?, 1) ON DUPLICATE KEY UPDATE "
                               "version = version + 1",
                               {aggregate})
                        .status());
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     tx.QueryOne("SELECT version FROM aggregates WHERE id = ?", {aggregate}));
    return outbox.Append(tx, aggregate, Payload(std::to_string(row->Int(0))), clock.Now());
  });
}

int64_t Version(const common::v1::Event& event) {
  common::v1::Principal payload;
  EXPECT_TRUE(event.payload().UnpackTo(&payload));
  return std::stoll(payload.subject());
}

// Every event once, numbered 1..n without a gap, and each aggregate's versions 1, 2, … in sequence order.
void ExpectGaplessInAggregateOrder(const std::vector<common::v1::Event>& events, size_t expected) {
  ASSERT_EQ(events.size(), expected);
  std::set<std::string> ids;
  absl::flat_hash_map<std::string, int64_t> last_version;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), static_cast<int64_t>(i + 1));
    EXPECT_TRUE(ids.insert(events[i].event_id()).second) << events[i].event_id();
    int64_t& last = last_version[events[i].aggregate_id()];
    EXPECT_EQ(Version(events[i]), last + 1) << events[i].aggregate_id() << " out of order";
    last = Version(events[i]);
  }
}

TEST(Outbox, ManyConcurrentProducers_EachEventSequencedOnceGaplessInAggregateOrder) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Aggregates(), 20));
  SystemClock clock;
  IdGenerator ids(clock);
  Outbox outbox(database->pool(), ids);
  constexpr int kWriters = 12;
  constexpr int kChanges = 25;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      // Three writers per aggregate, so they contend on its row as a service's concurrent changes do.
      const std::string aggregate = "a" + std::to_string(w % 4);
      for (int i = 0; i < kChanges; ++i) ASSERT_OK(Change(database->pool(), outbox, clock, aggregate));
    });
  }
  // A reader following along meanwhile, as a stream follower does: what it saw must never change.
  std::vector<common::v1::Event> followed;
  std::thread follower([&] {
    const absl::Time give_up = absl::Now() + absl::Minutes(2);  // only so a broken writer cannot hang it
    while (followed.size() < size_t{kWriters * kChanges} && absl::Now() < give_up) {
      auto events = outbox.ReadAfter(followed.empty() ? 0 : followed.back().sequence(), 100);
      ASSERT_OK(events.status());
      followed.insert(followed.end(), events->begin(), events->end());
      if (events->empty()) absl::SleepFor(absl::Milliseconds(5));
    }
  });
  for (auto& t : writers) t.join();
  follower.join();  // the sequencer thread numbers every event without being asked
  ASSERT_OK_AND_ASSIGN(int64_t left, outbox.SequencePending());
  EXPECT_EQ(left, 0);
  ASSERT_OK_AND_ASSIGN(auto events, outbox.ReadAfter(0, 1000));
  ExpectGaplessInAggregateOrder(events, kWriters * kChanges);
  ASSERT_EQ(followed.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(followed[i].event_id(), events[i].event_id());
}

TEST(Outbox, UncommittedEvent_DoesNotHoldBackOthers_AndWhenCommittedGetsALaterSequence) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  SystemClock clock;
  IdGenerator ids(clock);
  Outbox outbox(database->pool(), ids);
  ASSERT_OK_AND_ASSIGN(db::Lease held, database->pool().Acquire());
  ASSERT_OK(held->ExecuteConstant("START TRANSACTION"));
  ASSERT_OK(outbox.Append(*held, "slow", Payload("slow"), clock.Now()));  // the lower position

  ASSERT_OK(database->pool().Transaction(
      [&](db::Session& tx) { return outbox.Append(tx, "quick", Payload("quick"), clock.Now()); }));
  // Would wait on the held row (and fail on the lock-wait timeout) if the sequencer's read took locks.
  ASSERT_OK(outbox.SequencePending().status());
  ASSERT_OK_AND_ASSIGN(auto before, outbox.ReadAfter(0, 100));
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].aggregate_id(), "quick");
  EXPECT_EQ(before[0].sequence(), 1);

  ASSERT_OK(held->ExecuteConstant("COMMIT"));
  ASSERT_OK(outbox.SequencePending().status());
  // A reader that had passed sequence 1 still receives the late commit.
  ASSERT_OK_AND_ASSIGN(auto after, outbox.ReadAfter(1, 100));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].aggregate_id(), "slow");
  EXPECT_EQ(after[0].sequence(), 2);
}

TEST(Outbox, RolledBackWhileOthersCommit_LeavesNoEventAndNoGap) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  SystemClock clock;
  IdGenerator ids(clock);
  Outbox outbox(database->pool(), ids);
  ASSERT_OK_AND_ASSIGN(db::Lease held, database->pool().Acquire());
  ASSERT_OK(held->ExecuteConstant("START TRANSACTION"));
  ASSERT_OK(outbox.Append(*held, "abandoned", Payload("abandoned"), clock.Now()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(database->pool().Transaction(
        [&](db::Session& tx) { return outbox.Append(tx, "kept", Payload("kept"), clock.Now()); }));
  }
  ASSERT_OK(outbox.SequencePending().status());
  ASSERT_OK(held->ExecuteConstant("ROLLBACK"));
  ASSERT_OK(database->pool().Transaction(
      [&](db::Session& tx) { return outbox.Append(tx, "kept", Payload("kept"), clock.Now()); }));
  ASSERT_OK(outbox.SequencePending().status());

  ASSERT_OK_AND_ASSIGN(auto events, outbox.ReadAfter(0, 100));
  ASSERT_EQ(events.size(), 4u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(events[i].aggregate_id(), "kept");
  }
  EXPECT_EQ(database->Count("outbox_events"), 4);
}

// The sequencer lease as the counter row holds it: who, and whether it is still live by the database's clock.
struct Lease {
  std::string holder;
  bool live = false;
};
Lease ReadLease(db::Pool& pool) {
  Lease lease;
  EXPECT_OK(pool.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::optional<db::Row> row,
        s.QueryOne("SELECT holder, lease_until > UTC_TIMESTAMP(6) FROM outbox_sequence WHERE id = 1"));
    if (row) lease = {row->String(0), row->Int(1) == 1};
    return absl::OkStatus();
  }));
  return lease;
}

// Waits (generously, only so a broken sequencer cannot hang the test) until someone holds a live lease.
std::string AwaitHolder(db::Pool& pool) {
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  for (Lease lease = ReadLease(pool); absl::Now() < give_up; lease = ReadLease(pool)) {
    if (lease.live && !lease.holder.empty()) return lease.holder;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return "";
}

// Waits until `count` events are numbered, by whichever sequencer holds the lease.
std::vector<common::v1::Event> AwaitSequenced(Outbox& outbox, size_t count) {
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  std::vector<common::v1::Event> events;
  while (absl::Now() < give_up) {
    absl::StatusOr<std::vector<common::v1::Event>> read = outbox.ReadAfter(0, 10000);
    EXPECT_OK(read.status());
    if (read.ok()) events = *std::move(read);
    if (events.size() >= count) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return events;
}

// An event committed by another process (another replica): nobody in this one is woken by it.
absl::Status CommitElsewhere(db::Pool& pool, const std::string& aggregate, int version) {
  return pool.Transaction([&](db::Session& tx) {
    return tx
        .Execute(
            "INSERT INTO outbox_events (event_id, event_type, aggregate_id, occurred_at, payload) "
            "VALUES (?, 'shouhu.common.v1.Principal', ?, '2026-12-02 00:00:00', ?)",
            {absl::StrCat("elsewhere-", aggregate, "-", version), aggregate,
             Payload(std::to_string(version)).SerializeAsString()})
        .status();
  });
}

TEST(Outbox, TwoReplicasSequencingAtOnce_OnlyTheHolderNumbers_EachEventOnceWithoutGaps) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Aggregates(), 4));
  SystemClock clock;
  IdGenerator ids(clock);
  // Two replicas: each its own pool and outbox (with its own sequencer thread) on the one database.
  ASSERT_OK_AND_ASSIGN(auto pool_a, db::Pool::Open(database->config()));
  ASSERT_OK_AND_ASSIGN(auto pool_b, db::Pool::Open(database->config()));
  Outbox replica_a(*pool_a, ids);
  Outbox replica_b(*pool_b, ids);
  constexpr int kWritersPerReplica = 4;
  constexpr int kChanges = 30;
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (Outbox* replica : {&replica_a, &replica_b}) {
    db::Pool& pool = replica == &replica_a ? *pool_a : *pool_b;
    for (int w = 0; w < kWritersPerReplica; ++w) {
      threads.emplace_back([&, replica, w] {
        const std::string aggregate = "a" + std::to_string(w % 3);
        for (int i = 0; i < kChanges; ++i) ASSERT_OK(Change(pool, *replica, clock, aggregate));
      });
    }
  }
  // Besides each replica's own thread, both asked to number all the time: only the lease holder may.
  std::atomic<int64_t> numbered_by_a{0};
  std::atomic<int64_t> numbered_by_b{0};
  std::vector<std::thread> sequencers;
  for (Outbox* replica : {&replica_a, &replica_b}) {
    std::atomic<int64_t>& numbered = replica == &replica_a ? numbered_by_a : numbered_by_b;
    sequencers.emplace_back([&, replica] {
      while (writing) {
        absl::StatusOr<int64_t> n = replica->SequencePending();
        ASSERT_OK(n.status());
        numbered += *n;
      }
    });
  }
  for (auto& t : threads) t.join();
  writing = false;
  for (auto& t : sequencers) t.join();
  auto from_a = AwaitSequenced(replica_a, 2 * kWritersPerReplica * kChanges);
  ExpectGaplessInAggregateOrder(from_a, 2 * kWritersPerReplica * kChanges);
  ASSERT_OK_AND_ASSIGN(int64_t last_b, replica_b.LastSequence());
  EXPECT_EQ(last_b, 2 * kWritersPerReplica * kChanges);
  EXPECT_EQ(std::min(numbered_by_a.load(), numbered_by_b.load()), 0)
      << "both replicas numbered events: " << numbered_by_a << " and " << numbered_by_b;
}

TEST(Outbox, TwoSequencers_OnlyTheLeaseHolderNumbers_OthersEventsByItsPoll) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}, 4));
  SystemClock clock;
  IdGenerator ids(clock);
  ASSERT_OK_AND_ASSIGN(auto pool_a, db::Pool::Open(database->config()));
  ASSERT_OK_AND_ASSIGN(auto pool_b, db::Pool::Open(database->config()));
  Outbox holder(*pool_a, ids);
  const std::string holder_name =
      AwaitHolder(database->pool());  // the only sequencer claims at its first poll
  ASSERT_FALSE(holder_name.empty());
  Outbox other(*pool_b, ids);
  constexpr int kEvents = 20;
  int64_t numbered_by_other = 0;
  for (int i = 1; i <= kEvents; ++i) {
    // Right after a commit no poll is likely to have run yet: without the lease `other` numbers it here.
    ASSERT_OK(CommitElsewhere(database->pool(), "c", i));
    ASSERT_OK_AND_ASSIGN(int64_t n, other.SequencePending());
    numbered_by_other += n;
  }
  EXPECT_EQ(numbered_by_other, 0);
  auto events = AwaitSequenced(holder, kEvents);  // numbered by the holder's poll
  ExpectGaplessInAggregateOrder(events, kEvents);
  EXPECT_EQ(ReadLease(database->pool()).holder, holder_name);
}

TEST(Outbox, HolderDiesWithoutReleasing_AnotherTakesOverAfterTheLease_EveryEventNumberedOnceInOrder) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Aggregates(), 8));
  SystemClock clock;
  IdGenerator ids(clock);
  ASSERT_OK_AND_ASSIGN(auto pool_a, db::Pool::Open(database->config()));
  ASSERT_OK_AND_ASSIGN(auto pool_b, db::Pool::Open(database->config()));
  auto first = std::make_unique<Outbox>(*pool_a, ids);
  const std::string first_name = AwaitHolder(database->pool());
  ASSERT_FALSE(first_name.empty());
  Outbox second(*pool_b, ids);
  constexpr int kChanges = 15;
  auto write = [&](Outbox& outbox, db::Pool& pool) {
    std::vector<std::thread> writers;
    for (int w = 0; w < 3; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; i < kChanges; ++i) ASSERT_OK(Change(pool, outbox, clock, "a" + std::to_string(w)));
      });
    }
    for (auto& t : writers) t.join();
  };
  write(*first, *pool_a);
  write(second, *pool_b);
  // The holder dies: its sequencer stops, and the lease stays as its last renewal left it (the destructor's
  // release undone, as if the process had been killed), naming a holder that will never renew it.
  first.reset();
  ASSERT_OK(database->pool().Autocommit([&](db::Session& s) {
    return s
        .Execute("UPDATE outbox_sequence SET holder = ?, lease_until = UTC_TIMESTAMP(6) + INTERVAL 3 SECOND",
                 {first_name})
        .status();
  }));
  write(second, *pool_b);
  // While the dead holder's lease is live the survivor numbers nothing, though its own commits wake it.
  // Checked only when the lease was still live after the look (so during it too): no assumption about how
  // long anything takes.
  ASSERT_OK_AND_ASSIGN(int64_t numbered_early, second.SequencePending());
  int64_t unsequenced = 0;
  ASSERT_OK(database->pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     s.QueryOne("SELECT COUNT(*) FROM outbox_events WHERE sequence IS NULL"));
    unsequenced = row ? row->Int(0) : 0;
    return absl::OkStatus();
  }));
  if (ReadLease(database->pool()).live) {
    EXPECT_EQ(numbered_early, 0);
    EXPECT_GE(unsequenced, 3 * kChanges) << "the survivor numbered under the dead holder's live lease";
  }

  auto events = AwaitSequenced(second, 3 * 3 * kChanges);
  ExpectGaplessInAggregateOrder(events, 3 * 3 * kChanges);
  const Lease after = ReadLease(database->pool());
  EXPECT_NE(after.holder, first_name);
  EXPECT_FALSE(after.holder.empty());
}

TEST(Outbox, HolderDestroyed_ReleasesTheLease_AnotherNumbersWithoutWaitingForIt) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}, 4));
  SystemClock clock;
  IdGenerator ids(clock);
  ASSERT_OK_AND_ASSIGN(auto pool_a, db::Pool::Open(database->config()));
  ASSERT_OK_AND_ASSIGN(auto pool_b, db::Pool::Open(database->config()));
  auto first = std::make_unique<Outbox>(*pool_a, ids);
  const std::string first_name = AwaitHolder(database->pool());
  ASSERT_FALSE(first_name.empty());
  Outbox second(*pool_b, ids);
  first.reset();
  const Lease released = ReadLease(database->pool());  // free, or already claimed by the survivor's poll
  EXPECT_FALSE(released.live && released.holder == first_name);
  ASSERT_OK(CommitElsewhere(database->pool(), "c", 1));
  ASSERT_OK_AND_ASSIGN(int64_t numbered, second.SequencePending());
  ASSERT_OK_AND_ASSIGN(auto events, second.ReadAfter(0, 10));
  // Numbered by that call or, woken by nothing but its poll, by the survivor's thread just before it.
  EXPECT_LE(numbered, 1);
  ExpectGaplessInAggregateOrder(events, 1);
}

TEST(OutboxMigration, OldStyleEvents_KeepTheirSequencesAndNewOnesFollow) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  db::Pool& pool = database->pool();
  // Back to the schema before sequencing after commit: the table as common migration 2 made it, holding
  // three events numbered by the old Append, and migrations 6 and 7 not yet applied.
  std::vector<db::Migration> before;
  for (const db::Migration& m : db::CommonMigrations()) {
    if (m.component == "common" && m.version == 2) before.push_back(m);
  }
  ASSERT_EQ(before.size(), 1u);
  ASSERT_OK(pool.Autocommit([&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.ExecuteConstant("DROP TABLE outbox_events"));
    RETURN_IF_ERROR(
        s.ExecuteConstant("DELETE FROM schema_migrations WHERE component = 'common' AND version IN (6, 7)"));
    for (const std::string& statement : db::SplitStatements(before[0].sql)) {
      RETURN_IF_ERROR(s.ExecuteConstant(statement));
    }
    // Inserted out of order, so positions given in insertion order would differ from sequence order.
    for (int64_t sequence : {2, 3, 1}) {
      RETURN_IF_ERROR(s.Execute("INSERT INTO outbox_events (sequence, event_id, event_type, aggregate_id, "
                                "occurred_at, payload) VALUES (?, ?, 'shouhu.common.v1.Principal', 'old', "
                                "'2026-01-01 00:00:00', ?)",
                                {sequence, "0000000000000000000000000" + std::to_string(sequence),
                                 Payload("old " + std::to_string(sequence)).SerializeAsString()})
                          .status());
    }
    return s.ExecuteConstant("UPDATE outbox_sequence SET last_sequence = 3 WHERE id = 1");
  }));

  ASSERT_OK(db::ApplyMigrations(pool, db::CommonMigrations()));
  ASSERT_OK(pool.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query("SELECT position, sequence FROM outbox_events ORDER BY position"));
    EXPECT_EQ(rows.size(), 3u);
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].Int(1), static_cast<int64_t>(i + 1)) << "positions follow the old sequences";
    }
    return absl::OkStatus();
  }));

  SystemClock clock;
  IdGenerator ids(clock);
  Outbox outbox(pool, ids);
  ASSERT_OK(pool.Transaction(
      [&](db::Session& tx) { return outbox.Append(tx, "new", Payload("new"), clock.Now()); }));
  ASSERT_OK(outbox.SequencePending().status());
  ASSERT_OK_AND_ASSIGN(auto events, outbox.ReadAfter(0, 100));
  ASSERT_EQ(events.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].sequence(), i + 1);
    EXPECT_EQ(events[i].aggregate_id(), "old");
    common::v1::Principal payload;
    ASSERT_TRUE(events[i].payload().UnpackTo(&payload));
    EXPECT_EQ(payload.subject(), "old " + std::to_string(i + 1));
  }
  EXPECT_EQ(events[3].sequence(), 4);
  EXPECT_EQ(events[3].aggregate_id(), "new");
}

TEST(Outbox, SequencerThatCannotNumber_SaysSoOnceAndWhenItRecovers_AndLosesNothing) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create({}));
  SystemClock clock;
  IdGenerator ids(clock);
  char* text = nullptr;
  size_t size = 0;
  std::FILE* sink = open_memstream(&text, &size);
  ASSERT_NE(sink, nullptr);
  {
    Logger log("outbox-test", sink);
    Outbox outbox(database->pool(), ids);
    outbox.ReportFailuresTo(log);
    // The counter row gone is what a half-applied migration or a wiped table looks like to the sequencer.
    ASSERT_OK(database->pool().Autocommit(
        [](db::Session& s) { return s.Execute("DELETE FROM outbox_sequence WHERE id = 1").status(); }));
    ASSERT_OK(database->pool().Transaction(
        [&](db::Session& tx) { return outbox.Append(tx, "case-1", Payload("kept"), clock.Now()); }));
    absl::SleepFor(absl::Seconds(1));  // four polls, all failing
    ASSERT_OK_AND_ASSIGN(auto none, outbox.ReadAfter(0, 100));
    EXPECT_TRUE(none.empty());

    ASSERT_OK(database->pool().Autocommit([](db::Session& s) {
      return s.Execute("INSERT INTO outbox_sequence (id, last_sequence) VALUES (1, 0)").status();
    }));
    std::vector<common::v1::Event> events;
    for (int i = 0; i < 100 && events.empty(); ++i) {
      absl::SleepFor(absl::Milliseconds(50));
      ASSERT_OK_AND_ASSIGN(events, outbox.ReadAfter(0, 100));
    }
    ASSERT_EQ(events.size(), 1u) << "the event committed while the sequencer failed is numbered once it can";
    absl::SleepFor(absl::Milliseconds(600));  // the poll after the recovery logs it
  }
  std::fclose(sink);
  const std::string logged(text, size);
  std::free(text);
  size_t failures = 0;
  for (size_t at = logged.find("cannot number events"); at != std::string::npos;
       at = logged.find("cannot number events", at + 1)) {
    ++failures;
  }
  EXPECT_EQ(failures, 1u) << "one line for a failure lasting a second, not one per poll:\n" << logged;
  EXPECT_NE(logged.find("outbox_sequence row is missing"), std::string::npos) << logged;
  EXPECT_NE(logged.find("numbers events again"), std::string::npos) << logged;
}

}  // namespace
}  // namespace shouhu
