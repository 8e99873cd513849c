// JsonCalls on its own, with a stand-in for the HTTP server's connection: what the HTTP face relies on when
// it stops. The rest of the JSON face is tested through real HTTP in gateway_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "services/gateway/admission.h"
#include "services/gateway/audit_writer.h"
#include "services/gateway/backends.h"
#include "services/gateway/gateway_store.h"
#include "services/gateway/json_call.h"
#include "tests/integration/gateway/gateway_harness.h"
#include "tests/support/status_matchers.h"

namespace shouhu::testing {
namespace {

// A connection whose last owner is slow to let it go: the HTTP face's connection closes its socket on the
// server's io_context when it is destroyed.
class SlowToCloseExchange final : public gateway::HttpExchange {
 public:
  struct Seen {
    absl::Notification answered;
    std::atomic<bool> closed{false};
    std::string answer;
  };
  explicit SlowToCloseExchange(Seen& seen) : seen_(seen) {}
  ~SlowToCloseExchange() override {
    absl::SleepFor(absl::Milliseconds(300));
    seen_.closed = true;
  }
  void Send(std::string bytes, bool last, std::function<void(bool)> written) override {
    seen_.answer += bytes;
    if (written) written(true);
    if (last) seen_.answered.Notify();
  }

 private:
  Seen& seen_;
};

class JsonCallsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto harness = GatewayHarness::Start({});
    ASSERT_OK(harness);
    h_ = *std::move(harness);
    log_ = std::tmpfile();
    ASSERT_NE(log_, nullptr);
    logger_ = std::make_unique<Logger>("json-calls-test", log_);
    gateway::TokenPolicy tokens;
    tokens.issuer = kIssuer;
    tokens.audience = kAudience;
    tokens.keys.keys_dir = h_->keys_dir();
    ASSERT_OK_AND_ASSIGN(tokens_, gateway::TokenVerifier::Create(tokens, clock_, *logger_));
    ASSERT_OK_AND_ASSIGN(policy_, gateway::PolicyFile::Load(h_->policy_file()));
    limiter_ = std::make_unique<gateway::RateLimiter>(gateway::RateLimit{0, 0}, clock_);
    admission_ = std::make_unique<gateway::Admission>(*tokens_, nullptr, *policy_, *limiter_);
    backends_ = std::make_unique<gateway::Backends>(std::map<std::string, std::string>{});
    signer_ = std::make_unique<PrincipalSigner>(TestGatewayKey(), clock_);
    store_ = std::make_unique<gateway::GatewayStore>(h_->db().pool());
    audit_ = std::make_unique<gateway::AuditWriter>(*store_, *logger_, h_->metrics());
    ids_ = std::make_unique<IdGenerator>(clock_);
    env_.reset(new gateway::ForwardingEnv{*admission_, *backends_, *signer_, *audit_, h_->metrics(), *ids_,
                                          *logger_, absl::Seconds(5), proxies_});
  }
  void TearDown() override {
    env_.reset();
    audit_.reset();
    if (log_ != nullptr) std::fclose(log_);
  }

  std::unique_ptr<GatewayHarness> h_;
  std::FILE* log_ = nullptr;
  std::unique_ptr<Logger> logger_;
  SystemClock clock_;
  std::unique_ptr<gateway::TokenVerifier> tokens_;
  std::unique_ptr<gateway::PolicyFile> policy_;
  std::unique_ptr<gateway::RateLimiter> limiter_;
  std::unique_ptr<gateway::Admission> admission_;
  std::unique_ptr<gateway::Backends> backends_;
  std::unique_ptr<PrincipalSigner> signer_;
  std::unique_ptr<gateway::GatewayStore> store_;
  std::unique_ptr<gateway::AuditWriter> audit_;
  std::unique_ptr<IdGenerator> ids_;
  gateway::ForwardingProxies proxies_;  // none: every peer is the caller
  std::unique_ptr<gateway::ForwardingEnv> env_;
};

// The HTTP face destroys its io_context once Drain has returned; a call that let its connection go after
// that would close a socket on a destroyed reactor (glibc's "corrupted size vs. prev_size" in gateway_test,
// about once in nine runs beside a busy CPU). So Drain returns only once no call holds a connection.
TEST_F(JsonCallsTest, Drain_ReturnsOnlyOnceEveryCallHasLetItsConnectionGo) {
  SlowToCloseExchange::Seen seen;
  gateway::JsonCalls calls(*env_);
  gateway::JsonRequest request;
  request.http_method = "POST";
  request.target = "/not-an-api-path";  // answered at once, on the thread that starts the call
  request.request_id = "drain-1";
  std::thread caller([&] { calls.Start(request, std::make_shared<SlowToCloseExchange>(seen)); });
  ASSERT_TRUE(seen.answered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  calls.Drain(absl::Seconds(10));
  EXPECT_TRUE(seen.closed) << "Drain returned while a finished call still held its connection";
  caller.join();
  EXPECT_NE(seen.answer.find("404 Not Found"), std::string::npos) << seen.answer;
}

}  // namespace
}  // namespace shouhu::testing
