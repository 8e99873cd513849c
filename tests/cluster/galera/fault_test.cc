// kill -9 of a Galera node under load: the allowance process (the real binary) writes through node 3, the
// in-process registry through node 1 and training through node 2 (tests/cluster/galera/fast_test puts each
// service's schema on its node). Node 3 is killed while referrals are taken in and applications approved and
// paid: every write a client saw acknowledged is on the surviving nodes, the allowance process reports
// NOT_SERVING while its node is gone and SERVING once it rejoined, retries then pay each application once,
// and the ledger reconciles.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/cluster/galera/galera_nodes.h"
#include "tests/integration/allowance/allowance_process.h"
#include "tests/support/test_server.h"

namespace shouhu::allowance::testing {
namespace {

using Stub = v1::AllowanceService::Stub;
constexpr int kAllowanceNode = 3;

class GaleraFaultTest : public AllowanceProcessTest {
 protected:
  void SetUp() override {
    auto nodes = shouhu::testing::GaleraNodes::FromEnvironment();
    ASSERT_OK(nodes.status());
    nodes_ = std::make_unique<shouhu::testing::GaleraNodes>(*std::move(nodes));
    AllowanceTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_EQ(allowance_database_->config().socket, nodes_->Node(kAllowanceNode, "").socket)
        << "run through tests/cluster/galera/fast_test: allowance's schema must be on node "
        << kAllowanceNode;
  }
  // The first column of `query`'s first row in `database` as node `node` sees it, on a connection of its
  // own (the fixture's pools held connections to the killed node).
  int64_t CountOn(int node, const std::string& database, const std::string& query,
                  const std::vector<db::Value>& params = {}) {
    DbConfig config = nodes_->Node(node, database);
    config.pool_size = 1;
    auto pool = db::Pool::Open(config);
    EXPECT_OK(pool.status());
    int64_t count = -1;
    EXPECT_OK((*pool)->Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(query, params));
      count = row ? row->Int(0) : -1;
      return absl::OkStatus();
    }));
    return count;
  }
  // Rows of `table` (a constant of this test) with id `id`.
  int64_t RowsOn(int node, const std::string& database, const std::string& table, const std::string& id) {
    return CountOn(node, database, absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE id = ?"), {id});
  }

  std::unique_ptr<shouhu::testing::GaleraNodes> nodes_;
};

