// ServiceChannel against real gRPC servers on loopback: a deadline on every call, retries only for
// idempotent calls and only on UNAVAILABLE. The server is a grpc.health.v1 stand-in whose answers the test
// chooses.
#include "common/service_channel.h"

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <atomic>

#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/status_matchers.h"

namespace shouhu {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::shouhu::testing::StatusIs;

// Answers the first `failures` calls with `failure`, then SERVING; or, when `never_answer`, holds every call
// until its caller gives up.
class ScriptedHealth final : public Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext* context, const HealthCheckRequest*,
                     HealthCheckResponse* response) override {
    const int n = ++calls;
    if (never_answer) {
      while (!context->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
      return grpc::Status(grpc::StatusCode::CANCELLED, "caller gave up");
    }
    if (n <= failures) return grpc::Status(failure, "scripted failure");
    response->set_status(HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }

  std::atomic<int> calls{0};
  int failures = 0;
  grpc::StatusCode failure = grpc::StatusCode::UNAVAILABLE;
  bool never_answer = false;
};

class ServiceChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&health_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now()); }

  std::unique_ptr<ServiceChannel> Channel(CallPolicy policy) {
    return ServiceChannel::Connect("127.0.0.1:" + std::to_string(port_), policy);
  }

  absl::Status Check(const ServiceChannel& channel, Idempotency idempotency) {
    auto stub = Health::NewStub(channel.channel());
    return channel.Call(nullptr, idempotency, [&](grpc::ClientContext& context) {
      HealthCheckResponse response;
      return stub->Check(&context, HealthCheckRequest(), &response);
    });
  }

  ScriptedHealth health_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

CallPolicy QuickRetries() {
  CallPolicy policy;
  policy.deadline = absl::Seconds(30);  // only against a hang
  policy.max_attempts = 3;
  policy.initial_backoff = absl::Milliseconds(1);
  policy.max_backoff = absl::Milliseconds(5);
  return policy;
}

TEST_F(ServiceChannelTest, IdempotentCall_UnavailableTwice_IsRetriedAndSucceeds) {
  health_.failures = 2;
  auto channel = Channel(QuickRetries());
  EXPECT_OK(Check(*channel, Idempotency::kIdempotent));
  EXPECT_EQ(health_.calls.load(), 3);
}

TEST_F(ServiceChannelTest, IdempotentCall_UnavailableEveryTime_StopsAfterMaxAttempts) {
  health_.failures = 100;
  auto channel = Channel(QuickRetries());
  EXPECT_THAT(Check(*channel, Idempotency::kIdempotent), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(health_.calls.load(), 3);
}

TEST_F(ServiceChannelTest, NonIdempotentCall_Unavailable_IsMadeOnce) {
  health_.failures = 1;
  auto channel = Channel(QuickRetries());
  EXPECT_THAT(Check(*channel, Idempotency::kNotIdempotent), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(health_.calls.load(), 1);
}

TEST_F(ServiceChannelTest, IdempotentCall_OtherErrors_AreTheAnswerNotRetried) {
  for (grpc::StatusCode code : {grpc::StatusCode::NOT_FOUND, grpc::StatusCode::ABORTED,
                                grpc::StatusCode::INTERNAL, grpc::StatusCode::PERMISSION_DENIED}) {
    health_.calls = 0;
    health_.failures = 1;
    health_.failure = code;
    auto channel = Channel(QuickRetries());
    EXPECT_THAT(Check(*channel, Idempotency::kIdempotent), StatusIs(static_cast<absl::StatusCode>(code)));
    EXPECT_EQ(health_.calls.load(), 1) << code;
  }
}

TEST_F(ServiceChannelTest, ServerThatNeverAnswers_DeadlineExceededAtTheDeadline) {
  health_.never_answer = true;
  CallPolicy policy = QuickRetries();
  policy.deadline = absl::Milliseconds(300);
  auto channel = Channel(policy);
  const absl::Time start = absl::Now();
  EXPECT_THAT(Check(*channel, Idempotency::kIdempotent), StatusIs(absl::StatusCode::kDeadlineExceeded));
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(290));
  EXPECT_LT(took, absl::Seconds(20));  // only that it did not wait for ever
  EXPECT_EQ(health_.calls.load(), 1);  // a call that ran out of time is not repeated
}

TEST_F(ServiceChannelTest, NoServerListening_IdempotentCall_UnavailableAfterItsAttempts) {
  server_->Shutdown(std::chrono::system_clock::now());
  auto channel = Channel(QuickRetries());
  EXPECT_THAT(Check(*channel, Idempotency::kIdempotent), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(ServiceChannelTest, RetryBackoff_NeverOutlastsTheDeadline) {
  health_.failures = 100;
  CallPolicy policy;
  policy.deadline = absl::Milliseconds(200);
  policy.max_attempts = 100;
  policy.initial_backoff = absl::Seconds(10);  // any wait would overrun the deadline
  policy.max_backoff = absl::Seconds(10);
  auto channel = Channel(policy);
  const absl::Time start = absl::Now();
  EXPECT_THAT(Check(*channel, Idempotency::kIdempotent), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_LT(absl::Now() - start, absl::Seconds(9));
}

}  // namespace
}  // namespace shouhu
