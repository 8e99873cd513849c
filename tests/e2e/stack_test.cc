// End to end: the real registry and gateway processes, a generated gRPC client and the HTTP/JSON face, a
// real MariaDB. The referral-to-closed-case path, jurisdiction through the gateway, forged headers, JSON
// round trips, reflection, graceful shutdown.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/db.h"
#include "common/grpc_status.h"
#include "nlohmann/json.hpp"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"
#include "tests/e2e/referral_requests.h"
#include "tests/e2e/running_stack.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace shouhu::testing {
namespace {

namespace v1 = registry::v1;

class StackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = RunningStack::Start().release(); }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(WaitServing(Registry(), absl::Seconds(90))) << Log("registry.log");
    ASSERT_TRUE(WaitServing(Gateway(), absl::Seconds(60))) << Log("gateway.log");
  }

  static std::string Registry() { return stack_->registry_target(); }
  static std::string Gateway() { return stack_->gateway_target(); }
  static std::string Log(const std::string& name) { return stack_->Log(name); }

  static std::unique_ptr<grpc::ClientContext> Bearer(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  static RunningStack* stack_;
};

RunningStack* StackTest::stack_ = nullptr;

TEST_F(StackTest, ReferralToClosedCase_AgainstTheRunningRegistry) {
  auto stub =
      v1::RegistryService::NewStub(grpc::CreateChannel(Registry(), grpc::InsecureChannelCredentials()));
  SystemClock clock;
  PrincipalSigner signer(TestGatewayKey(), clock);
  auto as = [&](const Principal& p) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    signer.Attach(p, *context);
    return context;
  };
  const Principal caseworker =
      MakePrincipal("e2e-caseworker", "ngo-wuding", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal officer = MakePrincipal("e2e-officer", "wuding-civil-affairs",
                                          common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});

  v1::SubmitReferralResponse submitted;
  ASSERT_TRUE(
      stub->SubmitReferral(as(caseworker).get(), WudingReferral("e2e-direct-1", "周小燕"), &submitted).ok());
  v1::AcceptReferralRequest accept;
  accept.set_request_id("e2e-direct-accept");
  accept.set_referral_id(submitted.referral().referral_id());
  accept.set_organisation_id("ngo-wuding");
  accept.set_caseworker_id("e2e-caseworker");
  accept.set_risk_level(v1::RISK_LEVEL_HIGH);
  v1::AcceptReferralResponse accepted;
  ASSERT_TRUE(stub->AcceptReferral(as(officer).get(), accept, &accepted).ok());

  v1::SearchChildrenRequest search;
  search.set_purpose("e2e");
  search.set_risk_level(v1::RISK_LEVEL_HIGH);
  v1::SearchChildrenResponse found;
  ASSERT_TRUE(stub->SearchChildren(as(caseworker).get(), search, &found).ok());
  bool listed = false;
  for (const auto& c : found.children()) listed |= c.child_id() == accepted.case_().child_id();
  EXPECT_TRUE(listed);

  v1::GetChildRequest get;
  get.set_child_id(accepted.case_().child_id());
  get.set_purpose("e2e home visit");
  v1::GetChildResponse child;
  ASSERT_TRUE(stub->GetChild(as(caseworker).get(), get, &child).ok());
  EXPECT_EQ(child.child().name(), "周小燕");
  EXPECT_EQ(child.child().case_status(), v1::CASE_STATUS_VERIFYING);

  v1::CloseCaseRequest close;
  close.set_request_id("e2e-direct-close");
  close.set_case_id(accepted.case_().case_id());
  close.set_reason("母亲康复出院");
  v1::CloseCaseResponse closed;
  ASSERT_TRUE(stub->CloseCase(as(officer).get(), close, &closed).ok());
  EXPECT_EQ(closed.case_().status(), v1::CASE_STATUS_CLOSED);
}

