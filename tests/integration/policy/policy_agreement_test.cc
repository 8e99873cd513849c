// The gateway's method policy and the services' own role checks must agree: a role the gateway lets through
// is one the service serves, and a role the gateway turns away is one the service would refuse too. Walks
// every role × every method of the registry (with its roster, casework and cooperation services), visits,
// training and allowance services, asking the gateway's policy (the shipped deploy/local/gateway/policy.json)
// and the real services (in process, on loopback, with a signed principal of that role and an empty request).
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/method_access.h"
#include "services/allowance/allowance_module.h"
#include "services/gateway/method_policy.h"
#include "services/registry/registry_module.h"
#include "services/training/training_module.h"
#include "services/visits/visits_module.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace shouhu {
namespace {

using shouhu::testing::MakePrincipal;
using shouhu::testing::TestDatabase;

// Whether the service served the call past its role check: any answer but PERMISSION_DENIED (an empty
// request is refused for its fields, or found nothing; a stream stays open until the deadline).
bool ServiceLetsIn(grpc::GenericStub& stub, const shouhu::testing::TestPrincipals& principals,
                   const Principal& principal, const std::string& method) {
  auto context = principals.Context(principal);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  grpc::Slice empty_message("");  // every field at its default
  grpc::ByteBuffer request(&empty_message, 1), response;
  grpc::Status status;
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    status = std::move(s);
    done = true;
    done_cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  done_cv.wait(lock, [&] { return done; });
  EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
  return status.error_code() != grpc::StatusCode::PERMISSION_DENIED;
}

class PolicyAgreementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(registry_db_, TestDatabase::Create(RegistryMigrations()));
    ASSERT_OK_AND_ASSIGN(training_db_, TestDatabase::Create(TrainingMigrations()));
    verifier_ = std::make_unique<PrincipalVerifier>(shouhu::testing::TestTrustedKeys(), clock_);
    registry::RegistryConfig registry_config;
    registry_config.pii_seal_key = std::string(32, 's');
    registry_config.pii_lookup_key = std::string(32, 'l');
    const ServiceContext registry_context{config_,    registry_db_->pool(), clock_,  ids_, logger_, metrics_,
                                          *verifier_, registry_identity_,   workers_};
    ASSERT_OK_AND_ASSIGN(registry_, registry::RegistryModule::Create(registry_context, registry_config));
    const ServiceContext training_context{config_,    training_db_->pool(), clock_,  ids_, logger_, metrics_,
                                          *verifier_, training_identity_,   workers_};
    ASSERT_OK_AND_ASSIGN(training_, training::TrainingModule::Create(training_context, {}));
    ASSERT_OK_AND_ASSIGN(allowance_db_, TestDatabase::Create(AllowanceMigrations()));
    const ServiceContext allowance_context{
        config_,    allowance_db_->pool(), clock_,  ids_, logger_, metrics_,
        *verifier_, allowance_identity_,   workers_};
    // Nothing here gets past validation to ask the registry or training: no address needs to answer.
    allowance::AllowanceConfig allowance_config;
    allowance_config.registry_address = "127.0.0.1:1";
    allowance_config.training_address = "127.0.0.1:1";
    allowance_config.payment_retry_interval = absl::ZeroDuration();
    ASSERT_OK_AND_ASSIGN(allowance_, allowance::AllowanceModule::Create(allowance_context, allowance_config));
    ASSERT_OK_AND_ASSIGN(visits_db_, TestDatabase::Create(VisitsMigrations()));
    const ServiceContext visits_context{config_,  visits_db_->pool(), clock_,           ids_,    logger_,
                                        metrics_, *verifier_,         visits_identity_, workers_};
    visits::VisitsConfig visits_config;
    visits_config.calendars_dir = SHOUHU_SOURCE_DIR "/services/visits/calendars";
    visits_config.registry_address = "127.0.0.1:1";
    visits_config.training_address = "127.0.0.1:1";
    visits_config.pii_seal_key = std::string(32, 's');
    visits_config.pii_lookup_key = std::string(32, 'l');
    visits_config.check_out_sweep_interval = absl::ZeroDuration();
    ASSERT_OK_AND_ASSIGN(visits_, visits::VisitsModule::Create(visits_context, visits_config));
    server_ =
        std::make_unique<shouhu::testing::TestServer>(std::vector<std::pair<grpc::Service*, std::string>>{
            {&registry_->service(), registry::kRegistryServiceName},
            {&registry_->roster_service(), registry::kRosterServiceName},
            {&registry_->casework().service(), registry::kCaseworkServiceName},
            {&registry_->cooperation_service(), registry::kCooperationServiceName},
            {&visits_->service(), visits::kVisitsServiceName},
            {&training_->service(), training::kTrainingServiceName},
            {&allowance_->service(), allowance::kAllowanceServiceName}});
    stub_ = std::make_unique<grpc::GenericStub>(server_->channel());
    ASSERT_OK_AND_ASSIGN(policy_,
                         gateway::PolicyFile::Load(SHOUHU_SOURCE_DIR "/deploy/local/gateway/policy.json"));
  }

  void TearDown() override {
    server_.reset();
    allowance_.reset();
    visits_.reset();
    training_.reset();
    registry_.reset();
  }

  SystemClock clock_;
  IdGenerator ids_{clock_};
  Logger logger_{"policy-test"};
  Metrics metrics_{"policy-test"};
  ServiceConfig config_;
  CallWorkers workers_{8};
  const ServiceIdentity registry_identity_{"registry", shouhu::testing::TestServiceKey("registry"), clock_};
  const ServiceIdentity training_identity_{"training", shouhu::testing::TestServiceKey("training"), clock_};
  const ServiceIdentity visits_identity_{"visits", shouhu::testing::TestServiceKey("visits"), clock_};
  const ServiceIdentity allowance_identity_{"allowance", shouhu::testing::TestServiceKey("allowance"),
                                            clock_};
  std::unique_ptr<TestDatabase> registry_db_;
  std::unique_ptr<TestDatabase> training_db_;
  std::unique_ptr<TestDatabase> allowance_db_;
  std::unique_ptr<TestDatabase> visits_db_;
  std::unique_ptr<PrincipalVerifier> verifier_;
  std::unique_ptr<registry::RegistryModule> registry_;
  std::unique_ptr<training::TrainingModule> training_;
  std::unique_ptr<visits::VisitsModule> visits_;
  std::unique_ptr<allowance::AllowanceModule> allowance_;
  std::unique_ptr<shouhu::testing::TestServer> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
  std::unique_ptr<gateway::PolicyFile> policy_;
  shouhu::testing::TestPrincipals principals_{clock_};
};

