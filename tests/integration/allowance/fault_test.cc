// kill -9 of the allowance process while approvals and payments are in flight: after a restart every
// payment the clients saw acknowledged is there exactly once, no application was paid twice, retries of the
// same requests answer what was acknowledged, and the ledger reconciles. The real shouhu-allowance binary
// runs as a child process against the test MariaDB and the in-process registry and training services.
#include <grpcpp/create_channel.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/allowance/allowance_fixture.h"
#include "tests/support/test_keys.h"

namespace shouhu::allowance::testing {
namespace {

using Stub = v1::AllowanceService::Stub;

class AllowanceProcess {
 public:
  AllowanceProcess(const std::map<std::string, std::string>& env, const std::string& log) {
    pid_ = fork();
    if (pid_ == 0) {
      for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
      FILE* out = std::freopen(log.c_str(), "a", stderr);
      (void)out;
      execl(SHOUHU_ALLOWANCE_BINARY, SHOUHU_ALLOWANCE_BINARY, static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~AllowanceProcess() { Kill(); }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

int FreePort() {
  // Bound and closed: free for the child to take a moment later.
  const int port = shouhu::testing::ClosedPort();
  return port;
}

bool WaitServing(const std::string& target, absl::Duration timeout) {
  auto stub =
      grpc::health::v1::Health::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    if (stub->Check(&context, request, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  return false;
}

class AllowanceFaultTest : public AllowanceTest {
 protected:
  std::map<std::string, std::string> ProcessEnv(int port) {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("shouhu-allowance-fault-", getpid());
    std::filesystem::create_directories(dir_);
    shouhu::testing::WriteTrustedKeys(shouhu::testing::TestTrustedKeySet(), dir_ + "/trusted");
    const DbConfig& db = allowance_database_->config();
    return {
        {"SHOUHU_DB_SOCKET", db.socket},
        {"SHOUHU_DB_HOST", db.host},
        {"SHOUHU_DB_PORT", std::to_string(db.port)},
        {"SHOUHU_DB_NAME", db.database},
        {"SHOUHU_TRUSTED_KEYS_DIR", dir_ + "/trusted"},
        {"SHOUHU_SIGNING_KEY_FILE",
         shouhu::testing::WriteSigningKey(shouhu::testing::TestServiceKey("allowance"), dir_ + "/private")},
        {"SHOUHU_SYSTEM_JURISDICTIONS", "53,64"},
        {"SHOUHU_METRICS_ADDRESS", "off"},
        {"SHOUHU_DRAIN_SECONDS", "1"},
        {"SHOUHU_GRPC_ADDRESS", absl::StrCat("127.0.0.1:", port)},
        {"SHOUHU_REGISTRY_ADDRESS", allowance_config_.registry_address},
        {"SHOUHU_TRAINING_ADDRESS", allowance_config_.training_address},
        {"SHOUHU_PAYMENT_RETRY_SECONDS", "0"},
    };
  }
  void TearDown() override {
    AllowanceTest::TearDown();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(AllowanceFaultTest,
       KilledDuringApprovalsAndPayments_EveryAcknowledgedPaymentOnceAndTheLedgerReconciles) {
  ProgramTerms terms;
  terms.budget_fen = 2'000'000;
  terms.per_payment_cap_fen = 20'000;
  terms.per_child_year_cap_fen = 2'000'000;
  terms.second_approval_threshold_fen = 20'000;
  const std::string program = FundedProgram("p", terms);
  const std::vector<std::string> children = {ActiveChild("c1"), ActiveChild("c2")};
  // Half approved before the crash (to be paid during it), half only submitted (to be approved during it).
  std::vector<std::string> to_pay, to_approve;
  for (int i = 0; i < 60; ++i) {
    if (i % 2 == 0) {
      to_pay.push_back(ApprovedApplication(absl::StrCat("a", i), program, children[i % 2], 10'000 + i));
    } else {
      ASSERT_OK_AND_ASSIGN(v1::Application a,
                           Submit(wuding_caseworker_,
                                  Application(absl::StrCat("s", i), program, children[i % 2], 10'000 + i)));
      to_approve.push_back(a.application_id());
    }
  }
  StopAllowance();

  const int port = FreePort();
  const std::string target = absl::StrCat("127.0.0.1:", port);
  const std::map<std::string, std::string> env = ProcessEnv(port);
  auto process = std::make_unique<AllowanceProcess>(env, dir_ + "/allowance.log");
  ASSERT_TRUE(WaitServing(target, absl::Seconds(60))) << "see " << dir_ << "/allowance.log";
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
  ASSERT_TRUE(WaitServing(target, absl::Seconds(60))) << "see " << dir_ << "/allowance.log";
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
