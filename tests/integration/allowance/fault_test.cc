// kill -9 of the allowance process while approvals and payments are in flight: after a restart every
// payment the clients saw acknowledged is there exactly once, no application was paid twice, retries of the
// same requests answer what was acknowledged, and the ledger reconciles. The real shouhu-allowance binary
// runs as a child process against the test MariaDB and the in-process registry and training services.
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "tests/integration/allowance/allowance_process.h"
#include "tests/support/test_server.h"

namespace shouhu::allowance::testing {
namespace {

using Stub = v1::AllowanceService::Stub;
using AllowanceFaultTest = AllowanceProcessTest;

TEST_F(AllowanceFaultTest,
       KilledDuringApprovalsAndPayments_EveryAcknowledgedPaymentOnceAndTheLedgerReconciles) {
  // Half approved before the crash (to be paid during it), half only submitted (to be approved during it).
  const MoneyInFlight money = HalfApprovedHalfSubmitted(60);
  const std::string& program = money.program;
  const std::vector<std::string>& to_pay = money.to_pay;
  const std::vector<std::string>& to_approve = money.to_approve;
  StopAllowance();

  const int port = shouhu::testing::ClosedPort();  // bound and closed: free for the child a moment later
  const std::string target = absl::StrCat("127.0.0.1:", port);
  const std::map<std::string, std::string> env = ProcessEnv("allowance-fault", port);
  auto process = std::make_unique<AllowanceProcess>(env, dir_ + "/allowance.log");
  ASSERT_TRUE(WaitHealth(target, Health::SERVING, absl::Seconds(60))) << "see " << dir_ << "/allowance.log";
  allowance_stub_ =
      v1::AllowanceService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));

  std::mutex mu;
  std::map<std::string, std::string> acknowledged;  // application → payment id the client was told
  std::atomic<int> acks{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (size_t i = w; i < to_pay.size() && !stop; i += 4) {
        absl::StatusOr<v1::Payment> p = Pay(finance_, "pay-" + to_pay[i], to_pay[i]);
        if (p.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged[to_pay[i]] = p->payment_id();
          ++acks;
        }
        if (i < to_approve.size()) (void)Approve(ngo_admin_, "approve-" + to_approve[i], to_approve[i]);
      }
    });
  }
  // Kill once a few payments are acknowledged, with more in flight.
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (acks < 8 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(2));
  process->Kill();
  std::printf("killed with %d payments acknowledged\n", acks.load());
  stop = true;
  for (std::thread& t : workers) t.join();
  ASSERT_GE(acks.load(), 8);

  process = std::make_unique<AllowanceProcess>(env, dir_ + "/allowance.log");
  ASSERT_TRUE(WaitHealth(target, Health::SERVING, absl::Seconds(60))) << "see " << dir_ << "/allowance.log";
  allowance_stub_ =
      v1::AllowanceService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));

  // Every acknowledged payment is there once; a retry of its request answers the same payment.
  for (const auto& [application, payment_id] : acknowledged) {
    ASSERT_OK_AND_ASSIGN(v1::Payment again, Pay(finance_, "pay-" + application, application));
    EXPECT_EQ(again.payment_id(), payment_id);
    v1::ListPaymentsRequest list;
    list.set_application_id(application);
    ASSERT_OK_AND_ASSIGN(auto payments, Do(&Stub::ListPayments, finance_, list));
    ASSERT_EQ(payments.payments_size(), 1);
    EXPECT_EQ(payments.payments(0).payment_id(), payment_id);
  }
  // The clients retry what they never heard back about: each pays once.
  for (const std::string& application : to_pay) {
    ASSERT_OK(Pay(finance_, "pay-" + application, application).status());
  }
  for (const std::string& application : to_approve) {
    ASSERT_OK(Approve(ngo_admin_, "approve-" + application, application).status());
  }
  EXPECT_EQ(AllowanceCount("payments"), static_cast<int64_t>(to_pay.size()));
  ASSERT_OK(allowance_database_->pool().Autocommit([](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows twice, s.Query("SELECT application_id FROM payments GROUP BY application_id"
                                             " HAVING COUNT(*) > 1"));
    EXPECT_TRUE(twice.empty());
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(auto reconciled, Reconcile(program));
  EXPECT_TRUE(reconciled.balanced()) << (reconciled.problems().empty() ? "" : reconciled.problems(0));
  int64_t expected_in_payment = 0;
  for (const std::string& application : to_pay) {
    v1::GetApplicationRequest get;
    get.set_application_id(application);
    ASSERT_OK_AND_ASSIGN(auto a, Do(&Stub::GetApplication, finance_, get));
    EXPECT_EQ(a.application().state(), v1::APPLICATION_STATE_PAYMENT_ISSUED);
    expected_in_payment += a.application().amount_fen();
  }
  EXPECT_EQ(reconciled.ledger().in_payment_fen(), expected_in_payment);
}

}  // namespace
}  // namespace shouhu::allowance::testing
