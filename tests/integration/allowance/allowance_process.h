// The real shouhu-allowance binary as a child process, for the tests that kill it or its database node
// (tests/integration/allowance/fault_test.cc, tests/cluster/galera/fault_test.cc): the process, its
// environment against the fixture's schema and in-process registry and training, its health, and the money
// those tests put in flight. The including target defines SHOUHU_ALLOWANCE_BINARY.
#ifndef SHOUHU_TESTS_INTEGRATION_ALLOWANCE_ALLOWANCE_PROCESS_H_
#define SHOUHU_TESTS_INTEGRATION_ALLOWANCE_ALLOWANCE_PROCESS_H_

#include <grpcpp/create_channel.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/allowance/allowance_fixture.h"
#include "tests/support/child_process.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_server.h"

namespace shouhu::allowance::testing {

using Health = grpc::health::v1::HealthCheckResponse;
using ::shouhu::testing::WaitHealth;

// The allowance binary; killed (not stopped) when dropped, as the fault tests leave it.
class AllowanceProcess : public shouhu::testing::ChildProcess {
 public:
  AllowanceProcess(const std::map<std::string, std::string>& env, const std::string& log)
      : ChildProcess(SHOUHU_ALLOWANCE_BINARY, env, log) {}
  ~AllowanceProcess() { Kill(); }
};

class AllowanceProcessTest : public AllowanceTest {
 protected:
  void TearDown() override {
    AllowanceTest::TearDown();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // The process's environment: the fixture's allowance schema (as its config names it: socket, or host and
  // port), the in-process registry and training, its own keys under a fresh directory, listening on `port`.
  std::map<std::string, std::string> ProcessEnv(const std::string& name, int port) {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("shouhu-", name, "-", getpid());
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

  // Money in flight: `n` applications on one funded program (20,000 fen budget per 2 of them is far more
  // than enough), every even one approved (to be paid during the fault), every odd one only submitted (to be
  // approved during it).
  struct MoneyInFlight {
    std::string program;
    std::vector<std::string> to_pay, to_approve;
  };
  MoneyInFlight HalfApprovedHalfSubmitted(int n) {
    ProgramTerms terms;
    terms.budget_fen = 2'000'000;
    terms.per_payment_cap_fen = 20'000;
    terms.per_child_year_cap_fen = 2'000'000;
    terms.second_approval_threshold_fen = 20'000;
    MoneyInFlight money;
    money.program = FundedProgram("p", terms);
    const std::vector<std::string> children = {ActiveChild("c1"), ActiveChild("c2")};
    for (int i = 0; i < n; ++i) {
      if (i % 2 == 0) {
        money.to_pay.push_back(
            ApprovedApplication(absl::StrCat("a", i), money.program, children[i % 2], 10'000 + i));
      } else {
        absl::StatusOr<v1::Application> a =
            Submit(wuding_caseworker_,
                   Application(absl::StrCat("s", i), money.program, children[i % 2], 10'000 + i));
        EXPECT_OK(a.status());
        if (a.ok()) money.to_approve.push_back(a->application_id());
      }
    }
    return money;
  }

  std::string dir_;
};

}  // namespace shouhu::allowance::testing

#endif  // SHOUHU_TESTS_INTEGRATION_ALLOWANCE_ALLOWANCE_PROCESS_H_
