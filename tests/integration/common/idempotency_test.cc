#include "common/idempotency.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/idempotency_retention.h"
#include "common/status_macros.h"
#include "shouhu/common/v1/principal.pb.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace shouhu {
namespace {

using ::shouhu::testing::StatusIs;
using ::shouhu::testing::TestDatabase;

std::vector<db::Migration> Things() {
  return {{"test", 1, "0001_things", "CREATE TABLE things (id VARCHAR(32) PRIMARY KEY) ENGINE=InnoDB;\n"}};
}

// A mutation in the shape every store uses: claim, act, complete, all in one transaction.
absl::StatusOr<std::string> CreateThing(db::Pool& pool, const IdempotencyKey& key,
                                        const std::string& new_id) {
  std::string result;
  RETURN_IF_ERROR(pool.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, ClaimIdempotent(tx, key, absl::Now()));
    if (earlier) {
      result = *earlier;
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(tx.Execute("INSERT INTO things (id) VALUES (?)", {new_id}).status());
    result = new_id;
    return CompleteIdempotent(tx, key, new_id);
  }));
  return result;
}

IdempotencyKey Key(const std::string& request_id, const std::string& content) {
  common::v1::Principal request;  // any message stands in for a request
  request.set_subject(content);
  return {"test/CreateThing", "caller-1", request_id, RequestHash(request)};
}

TEST(Idempotency, RetryWithSameIdAndContent_ReturnsFirstResultAndWritesNothing) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things()));
  ASSERT_OK_AND_ASSIGN(std::string first, CreateThing(database->pool(), Key("r1", "x"), "thing-1"));
  ASSERT_OK_AND_ASSIGN(std::string again, CreateThing(database->pool(), Key("r1", "x"), "thing-2"));
  EXPECT_EQ(first, "thing-1");
  EXPECT_EQ(again, "thing-1");
  EXPECT_EQ(database->Count("things"), 1);
}

TEST(Idempotency, SameIdWithOtherContent_IsRejectedOnRequestId) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things()));
  ASSERT_OK(CreateThing(database->pool(), Key("r1", "x"), "thing-1"));
  auto other = CreateThing(database->pool(), Key("r1", "y"), "thing-2");
  EXPECT_THAT(other, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(other.status()), "request_id");
  EXPECT_EQ(database->Count("things"), 1);
}

// Keys compare byte for byte: a request id or a caller differing from a recorded one only in case is another
// request, never answered with the recorded one's answer.
TEST(Idempotency, KeysDifferingOnlyInCase_AreDifferentRequests) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things()));
  IdempotencyKey other_caller = Key("r1", "x");
  other_caller.caller = "CALLER-1";
  const std::vector<IdempotencyKey> keys = {Key("r1", "x"), Key("R1", "x"), other_caller};
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string id = absl::StrCat("thing-", i + 1);
    ASSERT_OK_AND_ASSIGN(std::string created, CreateThing(database->pool(), keys[i], id));
    EXPECT_EQ(created, id) << "request id " << keys[i].request_id << ", caller " << keys[i].caller;
  }
  EXPECT_EQ(database->Count("things"), 3);
}

TEST(RecordFirstAnswers, KeysDifferingOnlyInCase_AreRecordedAndFoundApart) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things()));
  const IdempotencyKey lower = Key("r1", "x");
  const IdempotencyKey upper = Key("R1", "x");
  ASSERT_OK(database->pool().Transaction([&](db::Session& tx) {
    return RecordFirstAnswers(tx, {{&lower, "answer-lower", absl::Now()}});
  }));
  ASSERT_OK(database->pool().Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto found, FindRecordedAnswers(tx, {&upper}));
    EXPECT_FALSE(found[0].has_value());
    return RecordFirstAnswers(tx, {{&upper, "answer-upper", absl::Now()}});
  }));
  ASSERT_OK(database->pool().Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(auto found, FindRecordedAnswers(session, {&lower, &upper}));
    EXPECT_EQ(found[0].value_or(RecordedAnswer{}).response, "answer-lower");
    EXPECT_EQ(found[1].value_or(RecordedAnswer{}).response, "answer-upper");
    return absl::OkStatus();
  }));
}

