// Attempts at API client ids that name no client (known_client_ids.h): refused without a credential worker or
// a read of the client, a client created through another replica let in within about a second, and the
// checks as before while the ids cannot be read. An authenticator on the real tables, behind a store that
// counts what it is asked.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"
#include "services/gateway/api_clients.h"
#include "services/gateway/gateway_store.h"
#include "tests/integration/gateway/api_client_logins.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace shouhu {
std::vector<db::Migration> GatewayMigrations();  // generated from services/gateway/migrations
}

namespace shouhu::gateway {
namespace {

using testing::Login;
using testing::PendingLogin;
using testing::StartLogin;
using testing::StatusIs;
using testing::TestDatabase;

// The gateway's store, counting the clients read one by one (by id) and the reads of ids; the ids can be made
// unreadable, as with the database down.
class CountingStore final : public ApiClientCredentialStore {
 public:
  explicit CountingStore(ApiClientCredentialStore& store) : store_(store) {}

  absl::StatusOr<ApiClientRecord> GetClient(const std::string& client_id) override {
    {
      absl::MutexLock lock(&mu_);
      ++clients_read_[client_id];
    }
    return store_.GetClient(client_id);
  }
  absl::Status SetFastVerifier(const std::string& client_id, const std::string& secret_id,
                               const std::string& fast_verifier) override {
    return store_.SetFastVerifier(client_id, secret_id, fast_verifier);
  }
  absl::StatusOr<std::vector<std::string>> ClientIdsAfter(const std::string& after, int limit) override {
    absl::MutexLock lock(&mu_);
    ++id_reads_;
    if (ids_unreadable_) return absl::UnavailableError("the database is away");
    return store_.ClientIdsAfter(after, limit);
  }

  int ClientReads(const std::string& client_id) {
    absl::MutexLock lock(&mu_);
    return clients_read_[client_id];
  }
  int IdReads() {
    absl::MutexLock lock(&mu_);
    return id_reads_;
  }
  void SetIdsUnreadable(bool unreadable) {
    absl::MutexLock lock(&mu_);
    ids_unreadable_ = unreadable;
  }

 private:
  ApiClientCredentialStore& store_;
  absl::Mutex mu_;
  std::map<std::string, int> clients_read_ ABSL_GUARDED_BY(mu_);
  int id_reads_ ABSL_GUARDED_BY(mu_) = 0;
  bool ids_unreadable_ ABSL_GUARDED_BY(mu_) = false;
};

struct CountySystem {
  std::string client_id;
  std::string secret;
};

class UnknownClientIdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create(GatewayMigrations());
    ASSERT_OK(db);
    db_ = *std::move(db);
    store_ = std::make_unique<GatewayStore>(db_->pool());
    counting_ = std::make_unique<CountingStore>(*store_);
  }

