#include "common/idempotency.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/db.h"
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

}  // namespace
}  // namespace shouhu
