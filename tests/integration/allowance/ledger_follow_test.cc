// A finance system following a program's ledger (ListLedgerEntries, paging on with each answer's
// resume_token) while two replicas post into it, each in its own budget slot, with ids from clocks that
// disagree: it is given every entry exactly once (services/allowance/ledger_cursor.h). Paging the program by
// one id skipped the entries of the replica whose clock is behind; without each slot's entries taking ids
// above the slot's last one, it skipped a payment made by one replica in the other's slot.
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "common/status_macros.h"
#include "tests/integration/allowance/two_replicas_fixture.h"

namespace shouhu::allowance::testing {
namespace {

using Stub = v1::AllowanceService::Stub;

class LedgerFollowTest : public TwoReplicasTest {
 protected:
  // From `token` on, as a follower does: pages of a few entries through replica 0 until the last, appending
  // what it is given to `given` and leaving in `token` where to go on from next time.
  void Follow(const std::string& program_id, std::string& token, std::vector<std::string>& given) {
    for (;;) {
      v1::ListLedgerEntriesRequest request;
      request.set_program_id(program_id);
      request.set_page_size(3);
      request.set_page_token(token);
      ASSERT_OK_AND_ASSIGN(v1::ListLedgerEntriesResponse page,
                           Via(0, &Stub::ListLedgerEntries, finance_, request));
      for (const v1::LedgerEntry& e : page.entries()) given.push_back(e.entry_id());
      ASSERT_FALSE(page.resume_token().empty());
      token = page.resume_token();
      if (page.next_page_token().empty()) return;
      ASSERT_EQ(page.next_page_token(), page.resume_token());
    }
  }

  // Every entry of the program, as stored.
  std::set<std::string> Recorded(const std::string& program_id) {
    std::set<std::string> out;
    EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows rows,
                       s.Query("SELECT id FROM ledger_entries WHERE program_id = ?", {program_id}));
      for (const db::Row& row : rows) out.insert(row.String(0));
      return absl::OkStatus();
    }));
    return out;
  }

  absl::StatusOr<v1::Payment> PayVia(int r, const std::string& request_id,
                                     const std::string& application_id) {
    ASSIGN_OR_RETURN(v1::PayApplicationResponse paid,
                     Via(r, &Stub::PayApplication, finance_, PayRequest(request_id, application_id)));
    return paid.payment();
  }

  absl::StatusOr<v1::Payment> ConfirmVia(int r, const std::string& request_id,
                                         const std::string& payment_id) {
    v1::RecordPaymentOutcomeRequest request;
    request.set_request_id(request_id);
    request.set_payment_id(payment_id);
    request.set_outcome(v1::PAYMENT_OUTCOME_CONFIRMED);
    ASSIGN_OR_RETURN(v1::RecordPaymentOutcomeResponse answer,
                     Via(r, &Stub::RecordPaymentOutcome, bank_, request));
    return answer.payment();
  }
};