  // A client written into the tables as another replica (whose clock reads `now`) would write it.
  CountySystem CreatedElsewhere(absl::Time now) {
    ManualClock replica_clock(now);
    IdGenerator ids(replica_clock);
    CountySystem county{ids.Next(), NewApiClientSecret()};
    ApiClientRecord client;
    client.client_id = county.client_id;
    client.display_name = "Wuhua case system";
    client.organisation_id = "org-wuhua-civil-affairs";
    client.roles = {"ROLE_CIVIL_AFFAIRS_OFFICER"};
    client.jurisdictions = {"530102"};
    client.created_at = now;
    absl::StatusOr<std::string> hash = HashApiClientSecret(county.secret);
    EXPECT_OK(hash);
    const IdempotencyKey key{"shouhu.gateway.v1.GatewayAdminService/CreateApiClient", "gateway-admin",
                             "create-" + county.client_id, "hash-" + county.client_id};
    EXPECT_OK(store_->CreateClient(
        key, client, {ids.Next(), hash.value_or(""), now, std::nullopt, FastVerifierOf(county.secret)}));
    return county;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<GatewayStore> store_;
  std::unique_ptr<CountingStore> counting_;
};

// Someone presents 300 random well-formed client ids, each a new one, at a replica just started, and a county
// system makes its first call there while they are being answered (a slow check: its secret not yet seen
// succeed here). Every guess is refused UNAUTHENTICATED, counted for the operator, and none is read from the
// tables (one read of the ids created since, per second, at most); the county gets in. Before, each guess
// took a slow-check worker and a read of the tables (with the check of the ids taken out: 269 of the 300
// read, 31 answered RESOURCE_EXHAUSTED for a full queue), and a flood faster than the reads filled the queue
// for every county's first login.
TEST_F(UnknownClientIdsTest, ApiClient_FloodOfRandomIds_RefusedWithoutTheTablesWhileAFirstLoginGetsIn) {
  const CountySystem county = CreatedElsewhere(absl::Now());
  SystemClock clock;
  Metrics metrics("gateway");
  const absl::Time started = absl::Now();
  ApiClientAuthenticator replica(*counting_, clock, absl::Minutes(10), absl::Seconds(2), 2, &metrics);
  const int reads_at_start = counting_->IdReads();

  IdGenerator guessed_ids(clock);
  std::vector<std::string> guesses;
  std::vector<std::unique_ptr<PendingLogin>> attempts;
  for (int i = 0; i < 300; ++i) {
    guesses.push_back(guessed_ids.Next());
    attempts.push_back(StartLogin(replica, guesses.back(), NewApiClientSecret()));
  }
  std::unique_ptr<PendingLogin> county_login = StartLogin(replica, county.client_id, county.secret);
  for (size_t i = 0; i < attempts.size(); ++i) {
    attempts[i]->done.WaitForNotification();
    EXPECT_THAT(attempts[i]->result, StatusIs(absl::StatusCode::kUnauthenticated)) << guesses[i];
    EXPECT_EQ(counting_->ClientReads(guesses[i]), 0) << guesses[i];
  }
  county_login->done.WaitForNotification();
  ASSERT_OK(county_login->result);
  EXPECT_EQ(county_login->result->subject(), county.client_id);
  const int reads = counting_->IdReads() - reads_at_start;
  EXPECT_LE(reads, 1 + absl::ToInt64Seconds(absl::Now() - started) + 1);
  EXPECT_TRUE(absl::StrContains(
      metrics.Render(),
      "shouhu_gateway_api_client_id_flooded_total{service=\"gateway\",reason=\"unknown_id\"} 300\n"))
      << metrics.Render();
}

// A county system created through another replica after this one read the ids gets in here within about a
// second: an unknown id makes this replica read the ids created since, at most once a second, and an attempt
// within the second after a read is refused without waiting. Also when the other replica's clock is a minute
// behind, so that its client's id sorts below the newest this replica knows.
TEST_F(UnknownClientIdsTest, ApiClient_CreatedThroughAnotherReplica_GetsInWithinASecond) {
  ManualClock clock(absl::Now());
  ApiClientAuthenticator replica(*counting_, clock, absl::Minutes(10), absl::Seconds(2), 1);
  EXPECT_THAT(Login(replica, IdGenerator(clock).Next(), "a-guess"),
              StatusIs(absl::StatusCode::kUnauthenticated));  // the ids are read for it

  const auto gets_in_within = [&](const CountySystem& county) -> absl::StatusOr<absl::Duration> {
    const absl::Time created = clock.Now();
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    while (clock.Now() - created <= absl::Seconds(3) && absl::Now() < give_up) {
      absl::StatusOr<Principal> answer = Login(replica, county.client_id, county.secret);
      if (answer.ok()) return clock.Now() - created;
      EXPECT_THAT(answer, StatusIs(absl::StatusCode::kUnauthenticated));
      clock.Advance(absl::Milliseconds(100));
    }
    return absl::DeadlineExceededError("never let in");
  };
  const CountySystem county = CreatedElsewhere(clock.Now() + absl::Milliseconds(1));
  ASSERT_OK_AND_ASSIGN(absl::Duration waited, gets_in_within(county));
  EXPECT_GT(waited, absl::ZeroDuration());  // refused without a read within the second after the guess's
  EXPECT_LE(waited, absl::Seconds(1));
  EXPECT_EQ(counting_->ClientReads(county.client_id), 1);  // its slow check, once let past the ids

  clock.Advance(absl::Seconds(1));
  const CountySystem behind = CreatedElsewhere(clock.Now() - absl::Minutes(1));
  ASSERT_LT(behind.client_id, county.client_id);
  ASSERT_OK_AND_ASSIGN(waited, gets_in_within(behind));
  EXPECT_LE(waited, absl::Seconds(1));
}

// The ids cannot be read when the replica starts (the database away): it says so in its log and checks every
// id as before, against the tables under the per-id limit, so the counties keep getting in. Once the ids can
// be read, the next unknown id's turn reads them, and guesses are refused without the tables again.
TEST_F(UnknownClientIdsTest, ApiClient_IdsUnreadableAtStart_EveryIdCheckedAsBefore) {
  const CountySystem county = CreatedElsewhere(absl::Now());
  std::FILE* log = std::tmpfile();
  ASSERT_NE(log, nullptr);
  Logger logger("gateway", log);
  counting_->SetIdsUnreadable(true);
  ManualClock clock(absl::Now());
  ApiClientAuthenticator replica(*counting_, clock, absl::Minutes(10), absl::Seconds(2), 1, nullptr, &logger);
  std::fflush(log);
  std::rewind(log);
  char line[2048] = {};
  ASSERT_NE(std::fgets(line, sizeof line, log), nullptr);
  std::fclose(log);
  EXPECT_TRUE(absl::StrContains(line, "API client ids not read")) << line;

  ASSERT_OK_AND_ASSIGN(Principal principal, Login(replica, county.client_id, county.secret));
  EXPECT_EQ(principal.subject(), county.client_id);
  const std::string guessed = IdGenerator(clock).Next();
  EXPECT_THAT(Login(replica, guessed, "a-guess"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(counting_->ClientReads(guessed), 1);  // the way it was before the ids were kept

  counting_->SetIdsUnreadable(false);
  clock.Advance(absl::Seconds(1));
  IdGenerator guessed_ids(clock);
  for (int i = 0; i < 3; ++i) {
    const std::string next = guessed_ids.Next();
    EXPECT_THAT(Login(replica, next, "a-guess"), StatusIs(absl::StatusCode::kUnauthenticated));
    EXPECT_EQ(counting_->ClientReads(next), 0) << i;
  }
  EXPECT_OK(Login(replica, county.client_id, county.secret));
}

}  // namespace
}  // namespace shouhu::gateway
