// The server scaffold: health follows the readiness check (the database), drain marks NOT_SERVING, and the
// metrics endpoint counts calls.
#include "common/server.h"

#include <civetweb.h>
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <atomic>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/status_matchers.h"

namespace shouhu {
namespace {

using grpc::health::v1::HealthCheckResponse;
using ::shouhu::testing::StatusIs;

HealthCheckResponse::ServingStatus Check(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
  return status.ok() ? response.status() : HealthCheckResponse::UNKNOWN;
}

bool Eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 100; ++i) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

std::string HttpGet(int port, const std::string& path) {
  char error[256] = {};
  mg_connection* connection = mg_connect_client("127.0.0.1", port, 0, error, sizeof error);
  if (connection == nullptr) return "";
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  mg_write(connection, request.data(), request.size());
  std::string body;
  if (mg_get_response(connection, error, sizeof error, 5000) >= 0) {
    char chunk[4096];
    int n;
    while ((n = mg_read(connection, chunk, sizeof chunk)) > 0) body.append(chunk, static_cast<size_t>(n));
  }
  mg_close_connection(connection);
  return body;
}

// A host's configuration on a port of the system's choosing on loopback.
ServerConfig OnLoopback(const std::string& service_name) {
  ServerConfig config;
  config.service_name = service_name;
  config.grpc_address = "127.0.0.1:0";
  return config;
}

std::shared_ptr<grpc::Channel> ChannelTo(const ServiceHost& host) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(host.port()), grpc::InsecureChannelCredentials());
}

TEST(ServiceHost, Health_FollowsTheReadinessCheck_AndDrainMarksNotServing) {
  Logger logger("test");
  Metrics metrics("test");
  ServerConfig config = OnLoopback("test");
  config.drain_grace = absl::Milliseconds(200);
  ServiceHost host(config, logger, metrics);
  std::atomic<bool> database_up{true};
  host.SetReadinessCheck(
      [&] { return database_up ? absl::OkStatus() : absl::UnavailableError("database unreachable"); },
      absl::Milliseconds(20));
  ASSERT_OK(host.Start());
  auto channel = ChannelTo(host);
  EXPECT_EQ(Check(channel), HealthCheckResponse::SERVING);
  database_up = false;
  EXPECT_TRUE(Eventually([&] { return Check(channel) == HealthCheckResponse::NOT_SERVING; }));
  database_up = true;
  EXPECT_TRUE(Eventually([&] { return Check(channel) == HealthCheckResponse::SERVING; }));
  host.Shutdown();
  EXPECT_NE(Check(channel), HealthCheckResponse::SERVING);
}

TEST(ServiceHost, MetricsEndpoint_CountsCallsByMethodAndCode) {
  Logger logger("test");
  Metrics metrics("metrics-test");
  ServerConfig config = OnLoopback("metrics-test");
  // A port of our own choosing for civetweb; collisions are unlikely in the high range.
  const int metrics_port = 41000 + static_cast<int>(getpid() % 5000);
  config.metrics_address = "127.0.0.1:" + std::to_string(metrics_port);
  ServiceHost host(config, logger, metrics);
  ASSERT_OK(host.Start());
  auto channel = ChannelTo(host);
  ASSERT_EQ(Check(channel), HealthCheckResponse::SERVING);
  const std::string text = HttpGet(metrics_port, "/metrics");
  EXPECT_NE(
      text.find("shouhu_grpc_calls_total{service=\"metrics-test\",method=\"/grpc.health.v1.Health/Check\","
                "code=\"OK\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("shouhu_grpc_call_seconds_count"), std::string::npos);
  host.Shutdown();
}

TEST(ServiceHost, PortAlreadyServed_SecondHostDoesNotStart_AndTheFirstKeepsServing) {
  Logger logger("test");
  Metrics metrics("test");
  const ServerConfig config = OnLoopback("test");
  ServiceHost first(config, logger, metrics);
  ASSERT_OK(first.Start());
  ServerConfig same_port = config;
  same_port.grpc_address = "127.0.0.1:" + std::to_string(first.port());
  Metrics other_metrics("test");
  ServiceHost second(same_port, logger, other_metrics);
  EXPECT_THAT(second.Start(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Check(ChannelTo(first)), HealthCheckResponse::SERVING);
  first.Shutdown();
}

}  // namespace
}  // namespace shouhu