TEST_F(LedgerFollowTest, ReplicaWithItsClockAnHourAhead_TheFollowerMissesNeitherReplicasEntries) {
  const std::string program = FundedProgram("p");
  const std::string child = ActiveChild("c");
  ASSERT_OK_AND_ASSIGN(v1::Application first,
                       Submit(wuding_caseworker_, Application("s-1", program, child, 10'000)));
  ASSERT_OK_AND_ASSIGN(v1::Application second,
                       Submit(wuding_caseworker_, Application("s-2", program, child, 20'000)));
  second_id_clock_.Advance(absl::Hours(1));

  // Replica 1 reserves in its slot with ids an hour ahead; the follower is given them.
  ASSERT_OK(ApproveVia(1, wuding_officer_, "a-1", first.application_id()).status());
  std::string token;
  std::vector<std::string> given;
  Follow(program, token, given);
  ASSERT_EQ(given.size(), 2u);  // the funding and replica 1's reservation

  // Replica 0 reserves in its own slot, with an id below the one the follower was given last.
  ASSERT_OK(ApproveVia(0, wuding_officer_, "a-2", second.application_id()).status());
  Follow(program, token, given);
  EXPECT_EQ(given.size(), 3u) << "replica 0's reservation, below an id already given, was skipped";

  // Replica 0 pays the first application: the money moves in replica 1's slot, where the follower was given
  // an id an hour ahead of replica 0's clock; then replica 1 confirms it there.
  ASSERT_OK_AND_ASSIGN(v1::Payment payment, PayVia(0, "pay-1", first.application_id()));
  Follow(program, token, given);
  EXPECT_EQ(given.size(), 4u) << "replica 0's payment in replica 1's slot was skipped";
  ASSERT_OK(ConfirmVia(1, "ok-1", payment.payment_id()).status());
  Follow(program, token, given);
  EXPECT_EQ(given.size(), 5u);

  // Nothing more to give, nothing given twice, and all of it is the ledger.
  Follow(program, token, given);
  EXPECT_EQ(given.size(), 5u);
  const std::set<std::string> distinct(given.begin(), given.end());
  EXPECT_EQ(distinct.size(), given.size());
  EXPECT_EQ(distinct, Recorded(program));
}

// A program funded but untouched when 0050 was applied: 0030 made no slot-0 row for it (nothing was
// reserved, in payment or disbursed), yet 0050 left its funding entry in slot 0, as it did every entry
// posted before it. The listing paged only slots with a row, so that entry was never given.
TEST_F(LedgerFollowTest, UpgradedProgramWithoutASlotZeroRow_ItsSlotZeroEntriesAreGiven) {
  const std::string program = FundedProgram("p");
  // As the upgrade left such a program: an entry posted before 0050 (here a copy of its funding with an id
  // from before it) counts as slot 0's, the column's default, and there is no slot-0 row.
  ASSERT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    return s
        .Execute(
            "INSERT INTO ledger_entries (id, program_id, kind, from_account, to_account, amount_fen,"
            " application_id, payment_id, recorded_by, recorded_at, budget_slot)"
            " SELECT CONCAT('0000', SUBSTRING(id, 5)), program_id, kind, from_account, to_account, "
            "amount_fen,"
            " application_id, payment_id, recorded_by, recorded_at, 0 FROM ledger_entries WHERE program_id = "
            "?",
            {program})
        .status();
  }));
  ASSERT_EQ(Money(program).slots.count(0), 0u);
  ASSERT_EQ(Recorded(program).size(), 2u);
  std::string token;
  std::vector<std::string> given;
  Follow(program, token, given);
  EXPECT_EQ(std::set<std::string>(given.begin(), given.end()), Recorded(program));

  // Money reserved since, through both replicas: given once each, after the old entry.
  ApprovedApplication("a", program, ActiveChild("c"), 10'000);
  ASSERT_OK_AND_ASSIGN(v1::Application b,
                       Submit(wuding_caseworker_, Application("s-b", program, ActiveChild("d"), 20'000)));
  ASSERT_OK(ApproveVia(1, ngo_admin_, "approve-b", b.application_id()));
  Follow(program, token, given);
  EXPECT_EQ(given.size(), 4u);
  const std::set<std::string> distinct(given.begin(), given.end());
  EXPECT_EQ(distinct.size(), given.size());
  EXPECT_EQ(distinct, Recorded(program));
}

// A token from before the order was kept per slot (an entry id) goes on after that entry; one this service
// never issued is refused, naming page_token.
TEST_F(LedgerFollowTest, PageToken_AnOldEntryIdGoesOnAfterIt_AForeignOneIsRefused) {
  const std::string program = FundedProgram("p");
  ApprovedApplication("a", program, ActiveChild("c"), 10'000);
  ApprovedApplication("b", program, ActiveChild("d"), 20'000);
  v1::ListLedgerEntriesRequest request;
  request.set_program_id(program);
  ASSERT_OK_AND_ASSIGN(v1::ListLedgerEntriesResponse all,
                       Via(0, &Stub::ListLedgerEntries, finance_, request));
  ASSERT_EQ(all.entries_size(), 3);  // the funding and two reservations
  EXPECT_TRUE(all.next_page_token().empty());
  request.set_page_token(all.entries(0).entry_id());
  ASSERT_OK_AND_ASSIGN(v1::ListLedgerEntriesResponse after,
                       Via(0, &Stub::ListLedgerEntries, finance_, request));
  ASSERT_EQ(after.entries_size(), 2);
  EXPECT_EQ(after.entries(0).entry_id(), all.entries(1).entry_id());
  EXPECT_EQ(after.entries(1).entry_id(), all.entries(2).entry_id());

  for (const std::string& token : {std::string("not-a-token"), std::string("MCwxOm5vdC1hbi1pZA")}) {
    request.set_page_token(token);
    absl::StatusOr<v1::ListLedgerEntriesResponse> refused =
        Via(0, &Stub::ListLedgerEntries, finance_, request);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_EQ(FieldOf(refused.status()), "page_token") << token;
  }
}

TEST_F(LedgerFollowTest, TwoReplicasApprovingAndPayingAtOnce_TheFollowerIsGivenEveryEntryOnce) {
  second_id_clock_.Advance(absl::Milliseconds(20));
  const std::string program = FundedProgram("p");
  std::vector<std::string> children;
  for (int i = 0; i < 3; ++i) children.push_back(ActiveChild(absl::StrCat("c", i)));
  constexpr int kApplications = 48;
  std::vector<std::string> applications;
  for (int i = 0; i < kApplications; ++i) {
    ASSERT_OK_AND_ASSIGN(
        v1::Application a,
        Submit(wuding_caseworker_, Application(absl::StrCat("s-", i), program, children[i % 3], 10'000)));
    applications.push_back(a.application_id());
  }

  // Four workers, each application approved through one replica and paid and confirmed through either,
  // half of them in the other replica's slot; the follower pages on all the while.
  std::atomic<int> working{4};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (int i = w; i < kApplications; i += 4) {
        const std::string& a = applications[i];
        EXPECT_OK(ApproveVia(i % 2, wuding_officer_, absl::StrCat("a-", i), a).status());
        absl::StatusOr<v1::Payment> paid = PayVia((i / 2) % 2, absl::StrCat("pay-", i), a);
        EXPECT_OK(paid.status());
        if (paid.ok()) {
          EXPECT_OK(ConfirmVia(i % 3 == 0 ? 0 : 1, absl::StrCat("ok-", i), paid->payment_id()).status());
        }
      }
      --working;
    });
  }
  std::string token;
  std::vector<std::string> given;
  int rounds = 0;
  while (working.load() > 0) {
    Follow(program, token, given);
    ++rounds;
    if (HasFatalFailure()) break;
  }
  for (std::thread& t : workers) t.join();
  Follow(program, token, given);

  const std::set<std::string> recorded = Recorded(program);
  EXPECT_EQ(recorded.size(),
            1u + 3u * kApplications);  // the funding; a reservation, payment, confirmation each
  const std::set<std::string> distinct(given.begin(), given.end());
  EXPECT_EQ(distinct.size(), given.size()) << "an entry was given twice";
  std::vector<std::string> skipped;
  for (const std::string& id : recorded) {
    if (distinct.count(id) == 0) skipped.push_back(id);
  }
  EXPECT_TRUE(skipped.empty()) << skipped.size() << " of " << recorded.size() << " entries skipped over "
                               << rounds << " rounds of following";
  EXPECT_GT(rounds, 1);
}

}  // namespace
}  // namespace shouhu::allowance::testing