TEST_F(
    GaleraFaultTest,
    NodeKilledDuringIntakeApprovalsAndPayments_AcknowledgedWritesSurviveHealthFollowsTheNodeLedgerReconciles) {
  const MoneyInFlight money = HalfApprovedHalfSubmitted(40);
  const std::string& program = money.program;
  const std::vector<std::string>& to_pay = money.to_pay;
  const std::vector<std::string>& to_approve = money.to_approve;
  StopAllowance();

  const int port = shouhu::testing::ClosedPort();
  const std::string target = absl::StrCat("127.0.0.1:", port);
  const std::map<std::string, std::string> env = ProcessEnv("galera-fault", port);
  auto process = std::make_unique<AllowanceProcess>(env, dir_ + "/allowance.log");
  ASSERT_TRUE(WaitHealth(target, Health::SERVING, absl::Seconds(60))) << "see " << dir_ << "/allowance.log";
  allowance_stub_ =
      v1::AllowanceService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));

  std::mutex mu;
  std::map<std::string, std::string> paid;  // application → payment id the client was told
  std::vector<std::string> referrals;       // referral ids the registry acknowledged
  std::atomic<int> acks{0};
  std::atomic<bool> stop_payments{false}, stop_intake{false};
  std::thread intake([&] {
    for (int i = 0; !stop_intake; ++i) {
      // Names of Chinese characters only (the validation's rule), distinct per referral.
      static constexpr const char* kGiven[] = {"明", "华", "芳", "强", "丽", "军", "静", "磊", "洋", "艳"};
      const std::string name =
          absl::StrCat("王", kGiven[i % 10], kGiven[(i / 10) % 10], kGiven[(i / 100) % 10]);
      absl::StatusOr<registry::v1::Referral> r = RegistryTest::Submit(
          wuding_caseworker_, Referral(absl::StrCat("intake-", i), name,
                                       absl::StrCat("2015-0", 1 + i % 9, "-", 10 + (i / 9) % 18)));
      if (r.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        referrals.push_back(r->referral_id());
      }
      absl::SleepFor(absl::Milliseconds(2));  // a steady intake, not one that starves the payments
    }
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (size_t i = w; i < to_pay.size() && !stop_payments; i += 4) {
        absl::StatusOr<v1::Payment> p = Pay(finance_, "pay-" + to_pay[i], to_pay[i]);
        if (p.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          paid[to_pay[i]] = p->payment_id();
          ++acks;
        }
        if (i < to_approve.size()) (void)Approve(ngo_admin_, "approve-" + to_approve[i], to_approve[i]);
      }
    });
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (acks < 6 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(2));
  ASSERT_OK(nodes_->Kill(kAllowanceNode));
  std::printf("node %d killed with %d payments acknowledged\n", kAllowanceNode, acks.load());
  EXPECT_TRUE(WaitHealth(target, Health::NOT_SERVING, absl::Seconds(30)))
      << "the allowance process still reports SERVING with its node gone";
  stop_payments = true;
  for (std::thread& t : workers) t.join();
  ASSERT_GE(acks.load(), 6);

  // What the clients were told is on both survivors, before the node comes back.
  std::map<std::string, std::string> acknowledged;
  {
    std::lock_guard<std::mutex> lock(mu);
    acknowledged = paid;
  }
  for (int survivor : {1, 2}) {
    for (const auto& [application, payment_id] : acknowledged) {
      EXPECT_EQ(RowsOn(survivor, allowance_database_->config().database, "payments", payment_id), 1)
          << "node " << survivor;
    }
  }

  ASSERT_OK(nodes_->Restart(kAllowanceNode));
  EXPECT_TRUE(WaitHealth(target, Health::SERVING, absl::Seconds(60)))
      << "the allowance process did not report SERVING after its node rejoined; see " << dir_;
  stop_intake = true;
  intake.join();

  for (const auto& [application, payment_id] : acknowledged) {
    ASSERT_OK_AND_ASSIGN(v1::Payment again, Pay(finance_, "pay-" + application, application));
    EXPECT_EQ(again.payment_id(), payment_id);
  }
  for (const std::string& application : to_pay) {
    ASSERT_OK(Pay(finance_, "pay-" + application, application).status());
  }
  for (const std::string& application : to_approve) {
    ASSERT_OK(Approve(ngo_admin_, "approve-" + application, application).status());
  }
  const std::string allowance_schema = allowance_database_->config().database;
  EXPECT_EQ(CountOn(1, allowance_schema, "SELECT COUNT(*) FROM payments"),
            static_cast<int64_t>(to_pay.size()));
  EXPECT_EQ(CountOn(1, allowance_schema,
                    "SELECT COUNT(*) FROM (SELECT application_id FROM payments GROUP BY application_id"
                    " HAVING COUNT(*) > 1) twice"),
            0);
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_TRUE(reconciled.balanced()) << (reconciled.problems().empty() ? "" : reconciled.problems(0));

  // Referral intake (on node 1) went on throughout; every acknowledged referral is on every node, the
  // rejoined one included.
  ASSERT_FALSE(referrals.empty());
  for (int node = 1; node <= nodes_->size(); ++node) {
    DbConfig config = nodes_->Node(node, database_->config().database);
    config.pool_size = 1;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<db::Pool> pool, db::Pool::Open(config));
    std::set<std::string> present;
    ASSERT_OK(pool->Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT id FROM referrals"));
      for (const db::Row& row : rows) present.insert(row.String(0));
      return absl::OkStatus();
    }));
    int missing = 0;
    for (const std::string& id : referrals) missing += present.count(id) == 0 ? 1 : 0;
    EXPECT_EQ(missing, 0) << "acknowledged referrals missing on node " << node;
  }
  std::printf("%zu referrals taken in around the kill\n", referrals.size());
}

}  // namespace
}  // namespace shouhu::allowance::testing
