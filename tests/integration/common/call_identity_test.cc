// Who a service's outgoing call speaks as, through real gRPC servers on loopback: a front service relays
// each call to a back service that verifies the principal as every Shouhu service does. A call made for a
// caller arrives as that caller, signature and key id untouched; a call the service makes for itself arrives
// as its system principal; a service's key cannot pass off a person.
#include "common/call_identity.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <optional>

#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_server.h"

namespace shouhu::testing {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

// The back service: verifies the principal and remembers what it saw.
class VerifyingHealth final : public Health::Service {
 public:
  explicit VerifyingHealth(const Clock& clock) : verifier_(TestTrustedKeys(), clock) {}

  grpc::Status Check(grpc::ServerContext* context, const HealthCheckRequest*,
                     HealthCheckResponse* response) override {
    auto principal = verifier_.Verify(*context);
    if (!principal.ok()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(principal.status().message()));
    }
    absl::MutexLock lock(&mu_);
    seen_ = *principal;
    seen_deadline_ = context->deadline();
    seen_key_id_ = std::string(context->client_metadata().find(kPrincipalKeyIdMetadata)->second.data(),
                               context->client_metadata().find(kPrincipalKeyIdMetadata)->second.size());
    response->set_status(HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }

  std::optional<Principal> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }
  std::string seen_key_id() {
    absl::MutexLock lock(&mu_);
    return seen_key_id_;
  }
  std::chrono::system_clock::time_point seen_deadline() {
    absl::MutexLock lock(&mu_);
    return seen_deadline_;
  }

 private:
  PrincipalVerifier verifier_;
  absl::Mutex mu_;
  std::optional<Principal> seen_;
  std::string seen_key_id_;
  std::chrono::system_clock::time_point seen_deadline_;
};

// The front service: relays each call to the back one, as the caller ("caller" service name) or as itself.
class RelayingHealth final : public Health::Service {
 public:
  RelayingHealth(std::shared_ptr<grpc::Channel> back, const ServiceIdentity& self)
      : back_(Health::NewStub(back)), self_(self) {}

  grpc::Status Check(grpc::ServerContext* context, const HealthCheckRequest* request,
                     HealthCheckResponse* response) override {
    const CallIdentity identity = request->service() == "caller" ? ForCaller(*context) : self_.ForSelf();
    grpc::ClientContext outgoing;
    outgoing.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    identity(outgoing);
    return back_->Check(&outgoing, HealthCheckRequest(), response);
  }

 private:
  std::unique_ptr<Health::Stub> back_;
  const ServiceIdentity& self_;
};

std::unique_ptr<grpc::Server> Serve(grpc::Service* service, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

class CallIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    back_server_ = Serve(&back_, &back_port_);
    ASSERT_NE(back_server_, nullptr);
    relay_ = std::make_unique<RelayingHealth>(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(back_port_), grpc::InsecureChannelCredentials()),
        visits_);
    front_server_ = Serve(relay_.get(), &front_port_);
    ASSERT_NE(front_server_, nullptr);
    front_ = Health::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(front_port_), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    front_server_->Shutdown(std::chrono::system_clock::now());
    back_server_->Shutdown(std::chrono::system_clock::now());
  }

  grpc::Status CallFront(grpc::ClientContext& context, const std::string& as) {
    HealthCheckRequest request;
    request.set_service(as);
    HealthCheckResponse response;
    return front_->Check(&context, request, &response);
  }

  SystemClock clock_;
  ServiceIdentity visits_{"visits", TestServiceKey("visits"), clock_};
  VerifyingHealth back_{clock_};
  int back_port_ = 0;
  int front_port_ = 0;
  std::unique_ptr<grpc::Server> back_server_;
  std::unique_ptr<RelayingHealth> relay_;
  std::unique_ptr<grpc::Server> front_server_;
  std::unique_ptr<Health::Stub> front_;
};

TEST_F(CallIdentityTest, ForCaller_ForwardsTheGatewaySignedPrincipalUnchanged) {
  const Principal officer =
      MakePrincipal("officer-1", "wuding-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  auto context = TestPrincipals(clock_).Context(officer);
  ASSERT_TRUE(CallFront(*context, "caller").ok());
  ASSERT_TRUE(back_.seen().has_value());
  EXPECT_EQ(back_.seen()->subject(), "officer-1");
  EXPECT_EQ(back_.seen()->organisation_id(), "wuding-civil-affairs");
  EXPECT_TRUE(HasRole(*back_.seen(), common::v1::ROLE_CIVIL_AFFAIRS_OFFICER));
  EXPECT_EQ(back_.seen_key_id(), TestGatewayKey().key_id);
}

TEST_F(CallIdentityTest, ForCaller_CallersDeadlineBoundsTheOutgoingCall) {
  const Principal officer =
      MakePrincipal("officer-1", "wuding-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  auto context = TestPrincipals(clock_).Context(officer);
  const auto callers_deadline = std::chrono::system_clock::now() + std::chrono::seconds(8);
  context->set_deadline(callers_deadline);  // the relay's own is 30 s
  ASSERT_TRUE(CallFront(*context, "caller").ok());
  EXPECT_LE(back_.seen_deadline(), callers_deadline + std::chrono::milliseconds(100));
}

TEST_F(CallIdentityTest, ForCaller_WithoutAPrincipal_IsRefusedDownstream) {
  grpc::ClientContext bare;
  EXPECT_EQ(CallFront(bare, "caller").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_FALSE(back_.seen().has_value());
}

TEST_F(CallIdentityTest, ServiceIdentity_ArrivesAsTheServicesSystemPrincipal) {
  grpc::ClientContext context;
  ASSERT_TRUE(CallFront(context, "self").ok());
  ASSERT_TRUE(back_.seen().has_value());
  EXPECT_EQ(back_.seen()->subject(), "service:visits");
  ASSERT_EQ(back_.seen()->roles_size(), 1);
  EXPECT_EQ(back_.seen()->roles(0), common::v1::ROLE_SYSTEM);
  EXPECT_EQ(back_.seen_key_id(), TestServiceKey("visits").key_id);
}

TEST_F(CallIdentityTest, ServiceKey_SigningAPersonOrAnotherService_IsRefusedDownstream) {
  const TestPrincipals as_visits(clock_, TestServiceKey("visits"));
  const Principal officer =
      MakePrincipal("officer-1", "wuding-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  for (const Principal& claimed : {officer, SystemPrincipal("registry")}) {
    auto context = as_visits.Context(claimed);
    EXPECT_EQ(CallFront(*context, "caller").error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << claimed.subject();
  }
  EXPECT_FALSE(back_.seen().has_value());
}

}  // namespace
}  // namespace shouhu::testing