TEST(Idempotency, ConcurrentDuplicates_CreateExactlyOneThing) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things(), /*pool_size=*/16));
  constexpr int kClients = 12;
  std::vector<std::string> results(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      auto r = CreateThing(database->pool(), Key("same", "x"), "thing-" + std::to_string(i));
      results[i] = r.ok() ? *r : std::string(r.status().message());
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(database->Count("things"), 1);
  for (const auto& r : results) EXPECT_EQ(r, results[0]);
}

TEST(Idempotency, FailedAttempt_LeavesTheIdFree) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things()));
  // "thing-1" made twice under different ids: the second insert fails, its claim must roll back with it.
  ASSERT_OK(CreateThing(database->pool(), Key("r1", "x"), "thing-1"));
  EXPECT_THAT(CreateThing(database->pool(), Key("r2", "x"), "thing-1"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(std::string retried, CreateThing(database->pool(), Key("r2", "x"), "thing-2"));
  EXPECT_EQ(retried, "thing-2");
}

TEST(ValidateRequestId, RequiresPrintableAsciiUpTo128) {
  EXPECT_THAT(ValidateRequestId(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateRequestId(std::string(129, 'a')), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateRequestId("has space"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(ValidateRequestId("0b6c9a2e-referral-17"));
}

// ---- IdempotentTransaction: the typed wrapper every store uses.

// A "thing" whose answer is a message naming it and its state, written by the wrapper.
absl::StatusOr<common::v1::Principal> CreateThingTyped(db::Pool& pool, const IdempotencyKey& key,
                                                       const std::string& new_id,
                                                       absl::Status fail_with = absl::OkStatus()) {
  return IdempotentTransaction<common::v1::Principal>(
      pool, key, absl::Now(), [&](db::Session& tx) -> absl::StatusOr<common::v1::Principal> {
        RETURN_IF_ERROR(tx.Execute("INSERT INTO things (id) VALUES (?)", {new_id}).status());
        RETURN_IF_ERROR(fail_with);
        common::v1::Principal answer;
        answer.set_subject(new_id);
        answer.set_organisation_id("state: new");
        return answer;
      });
}

TEST(IdempotentTransaction, RetryAfterTheRecordChanged_ReturnsTheFirstAnswerAndWritesNothing) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things()));
  ASSERT_OK_AND_ASSIGN(common::v1::Principal first,
                       CreateThingTyped(database->pool(), Key("r1", "x"), "t-1"));
  // The record moves on (another request changes it) before the client retries.
  ASSERT_OK(database->pool().Autocommit([](db::Session& s) {
    return s.Execute("UPDATE things SET id = 't-1-renamed' WHERE id = 't-1'").status();
  }));
  ASSERT_OK_AND_ASSIGN(common::v1::Principal again,
                       CreateThingTyped(database->pool(), Key("r1", "x"), "t-2"));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(again.subject(), "t-1");
  EXPECT_EQ(database->Count("things"), 1);
}

TEST(IdempotentTransaction, SameIdWithOtherContent_IsRejectedOnRequestIdAndWritesNothing) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things()));
  ASSERT_OK(CreateThingTyped(database->pool(), Key("r1", "x"), "t-1"));
  auto other = CreateThingTyped(database->pool(), Key("r1", "y"), "t-2");
  EXPECT_THAT(other, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(other.status()), "request_id");
  EXPECT_EQ(database->Count("things"), 1);
}

TEST(IdempotentTransaction, FirstAttemptFails_NothingIsRecordedAndTheRetryRuns) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things()));
  auto failed =
      CreateThingTyped(database->pool(), Key("r1", "x"), "t-1", absl::FailedPreconditionError("not yet"));
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(database->Count("things"), 0);
  EXPECT_EQ(database->Count("idempotency_records"), 0);
  ASSERT_OK_AND_ASSIGN(common::v1::Principal ok, CreateThingTyped(database->pool(), Key("r1", "x"), "t-1"));
  EXPECT_EQ(ok.subject(), "t-1");
  EXPECT_EQ(database->Count("things"), 1);
}