TEST_F(StackTest, ThroughTheGateway_OfficerOfAnotherCountyGetsNotFound_AndForgedPrincipalIsIgnored) {
  auto stub =
      v1::RegistryService::NewStub(grpc::CreateChannel(Gateway(), grpc::InsecureChannelCredentials()));
  const std::string caseworker = stack_->Token("gw-caseworker", "ngo-wuding", "NGO_CASEWORKER", "532329");
  const std::string officer =
      stack_->Token("gw-officer", "wuding-civil-affairs", "CIVIL_AFFAIRS_OFFICER", "532329");
  const std::string xixia =
      stack_->Token("gw-xixia", "xixia-civil-affairs", "CIVIL_AFFAIRS_OFFICER", "640105");

  v1::SubmitReferralResponse submitted;
  grpc::Status status =
      stub->SubmitReferral(Bearer(caseworker).get(), WudingReferral("e2e-gw-1", "马小兰"), &submitted);
  ASSERT_TRUE(status.ok()) << status.error_message() << Log("gateway.log");
  v1::AcceptReferralRequest accept;
  accept.set_request_id("e2e-gw-accept");
  accept.set_referral_id(submitted.referral().referral_id());
  accept.set_organisation_id("ngo-wuding");
  accept.set_caseworker_id("gw-caseworker");
  accept.set_risk_level(v1::RISK_LEVEL_MEDIUM);
  v1::AcceptReferralResponse accepted;
  ASSERT_TRUE(stub->AcceptReferral(Bearer(officer).get(), accept, &accepted).ok());

  v1::GetChildRequest get;
  get.set_child_id(accepted.case_().child_id());
  get.set_purpose("county review");
  v1::GetChildResponse child;
  EXPECT_TRUE(stub->GetChild(Bearer(officer).get(), get, &child).ok());
  EXPECT_EQ(stub->GetChild(Bearer(xixia).get(), get, &child).error_code(), grpc::StatusCode::NOT_FOUND);

  // A principal header signed by someone other than the gateway, sent beside a Xixia token: the gateway drops
  // it and forwards the token's principal, so the Wuding child stays invisible.
  SystemClock clock;
  PrincipalSigner forger(ForgedKey(), clock);
  auto forged = Bearer(xixia);
  forger.Attach(MakePrincipal("intruder", "x", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"53"}), *forged);
  EXPECT_EQ(stub->GetChild(forged.get(), get, &child).error_code(), grpc::StatusCode::NOT_FOUND);
  // A caseworker may not read the access log (its proto allows auditors only): refused at the gateway.
  v1::ListAccessLogRequest access_log;
  access_log.set_record_id(accepted.case_().child_id());
  v1::ListAccessLogResponse entries;
  EXPECT_EQ(stub->ListAccessLog(Bearer(caseworker).get(), access_log, &entries).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub->GetChild(Bearer("not-a-token").get(), get, &child).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(StackTest, RunningRegistry_RefusesAServiceSignedPerson_AcceptsItsOwnSystemPrincipal) {
  auto stub =
      v1::RegistryService::NewStub(grpc::CreateChannel(Registry(), grpc::InsecureChannelCredentials()));
  SystemClock clock;
  v1::GetDivisionRequest request;
  request.set_code("532329");
  v1::GetDivisionResponse response;
  auto call = [&](const SigningKey& key, const Principal& as) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    PrincipalSigner(key, clock).Attach(as, context);
    return stub->GetDivision(&context, request, &response).error_code();
  };
  const Principal officer = MakePrincipal("e2e-officer", "wuding-civil-affairs",
                                          common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  EXPECT_EQ(call(TestGatewayKey(), officer), grpc::StatusCode::OK);
  // The visits service's key may sign only "service:visits" with the one role SYSTEM.
  EXPECT_EQ(call(TestServiceKey("visits"), officer), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call(TestServiceKey("visits"), SystemPrincipal("registry")), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call(TestServiceKey("visits"), SystemPrincipal("visits")), grpc::StatusCode::OK);
}

TEST_F(StackTest, RunningRegistry_TrustsAnAddedKeyAndRefusesARemovedOne_WithoutRestart) {
  auto stub =
      v1::RegistryService::NewStub(grpc::CreateChannel(Registry(), grpc::InsecureChannelCredentials()));
  SystemClock clock;
  v1::GetDivisionRequest request;
  request.set_code("532329");
  const Principal officer = MakePrincipal("e2e-officer", "wuding-civil-affairs",
                                          common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  ASSERT_OK_AND_ASSIGN(SigningKey next_gateway_key, SigningKey::Generate("e2e-gateway-2"));
  auto code = [&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    PrincipalSigner(next_gateway_key, clock).Attach(officer, context);
    v1::GetDivisionResponse response;
    return stub->GetDivision(&context, request, &response).error_code();
  };
  // The registry re-reads its trusted keys every second (SHOUHU_TRUSTED_KEYS_RELOAD_SECONDS=1); the waits
  // only guard against a hang.
  auto wait_for = [&](grpc::StatusCode wanted) {
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    grpc::StatusCode got = code();
    while (got != wanted && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(200));
      got = code();
    }
    return got;
  };
  EXPECT_EQ(code(), grpc::StatusCode::UNAUTHENTICATED);
  const std::string pub = stack_->trusted_keys_dir + "/e2e-gateway-2.pub";
  {
    std::ofstream out(pub + ".tmp");
    out << TrustedKeyFileText(GatewayKey(next_gateway_key));
  }
  std::filesystem::rename(pub + ".tmp", pub);  // appears whole, as a mounted volume's update does
  EXPECT_EQ(wait_for(grpc::StatusCode::OK), grpc::StatusCode::OK) << Log("registry.log");
  std::filesystem::remove(pub);
  EXPECT_EQ(wait_for(grpc::StatusCode::UNAUTHENTICATED), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(StackTest, JsonFace_RoundTripsAReferral_AndReturnsErrorsAsJson) {
  const std::string caseworker = stack_->Token("json-caseworker", "ngo-wuding", "NGO_CASEWORKER", "532329");
  nlohmann::json body = {{"requestId", "e2e-json-1"},
                         {"source", "REFERRAL_SOURCE_SCHOOL"},
                         {"child", {{"name", "杨春花"}, {"sex", "SEX_FEMALE"}, {"birthDate", "2014-11-02"}}},
                         {"household", {{"villageCode", kWudingVillage}, {"addressDetail", "东岳社区5组"}}},
                         {"guardians",
                          {{{"name", "祖父"},
                            {"relationship", "GUARDIAN_RELATIONSHIP_GRANDPARENT"},
                            {"status", "GUARDIAN_STATUS_PRESENT_AND_ABLE"}}}},
                         {"categories", {"CHILD_CATEGORY_LEFT_BEHIND"}},
                         {"reason", "父母外出务工，祖父独自照料"},
                         {"observedRisk", "RISK_LEVEL_MEDIUM"}};
  HttpResponse ok = HttpPost(stack_->http_port, "/v1/shouhu.registry.v1.RegistryService/SubmitReferral",
                             body.dump(), {{"Authorization", "Bearer " + caseworker}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto answer = nlohmann::json::parse(ok.body);
  EXPECT_EQ(answer["referral"]["child"]["name"], "杨春花");
  EXPECT_EQ(answer["referral"]["status"], "REFERRAL_STATUS_PENDING");
  EXPECT_EQ(answer["referral"]["household"]["villageCode"], kWudingVillage);

  body["requestId"] = "e2e-json-2";
  body["child"]["birthDate"] = "2014-02-30";
  HttpResponse bad = HttpPost(stack_->http_port, "/v1/shouhu.registry.v1.RegistryService/SubmitReferral",
                              body.dump(), {{"Authorization", "Bearer " + caseworker}});
  EXPECT_EQ(bad.status, 400);
  auto error = nlohmann::json::parse(bad.body);
  EXPECT_EQ(error["status"], "INVALID_ARGUMENT");
  EXPECT_EQ(error["field"], "child.birthDate");  // the caller's JSON name, not the proto's
}

TEST_F(StackTest, Reflection_ListsTheRegistryOnTheServiceAndOnTheGateway) {
  const std::string direct = RunCommand(std::string(SHOUHU_PROBE_BINARY) + " services " + Registry());
  EXPECT_NE(direct.find("shouhu.registry.v1.RegistryService"), std::string::npos) << direct;
  const std::string via_gateway = RunCommand(std::string(SHOUHU_PROBE_BINARY) + " services " + Gateway());
  EXPECT_NE(via_gateway.find("shouhu.registry.v1.RegistryService"), std::string::npos) << via_gateway;
}

// The README's first gRPC call: buf curl (grpcurl's counterpart) learns the schema from the gateway's
// reflection, falling back from v1 to v1alpha, and calls through the gateway with a bearer token.
TEST_F(StackTest, BufCurl_ThroughTheGateway_AsTheReadmeShows) {
  const std::string token =
      stack_->Token("curl-officer", "wuding-civil-affairs", "CIVIL_AFFAIRS_OFFICER", "532329");
  const std::string out = RunCommand(absl::StrCat(
      SHOUHU_SOURCE_DIR
      "/node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge -H 'Authorization: Bearer ",
      token, "' -d '{\"code\":\"532329\"}' http://", Gateway(),
      "/shouhu.registry.v1.RegistryService/GetDivision 2>&1"));
  EXPECT_NE(out.find("\"code\": \"532329\""), std::string::npos) << out;
  EXPECT_NE(out.find("武定县"), std::string::npos) << out;
  // Without the token the call itself is refused; the schema still came from reflection.
  const std::string refused = RunCommand(absl::StrCat(
      SHOUHU_SOURCE_DIR
      "/node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge -d '{\"code\":\"532329\"}' "
      "http://",
      Gateway(), "/shouhu.registry.v1.RegistryService/GetDivision 2>&1"));
  EXPECT_NE(refused.find("unauthenticated"), std::string::npos) << refused;
  // A field error is gRPC's richer error model, which buf curl reads: the code, and a google.rpc.BadRequest
  // detail (it printed {"code": "unknown"} for the old bare detail). It prints the detail's value as bytes:
  // the type is referenced by no service's proto, so reflection does not hand it over (grpcurl#547).
  const std::string bad = RunCommand(absl::StrCat(
      SHOUHU_SOURCE_DIR
      "/node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge -H 'Authorization: Bearer ",
      token, "' -d '{\"code\":\"53x\"}' http://", Gateway(),
      "/shouhu.registry.v1.RegistryService/GetDivision 2>&1"));
  EXPECT_NE(bad.find("invalid_argument"), std::string::npos) << bad;
  EXPECT_NE(bad.find("google.rpc.BadRequest"), std::string::npos) << bad;
}

// Runs last in the suite (gtest keeps declaration order): SIGTERM drains and exits 0.
TEST_F(StackTest, Sigterm_DrainsAndExitsCleanly) {
  EXPECT_EQ(stack_->gateway->Terminate(), 0) << Log("gateway.log");
  EXPECT_EQ(stack_->registry->Terminate(), 0) << Log("registry.log");
}

}  // namespace
}  // namespace shouhu::testing