TEST_F(PolicyAgreementTest, EveryRoleAndMethod_GatewayAndServiceAgree) {
  int checked = 0;
  for (const char* service_name :
       {registry::kRegistryServiceName, registry::kRosterServiceName, registry::kCaseworkServiceName,
        registry::kCooperationServiceName, visits::kVisitsServiceName, training::kTrainingServiceName,
        allowance::kAllowanceServiceName}) {
    const auto* service = FindService(service_name);
    ASSERT_NE(service, nullptr) << service_name;
    for (int m = 0; m < service->method_count(); ++m) {
      const std::string method = absl::StrCat("/", service_name, "/", service->method(m)->name());
      for (int r = common::v1::Role_MIN + 1; r <= common::v1::Role_MAX; ++r) {
        if (!common::v1::Role_IsValid(r)) continue;  // numbers left free between roles
        const auto role = static_cast<Role>(r);
        const Principal principal = MakePrincipal("someone", "ngo-wuding", role, {"532329"});
        const bool gateway = policy_->Allows(principal, method);
        const bool service_lets_in = ServiceLetsIn(*stub_, principals_, principal, method);
        EXPECT_EQ(gateway, service_lets_in)
            << method << " as " << common::v1::Role_Name(role) << ": the gateway "
            << (gateway ? "lets it through" : "turns it away") << ", the service "
            << (service_lets_in ? "serves it" : "refuses it");
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 600);
}

}  // namespace
}  // namespace shouhu