TEST(IdempotentTransaction, SameRequestConcurrently_OneEffectAndEveryCallerGetsTheFirstAnswer) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things(), /*pool_size=*/16));
  constexpr int kCallers = 12;
  std::vector<std::string> answers(kCallers);
  std::vector<absl::Status> statuses(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      auto answer = CreateThingTyped(database->pool(), Key("same", "x"), absl::StrCat("t-", i));
      statuses[i] = answer.status();
      if (answer.ok()) answers[i] = answer->subject();
    });
  }
  for (auto& c : callers) c.join();
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_OK(statuses[i]);
    EXPECT_EQ(answers[i], answers[0]);
  }
  EXPECT_EQ(database->Count("things"), 1);
  EXPECT_EQ(database->Count("idempotency_records"), 1);
}

// ---- Retention: records older than the retention go, a day at a time, once across replicas.

absl::StatusOr<common::v1::Principal> CreateThingAt(db::Pool& pool, const IdempotencyKey& key,
                                                    const std::string& new_id, absl::Time now) {
  return IdempotentTransaction<common::v1::Principal>(
      pool, key, now, [&](db::Session& tx) -> absl::StatusOr<common::v1::Principal> {
        RETURN_IF_ERROR(tx.Execute("INSERT INTO things (id) VALUES (?)", {new_id}).status());
        common::v1::Principal answer;
        answer.set_subject(new_id);
        return answer;
      });
}

TEST(IdempotencyRetention, RecordsOlderThanTheRetention_ArePurgedInBatches_YoungerOnesStillReplay) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things()));
  const absl::Time today = absl::FromCivil(absl::CivilDay(2026, 12, 1), ShanghaiTimeZone());
  for (int i = 0; i < 7; ++i) {
    ASSERT_OK(CreateThingAt(database->pool(), Key(absl::StrCat("old-", i), "x"), absl::StrCat("old-", i),
                            today - absl::Hours(24 * 100) + absl::Minutes(i)));
  }
  ASSERT_OK(CreateThingAt(database->pool(), Key("young", "x"), "young", today - absl::Hours(24 * 89)));

  ManualClock clock(today + absl::Hours(3));
  IdempotencyRetention first(database->pool(), clock, absl::Hours(24 * 90), "replica-1");
  IdempotencyRetention second(database->pool(), clock, absl::Hours(24 * 90), "replica-2");
  ASSERT_OK_AND_ASSIGN(std::optional<PeriodicRun> ran, first.RunDue());
  ASSERT_TRUE(ran.has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<PeriodicRun> again, second.RunDue());
  EXPECT_FALSE(again.has_value()) << "one purge per day across replicas";

  EXPECT_EQ(database->Count("idempotency_records"), 1);
  // The young record still replays its first answer; an old id is a new request now.
  ASSERT_OK_AND_ASSIGN(common::v1::Principal replayed,
                       CreateThingAt(database->pool(), Key("young", "x"), "young-2", clock.Now()));
  EXPECT_EQ(replayed.subject(), "young");
  ASSERT_OK_AND_ASSIGN(common::v1::Principal renewed,
                       CreateThingAt(database->pool(), Key("old-0", "x"), "old-0-again", clock.Now()));
  EXPECT_EQ(renewed.subject(), "old-0-again");
}

TEST(IdempotencyRetention, Purge_DeletesEveryOldRecordWhateverTheBatchSize) {
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(Things()));
  const absl::Time then = absl::FromUnixSeconds(1'700'000'000);
  for (int i = 0; i < 11; ++i) {
    ASSERT_OK(CreateThingAt(database->pool(), Key(absl::StrCat("r", i), "x"), absl::StrCat("t", i), then));
  }
  ASSERT_OK_AND_ASSIGN(int64_t purged, PurgeIdempotencyRecords(database->pool(), then + absl::Seconds(1), 4));
  EXPECT_EQ(purged, 11);
  EXPECT_EQ(database->Count("idempotency_records"), 0);
}

}  // namespace
}  // namespace shouhu
