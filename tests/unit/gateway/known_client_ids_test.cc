// The ids of the API clients a replica keeps (known_client_ids.h), over a store of ids in memory: who is
// judged known, when an unknown id gets a read, and which ids a read finds.
#include "services/gateway/known_client_ids.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "common/ids.h"

namespace shouhu::gateway {
namespace {

using Verdict = KnownClientIds::Verdict;

// Client ids in memory; reads of them can be made to fail.
class IdsInMemory final : public ApiClientCredentialStore {
 public:
  absl::StatusOr<ApiClientRecord> GetClient(const std::string&) override {
    return absl::NotFoundError("not asked here");
  }
  absl::Status SetFastVerifier(const std::string&, const std::string&, const std::string&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> ClientIdsAfter(const std::string& after, int limit) override {
    starts.push_back(after);
    if (unreadable) return absl::UnavailableError("the database is away");
    std::vector<std::string> page;
    for (auto it = ids.upper_bound(after); it != ids.end() && static_cast<int>(page.size()) < limit; ++it) {
      page.push_back(*it);
    }
    return page;
  }

  std::set<std::string> ids;
  std::vector<std::string> starts;  // where each page of a read began
  bool unreadable = false;
};

std::string IdMadeAt(absl::Time t) {
  ManualClock at(t);
  return IdGenerator(at).Next();
}

TEST(KnownClientIdsTest, UnknownId_ReadsOncePerSecondAndIsRefusedMeanwhile) {
  ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  IdsInMemory store;
  const std::string county = IdMadeAt(clock.Now() - absl::Hours(24));
  store.ids.insert(county);
  KnownClientIds known(store, clock);
  ASSERT_TRUE(known.Read().ok());
  EXPECT_EQ(known.Judge(county), Verdict::kKnown);

  const std::string created_elsewhere = IdMadeAt(clock.Now());
  EXPECT_EQ(known.Judge(created_elsewhere), Verdict::kReadFirst);  // the first read at start did not count
  EXPECT_EQ(known.Judge(created_elsewhere), Verdict::kUnknown);    // a read under way: refused, no wait
  store.ids.insert(created_elsewhere);
  clock.Advance(absl::Seconds(5));  // a slow read
  ASSERT_TRUE(known.Read().ok());
  EXPECT_EQ(known.Judge(created_elsewhere), Verdict::kKnown);  // found: it was created before the read

  const std::string guessed = IdMadeAt(clock.Now());
  clock.Advance(absl::Milliseconds(999));
  EXPECT_EQ(known.Judge(guessed), Verdict::kUnknown);  // within the second after the read ended
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(known.Judge(guessed), Verdict::kReadFirst);
  ASSERT_TRUE(known.Read().ok());
  EXPECT_EQ(known.Judge(guessed), Verdict::kUnknown);
}

// A client created through a replica whose clock is behind has an id below the newest known: the range read
// starts minutes before it. One further behind still is found by the whole read, every ten minutes.
TEST(KnownClientIdsTest, IdBelowTheNewestKnown_FoundByTheReadsMargin_OrByTheWholeRead) {
  ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  IdsInMemory store;
  const std::string newest = IdMadeAt(clock.Now());
  store.ids.insert(newest);
  KnownClientIds known(store, clock);
  ASSERT_TRUE(known.Read().ok());
  ASSERT_EQ(store.starts, std::vector<std::string>{""});

  const std::string behind = IdMadeAt(clock.Now() - absl::Minutes(1));
  const std::string far_behind = IdMadeAt(clock.Now() - absl::Minutes(30));
  store.ids.insert(behind);
  store.ids.insert(far_behind);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(known.Judge(behind), Verdict::kReadFirst);
  ASSERT_TRUE(known.Read().ok());
  ASSERT_EQ(store.starts.size(), 2u);
  EXPECT_NE(store.starts[1], "");  // a range, not every id
  EXPECT_EQ(*IdUnixMillis(store.starts[1]),
            absl::ToUnixMillis(clock.Now() - absl::Seconds(1) - absl::Minutes(5)));
  EXPECT_EQ(known.Judge(behind), Verdict::kKnown);

  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(known.Judge(far_behind), Verdict::kReadFirst);
  ASSERT_TRUE(known.Read().ok());
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(known.Judge(far_behind), Verdict::kReadFirst);  // not yet: the range missed it
  ASSERT_TRUE(known.Read().ok());
  clock.Advance(absl::Minutes(10));
  EXPECT_EQ(known.Judge(far_behind), Verdict::kReadFirst);
  ASSERT_TRUE(known.Read().ok());
  EXPECT_EQ(store.starts.back(), "");
  EXPECT_EQ(known.Judge(far_behind), Verdict::kKnown);
}

// Ids that cannot be read at start leave every id to be checked as before (kUnread), and an unknown id's turn
// reads them again, once a second at most; a client created here is known at once all the same.
TEST(KnownClientIdsTest, UnreadableAtStart_EveryIdUnread_UntilATurnReadsThem) {
  ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  IdsInMemory store;
  const std::string county = IdMadeAt(clock.Now() - absl::Hours(1));
  store.ids.insert(county);
  store.unreadable = true;
  KnownClientIds known(store, clock);
  EXPECT_FALSE(known.Read().ok());
  EXPECT_EQ(known.Judge(county), Verdict::kReadFirst);
  EXPECT_FALSE(known.Read().ok());
  EXPECT_EQ(known.Judge(county), Verdict::kUnread);
  const std::string created_here = IdMadeAt(clock.Now());
  known.Add(created_here);
  EXPECT_EQ(known.Judge(created_here), Verdict::kKnown);

  store.unreadable = false;
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(known.Judge(county), Verdict::kReadFirst);
  ASSERT_TRUE(known.Read().ok());
  EXPECT_EQ(known.Judge(county), Verdict::kKnown);
  EXPECT_EQ(known.Judge(IdMadeAt(clock.Now())), Verdict::kUnknown);
}

}  // namespace
}  // namespace shouhu::gateway
