// The audit rows of calls the gateway refused at the door (refused_call_rows.h): a budget of rows one by one
// per caller (by address when unidentified, by subject when turned away) and window, the rest folded into one
// counting row; calls that reached a service never folded.
#include "services/gateway/refused_call_rows.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace shouhu::gateway {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1796083200);  // 2026-12-01 00:00 UTC

AuditRecord Unidentified(const std::string& peer, int n, absl::Duration after = absl::ZeroDuration()) {
  AuditRecord row;
  row.audit_id = absl::StrCat("row-", peer, "-", n);
  row.occurred_at = kStart + after;
  row.method = "/shouhu.registry.v1.RegistryService/GetChild";
  row.face = "grpc";
  row.grpc_code = 16;  // UNAUTHENTICATED
  row.peer = peer;
  return row;
}

// A minute's window, and room enough in all unless a test says otherwise.
RefusedCallLimits Limits(int one_by_one, size_t max_callers = 100, int one_by_one_in_all = 1000) {
  RefusedCallLimits limits;
  limits.one_by_one = one_by_one;
  limits.window = absl::Minutes(1);
  limits.max_callers = max_callers;
  limits.one_by_one_in_all = one_by_one_in_all;
  return limits;
}

// Feeds `calls` rows from `peer`; returns how many were written one by one.
int Feed(RefusedCallRows& calls, const std::string& peer, int count) {
  int written = 0;
  for (int i = 0; i < count; ++i) written += calls.Take(Unidentified(peer, i)).has_value() ? 1 : 0;
  return written;
}

int64_t Repeats(const std::vector<AuditRecord>& rows) {
  int64_t sum = 0;
  for (const AuditRecord& row : rows) sum += row.repeats;
  return sum;
}

TEST(RefusedCallRows, BeyondTheBudget_FoldedIntoOneRowCountingThem_WrittenWhenTheWindowEnds) {
  RefusedCallRows calls(Limits(/*one_by_one=*/3));
  EXPECT_EQ(Feed(calls, "203.0.113.9", 1000), 3);
  EXPECT_TRUE(calls.Ended(kStart + absl::Seconds(59)).empty()) << "the window has not ended";
  const std::vector<AuditRecord> folded = calls.Ended(kStart + absl::Minutes(1));
  ASSERT_EQ(folded.size(), 1u);
  EXPECT_EQ(folded[0].repeats, 997);
  EXPECT_EQ(folded[0].audit_id, "row-203.0.113.9-3") << "the first call folded stands for them";
  EXPECT_EQ(folded[0].peer, "203.0.113.9");
  EXPECT_EQ(folded[0].grpc_code, 16);
  // The window ended: the source has its budget again.
  EXPECT_EQ(Feed(calls, "203.0.113.9", 5), 3);
}

// A call that reached a service is its caller's row, however many; one its policy or rate limit turned away
// at the door is folded like an unidentified one, counted by the caller's subject, not its address.
TEST(RefusedCallRows, IdentifiedCallers_FoldedOnlyWhenTurnedAway_EachSubjectItsOwnBudget) {
  RefusedCallRows calls(Limits(/*one_by_one=*/3));
  const auto identified = [](const std::string& subject, int n, bool turned_away) {
    AuditRecord row = Unidentified("203.0.113.9", n);
    row.subject = subject;
    row.grpc_code = turned_away ? 7 : 8;  // PERMISSION_DENIED at the door; RESOURCE_EXHAUSTED from a service
    row.turned_away = turned_away;
    return row;
  };
  int served = 0;
  for (int i = 0; i < 100; ++i)
    served += calls.Take(identified("officer-wuding", i, false)).has_value() ? 1 : 0;
  EXPECT_EQ(served, 100) << "calls that reached a service are never folded";
  int volunteer = 0, caseworker = 0;
  for (int i = 0; i < 10; ++i) {
    volunteer += calls.Take(identified("volunteer-wuding-7", i, true)).has_value() ? 1 : 0;
    caseworker += calls.Take(identified("caseworker-wuding-3", i, true)).has_value() ? 1 : 0;
  }
  EXPECT_EQ(volunteer, 3);
  EXPECT_EQ(caseworker, 3) << "another subject from the same address has its own budget";
  EXPECT_EQ(Feed(calls, "203.0.113.9", 10), 3) << "and so have the address's unidentified calls";
  // An API client id as presented is not an identity: a guesser presenting one is counted by its address.
  int claimed = 0;
  for (int i = 0; i < 10; ++i) {
    AuditRecord row = Unidentified("203.0.113.9", 100 + i);
    row.subject = "01JCLAIMEDCLIENTID00000000";
    row.subject_claimed = true;
    claimed += calls.Take(row).has_value() ? 1 : 0;
  }
  EXPECT_EQ(claimed, 0) << "the address's budget is spent";
  const std::vector<AuditRecord> folded = calls.Ended(kStart + absl::Minutes(1));
  EXPECT_EQ(folded.size(), 3u);
  EXPECT_EQ(Repeats(folded), 7 + 7 + 17);
}

