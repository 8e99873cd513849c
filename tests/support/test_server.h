// Serves gRPC services on a loopback port for a test, through the same ServiceHost scaffold the processes
// use, and signs principals the way the gateway does.
#ifndef SHOUHU_TESTS_SUPPORT_TEST_SERVER_H_
#define SHOUHU_TESTS_SUPPORT_TEST_SERVER_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/call_identity.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/principal.h"
#include "common/server.h"
#include "grpc/health/v1/health.pb.h"
#include "tests/support/test_database.h"
#include "tests/support/test_keys.h"

namespace shouhu::testing {

class TestServer {
 public:
  // Starts at once; a failure to start fails the test that made it. `on_drain`: ServiceHost::OnDrain hooks.
  explicit TestServer(std::vector<std::pair<grpc::Service*, std::string>> services,
                      std::vector<std::function<void()>> on_drain = {});
  ~TestServer();

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  int port() const { return host_->port(); }

 private:
  Logger logger_;
  Metrics metrics_;
  std::unique_ptr<ServiceHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Principals as the gateway would forward them, signed with TestGatewayKey(); or, given a service's key
// (TestServiceKey("visits")), as that service would sign them.
class TestPrincipals {
 public:
  explicit TestPrincipals(const Clock& clock, SigningKey key = TestGatewayKey())
      : signer_(std::move(key), clock) {}

  // A client context carrying `principal`, with a deadline so a hung server fails the test instead of
  // hanging.
  std::unique_ptr<grpc::ClientContext> Context(const Principal& principal) const;
  // `principal`, signed afresh for each call, as the identity a client of another service takes. This
  // object must outlive the calls.
  CallIdentity As(const Principal& principal) const;

 private:
  PrincipalSigner signer_;
};

// {subject: "service:<service>", roles: [SYSTEM]}: what a service may sign for itself.
Principal SystemPrincipal(const std::string& service);

Principal MakePrincipal(const std::string& subject, const std::string& organisation, Role role,
                        std::vector<std::string> jurisdictions);

// A loopback port nothing listens on (bound, then closed; below the kernel's ephemeral range): a service or
// database that is not running, or a port free for a child process a moment later.
int ClosedPort();

// Waits until the server at `target` reports its overall health as `wanted` (grpc.health.v1); false if it
// never does within `timeout`.
bool WaitHealth(const std::string& target, grpc::health::v1::HealthCheckResponse::ServingStatus wanted,
                absl::Duration timeout);

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_TEST_SERVER_H_
