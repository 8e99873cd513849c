#include "tests/support/test_server.h"

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/test_database.h"

namespace shouhu::testing {

TestServer::TestServer(std::vector<std::pair<grpc::Service*, std::string>> services,
                       std::vector<std::function<void()>> on_drain)
    : logger_("test", stderr), metrics_("test") {
  ServerConfig config;
  config.service_name = "test";
  config.grpc_address = "127.0.0.1:0";
  config.max_threads = 16;
  config.drain_grace = absl::Seconds(1);
  host_ = std::make_unique<ServiceHost>(config, logger_, metrics_);
  for (auto& [service, name] : services) host_->Register(service, name);
  for (auto& hook : on_drain) host_->OnDrain(std::move(hook));
  absl::Status started = host_->Start();
  EXPECT_TRUE(started.ok()) << started;
  channel_ =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(host_->port()), grpc::InsecureChannelCredentials());
}

TestServer::~TestServer() { host_->Shutdown(); }

std::unique_ptr<grpc::ClientContext> TestPrincipals::Context(const Principal& principal) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  signer_.Attach(principal, *context);
  return context;
}

CallIdentity TestPrincipals::As(const Principal& principal) const {
  return [this, principal](grpc::ClientContext& context) { signer_.Attach(principal, context); };
}

Principal SystemPrincipal(const std::string& service) {
  Principal p;
  p.set_subject(ServiceSubject(service));
  p.add_roles(common::v1::ROLE_SYSTEM);
  return p;
}

Principal MakePrincipal(const std::string& subject, const std::string& organisation, Role role,
                        std::vector<std::string> jurisdictions) {
  Principal p;
  p.set_subject(subject);
  p.set_organisation_id(organisation);
  p.add_roles(role);
  for (auto& j : jurisdictions) p.add_jurisdictions(std::move(j));
  return p;
}

namespace {

// The first port of the kernel's ephemeral range (32768 unless configured otherwise).
int FirstEphemeralPort() {
  int low = 32768;
  if (std::FILE* range = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
    if (std::fscanf(range, "%d", &low) != 1) low = 32768;
    std::fclose(range);
  }
  return low;
}

// Binds `port` on loopback (0: the kernel picks one in its ephemeral range); the port bound, or 0.
int BindAndClose(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof addr;
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                     getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  return bound ? ntohs(addr.sin_port) : 0;
}

}  // namespace

// Below the ephemeral range, as deploy/lib/ports picks for servers: a port the kernel picked would be free
// for the next outgoing connection or server on port 0 too, and a child process starting a moment later could
// find it taken.
int ClosedPort() {
  constexpr int kFloor = 10000;
  const int below = FirstEphemeralPort() - 100;
  if (below - kFloor >= 2000) {
    std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> pick(kFloor, below - 1);
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (const int port = BindAndClose(pick(random)); port != 0) return port;
    }
  }
  const int port = BindAndClose(0);
  EXPECT_NE(port, 0);
  return port;
}

bool WaitHealth(const std::string& target, grpc::health::v1::HealthCheckResponse::ServingStatus wanted,
                absl::Duration timeout) {
  auto stub =
      grpc::health::v1::Health::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc::health::v1::HealthCheckResponse response;
    if (stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok() &&
        response.status() == wanted) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  return false;
}

}  // namespace shouhu::testing