TEST(RefusedCallRows, Sources_EachItsOwnBudget_AnIpv6HostByItsSlash64) {
  RefusedCallRows calls(Limits(/*one_by_one=*/2));
  EXPECT_EQ(Feed(calls, "203.0.113.9", 10), 2);
  EXPECT_EQ(Feed(calls, "203.0.113.10", 10), 2);
  // One host picking a new address in its /64 for every call is one source.
  int written = 0;
  for (int i = 0; i < 10; ++i) {
    written += calls.Take(Unidentified(absl::StrCat("2001:db8:0:7::", i + 1), i)).has_value() ? 1 : 0;
  }
  EXPECT_EQ(written, 2);
  EXPECT_EQ(Feed(calls, "2001:db8:0:8::1", 10), 2) << "another /64";
  const std::vector<AuditRecord> folded = calls.Ended(kStart + absl::Minutes(1));
  EXPECT_EQ(folded.size(), 4u);
  EXPECT_EQ(Repeats(folded), 4 * 8);
}

TEST(RefusedCallRows, MoreSourcesThanTracked_TheRestShareOneBudgetAndRow) {
  RefusedCallRows calls(Limits(/*one_by_one=*/2, /*max_callers=*/3));
  int written = 0;
  for (int host = 1; host <= 50; ++host) written += Feed(calls, absl::StrCat("198.51.100.", host), 4);
  EXPECT_EQ(written, 3 * 2 + 2) << "three sources told apart, then one shared budget";
  const std::vector<AuditRecord> folded = calls.Ended(kStart + absl::Minutes(1));
  EXPECT_EQ(folded.size(), 4u);
  EXPECT_EQ(Repeats(folded), 50 * 4 - written) << "every call is written or counted";
}

// Many addresses each within its own budget (a botnet's): the rows written one by one are bounded for all
// together, and past that bound every caller's refusals are folded, one row each; the next window has the
// bound again.
TEST(RefusedCallRows, ManyCallers_RowsOneByOneBoundedInAll_TheRestFoldedPerCaller) {
  RefusedCallRows calls(Limits(/*one_by_one=*/3, /*max_callers=*/1000, /*one_by_one_in_all=*/20));
  int written = 0;
  for (int host = 1; host <= 50; ++host) written += Feed(calls, absl::StrCat("198.51.100.", host), 5);
  EXPECT_EQ(written, 20);
  const std::vector<AuditRecord> folded = calls.Ended(kStart + absl::Minutes(1));
  EXPECT_EQ(folded.size(), 50u)
      << "six callers past their own budget, the seventh and the rest past the bound";
  EXPECT_EQ(Repeats(folded), 50 * 5 - 20) << "every call written or counted";
  int next_window = 0;
  for (int i = 0; i < 5; ++i) {
    next_window += calls.Take(Unidentified("198.51.100.1", i, absl::Minutes(1))).has_value() ? 1 : 0;
  }
  EXPECT_EQ(next_window, 3);
}

TEST(RefusedCallRows, Folded_GivesThePendingRowsAndKeepsTheBudgetsSpent) {
  RefusedCallRows calls(Limits(/*one_by_one=*/2));
  EXPECT_EQ(Feed(calls, "203.0.113.9", 7), 2);
  const std::vector<AuditRecord> now = calls.Folded();
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].repeats, 5);
  EXPECT_EQ(Feed(calls, "203.0.113.9", 4), 0) << "still the same window: its budget is spent";
  const std::vector<AuditRecord> later = calls.Ended(kStart + absl::Minutes(1));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].repeats, 4);
  EXPECT_TRUE(calls.Folded().empty());
}

}  // namespace
}  // namespace shouhu::gateway
