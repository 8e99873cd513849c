// The gateway through real gRPC and HTTP servers on loopback: authentication matrix, policy, jurisdiction
// scoping, principal forwarding, deadlines, an unreachable backend, rate limits, audit, API clients and the
// HTTP/JSON face.
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/ids.h"
#include "common/migrations.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/gateway/gateway_store.h"
#include "shouhu/gateway/v1/gateway_admin.grpc.pb.h"
#include "tests/integration/gateway/api_client_logins.h"
#include "tests/integration/gateway/gateway_harness.h"
#include "tests/integration/gateway/severing_proxy.h"
#include "tests/integration/gateway/slow_answer_proxy.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_server.h"

namespace shouhu {
std::vector<db::Migration> GatewayMigrations();  // generated from services/gateway/migrations
}

namespace shouhu::testing {
namespace {

using echo::v1::EchoService;

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override { StartHarness({}); }

  void StartHarness(const HarnessOptions& options) {
    h_.reset();
    auto started = GatewayHarness::Start(options);
    ASSERT_OK(started);
    h_ = *std::move(started);
    channel_ = grpc::CreateChannel(h_->grpc_target(), grpc::InsecureChannelCredentials());
    echo_ = EchoService::NewStub(channel_);
    admin_ = gateway::v1::GatewayAdminService::NewStub(channel_);
  }

  // A context carrying `authorization` (unless empty) and a 5 s deadline.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& authorization,
                                                      absl::Duration deadline = absl::Seconds(5)) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!authorization.empty()) context->AddMetadata("authorization", authorization);
    context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    return context;
  }
  static std::string Bearer(const std::string& token) { return "Bearer " + token; }
  static std::string Basic(const std::string& id, const std::string& secret) {
    return "Basic " + absl::Base64Escape(id + ":" + secret);
  }

  absl::StatusOr<echo::v1::WhoAmIResponse> WhoAmI(const std::string& authorization) {
    echo::v1::WhoAmIResponse response;
    auto context = Context(authorization);
    grpc::Status status = echo_->WhoAmI(context.get(), echo::v1::WhoAmIRequest(), &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  absl::Status WhoAmIStatus(const std::string& authorization) { return WhoAmI(authorization).status(); }

  std::string AdminToken() {
    nlohmann::json claims = h_->OfficerClaims();
    claims["sub"] = "gateway-admin";
    claims["roles"] = {"ADMIN"};
    return h_->Token(claims);
  }

  // A new API client with one role in Wuhua district (530102), created by an admin through the admin service.
  gateway::v1::CreateApiClientResponse CreateClient(const std::string& request_id,
                                                    const std::string& organisation, common::v1::Role role) {
    gateway::v1::CreateApiClientRequest create;
    create.set_request_id(request_id);
    create.set_display_name(organisation + " case system");
    create.set_organisation_id(organisation);
    create.add_roles(role);
    create.add_jurisdictions("530102");
    gateway::v1::CreateApiClientResponse created;
    auto context = Context(Bearer(AdminToken()));
    const grpc::Status status = admin_->CreateApiClient(context.get(), create, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  std::unique_ptr<GatewayHarness> h_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<EchoService::Stub> echo_;
  std::unique_ptr<gateway::v1::GatewayAdminService::Stub> admin_;
};

// --- authentication matrix --------------------------------------------------------------------------------

TEST_F(GatewayTest, Auth_ValidRs256Token_ForwardsItsPrincipal) {
  ASSERT_OK_AND_ASSIGN(echo::v1::WhoAmIResponse who, WhoAmI(Bearer(h_->OfficerToken())));
  EXPECT_EQ(who.principal().subject(), "officer-wuhua-1");
  EXPECT_EQ(who.principal().organisation_id(), "org-wuhua-civil-affairs");
  ASSERT_EQ(who.principal().roles_size(), 1);
  EXPECT_EQ(who.principal().roles(0), common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  ASSERT_EQ(who.principal().jurisdictions_size(), 1);
  EXPECT_EQ(who.principal().jurisdictions(0), "530102");
}

TEST_F(GatewayTest, Auth_ValidEs256Token_IsAccepted) {
  const std::string token = MintToken("ES256", "ec-1", h_->ec().private_pem, h_->OfficerClaims());
  EXPECT_OK(WhoAmIStatus(Bearer(token)));
}

TEST_F(GatewayTest, Auth_MissingCredentials_IsUnauthenticated) {
  EXPECT_THAT(WhoAmIStatus(""), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GatewayTest, Auth_MalformedCredentials_AreUnauthenticated) {
  for (const std::string& header :
       {std::string("Bearer"), std::string("Bearer "), std::string("Bearer abc"), std::string("Bearer a.b.c"),
        std::string("Token ") + h_->OfficerToken(), std::string("Basic !!!"),
        std::string("Basic ") + absl::Base64Escape("no-colon"), h_->OfficerToken()}) {
    EXPECT_THAT(WhoAmIStatus(header), StatusIs(absl::StatusCode::kUnauthenticated)) << header;
  }
}

TEST_F(GatewayTest, Auth_ExpiredToken_IsUnauthenticated) {
  nlohmann::json claims = h_->OfficerClaims();
  claims["exp"] = absl::ToUnixSeconds(absl::Now()) - 31;  // beyond the 30 s leeway
  EXPECT_THAT(WhoAmIStatus(Bearer(h_->Token(claims))), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GatewayTest, Auth_ExpiredWithinLeeway_IsAccepted) {
  nlohmann::json claims = h_->OfficerClaims();
  claims["exp"] = absl::ToUnixSeconds(absl::Now()) - 10;
  EXPECT_OK(WhoAmIStatus(Bearer(h_->Token(claims))));
}

TEST_F(GatewayTest, Auth_TokenWithoutExpiry_IsUnauthenticated) {
  nlohmann::json claims = h_->OfficerClaims();
  claims.erase("exp");
  EXPECT_THAT(WhoAmIStatus(Bearer(h_->Token(claims))), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GatewayTest, Auth_NotYetValidToken_IsUnauthenticated) {
  nlohmann::json claims = h_->OfficerClaims();
  claims["nbf"] = absl::ToUnixSeconds(absl::Now()) + 120;
  EXPECT_THAT(WhoAmIStatus(Bearer(h_->Token(claims))), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GatewayTest, Auth_WrongIssuer_IsUnauthenticated) {
  nlohmann::json claims = h_->OfficerClaims();
  claims["iss"] = "https://someone-else.example";
  EXPECT_THAT(WhoAmIStatus(Bearer(h_->Token(claims))), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GatewayTest, Auth_WrongAudience_IsUnauthenticated) {
  nlohmann::json claims = h_->OfficerClaims();
  claims["aud"] = "another-api";
  EXPECT_THAT(WhoAmIStatus(Bearer(h_->Token(claims))), StatusIs(absl::StatusCode::kUnauthenticated));
  claims["aud"] = {"another-api", kAudience};
  EXPECT_OK(WhoAmIStatus(Bearer(h_->Token(claims))));
}

TEST_F(GatewayTest, Auth_BadSignature_IsUnauthenticated) {
  const KeyPair stranger = NewRsaKey();
  const std::string forged = MintToken("RS256", "rsa-1", stranger.private_pem, h_->OfficerClaims());
  EXPECT_THAT(WhoAmIStatus(Bearer(forged)), StatusIs(absl::StatusCode::kUnauthenticated));
  // A valid token whose payload was changed after signing.
  std::vector<std::string> parts = absl::StrSplit(h_->OfficerToken(), '.');
  ASSERT_EQ(parts.size(), 3u);
  nlohmann::json claims = h_->OfficerClaims();
  claims["jurisdictions"] = {"11"};
  std::string payload;
  absl::WebSafeBase64Escape(claims.dump(), &payload);
  EXPECT_THAT(WhoAmIStatus(Bearer(parts[0] + "." + payload + "." + parts[2])),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GatewayTest, Auth_AlgNone_IsUnauthenticated) {
  const std::string token = MintToken("none", "rsa-1", "", h_->OfficerClaims());
  ASSERT_FALSE(token.empty());
  EXPECT_THAT(WhoAmIStatus(Bearer(token)), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GatewayTest, Auth_Hs256SignedWithThePublicKey_IsUnauthenticated) {
  const std::string token = MintToken("HS256", "rsa-1", h_->rsa().public_pem, h_->OfficerClaims());
  EXPECT_THAT(WhoAmIStatus(Bearer(token)), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GatewayTest, Auth_UnknownKeyId_IsUnauthenticated) {
  const std::string token = MintToken("RS256", "rsa-9", h_->rsa().private_pem, h_->OfficerClaims());
  EXPECT_THAT(WhoAmIStatus(Bearer(token)), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GatewayTest, Auth_RevokedKey_IsUnauthenticatedWithoutRestart) {
  const std::string token = h_->OfficerToken();
  ASSERT_OK(WhoAmIStatus(Bearer(token)));
  std::filesystem::remove(h_->keys_dir() + "/rsa-1.pem");
  ASSERT_OK(h_->gateway().tokens().Reload());
  EXPECT_THAT(WhoAmIStatus(Bearer(token)), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GatewayTest, Auth_RotatedKey_OldSignaturesFailNewOnesPass) {
  const std::string old_token = h_->OfficerToken();
  ASSERT_OK(WhoAmIStatus(Bearer(old_token)));
  const KeyPair next = NewRsaKey();
  {
    std::ofstream out(h_->keys_dir() + "/rsa-1.pem", std::ios::trunc);
    out << next.public_pem;
  }
  // The periodic reload (every 100 ms in tests) picks the new key up without a restart.
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (WhoAmIStatus(Bearer(old_token)).ok() && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(50));
  EXPECT_THAT(WhoAmIStatus(Bearer(old_token)), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(WhoAmIStatus(Bearer(MintToken("RS256", "rsa-1", next.private_pem, h_->OfficerClaims()))));
}

// Only the canonical names grant a role: "admin", "Admin", "role_admin" and "ROLE_ADMIN" grant nothing, and a
// token naming such strings is logged once, not once per call.
TEST_F(GatewayTest, Auth_LooselySpelledRoles_GrantNothing_AndAreLoggedOncePerToken) {
  nlohmann::json claims = h_->OfficerClaims();
  claims["sub"] = "loose-roles-1";
  claims["roles"] = {
      "admin", "Admin", "role_admin", "ROLE_ADMIN", "civil_affairs_officer", "CIVIL_AFFAIRS_OFFICER"};
  const std::string token = h_->Token(claims);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<echo::v1::WhoAmIResponse> who = WhoAmI(Bearer(token));
    ASSERT_OK(who);
    ASSERT_EQ(who->principal().roles_size(), 1);
    EXPECT_EQ(who->principal().roles(0), common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
    gateway::v1::ListApiClientsResponse listed;
    auto context = Context(Bearer(token));
    EXPECT_EQ(
        admin_->ListApiClients(context.get(), gateway::v1::ListApiClientsRequest(), &listed).error_code(),
        grpc::StatusCode::PERMISSION_DENIED);
  }
  const std::string log = h_->LogText();
  size_t lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "loose-roles-1") && absl::StrContains(line, "role_admin")) ++lines;
  }
  EXPECT_EQ(lines, 1u) << log;
}

// SYSTEM is the services' own role, signed only by a service's key for itself (DESIGN.md §3). A token that
// claims it (an identity provider's mistaken group mapping), alone or beside a person's role, or whose
// subject is a service's ("service:visits": its idempotency namespace and actor name), is refused at the
// door: the gateway never signs such a principal.
TEST_F(GatewayTest, Auth_TokenClaimingTheSystemRoleOrAServiceSubject_IsUnauthenticated) {
  nlohmann::json system_only = h_->OfficerClaims();
  system_only["roles"] = {"SYSTEM"};
  EXPECT_THAT(WhoAmIStatus(Bearer(h_->Token(system_only))), StatusIs(absl::StatusCode::kUnauthenticated));
  nlohmann::json officer_and_system = h_->OfficerClaims();
  officer_and_system["roles"] = {"CIVIL_AFFAIRS_OFFICER", "SYSTEM"};
  EXPECT_THAT(WhoAmIStatus(Bearer(h_->Token(officer_and_system))),
              StatusIs(absl::StatusCode::kUnauthenticated));
  nlohmann::json service_subject = h_->OfficerClaims();
  service_subject["sub"] = "service:visits";
  EXPECT_THAT(WhoAmIStatus(Bearer(h_->Token(service_subject))), StatusIs(absl::StatusCode::kUnauthenticated));
  // Said in the log for the identity provider's operators, without the token.
  EXPECT_TRUE(absl::StrContains(h_->LogText(), "SYSTEM")) << h_->LogText();
  EXPECT_FALSE(absl::StrContains(h_->LogText(), h_->Token(officer_and_system)));
  // The officer's own token still works.
  EXPECT_OK(WhoAmIStatus(Bearer(h_->OfficerToken())));
}

// --- authorization and scoping ----------------------------------------------------------------------------

TEST_F(GatewayTest, Policy_RoleOutsideMethodPolicy_IsPermissionDenied) {
  nlohmann::json claims = h_->OfficerClaims();
  claims["roles"] = {"NGO_CASEWORKER"};
  echo::v1::SleepResponse response;
  auto context = Context(Bearer(h_->Token(claims)));
  grpc::Status status = echo_->Sleep(context.get(), echo::v1::SleepRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // The same caller may call what the policy gives caseworkers.
  EXPECT_OK(WhoAmIStatus(Bearer(h_->Token(claims))));
}

TEST_F(GatewayTest, Policy_FileChanged_TakesEffectWithoutARestart_AndABrokenFileKeepsThePolicyInForce) {
  auto list_status = [&] {
    gateway::v1::ListApiClientsResponse listed;
    auto context = Context(Bearer(AdminToken()));
    return admin_->ListApiClients(context.get(), gateway::v1::ListApiClientsRequest(), &listed).error_code();
  };
  ASSERT_EQ(list_status(), grpc::StatusCode::OK);

  std::ofstream(h_->policy_file())
      << R"({"rules": [{"methods": ["shouhu.gateway.v1.GatewayAdminService/*"], "roles": ["AUDITOR"]}]})";
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (list_status() != grpc::StatusCode::PERMISSION_DENIED && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(list_status(), grpc::StatusCode::PERMISSION_DENIED);

  std::ofstream(h_->policy_file()) << R"({"rules": [{"methods": ["oops"]}]})";
  EXPECT_THAT(h_->gateway().policy().Reload(), StatusIs(absl::StatusCode::kInvalidArgument));
  absl::SleepFor(absl::Milliseconds(300));  // the reload thread has tried too
  EXPECT_EQ(list_status(), grpc::StatusCode::PERMISSION_DENIED);
}

// Who may call a domain service's method is its proto's allowed_roles, the source the services' own edges
// read too: the file cannot open (or close) one, and a file that tries does not load.
TEST_F(GatewayTest, Policy_DomainServiceRoles_ComeFromTheProtoNotTheFile) {
  nlohmann::json claims = h_->OfficerClaims();
  claims["roles"] = {"NGO_CASEWORKER"};
  auto sleep_status = [&] {
    echo::v1::SleepResponse response;
    auto context = Context(Bearer(h_->Token(claims)));
    return echo_->Sleep(context.get(), echo::v1::SleepRequest(), &response).error_code();
  };
  ASSERT_EQ(sleep_status(), grpc::StatusCode::PERMISSION_DENIED);  // the proto allows officers only
  EXPECT_OK(WhoAmIStatus(Bearer(h_->Token(claims))));              // and this one to caseworkers too

  nlohmann::json policy = nlohmann::json::parse(TestPolicyJson());
  policy["rules"].push_back(
      {{"methods", {"shouhu.echo.v1.EchoService/Sleep"}}, {"roles", {"NGO_CASEWORKER"}}});
  std::ofstream(h_->policy_file()) << policy.dump();
  EXPECT_THAT(h_->gateway().policy().Reload(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(sleep_status(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(gateway::MethodPolicy::Parse(R"({"rules": [{"methods": ["shouhu.registry.v1.RegistryService/*"],
                                                            "roles": ["AUDITOR"]}]})")
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(GatewayTest, Policy_MethodDeclaringNoRoles_IsPermissionDenied) {
  echo::v1::WhoAmIResponse response;
  auto context = Context(Bearer(h_->OfficerToken()));
  EXPECT_EQ(echo_->Closed(context.get(), echo::v1::WhoAmIRequest(), &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// A method no proto declares, on a service the gateway routes: UNIMPLEMENTED, with credentials as without
// (not PERMISSION_DENIED, which would say that it exists and is closed), on both faces.
TEST_F(GatewayTest, Forward_UnknownMethodOfARoutedService_IsUnimplementedWithOrWithoutCredentials) {
  grpc::GenericStub stub(channel_);
  for (const std::string& authorization : {Bearer(h_->OfficerToken()), std::string()}) {
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    auto context = Context(authorization);
    absl::Notification done;
    grpc::Status status;
    stub.UnaryCall(context.get(), "/shouhu.echo.v1.EchoService/Unlisted", grpc::StubOptions(), &request,
                   &response, [&](grpc::Status s) {
                     status = s;
                     done.Notify();
                   });
    done.WaitForNotification();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << authorization.empty();
    HttpResponse r = HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/Unlisted", "{}",
                              {{"Authorization", authorization}});
    EXPECT_EQ(r.status, 501) << r.body;
  }
}

TEST_F(GatewayTest, Scoping_OfficerReadingAnotherCountysChild_IsNotFound) {
  echo::v1::GetChildRequest request;
  echo::v1::GetChildResponse response;
  request.set_child_id("child-110101");
  auto context = Context(Bearer(h_->OfficerToken()));
  EXPECT_EQ(echo_->GetChild(context.get(), request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
  request.set_child_id("child-530102");
  context = Context(Bearer(h_->OfficerToken()));
  ASSERT_TRUE(echo_->GetChild(context.get(), request, &response).ok());
  EXPECT_EQ(response.division_code(), "530102");
}

TEST_F(GatewayTest, Forward_ForgedPrincipalHeader_IsIgnored) {
  // A principal signed with the real gateway key, claiming the whole country: still not what the backend
  // gets.
  SystemClock clock;
  PrincipalSigner signer(TestGatewayKey(), clock);
  Principal forged;
  forged.set_subject("intruder");
  forged.add_roles(common::v1::ROLE_ADMIN);
  forged.add_jurisdictions("1");
  auto context = Context(Bearer(h_->OfficerToken()));
  signer.Sign(forged).AddTo(*context);
  context->AddMetadata("x-shouhu-internal", "1");
  echo::v1::WhoAmIResponse who;
  ASSERT_TRUE(echo_->WhoAmI(context.get(), echo::v1::WhoAmIRequest(), &who).ok());
  EXPECT_EQ(who.principal().subject(), "officer-wuhua-1");
  ASSERT_EQ(who.principal().jurisdictions_size(), 1);
  EXPECT_EQ(who.principal().jurisdictions(0), "530102");
  std::vector<std::string> keys(who.shouhu_metadata_keys().begin(), who.shouhu_metadata_keys().end());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{kPrincipalMetadata, kPrincipalKeyIdMetadata,
                                            kPrincipalSignatureMetadata}));
}

TEST_F(GatewayTest, Forward_ForgedPrincipalWithoutCredentials_IsUnauthenticated) {
  SystemClock clock;
  PrincipalSigner signer(TestGatewayKey(), clock);
  Principal forged;
  forged.set_subject("intruder");
  forged.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  auto context = Context("");
  signer.Sign(forged).AddTo(*context);
  echo::v1::WhoAmIResponse who;
  EXPECT_EQ(echo_->WhoAmI(context.get(), echo::v1::WhoAmIRequest(), &who).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GatewayTest, Forward_RequestId_ReachesTheBackend) {
  auto context = Context(Bearer(h_->OfficerToken()));
  context->AddMetadata("x-request-id", "req-abc-123");
  echo::v1::WhoAmIResponse who;
  ASSERT_TRUE(echo_->WhoAmI(context.get(), echo::v1::WhoAmIRequest(), &who).ok());
  EXPECT_EQ(who.request_id(), "req-abc-123");
}

TEST_F(GatewayTest, Forward_BackendErrorCodeAndField_PassThroughUnchanged) {
  for (int code : {2, 3, 4, 5, 6, 9, 10, 13, 14}) {
    echo::v1::FailRequest request;
    request.set_code(code);
    echo::v1::FailResponse response;
    auto context = Context(Bearer(h_->OfficerToken()));
    EXPECT_EQ(echo_->Fail(context.get(), request, &response).error_code(), code);
  }
  echo::v1::FailRequest request;
  request.set_code(3);
  request.set_field("referral.child_name");
  echo::v1::FailResponse response;
  auto context = Context(Bearer(h_->OfficerToken()));
  grpc::Status status = echo_->Fail(context.get(), request, &response);
  EXPECT_EQ(FieldOf(FromGrpcStatus(status)), "referral.child_name");
  // As a standard client reads it: a google.rpc.Status whose details hold a google.rpc.BadRequest.
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  EXPECT_EQ(details.code(), 3);
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "referral.child_name");
}

TEST_F(GatewayTest, Forward_ServerStreaming_RelaysEveryMessageAndTheStatus) {
  echo::v1::StreamNumbersRequest request;
  request.set_count(50);
  request.set_final_code(9);
  auto context = Context(Bearer(h_->OfficerToken()));
  auto reader = echo_->StreamNumbers(context.get(), request);
  echo::v1::StreamNumbersResponse response;
  int seen = 0;
  while (reader->Read(&response)) EXPECT_EQ(response.number(), ++seen);
  EXPECT_EQ(seen, 50);
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

// Unserved methods are UNIMPLEMENTED with or without credentials, as on any gRPC server: a client probing for
// reflection v1 must learn to fall back, not that it is unauthenticated.
TEST_F(GatewayTest, Forward_UnroutedMethod_IsUnimplementedEvenWithoutCredentials) {
  grpc::GenericStub stub(channel_);
  for (const std::string& authorization : {Bearer(h_->OfficerToken()), std::string()}) {
    for (const char* method : {"/shouhu.nowhere.v1.NowhereService/Get",
                               "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"}) {
      grpc::Slice empty("");
      grpc::ByteBuffer request(&empty, 1), response;
      auto context = Context(authorization);
      absl::Notification done;
      grpc::Status status;
      stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
        status = s;
        done.Notify();
      });
      done.WaitForNotification();
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
          << method << " " << authorization.empty();
    }
  }
}

// --- deadlines and failures -------------------------------------------------------------------------------

TEST_F(GatewayTest, Deadline_CallersDeadline_ReachesTheBackend) {
  echo::v1::SleepResponse response;
  auto context = Context(Bearer(h_->OfficerToken()), absl::Seconds(2));
  ASSERT_TRUE(echo_->Sleep(context.get(), echo::v1::SleepRequest(), &response).ok());
  EXPECT_GT(response.deadline_remaining_ms(), 1000);
  // grpc-timeout is rounded up on the wire at each hop: a few milliseconds over the caller's 2 s is expected.
  EXPECT_LE(response.deadline_remaining_ms(), 2050);
}

TEST_F(GatewayTest, Deadline_NoneOrTooLong_IsCappedAtTheMaximum) {
  echo::v1::SleepResponse response;
  grpc::ClientContext context;  // no deadline at all
  context.AddMetadata("authorization", Bearer(h_->OfficerToken()));
  ASSERT_TRUE(echo_->Sleep(&context, echo::v1::SleepRequest(), &response).ok());
  EXPECT_GT(response.deadline_remaining_ms(), 3000);
  // The harness's cap is 5 s; the grpc-timeout header is rounded up on the wire, and the backend reads its
  // remaining time against its own clock, so a few milliseconds over is the cap, not a leak.
  EXPECT_LE(response.deadline_remaining_ms(), 5050);
}

TEST_F(GatewayTest, Deadline_ExpiringWhileBackendWorks_IsDeadlineExceededAndCancelsTheBackend) {
  echo::v1::SleepRequest request;
  request.set_sleep_ms(3000);
  echo::v1::SleepResponse response;
  auto context = Context(Bearer(h_->OfficerToken()), absl::Milliseconds(300));
  const absl::Time start = absl::Now();
  EXPECT_EQ(echo_->Sleep(context.get(), request, &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  // Answered at the caller's deadline, not when the backend's sleep would have ended (not a speed bound).
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(request.sleep_ms()));
  const absl::Time give_up = absl::Now() + absl::Seconds(2);
  while (h_->backend()->cancelled_sleeps() == 0 && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(h_->backend()->cancelled_sleeps(), 1);
}

TEST_F(GatewayTest, Cancel_CallerCancelling_CancelsTheBackend) {
  echo::v1::SleepRequest request;
  request.set_sleep_ms(3000);
  auto context = Context(Bearer(h_->OfficerToken()));
  echo::v1::SleepResponse response;
  absl::Notification done;
  grpc::Status status;
  echo_->async()->Sleep(context.get(), &request, &response, [&](grpc::Status s) {
    status = s;
    done.Notify();
  });
  absl::SleepFor(absl::Milliseconds(200));
  context->TryCancel();
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  const absl::Time give_up = absl::Now() + absl::Seconds(2);
  while (h_->backend()->cancelled_sleeps() == 0 && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(h_->backend()->cancelled_sleeps(), 1);
}

TEST_F(GatewayTest, Backend_Stopped_IsUnavailableWithinTheDeadline) {
  ASSERT_OK(WhoAmIStatus(Bearer(h_->OfficerToken())));  // the connection exists and is then lost
  h_->backend()->Stop();
  const absl::Time start = absl::Now();
  echo::v1::WhoAmIResponse who;
  auto context = Context(Bearer(h_->OfficerToken()), absl::Seconds(3));
  EXPECT_EQ(echo_->WhoAmI(context.get(), echo::v1::WhoAmIRequest(), &who).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Refused at once, not by waiting out the caller's deadline (3 s; not a speed bound).
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

// A gateway whose echo route goes to `address`, with no echo backend of the harness's own.
absl::StatusOr<std::unique_ptr<GatewayHarness>> GatewayRoutingEchoTo(const std::string& address) {
  HarnessOptions options;
  options.with_backend = false;
  options.extra_routes["echo"] = address;
  return GatewayHarness::Start(options);
}

// WhoAmI through `h`'s gRPC face as its officer, within `deadline`.
grpc::Status WhoAmIAsOfficer(GatewayHarness& h, absl::Duration deadline, echo::v1::WhoAmIResponse* who) {
  auto stub = EchoService::NewStub(grpc::CreateChannel(h.grpc_target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + h.OfficerToken());
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return stub->WhoAmI(&context, echo::v1::WhoAmIRequest(), who);
}

TEST(GatewayBackendTest, Backend_NeverStarted_IsUnavailableWithinTheDeadline) {
  auto h = GatewayRoutingEchoTo("127.0.0.1:1");  // nothing listens there
  ASSERT_OK(h);
  const absl::Time start = absl::Now();
  echo::v1::WhoAmIResponse who;
  EXPECT_EQ(WhoAmIAsOfficer(**h, absl::Seconds(3), &who).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Refused at once, not by waiting out the caller's deadline (3 s; not a speed bound).
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

// A backend that takes its connection but answers it late (starved of CPU, say) is waited for, within the
// caller's deadline: the gateway's channel once allowed a connection 100 ms to come up (gRPC reads its
// minimum reconnect backoff as the minimum connect timeout) and failed every call while the machine was busy.
TEST(GatewayBackendTest, Backend_SlowToAnswerANewConnection_CallStillForwarded) {
  std::unique_ptr<EchoBackend> backend = EchoBackend::Start();
  ASSERT_NE(backend, nullptr);
  std::unique_ptr<SlowAnswerProxy> slow = SlowAnswerProxy::Start(backend->port(), absl::Milliseconds(600));
  ASSERT_NE(slow, nullptr);
  auto h = GatewayRoutingEchoTo(absl::StrCat("127.0.0.1:", slow->port()));
  ASSERT_OK(h);
  echo::v1::WhoAmIResponse who;
  const grpc::Status status = WhoAmIAsOfficer(**h, absl::Seconds(10), &who);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(who.principal().subject(), "officer-wuhua-1");
}

// The transport's words name the service's internal address ("ipv4:127.0.0.1:…: Connection refused"); the
// caller hears only which service is away, on both faces, with the code unchanged.
TEST(GatewayBackendTest, Backend_NotRunning_AnswerNamesTheServiceButNotItsAddress) {
  const int port = ClosedPort();
  auto h = GatewayRoutingEchoTo(absl::StrCat("127.0.0.1:", port));
  ASSERT_OK(h);
  auto stub =
      EchoService::NewStub(grpc::CreateChannel((*h)->grpc_target(), grpc::InsecureChannelCredentials()));
  auto no_address = [&](const std::string& message) {
    for (const std::string& leak : {std::string("127.0.0.1"), std::string("ipv4"), absl::StrCat(port)}) {
      EXPECT_EQ(message.find(leak), std::string::npos) << message;
    }
  };
  grpc::ClientContext unary;
  unary.AddMetadata("authorization", "Bearer " + (*h)->OfficerToken());
  unary.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(3)));
  echo::v1::WhoAmIResponse who;
  const grpc::Status status = stub->WhoAmI(&unary, echo::v1::WhoAmIRequest(), &who);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "the echo service is unavailable; retry later");
  no_address(status.error_message());

  grpc::ClientContext streaming;
  streaming.AddMetadata("authorization", "Bearer " + (*h)->OfficerToken());
  streaming.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(3)));
  echo::v1::StreamNumbersRequest numbers;
  numbers.set_count(3);
  auto reader = stub->StreamNumbers(&streaming, numbers);
  echo::v1::StreamNumbersResponse number;
  while (reader->Read(&number)) {
  }
  const grpc::Status streamed = reader->Finish();
  EXPECT_EQ(streamed.error_code(), grpc::StatusCode::UNAVAILABLE);
  no_address(streamed.error_message());

  HttpResponse r = HttpPost((*h)->http_port(), "/v1/shouhu.echo.v1.EchoService/WhoAmI", "{}",
                            {{"Authorization", "Bearer " + (*h)->OfficerToken()}});
  EXPECT_EQ(r.status, 503);
  nlohmann::json json = nlohmann::json::parse(r.body);
  EXPECT_EQ(json["status"], "UNAVAILABLE");
  EXPECT_EQ(json["message"], "the echo service is unavailable; retry later");
  no_address(r.body);
}

// The gateway's own database is away: an admin call answers a plain UNAVAILABLE on both faces, without the
// database's words or address, which go to the log.
TEST(GatewayBackendTest, OwnDatabaseUnreachable_IsUnavailableWithoutItsDetail_WhichIsLogged) {
  const int port = ClosedPort();
  HarnessOptions options;
  options.gateway_db = [&](DbConfig& config) {
    config.socket.clear();
    config.host = "127.0.0.1";
    config.port = port;
  };
  auto h = GatewayHarness::Start(options);
  ASSERT_OK(h);
  nlohmann::json claims = (*h)->OfficerClaims();
  claims["roles"] = {"ADMIN"};
  const std::string token = (*h)->Token(claims);
  auto admin = gateway::v1::GatewayAdminService::NewStub(
      grpc::CreateChannel((*h)->grpc_target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  gateway::v1::ListApiClientsResponse listed;
  const grpc::Status status = admin->ListApiClients(&context, gateway::v1::ListApiClientsRequest(), &listed);
  HttpResponse r = HttpPost((*h)->http_port(), "/v1/shouhu.gateway.v1.GatewayAdminService/ListApiClients",
                            "{}", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(r.status, 503);
  for (const std::string& leak :
       {std::string("database"), std::string("HY000"), std::string("127.0.0.1"), absl::StrCat(port)}) {
    EXPECT_EQ(status.error_message().find(leak), std::string::npos) << status.error_message();
    EXPECT_EQ(r.body.find(leak), std::string::npos) << r.body;
  }
  EXPECT_TRUE(absl::StrContains((*h)->LogText(), "database error")) << (*h)->LogText();
}

// --- rate limit and audit ---------------------------------------------------------------------------------

TEST(GatewayRateLimitTest, RateLimit_BeyondTheBurst_IsResourceExhaustedPerClient) {
  HarnessOptions options;
  options.rate_limit = {1, 3};  // 3 at once, then one a second
  auto h = GatewayHarness::Start(options);
  ASSERT_OK(h);
  auto stub =
      EchoService::NewStub(grpc::CreateChannel((*h)->grpc_target(), grpc::InsecureChannelCredentials()));
  auto call = [&](const std::string& token) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    echo::v1::WhoAmIResponse who;
    return stub->WhoAmI(&context, echo::v1::WhoAmIRequest(), &who).error_code();
  };
  const std::string token = (*h)->OfficerToken();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(call(token), grpc::StatusCode::OK) << i;
  EXPECT_EQ(call(token), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Another client has a bucket of its own.
  nlohmann::json other = (*h)->OfficerClaims();
  other["sub"] = "officer-wuhua-2";
  EXPECT_EQ(call((*h)->Token(other)), grpc::StatusCode::OK);
  absl::SleepFor(absl::Milliseconds(1100));
  EXPECT_EQ(call(token), grpc::StatusCode::OK);
}

TEST_F(GatewayTest, Audit_EveryCall_WritesOneRowWithoutPayload) {
  auto context = Context(Bearer(h_->OfficerToken()));
  context->AddMetadata("x-request-id", "audit-req-1");
  echo::v1::GetChildRequest request;
  request.set_child_id("child-110101");
  echo::v1::GetChildResponse response;
  EXPECT_EQ(echo_->GetChild(context.get(), request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(WhoAmIStatus(""), StatusIs(absl::StatusCode::kUnauthenticated));
  // The row is written after the answer; wait for the server to finish the call before flushing.
  absl::SleepFor(absl::Milliseconds(100));
  h_->gateway().audit().Flush();
  ASSERT_EQ(h_->db().Count("audit_log"), 2);
  std::optional<db::Row> row;
  ASSERT_OK(h_->db().pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(row, s.QueryOne("SELECT subject, organisation_id, method, grpc_code, face, latency_us "
                                     "FROM audit_log WHERE request_id = ?",
                                     {std::string("audit-req-1")}));
    return absl::OkStatus();
  }));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->String(0), "officer-wuhua-1");
  EXPECT_EQ(row->String(1), "org-wuhua-civil-affairs");
  EXPECT_EQ(row->String(2), "/shouhu.echo.v1.EchoService/GetChild");
  EXPECT_EQ(row->Int(3), 5);
  EXPECT_EQ(row->String(4), "grpc");
  EXPECT_GT(row->Int(5), 0);
}

// A call refused at the door costs its sender nothing, and each was an audit row: one address (or one token)
// could fill the table, or push the rows of calls that reached a service out of the writer's queue. Per
// caller (an address without credentials, a subject its policy turned away), 60 rows a minute are written one
// by one and the rest of that minute's calls counted in one row (refused_call_rows.h); every row names the
// address, on both faces; calls that reached a service are a row each.
TEST_F(GatewayTest, Audit_CallsRefusedAtTheDoor_OneByOneUpToTheCallersBudgetTheRestCountedInOneRow) {
  const HttpResponse http = HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/WhoAmI", "{}",
                                     {{"X-Request-Id", "unidentified-http"}});
  EXPECT_EQ(http.status, 401) << http.body;
  constexpr int kCalls = 150;
  for (int i = 0; i < kCalls; ++i) {
    auto context = Context("");
    context->AddMetadata("x-request-id", absl::StrCat("unidentified-", i));
    echo::v1::WhoAmIResponse who;
    ASSERT_EQ(echo_->WhoAmI(context.get(), echo::v1::WhoAmIRequest(), &who).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // A caseworker's script calling an officer's method in a loop: turned away by the policy, counted by
  // subject.
  nlohmann::json caseworker = h_->OfficerClaims();
  caseworker["sub"] = "caseworker-wuhua-3";
  caseworker["org"] = "ngo-wuhua-children";
  caseworker["roles"] = {"NGO_CASEWORKER"};
  const std::string caseworker_token = h_->Token(caseworker);
  for (int i = 0; i < 70; ++i) {
    auto context = Context(Bearer(caseworker_token));
    context->AddMetadata("x-request-id", absl::StrCat("turned-away-", i));
    echo::v1::SleepResponse slept;
    ASSERT_EQ(echo_->Sleep(context.get(), echo::v1::SleepRequest(), &slept).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  for (int i = 0; i < 5; ++i) {
    auto context = Context(Bearer(h_->OfficerToken()));
    context->AddMetadata("x-request-id", absl::StrCat("identified-", i));
    echo::v1::WhoAmIResponse who;
    ASSERT_EQ(echo_->WhoAmI(context.get(), echo::v1::WhoAmIRequest(), &who).error_code(),
              grpc::StatusCode::OK);
  }
  absl::SleepFor(absl::Milliseconds(100));
  h_->gateway().audit().Flush();
  std::optional<db::Row> unidentified, turned_away, identified;
  ASSERT_OK(h_->db().pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        unidentified,
        s.QueryOne("SELECT COUNT(*), SUM(repeats), SUM(repeats > 1), COUNT(DISTINCT peer), MIN(peer), "
                   "SUM(face = 'http') FROM audit_log WHERE request_id LIKE 'unidentified-%'"));
    ASSIGN_OR_RETURN(turned_away, s.QueryOne("SELECT COUNT(*), SUM(repeats), MIN(subject), MAX(subject) "
                                             "FROM audit_log WHERE request_id LIKE 'turned-away-%'"));
    ASSIGN_OR_RETURN(identified, s.QueryOne("SELECT COUNT(*), SUM(repeats), MIN(peer) FROM audit_log "
                                            "WHERE request_id LIKE 'identified-%'"));
    return absl::OkStatus();
  }));
  EXPECT_EQ(unidentified->Int(0), 61) << "60 rows one by one and one counting the rest";
  EXPECT_EQ(unidentified->Int(1), kCalls + 1) << "every call written or counted";
  EXPECT_EQ(unidentified->Int(2), 1);
  EXPECT_EQ(unidentified->Int(3), 1) << "both faces name the same address";
  EXPECT_EQ(unidentified->String(4), "127.0.0.1");
  EXPECT_EQ(unidentified->Int(5), 1) << "the HTTP call, the address's first, written one by one";
  EXPECT_EQ(turned_away->Int(0), 61);
  EXPECT_EQ(turned_away->Int(1), 70);
  EXPECT_EQ(turned_away->String(2), "caseworker-wuhua-3");
  EXPECT_EQ(turned_away->String(3), "caseworker-wuhua-3");
  EXPECT_EQ(identified->Int(0), 5) << "calls that reached a service: a row each";
  EXPECT_EQ(identified->Int(1), 5);
  EXPECT_EQ(identified->String(2), "127.0.0.1");
}

// Deployed, every call comes through the ingress controller, which names the caller in X-Real-IP. From a peer
// among --forwarded_by that header is where the call came from, on both faces; from any other peer a caller's
// own X-Real-IP is ignored (here the default harness, which trusts no proxy).
TEST_F(GatewayTest, Audit_CallerAddress_FromTheProxysHeaderOnlyWhenThePeerIsTheProxy) {
  const auto call_both_faces = [&](const std::string& id, const std::string& http_address,
                                   const std::string& grpc_address) {
    const HttpResponse http = HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/WhoAmI", "{}",
                                       {{"X-Request-Id", id + "-http"}, {"X-Real-IP", http_address}});
    EXPECT_EQ(http.status, 401) << http.body;
    auto context = Context("");
    context->AddMetadata("x-request-id", id + "-grpc");
    context->AddMetadata("x-real-ip", grpc_address);
    echo::v1::WhoAmIResponse who;
    EXPECT_EQ(echo_->WhoAmI(context.get(), echo::v1::WhoAmIRequest(), &who).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    absl::SleepFor(absl::Milliseconds(100));
    h_->gateway().audit().Flush();
  };
  const auto peer_of = [&](const std::string& request_id) {
    std::string peer = "(no row)";
    EXPECT_OK(h_->db().pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT peer FROM audit_log WHERE request_id = ?", {request_id}));
      if (row) peer = row->String(0);
      return absl::OkStatus();
    }));
    return peer;
  };
  call_both_faces("forged", "203.0.113.5", "198.51.100.7");
  EXPECT_EQ(peer_of("forged-http"), "127.0.0.1");
  EXPECT_EQ(peer_of("forged-grpc"), "127.0.0.1");

  HarnessOptions behind_a_proxy;
  behind_a_proxy.forwarded_by = "127.0.0.0/8";
  StartHarness(behind_a_proxy);
  call_both_faces("proxied", "203.0.113.5", "198.51.100.7");
  EXPECT_EQ(peer_of("proxied-http"), "203.0.113.5");
  EXPECT_EQ(peer_of("proxied-grpc"), "198.51.100.7");
}

// The audit row of a call refused at the door says who was refused: the verified caller of a method its roles
// may not call (a volunteer reaching for the admin service, a caseworker for an officer's method), and the
// client id an API client presented with a secret that was not accepted, marked as only claimed. A caller
// the gateway cannot name at all (no credentials, an id not shaped as ours) stays unnamed.
TEST_F(GatewayTest, Audit_RefusedCall_RecordsWhoWasRefused) {
  nlohmann::json volunteer = h_->OfficerClaims();
  volunteer["sub"] = "volunteer-wuhua-7";
  volunteer["org"] = "ngo-wuhua-children";
  volunteer["roles"] = {"VOLUNTEER"};
  gateway::v1::CreateApiClientRequest create;
  create.set_request_id("create-by-volunteer");
  create.set_display_name("volunteer's own client");
  create.set_organisation_id("ngo-wuhua-children");
  create.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  gateway::v1::CreateApiClientResponse created;
  auto context = Context(Bearer(h_->Token(volunteer)));
  context->AddMetadata("x-request-id", "audit-denied-admin");
  EXPECT_EQ(admin_->CreateApiClient(context.get(), create, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  nlohmann::json caseworker = h_->OfficerClaims();
  caseworker["sub"] = "caseworker-wuhua-3";
  caseworker["org"] = "ngo-wuhua-children";
  caseworker["roles"] = {"NGO_CASEWORKER"};
  context = Context(Bearer(h_->Token(caseworker)));
  context->AddMetadata("x-request-id", "audit-denied-sleep");
  echo::v1::SleepResponse slept;
  EXPECT_EQ(echo_->Sleep(context.get(), echo::v1::SleepRequest(), &slept).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The same refusal on the HTTP face.
  const HttpResponse http =
      HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/Sleep", "{}",
               {{"Authorization", Bearer(h_->Token(caseworker))}, {"X-Request-Id", "audit-denied-http"}});
  EXPECT_EQ(http.status, 403) << http.body;

  const std::string presented_id = "01JZZZZZZZZZZZZZZZZZZZZZZZ";
  context = Context(Basic(presented_id, "not-the-secret"));
  context->AddMetadata("x-request-id", "audit-wrong-secret");
  echo::v1::WhoAmIResponse who;
  EXPECT_EQ(echo_->WhoAmI(context.get(), echo::v1::WhoAmIRequest(), &who).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  context = Context(Basic("robert'); DROP TABLE", "x"));
  context->AddMetadata("x-request-id", "audit-garbage-id");
  EXPECT_EQ(echo_->WhoAmI(context.get(), echo::v1::WhoAmIRequest(), &who).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  absl::SleepFor(absl::Milliseconds(100));
  h_->gateway().audit().Flush();
  auto row_of = [&](const std::string& request_id) {
    std::optional<db::Row> row;
    EXPECT_OK(h_->db().pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(row, s.QueryOne("SELECT subject, organisation_id, subject_claimed, grpc_code, method "
                                       "FROM audit_log WHERE request_id = ?",
                                       {request_id}));
      return absl::OkStatus();
    }));
    return row;
  };
  std::optional<db::Row> row = row_of("audit-denied-admin");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->String(0), "volunteer-wuhua-7");
  EXPECT_EQ(row->String(1), "ngo-wuhua-children");
  EXPECT_EQ(row->Int(2), 0);
  EXPECT_EQ(row->Int(3), 7);
  EXPECT_EQ(row->String(4), "/shouhu.gateway.v1.GatewayAdminService/CreateApiClient");
  for (const char* request_id : {"audit-denied-sleep", "audit-denied-http"}) {
    row = row_of(request_id);
    ASSERT_TRUE(row.has_value()) << request_id;
    EXPECT_EQ(row->String(0), "caseworker-wuhua-3") << request_id;
    EXPECT_EQ(row->String(1), "ngo-wuhua-children") << request_id;
    EXPECT_EQ(row->Int(3), 7) << request_id;
  }
  row = row_of("audit-wrong-secret");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->String(0), presented_id);
  EXPECT_EQ(row->String(1), "");
  EXPECT_EQ(row->Int(2), 1);  // claimed, not verified
  EXPECT_EQ(row->Int(3), 16);
  row = row_of("audit-garbage-id");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->String(0), "");
  EXPECT_EQ(row->Int(3), 16);
}

// A rate-limited call is recorded with the caller it refused.
TEST(GatewayAuditTest, Audit_RateLimitedCall_RecordsTheCaller) {
  HarnessOptions options;
  options.rate_limit = {1, 1};  // one at once, then one a second
  auto h = GatewayHarness::Start(options);
  ASSERT_OK(h);
  auto stub =
      EchoService::NewStub(grpc::CreateChannel((*h)->grpc_target(), grpc::InsecureChannelCredentials()));
  const std::string token = (*h)->OfficerToken();
  auto call = [&](const std::string& request_id) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    context.AddMetadata("x-request-id", request_id);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    echo::v1::WhoAmIResponse who;
    return stub->WhoAmI(&context, echo::v1::WhoAmIRequest(), &who).error_code();
  };
  EXPECT_EQ(call("limit-1"), grpc::StatusCode::OK);
  EXPECT_EQ(call("limit-2"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  absl::SleepFor(absl::Milliseconds(100));
  (*h)->gateway().audit().Flush();
  std::optional<db::Row> row;
  ASSERT_OK((*h)->db().pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(row, s.QueryOne("SELECT subject, organisation_id, grpc_code FROM audit_log "
                                     "WHERE request_id = 'limit-2'"));
    return absl::OkStatus();
  }));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->String(0), "officer-wuhua-1");
  EXPECT_EQ(row->String(1), "org-wuhua-civil-affairs");
  EXPECT_EQ(row->Int(2), 8);
}

// The value of a counter in the metrics' text exposition (0 when it was never added to).
double Counter(const Metrics& metrics, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(metrics.Render(), '\n')) {
    if (!absl::StartsWith(line, name + "{")) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) return value;
  }
  return 0;
}

// How many audit rows carry each of `request_ids`.
std::map<std::string, int64_t> AuditRowsOf(TestDatabase& db, const std::vector<std::string>& request_ids) {
  std::map<std::string, int64_t> rows;
  for (const std::string& id : request_ids) {
    EXPECT_OK(db.pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<db::Row> row,
                       s.QueryOne("SELECT COUNT(*) FROM audit_log WHERE request_id = ?", {id}));
      rows[id] = row->Int(0);
      return absl::OkStatus();
    }));
  }
  return rows;
}

// MariaDB commits an audit INSERT and the connection dies before the gateway hears the answer. The writer
// writes the batch again; the rows exist exactly once, and audit rows keep arriving afterwards (before: the
// retry failed on the duplicate id forever and no audit row was written again).
TEST(GatewayAuditTest, Audit_DatabaseDiesBetweenCommitAndAnswer_RowsWrittenOnceAndLaterRowsKeepArriving) {
  const DbConfig real = TestDbConfig();
  std::unique_ptr<SeveringProxy> proxy = SeveringProxy::Start(real.host, real.port);
  ASSERT_NE(proxy, nullptr);
  HarnessOptions options;
  options.gateway_db = [&](DbConfig& config) {
    config.socket.clear();
    config.host = "127.0.0.1";
    config.port = proxy->port();
  };
  auto h = GatewayHarness::Start(options);
  ASSERT_OK(h);
  auto stub =
      EchoService::NewStub(grpc::CreateChannel((*h)->grpc_target(), grpc::InsecureChannelCredentials()));
  auto call = [&](const std::string& request_id) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + (*h)->OfficerToken());
    context.AddMetadata("x-request-id", request_id);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    echo::v1::WhoAmIResponse who;
    EXPECT_TRUE(stub->WhoAmI(&context, echo::v1::WhoAmIRequest(), &who).ok());
  };
  // The pool has its prepared statements through the proxy before the cut, as a running gateway would.
  call("warm-1");
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  // A row is recorded once the server has finished its call, a little after the client has its answer.
  auto await_rows = [&](const std::vector<std::string>& ids) {
    auto all_written = [&] {
      for (const auto& [id, count] : AuditRowsOf((*h)->db(), ids)) {
        if (count == 0) return false;
      }
      return true;
    };
    while (!all_written() && absl::Now() < give_up) {
      (*h)->gateway().audit().Flush();
      absl::SleepFor(absl::Milliseconds(50));
    }
  };
  await_rows({"warm-1"});
  ASSERT_EQ(AuditRowsOf((*h)->db(), {"warm-1"})["warm-1"], 1);

  // Armed before the calls: whichever write carries their rows first (the writer's own, every 200 ms, or a
  // Flush) is the one whose answer is lost, however slowly the calls run on a busy machine.
  proxy->ArmForNextAuditInsert();
  const std::vector<std::string> cut = {"cut-1", "cut-2", "cut-3"};
  for (const std::string& id : cut) call(id);
  await_rows(cut);
  ASSERT_EQ(proxy->severed(), 1) << (*h)->LogText();
  for (const auto& [id, count] : AuditRowsOf((*h)->db(), cut)) EXPECT_EQ(count, 1) << id;  // committed once

  const std::vector<std::string> later = {"later-1", "later-2"};
  for (const std::string& id : later) call(id);
  await_rows(later);
  for (const auto& [id, count] : AuditRowsOf((*h)->db(), later)) EXPECT_EQ(count, 1) << id << (*h)->LogText();
  for (const auto& [id, count] : AuditRowsOf((*h)->db(), cut)) EXPECT_EQ(count, 1) << id;
  EXPECT_EQ(Counter((*h)->metrics(), "shouhu_gateway_audit_dropped_total"), 0);
  EXPECT_EQ(proxy->severed(), 1);
}

// A caller may send a method path that is not UTF-8: gRPC passes the bytes of :path through to the gateway,
// which answers UNIMPLEMENTED and audits the call with its path. The audit's method column is utf8mb4, which
// MariaDB refuses such bytes for, so the row, and the batch of other callers' rows it was written with, was
// retried and then dropped. The path is stored escaped, and the rows beside it are written.
TEST_F(GatewayTest, Audit_MethodPathNotUtf8_StoredEscapedAndTheOtherRowsOfItsBatchWritten) {
  grpc::GenericStub stub(channel_);
  auto call = [&](const std::string& method, const std::string& request_id) {
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    auto context = Context(Bearer(h_->OfficerToken()));
    context->AddMetadata("x-request-id", request_id);
    absl::Notification done;
    grpc::Status status;
    stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
      status = s;
      done.Notify();
    });
    done.WaitForNotification();
    return status.error_code();
  };
  // Three calls within a few milliseconds: one batch of the audit writer (it writes every 200 ms).
  EXPECT_EQ(call("/shouhu.echo.v1.EchoService/WhoAmI", "beside-bad-path-1"), grpc::StatusCode::OK);
  EXPECT_EQ(call("/shouhu.echo.v1.EchoService/Who\xff\xc3(AmI", "bad-path"), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(call("/shouhu.echo.v1.EchoService/WhoAmI", "beside-bad-path-2"), grpc::StatusCode::OK);

  const std::vector<std::string> ids = {"beside-bad-path-1", "bad-path", "beside-bad-path-2"};
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  auto settled = [&] {
    int64_t rows = 0;
    for (const auto& [id, count] : AuditRowsOf(h_->db(), ids)) rows += count;
    return rows == 3 || Counter(h_->metrics(), "shouhu_gateway_audit_dropped_total") > 0;
  };
  while (!settled() && absl::Now() < give_up) {
    h_->gateway().audit().Flush();
    absl::SleepFor(absl::Milliseconds(50));
  }
  for (const auto& [id, count] : AuditRowsOf(h_->db(), ids)) EXPECT_EQ(count, 1) << id << h_->LogText();
  EXPECT_EQ(Counter(h_->metrics(), "shouhu_gateway_audit_dropped_total"), 0);
  std::optional<db::Row> row;
  ASSERT_OK(h_->db().pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(row,
                     s.QueryOne("SELECT method, grpc_code FROM audit_log WHERE request_id = 'bad-path'"));
    return absl::OkStatus();
  }));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->String(0), R"(/shouhu.echo.v1.EchoService/Who\xff\xc3(AmI)");
  EXPECT_EQ(row->Int(1), 12);
  // Nor is it a metrics label (a scrape refuses a page holding bytes that are not UTF-8): methods no proto
  // declares are counted under one label, so that new paths, sent without credentials, add no series.
  const std::string metrics = h_->metrics().Render();
  EXPECT_FALSE(absl::StrContains(metrics, "Who\xff")) << metrics;
  EXPECT_FALSE(absl::StrContains(metrics, R"(Who\xff)")) << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, R"(method="unserved",code="UNIMPLEMENTED"} 1)")) << metrics;
}

// A reload that fails (here the key folder is gone) keeps the keys in force, and is counted for an alert.
TEST_F(GatewayTest, Auth_KeyReloadFailing_KeepsTheKeysAndIsCounted) {
  const std::string token = h_->OfficerToken();
  ASSERT_OK(WhoAmIStatus(Bearer(token)));
  std::filesystem::remove_all(h_->keys_dir());
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (Counter(h_->metrics(), "shouhu_gateway_token_key_reload_failures_total") == 0 &&
         absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(50));
  EXPECT_GE(Counter(h_->metrics(), "shouhu_gateway_token_key_reload_failures_total"), 1);
  EXPECT_OK(WhoAmIStatus(Bearer(token)));
}

// --- API clients ------------------------------------------------------------------------------------------

TEST_F(GatewayTest, ApiClient_SecretRotationAndRevocation) {
  const gateway::v1::CreateApiClientResponse created =
      CreateClient("create-1", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  ASSERT_FALSE(created.api_client().client_id().empty());
  const std::string id = created.api_client().client_id();
  const std::string first = created.secret();
  ASSERT_FALSE(first.empty());

  ASSERT_OK_AND_ASSIGN(echo::v1::WhoAmIResponse who, WhoAmI(Basic(id, first)));
  EXPECT_EQ(who.principal().subject(), id);
  EXPECT_EQ(who.principal().organisation_id(), "org-wuhua-civil-affairs");
  EXPECT_THAT(WhoAmIStatus(Basic(id, first + "x")), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(WhoAmIStatus(Basic("01ARZ3NDEKTSV4RRFFQ69G5FAV", first)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // The client's id exactly as it was given (gateway migration 0049): not another spelling of its letters.
  EXPECT_THAT(WhoAmIStatus(Basic(absl::AsciiStrToLower(id), first)),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // Rotation: two secrets valid at once, a third refused.
  gateway::v1::AddApiClientSecretRequest add;
  add.set_request_id("add-1");
  add.set_client_id(id);
  gateway::v1::AddApiClientSecretResponse added;
  auto context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->AddApiClientSecret(context.get(), add, &added).ok());
  EXPECT_OK(WhoAmIStatus(Basic(id, first)));
  EXPECT_OK(WhoAmIStatus(Basic(id, added.secret())));
  add.set_request_id("add-2");
  context = Context(Bearer(AdminToken()));
  EXPECT_EQ(admin_->AddApiClientSecret(context.get(), add, &added).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Revoking the first secret ends it at once on this gateway; the second stays valid.
  gateway::v1::RevokeApiClientSecretRequest revoke_secret;
  revoke_secret.set_request_id("revoke-secret-1");
  revoke_secret.set_client_id(id);
  revoke_secret.set_secret_id(created.api_client().secrets(0).secret_id());
  gateway::v1::RevokeApiClientSecretResponse revoked_secret;
  context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->RevokeApiClientSecret(context.get(), revoke_secret, &revoked_secret).ok());
  EXPECT_THAT(WhoAmIStatus(Basic(id, first)), StatusIs(absl::StatusCode::kUnauthenticated));

  // The revoked secret's rotation place is free again: one more secret may be added, and then no other.
  add.set_request_id("add-3");
  context = Context(Bearer(AdminToken()));
  gateway::v1::AddApiClientSecretResponse added_again;
  ASSERT_TRUE(admin_->AddApiClientSecret(context.get(), add, &added_again).ok());
  EXPECT_OK(WhoAmIStatus(Basic(id, added_again.secret())));
  add.set_request_id("add-4");
  context = Context(Bearer(AdminToken()));
  EXPECT_EQ(admin_->AddApiClientSecret(context.get(), add, &added).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // The database holds the rule itself: no third place, and a place held once per client.
  for (int64_t place : {1, 2, 3}) {
    absl::Status written = h_->db().pool().Autocommit([&](db::Session& s) {
      return s
          .Execute(
              "INSERT INTO api_client_secrets (secret_id, client_id, secret_hash, created_at, "
              "rotation_place) "
              "VALUES (?, ?, 'hash', NOW(6), ?)",
              {absl::StrCat("01ARZ3NDEKTSV4RRFFQ69G5FA", place), id, place})
          .status();
    });
    EXPECT_FALSE(written.ok()) << "a secret took place " << place << " beside the two valid ones";
  }

  gateway::v1::RevokeApiClientRequest revoke;
  revoke.set_request_id("revoke-1");
  revoke.set_client_id(id);
  gateway::v1::RevokeApiClientResponse revoked;
  context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->RevokeApiClient(context.get(), revoke, &revoked).ok());
  EXPECT_EQ(revoked.api_client().state(), gateway::v1::API_CLIENT_STATE_REVOKED);
}

// Secrets an earlier version stored get their rotation places from migration 0048: each client's two oldest
// valid secrets take places 1 and 2, a revoked one none. A third valid secret (which only the Galera race
// could leave) stays valid without a place, and the client can add none until two are revoked.
TEST(ApiClientSecretPlacesMigrationTest, Migration0048_TwoOldestValidSecretsTakePlacesOneAndTwo) {
  std::vector<db::Migration> before;
  for (const db::Migration& m : GatewayMigrations()) {
    if (m.version < 48) before.push_back(m);
  }
  ASSERT_OK_AND_ASSIGN(auto database, TestDatabase::Create(before));
  // Client A: one revoked, then two valid. Client B: three valid (the rule broken). Client C: one valid.
  const std::vector<std::tuple<std::string, std::string, std::string, bool>> secrets = {
      {"01JSECRETA0000000000000001", "01JCLIENTA0000000000000000", "2026-01-01 00:00:00", true},
      {"01JSECRETA0000000000000002", "01JCLIENTA0000000000000000", "2026-02-01 00:00:00", false},
      {"01JSECRETA0000000000000003", "01JCLIENTA0000000000000000", "2026-03-01 00:00:00", false},
      {"01JSECRETB0000000000000003", "01JCLIENTB0000000000000000", "2026-03-01 00:00:00", false},
      {"01JSECRETB0000000000000001", "01JCLIENTB0000000000000000", "2026-01-01 00:00:00", false},
      {"01JSECRETB0000000000000002", "01JCLIENTB0000000000000000", "2026-02-01 00:00:00", false},
      {"01JSECRETC0000000000000001", "01JCLIENTC0000000000000000", "2026-01-01 00:00:00", false}};
  ASSERT_OK(database->pool().Autocommit([&](db::Session& s) -> absl::Status {
    for (const char* client :
         {"01JCLIENTA0000000000000000", "01JCLIENTB0000000000000000", "01JCLIENTC0000000000000000"}) {
      RETURN_IF_ERROR(s.Execute("INSERT INTO api_clients (client_id, display_name, organisation_id, roles, "
                                "jurisdictions, created_at) VALUES (?, 'county system', 'org-1', "
                                "'ROLE_CASEWORKER', '5323', '2026-01-01 00:00:00')",
                                {std::string(client)})
                          .status());
    }
    for (const auto& [secret, client, created, revoked] : secrets) {
      RETURN_IF_ERROR(
          s.Execute("INSERT INTO api_client_secrets (secret_id, client_id, secret_hash, created_at, "
                    "revoked_at) VALUES (?, ?, 'hash', ?, IF(?, '2026-04-01 00:00:00', NULL))",
                    {secret, client, created, int64_t{revoked ? 1 : 0}})
              .status());
    }
    return absl::OkStatus();
  }));
  ASSERT_OK(db::ApplyMigrations(database->pool(), GatewayMigrations()));
  std::map<std::string, int64_t> place;
  ASSERT_OK(database->pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query("SELECT secret_id, COALESCE(rotation_place, 0) FROM api_client_secrets"));
    for (const db::Row& row : rows) place[row.String(0)] = row.Int(1);
    return absl::OkStatus();
  }));
  EXPECT_EQ(place, (std::map<std::string, int64_t>{{"01JSECRETA0000000000000001", 0},
                                                   {"01JSECRETA0000000000000002", 1},
                                                   {"01JSECRETA0000000000000003", 2},
                                                   {"01JSECRETB0000000000000001", 1},
                                                   {"01JSECRETB0000000000000002", 2},
                                                   {"01JSECRETB0000000000000003", 0},
                                                   {"01JSECRETC0000000000000001", 1}}));
  gateway::GatewayStore store(database->pool());
  auto add = [&](const std::string& client, const std::string& secret_id) {
    const IdempotencyKey key{"shouhu.gateway.v1.AdminService/AddClientSecret", "admin", "add-" + secret_id,
                             "hash-" + secret_id};
    return store.AddSecret(key, client, {secret_id, "hash", absl::Now(), {}}).status();
  };
  EXPECT_THAT(add("01JCLIENTB0000000000000000", "01JSECRETB0000000000000004"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(add("01JCLIENTC0000000000000000", "01JSECRETC0000000000000002"));
  EXPECT_THAT(add("01JCLIENTC0000000000000000", "01JSECRETC0000000000000003"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// Another replica remembers the client's success; a revocation made here reaches it within the recheck
// interval, without a slow hash for the confirmations in between.
TEST_F(GatewayTest, ApiClient_RevokedOnOneReplica_IsRefusedByAnotherWithinTheRecheckInterval) {
  const gateway::v1::CreateApiClientResponse created =
      CreateClient("create-replica-1", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  ASSERT_FALSE(created.api_client().client_id().empty());
  const std::string id = created.api_client().client_id();

  gateway::GatewayStore store(h_->db().pool());
  ManualClock clock(absl::Now());
  gateway::ApiClientAuthenticator replica(store, clock, absl::Minutes(10), absl::Seconds(2), 1);
  auto authenticate = [&](const std::string& secret) {
    absl::Notification done;
    absl::StatusOr<Principal> result;
    replica.Authenticate(id, secret, [&](absl::StatusOr<Principal> principal) {
      result = std::move(principal);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  };
  ASSERT_OK(authenticate(created.secret()));
  clock.Advance(absl::Seconds(3));
  ASSERT_OK(authenticate(created.secret()));  // confirmed: still valid

  gateway::v1::RevokeApiClientRequest revoke;
  revoke.set_request_id("revoke-replica-1");
  revoke.set_client_id(id);
  gateway::v1::RevokeApiClientResponse revoked;
  auto context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->RevokeApiClient(context.get(), revoke, &revoked).ok());
  EXPECT_OK(authenticate(created.secret()));  // within the interval the replica still remembers
  clock.Advance(absl::Seconds(3));
  EXPECT_THAT(authenticate(created.secret()), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(authenticate(created.secret()), StatusIs(absl::StatusCode::kUnauthenticated));
}

// Stands in front of the gateway's store for a replica's authenticator and can hold the next read, once it
// has read the tables, until released: a check in flight while a revocation arrives.
class HeldReads final : public gateway::ApiClientCredentialStore {
 public:
  explicit HeldReads(gateway::ApiClientCredentialStore& store) : store_(store) {}

  absl::StatusOr<gateway::ApiClientRecord> GetClient(const std::string& client_id) override {
    absl::StatusOr<gateway::ApiClientRecord> client = store_.GetClient(client_id);
    absl::MutexLock lock(&mu_);
    if (hold_next_) {
      hold_next_ = false;
      held_ = true;
      mu_.Await(absl::Condition(
          +[](bool* held) { return !*held; }, &held_));
    }
    return client;
  }
  absl::Status SetFastVerifier(const std::string& client_id, const std::string& secret_id,
                               const std::string& fast_verifier) override {
    return store_.SetFastVerifier(client_id, secret_id, fast_verifier);
  }
  absl::StatusOr<std::vector<std::string>> ClientIdsAfter(const std::string& after, int limit) override {
    return store_.ClientIdsAfter(after, limit);
  }
  void HoldNextRead() {
    absl::MutexLock lock(&mu_);
    hold_next_ = true;
  }
  void AwaitHeld() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&held_));
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    held_ = false;
  }

 private:
  gateway::ApiClientCredentialStore& store_;
  absl::Mutex mu_;
  bool hold_next_ ABSL_GUARDED_BY(mu_) = false;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
};

// A county's secret leaks and is revoked through this replica while one of its calls is being checked here:
// the check read the tables before the revocation and finishes after it. That call is answered by what it
// read; the next is refused. Before, the check put back the remembered success the revocation had dropped,
// and the revoked secret kept getting in until its next confirmation (2 s, longer if the timing repeated).
// Both kinds of check: a slow one (the secret's first call here) and the confirmation of a remembered
// success.
TEST_F(GatewayTest, ApiClient_RevokedThroughThisReplicaWhileACheckIsUnderWay_NextCallRefused) {
  gateway::GatewayStore store(h_->db().pool());
  HeldReads reads(store);
  ManualClock clock(absl::Now());
  gateway::ApiClientAuthenticator replica(reads, clock, absl::Minutes(10), absl::Seconds(2), 1);

  // A slow check under way when the secret is revoked.
  const gateway::v1::CreateApiClientResponse leaked =
      CreateClient("create-leaked-1", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  const std::string leaked_id = leaked.api_client().client_id();
  ASSERT_FALSE(leaked_id.empty());
  reads.HoldNextRead();
  std::unique_ptr<PendingLogin> in_flight = StartLogin(replica, leaked_id, leaked.secret());
  reads.AwaitHeld();
  gateway::v1::RevokeApiClientSecretRequest revoke_secret;
  revoke_secret.set_request_id("revoke-leaked-1");
  revoke_secret.set_client_id(leaked_id);
  revoke_secret.set_secret_id(leaked.api_client().secrets(0).secret_id());
  gateway::v1::RevokeApiClientSecretResponse revoked_secret;
  auto context = Context(Bearer(AdminToken()));
  EXPECT_TRUE(admin_->RevokeApiClientSecret(context.get(), revoke_secret, &revoked_secret).ok());
  replica.Forget(leaked_id);  // what this replica's admin service does once the revocation is stored
  reads.Release();
  in_flight->done.WaitForNotification();
  EXPECT_OK(in_flight->result);  // asked before the revocation
  EXPECT_THAT(Login(replica, leaked_id, leaked.secret()), StatusIs(absl::StatusCode::kUnauthenticated));

  // A confirmation under way when the client is revoked.
  const gateway::v1::CreateApiClientResponse county =
      CreateClient("create-leaked-2", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  const std::string county_id = county.api_client().client_id();
  ASSERT_FALSE(county_id.empty());
  // Created through another replica: this one reads the ids created since at most once a second, and read
  // them for the first client.
  clock.Advance(absl::Seconds(1));
  ASSERT_OK(Login(replica, county_id, county.secret()));
  clock.Advance(absl::Seconds(3));
  reads.HoldNextRead();
  in_flight = StartLogin(replica, county_id, county.secret());
  reads.AwaitHeld();
  gateway::v1::RevokeApiClientRequest revoke;
  revoke.set_request_id("revoke-leaked-2");
  revoke.set_client_id(county_id);
  gateway::v1::RevokeApiClientResponse revoked;
  context = Context(Bearer(AdminToken()));
  EXPECT_TRUE(admin_->RevokeApiClient(context.get(), revoke, &revoked).ok());
  replica.Forget(county_id);
  reads.Release();
  in_flight->done.WaitForNotification();
  EXPECT_OK(in_flight->result);
  EXPECT_THAT(Login(replica, county_id, county.secret()), StatusIs(absl::StatusCode::kUnauthenticated));
}

// The client is revoked through another replica. Here two calls of it are confirmed at once: the first read
// the tables before the revocation and is held; the second finds it revoked and is refused. The first, done
// after, must not remember the success the second dropped: the next call is refused. Before, it was let in
// until the next confirmation.
TEST_F(GatewayTest, ApiClient_RevocationSeenByOneConfirmation_NotUndoneByAnEarlierOneFinishingLater) {
  const gateway::v1::CreateApiClientResponse county =
      CreateClient("create-leaked-3", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  const std::string id = county.api_client().client_id();
  ASSERT_FALSE(id.empty());
  gateway::GatewayStore store(h_->db().pool());
  HeldReads reads(store);
  ManualClock clock(absl::Now());
  gateway::ApiClientAuthenticator replica(reads, clock, absl::Minutes(10), absl::Seconds(2), 2);
  ASSERT_OK(Login(replica, id, county.secret()));
  clock.Advance(absl::Seconds(3));
  reads.HoldNextRead();
  std::unique_ptr<PendingLogin> earlier = StartLogin(replica, id, county.secret());
  reads.AwaitHeld();
  gateway::v1::RevokeApiClientRequest revoke;
  revoke.set_request_id("revoke-leaked-3");
  revoke.set_client_id(id);
  gateway::v1::RevokeApiClientResponse revoked;
  auto context = Context(Bearer(AdminToken()));
  EXPECT_TRUE(admin_->RevokeApiClient(context.get(), revoke, &revoked).ok());
  EXPECT_THAT(Login(replica, id, county.secret()), StatusIs(absl::StatusCode::kUnauthenticated));
  reads.Release();
  earlier->done.WaitForNotification();
  EXPECT_OK(earlier->result);
  EXPECT_THAT(Login(replica, id, county.secret()), StatusIs(absl::StatusCode::kUnauthenticated));
}

// A county system keeps presenting a secret that is not (or no longer) its own: it is refused each time, the
// refusal remembered, so its retries cost no slow check and do not use up its id's allowance of them; its
// right secret still lets it in.
TEST_F(GatewayTest, ApiClient_SameWrongSecretAgainAndAgain_RefusedEachTimeAndTheRightOneStillWorks) {
  const gateway::v1::CreateApiClientResponse created =
      CreateClient("create-retrier-1", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  const std::string id = created.api_client().client_id();
  ASSERT_FALSE(id.empty());
  for (int i = 0; i < 8; ++i) {
    EXPECT_THAT(WhoAmIStatus(Basic(id, "a-rotated-out-secret")), StatusIs(absl::StatusCode::kUnauthenticated))
        << i;
  }
  EXPECT_OK(WhoAmIStatus(Basic(id, created.secret())));
}

// Someone keeps guessing secrets for a county system's id, past the time a success is remembered for (the
// cache period). The system's own secret, which logged in here before, still gets in: its remembered success
// is confirmed against the tables (a primary-key read), not checked slowly behind the guesses, which have
// used up the id's slow checks. Before, a success past its cache period was forgotten and the system's next
// call answered RESOURCE_EXHAUSTED for as long as the guessing went on. The guesses, and a secret added since
// the id's verifiers were last read (here a second secret just added), are still answered RESOURCE_EXHAUSTED
// without a slow check. Past its cache period a remembered success is not served while the tables cannot be
// read.
TEST_F(GatewayTest, ApiClient_IdFloodedPastTheCachePeriod_ItsRememberedSecretStillGetsIn) {
  const gateway::v1::CreateApiClientResponse created =
      CreateClient("create-guessed-1", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  const std::string id = created.api_client().client_id();
  ASSERT_FALSE(id.empty());
  gateway::GatewayStore store(h_->db().pool());
  ManualClock clock(absl::Now());
  const absl::Duration cache_period = absl::Seconds(30);
  gateway::ApiClientAuthenticator replica(store, clock, cache_period, absl::Seconds(2), 1);
  auto authenticate = [&](const std::string& secret) {
    absl::Notification done;
    absl::StatusOr<Principal> result;
    replica.Authenticate(id, secret, [&](absl::StatusOr<Principal> principal) {
      result = std::move(principal);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  };
  int guesses = 0;
  auto guess_until_exhausted = [&] {
    for (int i = 0; i < 4; ++i) {
      EXPECT_THAT(authenticate(absl::StrCat("guess-", ++guesses)),
                  StatusIs(absl::StatusCode::kUnauthenticated));
    }
    EXPECT_THAT(authenticate(absl::StrCat("guess-", ++guesses)),
                StatusIs(absl::StatusCode::kResourceExhausted));
  };
  ASSERT_OK(authenticate(created.secret()));
  guess_until_exhausted();
  EXPECT_OK(authenticate(created.secret()));
  clock.Advance(cache_period + absl::Seconds(1));
  guess_until_exhausted();  // a new window of slow checks, used up again
  EXPECT_OK(authenticate(created.secret()));
  EXPECT_THAT(authenticate("guess-after"), StatusIs(absl::StatusCode::kResourceExhausted));

  gateway::v1::AddApiClientSecretRequest add;
  add.set_request_id("add-guessed-1");
  add.set_client_id(id);
  gateway::v1::AddApiClientSecretResponse added;
  auto context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->AddApiClientSecret(context.get(), add, &added).ok());
  // Within a second of the id's last read (ApiClient_NewSecretDuringAFloodAtItsId_GetsInWithoutASlowCheck).
  EXPECT_THAT(authenticate(added.secret()), StatusIs(absl::StatusCode::kResourceExhausted));

  // The tables cannot be read: the remembered success serves to the end of its period (renewed by the last
  // confirmation), then is answered UNAVAILABLE until they can be read again.
  ASSERT_OK(h_->db().pool().Autocommit(
      [](db::Session& s) { return s.Execute("RENAME TABLE api_clients TO api_clients_away").status(); }));
  clock.Advance(absl::Seconds(3));
  EXPECT_OK(authenticate(created.secret()));
  clock.Advance(cache_period);
  EXPECT_THAT(authenticate(created.secret()), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK(h_->db().pool().Autocommit(
      [](db::Session& s) { return s.Execute("RENAME TABLE api_clients_away TO api_clients").status(); }));
  EXPECT_OK(authenticate(created.secret()));
}

// A client id of a shape the gateway never issues (a letter typed as a non-ASCII look-alike, a byte that is
// no UTF-8, lower case) names no client: refused UNAUTHENTICATED without reading the tables, however often.
// Before, it was looked up, the tables' ascii column answered a non-ASCII id with an error (1267, illegal mix
// of collations), and the caller was told UNAVAILABLE, "cannot be checked right now", each time on a worker
// of the slow checks, never counted against the id's allowance of them.
TEST_F(GatewayTest, ApiClient_IdOfAShapeNeverIssued_RefusedUnauthenticatedWithoutTheTables) {
  const gateway::v1::CreateApiClientResponse created =
      CreateClient("create-typed-1", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  const std::string id = created.api_client().client_id();
  ASSERT_EQ(id.size(), 26u);
  const std::vector<std::string> never_issued = {"\xC3\x89" + id.substr(2),  // É and 24 more: 26 bytes
                                                 "\xFF" + id.substr(1), absl::AsciiStrToLower(id),
                                                 id.substr(1), id + "0"};
  for (int round = 0; round < 3; ++round) {
    for (const std::string& typed : never_issued) {
      EXPECT_THAT(WhoAmIStatus(Basic(typed, created.secret())), StatusIs(absl::StatusCode::kUnauthenticated))
          << absl::CHexEscape(typed);
    }
  }
  EXPECT_OK(WhoAmIStatus(Basic(id, created.secret())));

  gateway::GatewayStore store(h_->db().pool());
  SystemClock clock;
  gateway::ApiClientAuthenticator replica(store, clock, absl::Minutes(10), absl::Seconds(2), 1);
  ASSERT_OK(h_->db().pool().Autocommit(
      [](db::Session& s) { return s.Execute("RENAME TABLE api_clients TO api_clients_away").status(); }));
  for (const std::string& typed : never_issued) {
    EXPECT_THAT(Login(replica, typed, created.secret()), StatusIs(absl::StatusCode::kUnauthenticated))
        << absl::CHexEscape(typed);
  }
  EXPECT_THAT(Login(replica, id, created.secret()), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK(h_->db().pool().Autocommit(
      [](db::Session& s) { return s.Execute("RENAME TABLE api_clients_away TO api_clients").status(); }));
}

// A client created through this replica's admin service gets in at once, also within the second after the
// replica read the ids for an id it did not know (when a client created elsewhere waits for the next read:
// unknown_client_ids_test.cc).
TEST_F(GatewayTest, ApiClient_CreatedThroughThisReplica_GetsInAtOnce) {
  SystemClock clock;
  EXPECT_THAT(WhoAmIStatus(Basic(IdGenerator(clock).Next(), "a-guess")),
              StatusIs(absl::StatusCode::kUnauthenticated));  // the ids are read for it
  const gateway::v1::CreateApiClientResponse created =
      CreateClient("create-at-once-1", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  ASSERT_FALSE(created.api_client().client_id().empty());
  EXPECT_OK(WhoAmIStatus(Basic(created.api_client().client_id(), created.secret())));
}

// Someone keeps guessing secrets for a county system's id while the system calls a replica that has not yet
// seen its secret succeed (a new replica), and while it rotates to a secret just added. Each is told from a
// guess by its fast verifier, without a slow check: the county's secret gets in at once, and the new one
// after the id's verifiers are read again (at most once a second while the id is flooded; before that it is
// told to retry). The guesses stay limited: RESOURCE_EXHAUSTED without touching the tables, or refused
// UNAUTHENTICATED when a read of the verifiers shows them to be no secret of the client. Before, both
// secrets were answered RESOURCE_EXHAUSTED for as long as the guessing went on.
TEST_F(GatewayTest, ApiClient_NewSecretDuringAFloodAtItsId_GetsInWithoutASlowCheck) {
  const gateway::v1::CreateApiClientResponse created =
      CreateClient("create-rotating-1", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  const std::string id = created.api_client().client_id();
  ASSERT_FALSE(id.empty());
  gateway::GatewayStore store(h_->db().pool());
  ManualClock clock(absl::Now());
  gateway::ApiClientAuthenticator replica(store, clock, absl::Minutes(10), absl::Seconds(2), 1);
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(Login(replica, id, absl::StrCat("guess-", i)), StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(Login(replica, id, "guess-4"), StatusIs(absl::StatusCode::kResourceExhausted));
  ASSERT_OK_AND_ASSIGN(Principal principal, Login(replica, id, created.secret()));
  EXPECT_EQ(principal.subject(), id);
  EXPECT_THAT(Login(replica, id, "guess-5"), StatusIs(absl::StatusCode::kResourceExhausted));

  gateway::v1::AddApiClientSecretRequest add;
  add.set_request_id("add-rotating-1");
  add.set_client_id(id);
  gateway::v1::AddApiClientSecretResponse added;
  auto context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->AddApiClientSecret(context.get(), add, &added).ok());
  EXPECT_THAT(Login(replica, id, added.secret()), StatusIs(absl::StatusCode::kResourceExhausted));
  clock.Advance(absl::Seconds(1));
  EXPECT_OK(Login(replica, id, added.secret()));
  EXPECT_OK(Login(replica, id, added.secret()));  // remembered
  EXPECT_THAT(Login(replica, id, "guess-6"), StatusIs(absl::StatusCode::kResourceExhausted));
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(Login(replica, id, "guess-7"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Login(replica, id, "guess-8"), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_OK(Login(replica, id, created.secret()));
}

// A secret stored without a fast verifier (by an older replica during a rolling upgrade, or before gateway
// migration 0051) is checked by its slow hash: while its id is flooded it waits, as before. Once it has
// matched its slow hash it is given its verifier, and from then on is told from a guess like any other.
TEST_F(GatewayTest, ApiClient_SecretStoredWithoutAFastVerifier_CheckedSlowlyThenGivenOne) {
  const gateway::v1::CreateApiClientResponse created =
      CreateClient("create-upgrading-1", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  const std::string id = created.api_client().client_id();
  ASSERT_FALSE(id.empty());
  gateway::GatewayStore store(h_->db().pool());
  const std::string old_secret = gateway::NewApiClientSecret();
  ASSERT_OK_AND_ASSIGN(std::string old_hash, gateway::HashApiClientSecret(old_secret));
  const IdempotencyKey key{"shouhu.gateway.v1.GatewayAdminService/AddApiClientSecret", "admin",
                           "add-upgrading-1", "hash-upgrading-1"};
  ASSERT_OK_AND_ASSIGN(
      std::string old_secret_id,
      store.AddSecret(key, id, {"01JOLDREPL1CASECRET0000001", old_hash, absl::Now(), {}, ""}));
  auto stored_verifier = [&]() -> absl::StatusOr<std::string> {
    std::string verifier;
    RETURN_IF_ERROR(h_->db().pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<db::Row> row,
                       s.QueryOne("SELECT COALESCE(fast_verifier, 'none') FROM api_client_secrets "
                                  "WHERE secret_id = ?",
                                  {old_secret_id}));
      if (!row.has_value()) return absl::NotFoundError("no such secret");
      verifier = row->String(0);
      return absl::OkStatus();
    }));
    return verifier;
  };
  ASSERT_OK_AND_ASSIGN(std::string before, stored_verifier());
  EXPECT_EQ(before, "none");

  ManualClock clock(absl::Now());
  gateway::ApiClientAuthenticator flooded(store, clock, absl::Minutes(10), absl::Seconds(2), 1);
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(Login(flooded, id, absl::StrCat("guess-", i)), StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(Login(flooded, id, old_secret), StatusIs(absl::StatusCode::kResourceExhausted));
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(Login(flooded, id, old_secret), StatusIs(absl::StatusCode::kResourceExhausted));

  gateway::ApiClientAuthenticator quiet(store, clock, absl::Minutes(10), absl::Seconds(2), 1);
  EXPECT_OK(Login(quiet, id, old_secret));
  ASSERT_OK_AND_ASSIGN(std::string after, stored_verifier());
  EXPECT_EQ(after, gateway::FastVerifierOf(old_secret));
  clock.Advance(absl::Seconds(1));
  EXPECT_OK(Login(flooded, id, old_secret));
}

// An operator is told someone is guessing at a client id: each login answered RESOURCE_EXHAUSTED because its
// id's slow checks were used up is counted (alert ShouhuGatewayApiClientGuessed), and the queue-full count
// (ShouhuGatewayCredentialChecksQueueFull) stays 0; both series are exported from the start.
TEST_F(GatewayTest, ApiClient_GuessesPastTheIdsLimit_CountedForTheOperator) {
  const std::string exported = h_->metrics().Render();
  EXPECT_TRUE(absl::StrContains(exported, "shouhu_gateway_api_client_id_flooded_total{"));
  EXPECT_TRUE(absl::StrContains(exported, "shouhu_gateway_credential_checks_queue_full_total{"));
  const std::string id =
      CreateClient("create-guessed-2", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER)
          .api_client()
          .client_id();
  ASSERT_FALSE(id.empty());
  int limited = 0;
  for (int i = 0; i < 8; ++i) {
    const absl::Status answer = WhoAmIStatus(Basic(id, absl::StrCat("guess-", i)));
    EXPECT_TRUE(answer.code() == absl::StatusCode::kUnauthenticated ||
                answer.code() == absl::StatusCode::kResourceExhausted)
        << answer;
    if (answer.code() == absl::StatusCode::kResourceExhausted) ++limited;
  }
  EXPECT_GE(limited, 1);  // a guess past the fourth; one a second may be refused by a read of the verifiers
  EXPECT_EQ(Counter(h_->metrics(), "shouhu_gateway_api_client_id_flooded_total"), limited);
  EXPECT_EQ(Counter(h_->metrics(), "shouhu_gateway_credential_checks_queue_full_total"), 0);
}

// One county system's id is flooded with wrong secrets (a rotated-out one, and fresh guesses) from eight
// threads, each call given up at once while its check goes on at the gateway, with the default two credential
// workers. Another county's system, its secret remembered, calls every 100 ms through it (its success
// confirmed against the tables every 300 ms), and a third logs in for the first time midway: every one of
// their calls is answered OK. Before, every refused attempt was a slow hash and none was remembered: the
// queue of checks filled within a second and the others' confirmations and logins were refused
// RESOURCE_EXHAUSTED.
TEST_F(GatewayTest, ApiClient_OneIdFloodedWithWrongSecrets_OtherClientsKeepWorking) {
  HarnessOptions options;
  options.credential_workers = 2;
  options.api_client_recheck = absl::Milliseconds(300);
  StartHarness(options);
  const std::string flooded =
      CreateClient("create-flooded", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER)
          .api_client()
          .client_id();
  const gateway::v1::CreateApiClientResponse steady =
      CreateClient("create-steady", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  const gateway::v1::CreateApiClientResponse newcomer =
      CreateClient("create-newcomer", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  ASSERT_FALSE(flooded.empty());
  const std::string steady_credentials = Basic(steady.api_client().client_id(), steady.secret());
  ASSERT_OK(WhoAmIStatus(steady_credentials));  // remembered from here on

  std::atomic<bool> stop{false};
  std::atomic<int> attempts{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < 8; ++t) {
    flood.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        const std::string secret = t % 2 == 0 ? "a-rotated-out-secret" : absl::StrCat("guess-", t, "-", i);
        auto context = Context(Basic(flooded, secret), absl::Milliseconds(20));
        echo::v1::WhoAmIResponse who;
        (void)echo_->WhoAmI(context.get(), echo::v1::WhoAmIRequest(), &who);
        ++attempts;
      }
    });
  }
  std::vector<std::pair<int, absl::Status>> steady_calls;
  absl::Status newcomer_login = absl::UnknownError("never called");
  // Counted, not timed: on a loaded machine (a CI run, two cores) fewer calls fit in a second, and a count
  // within a fixed time failed there with every call answered OK. At least 20 of the steady client's calls,
  // 100 ms apart, while the flood makes at least 200 attempts; a minute at most.
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  for (int i = 0; (i < 20 || attempts.load() < 200) && absl::Now() < give_up; ++i) {
    steady_calls.emplace_back(i, WhoAmIStatus(steady_credentials));
    if (i == 15) newcomer_login = WhoAmIStatus(Basic(newcomer.api_client().client_id(), newcomer.secret()));
    absl::SleepFor(absl::Milliseconds(100));
  }
  stop = true;
  for (std::thread& t : flood) t.join();
  EXPECT_GE(attempts.load(), 200);
  EXPECT_GE(steady_calls.size(), 20u);
  for (const auto& [i, status] : steady_calls) EXPECT_OK(status) << "call " << i;
  EXPECT_OK(newcomer_login);
}

// An admin's answer is lost and the admin's tool retries the request. The secret made the first time was in
// that answer and only its hash is kept, so the retry cannot give it: it is answered FAILED_PRECONDITION
// naming the secret made (and the client), and nothing more is made. Before, the retry was answered OK
// without a secret, leaving the client a secret nobody holds in one of its two places. Doing as the answer
// says (revoke it, add another under a new request id) gives a secret that works.
TEST_F(GatewayTest, ApiClient_RetryAfterTheSecretsAnswerWasLost_IsFailedPreconditionNamingTheSecret) {
  gateway::v1::CreateApiClientRequest create;
  create.set_request_id("create-lost-1");
  create.set_display_name("Wuhua case system");
  create.set_organisation_id("org-wuhua-civil-affairs");
  create.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  create.add_jurisdictions("530102");
  gateway::v1::CreateApiClientResponse created;
  auto context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->CreateApiClient(context.get(), create, &created).ok());
  const std::string id = created.api_client().client_id();
  const std::string first_secret_id = created.api_client().secrets(0).secret_id();
  gateway::v1::CreateApiClientResponse created_again;
  context = Context(Bearer(AdminToken()));
  grpc::Status status = admin_->CreateApiClient(context.get(), create, &created_again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(status.error_message(), id)) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), first_secret_id)) << status.error_message();
  EXPECT_TRUE(created_again.secret().empty());
  EXPECT_EQ(h_->db().Count("api_clients"), 1);

  gateway::v1::AddApiClientSecretRequest add;
  add.set_request_id("add-lost-1");
  add.set_client_id(id);
  gateway::v1::AddApiClientSecretResponse added;
  context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->AddApiClientSecret(context.get(), add, &added).ok());
  gateway::v1::AddApiClientSecretResponse added_again;
  context = Context(Bearer(AdminToken()));
  status = admin_->AddApiClientSecret(context.get(), add, &added_again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(status.error_message(), added.secret_id())) << status.error_message();
  EXPECT_TRUE(added_again.secret().empty());
  EXPECT_EQ(h_->db().Count("api_client_secrets"), 2);

  gateway::v1::RevokeApiClientSecretRequest revoke;
  revoke.set_request_id("revoke-lost-1");
  revoke.set_client_id(id);
  revoke.set_secret_id(added.secret_id());
  gateway::v1::RevokeApiClientSecretResponse revoked;
  context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->RevokeApiClientSecret(context.get(), revoke, &revoked).ok());
  add.set_request_id("add-lost-2");
  gateway::v1::AddApiClientSecretResponse replaced;
  context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->AddApiClientSecret(context.get(), add, &replaced).ok());
  EXPECT_OK(WhoAmIStatus(Basic(id, replaced.secret())));
  EXPECT_OK(WhoAmIStatus(Basic(id, created.secret())));
}

TEST_F(GatewayTest, ApiClient_AdminServiceForNonAdmins_IsPermissionDenied) {
  gateway::v1::ListApiClientsResponse listed;
  auto context = Context(Bearer(h_->OfficerToken()));
  EXPECT_EQ(admin_->ListApiClients(context.get(), gateway::v1::ListApiClientsRequest(), &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  context = Context(Bearer(AdminToken()));
  EXPECT_TRUE(admin_->ListApiClients(context.get(), gateway::v1::ListApiClientsRequest(), &listed).ok());
}

TEST_F(GatewayTest, ApiClient_CreateWithoutRoles_IsInvalidArgumentNamingTheField) {
  gateway::v1::CreateApiClientRequest create;
  create.set_request_id("create-x");
  create.set_display_name("x");
  create.set_organisation_id("org");
  gateway::v1::CreateApiClientResponse created;
  auto context = Context(Bearer(AdminToken()));
  grpc::Status status = admin_->CreateApiClient(context.get(), create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(FromGrpcStatus(status)), "roles");
}

// An API client cannot be made a service: SYSTEM is refused naming the role's place, and nothing is made.
TEST_F(GatewayTest, ApiClient_CreateWithTheSystemRole_IsInvalidArgumentNamingTheRole) {
  gateway::v1::CreateApiClientRequest create;
  create.set_request_id("create-system-1");
  create.set_display_name("county system claiming SYSTEM");
  create.set_organisation_id("org-wuhua-civil-affairs");
  create.add_roles(common::v1::ROLE_SYSTEM);
  create.add_jurisdictions("530102");
  gateway::v1::CreateApiClientResponse created;
  auto context = Context(Bearer(AdminToken()));
  grpc::Status status = admin_->CreateApiClient(context.get(), create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(FromGrpcStatus(status)), "roles[0]");
  create.set_request_id("create-system-2");
  create.clear_roles();
  create.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  create.add_roles(common::v1::ROLE_SYSTEM);
  context = Context(Bearer(AdminToken()));
  status = admin_->CreateApiClient(context.get(), create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(FromGrpcStatus(status)), "roles[1]");
  EXPECT_EQ(h_->db().Count("api_clients"), 0);
}

// A row written before SYSTEM was refused (by an admin, or straight into the table) grants it no more: the
// client acts with its other roles only.
TEST_F(GatewayTest, ApiClient_StoredWithTheSystemRole_ActsWithoutIt) {
  const gateway::v1::CreateApiClientResponse created =
      CreateClient("create-old-system-1", "org-wuhua-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  const std::string id = created.api_client().client_id();
  ASSERT_FALSE(id.empty());
  ASSERT_OK(h_->db().pool().Autocommit([&](db::Session& s) {
    return s
        .Execute(
            "UPDATE api_clients SET roles = 'ROLE_CIVIL_AFFAIRS_OFFICER,ROLE_SYSTEM' WHERE client_id = ?",
            {id})
        .status();
  }));
  ASSERT_OK_AND_ASSIGN(echo::v1::WhoAmIResponse who, WhoAmI(Basic(id, created.secret())));
  ASSERT_EQ(who.principal().roles_size(), 1);
  EXPECT_EQ(who.principal().roles(0), common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  // An admin reading the client is shown the roles it acts with, not the SYSTEM that grants nothing.
  gateway::v1::GetApiClientRequest get;
  get.set_client_id(id);
  gateway::v1::GetApiClientResponse got;
  auto context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->GetApiClient(context.get(), get, &got).ok());
  ASSERT_EQ(got.api_client().roles_size(), 1);
  EXPECT_EQ(got.api_client().roles(0), common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
}

// A client's organisation id is what a token's org would be (printable ASCII without spaces): the services
// compare it byte for byte and keep it as ASCII, so anything else is refused here, naming the field, and no
// client is made.
TEST_F(GatewayTest, ApiClient_OrganisationIdNotAnIdentifier_IsInvalidArgumentNamingTheField) {
  const std::vector<std::string> organisations = {"\u53bf\u6c11\u653f\u5c40", "org wuhua",
                                                  std::string(65, 'o')};
  for (const std::string& organisation : organisations) {
    gateway::v1::CreateApiClientRequest create;
    create.set_request_id("create-" + std::to_string(organisation.size()));
    create.set_display_name("county case system");
    create.set_organisation_id(organisation);
    create.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
    gateway::v1::CreateApiClientResponse created;
    auto context = Context(Bearer(AdminToken()));
    grpc::Status status = admin_->CreateApiClient(context.get(), create, &created);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << organisation;
    EXPECT_EQ(FieldOf(FromGrpcStatus(status)), "organisation_id") << organisation;
  }
  gateway::v1::ListApiClientsResponse listed;
  auto context = Context(Bearer(AdminToken()));
  ASSERT_TRUE(admin_->ListApiClients(context.get(), gateway::v1::ListApiClientsRequest(), &listed).ok());
  for (const auto& client : listed.api_clients()) EXPECT_NE(client.display_name(), "county case system");
}

// --- reflection -------------------------------------------------------------------------------------------

TEST_F(GatewayTest, Reflection_ListsEveryPublicService) {
  // grpc.reflection.v1alpha.ServerReflectionRequest{list_services: "*"}, written by hand: the reflection
  // client classes are not installed by Debian.
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::CompletionQueue cq;
  auto call =
      stub.PrepareCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  const std::string request("\x3a\x01*", 3);
  grpc::Slice slice(request);
  grpc::ByteBuffer buffer(&slice, 1);
  call->Write(buffer, reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::Slice whole;
  ASSERT_TRUE(reply.DumpToSingleSlice(&whole).ok());
  const std::string text(reinterpret_cast<const char*>(whole.begin()), whole.size());
  EXPECT_TRUE(absl::StrContains(text, "shouhu.echo.v1.EchoService")) << text;
  EXPECT_TRUE(absl::StrContains(text, "shouhu.gateway.v1.GatewayAdminService")) << text;
  context.TryCancel();
  call->Finish(new grpc::Status(), reinterpret_cast<void*>(4));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// --- the HTTP/JSON face -----------------------------------------------------------------------------------

TEST_F(GatewayTest, Http_ReferralRoundTrip_ReturnsProto3Json) {
  const std::string body =
      R"({"requestId": "r-1", "referral": {"childName": "小明", "divisionCode": "530102", "needs": ["school"], "age": 9}})";
  HttpResponse r = HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/SubmitReferral", body,
                            {{"Authorization", "Bearer " + h_->OfficerToken()}});
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json json = nlohmann::json::parse(r.body);
  EXPECT_EQ(json["referralId"], "ref-r-1");
  EXPECT_EQ(json["referral"]["childName"], "小明");
  EXPECT_EQ(json["referral"]["needs"][0], "school");
  EXPECT_EQ(json["referral"]["age"], 9);
  EXPECT_EQ(json["submittedBy"], "officer-wuhua-1");
}

TEST_F(GatewayTest, Http_BackendError_IsJsonWithTheCodeAndAFittingStatus) {
  HttpResponse r =
      HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/GetChild", R"({"child_id": "child-110101"})",
               {{"Authorization", "Bearer " + h_->OfficerToken()}});
  EXPECT_EQ(r.status, 404);
  nlohmann::json json = nlohmann::json::parse(r.body);
  EXPECT_EQ(json["code"], 5);
  EXPECT_EQ(json["status"], "NOT_FOUND");
  r = HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/SubmitReferral",
               R"({"requestId": "r-2", "referral": {"childName": "", "divisionCode": "530102"}})",
               {{"Authorization", "Bearer " + h_->OfficerToken()}});
  EXPECT_EQ(r.status, 400);
  json = nlohmann::json::parse(r.body);
  EXPECT_EQ(json["code"], 3);
  EXPECT_EQ(json["field"], "referral.childName");
}

// The service names the field as protobuf does (referral.division_code); a JSON caller reads the name it
// writes, in the field and in the message.
TEST_F(GatewayTest, Http_BackendFieldError_NamesTheFieldByItsJsonName) {
  HttpResponse r =
      HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/SubmitReferral",
               R"({"requestId": "r-4", "referral": {"childName": "a", "divisionCode": "110101"}})",
               {{"Authorization", "Bearer " + h_->OfficerToken()}});
  EXPECT_EQ(r.status, 400);
  nlohmann::json json = nlohmann::json::parse(r.body);
  EXPECT_EQ(json["status"], "INVALID_ARGUMENT");
  EXPECT_EQ(json["field"], "referral.divisionCode");
  EXPECT_EQ(json["message"], "referral.divisionCode: is outside the caller's jurisdiction");
}

// A value of the wrong type is blamed on its field, by the JSON name, whichever name the caller used.
TEST_F(GatewayTest, Http_ValueOfTheWrongType_Is400NamingTheFieldByItsJsonName) {
  const struct {
    const char* body;
    const char* field;
  } cases[] = {
      {R"({"requestId": "r-5", "referral": {"age": "nine"}})", "referral.age"},
      {R"({"requestId": "r-5", "referral": {"division_code": ["530102"]}})", "referral.divisionCode"},
      {R"({"request_id": {"a": 1}})", "requestId"},
      {R"({"requestId": "r-5", "referral": "none"})", "referral"},
  };
  for (const auto& c : cases) {
    HttpResponse r = HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/SubmitReferral", c.body,
                              {{"Authorization", "Bearer " + h_->OfficerToken()}});
    EXPECT_EQ(r.status, 400) << c.body;
    nlohmann::json json = nlohmann::json::parse(r.body);
    EXPECT_EQ(json["code"], 3) << c.body;
    EXPECT_EQ(json["field"], c.field) << c.body << " " << r.body;
  }
}

TEST_F(GatewayTest, Http_MissingOrBadCredentials_Are401Json) {
  HttpResponse r = HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/WhoAmI", "{}", {});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(nlohmann::json::parse(r.body)["code"], 16);
  nlohmann::json claims = h_->OfficerClaims();
  claims["roles"] = {"VOLUNTEER"};
  r = HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/WhoAmI", "{}",
               {{"Authorization", "Bearer " + h_->Token(claims)}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(nlohmann::json::parse(r.body)["code"], 7);
}

TEST_F(GatewayTest, Http_UnknownField_Is400NamingTheField) {
  HttpResponse r =
      HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/SubmitReferral",
               R"({"requestId": "r-3", "referral": {"childName": "a", "favouriteColour": "red"}})",
               {{"Authorization", "Bearer " + h_->OfficerToken()}});
  EXPECT_EQ(r.status, 400);
  nlohmann::json json = nlohmann::json::parse(r.body);
  EXPECT_EQ(json["code"], 3);
  EXPECT_EQ(json["field"], "referral.favouriteColour");
}

TEST_F(GatewayTest, Http_MalformedJson_Is400NamingNoField) {
  for (const char* body : {R"({"requestId": )", "[1, 2]"}) {
    HttpResponse r = HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/SubmitReferral", body,
                              {{"Authorization", "Bearer " + h_->OfficerToken()}});
    EXPECT_EQ(r.status, 400) << body;
    nlohmann::json json = nlohmann::json::parse(r.body);
    EXPECT_EQ(json["code"], 3) << body;
    EXPECT_FALSE(json.contains("field")) << r.body;  // no made-up field such as "body"
  }
}

TEST_F(GatewayTest, Http_BodyOverTheLimit_Is413) {
  const std::string body = R"({"requestId": ")" + std::string(70 * 1024, 'x') + R"("})";
  HttpResponse r = HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/SubmitReferral", body,
                            {{"Authorization", "Bearer " + h_->OfficerToken()}});
  EXPECT_EQ(r.status, 413);
}

TEST_F(GatewayTest, Http_ServerStreaming_IsNewlineDelimitedJson) {
  HttpResponse r =
      HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/StreamNumbers",
               R"({"count": 3, "finalCode": 14})", {{"Authorization", "Bearer " + h_->OfficerToken()}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-ndjson");
  std::vector<std::string> lines = absl::StrSplit(r.body, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << r.body;
  EXPECT_EQ(nlohmann::json::parse(lines[0])["number"], 1);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["number"], 3);
  EXPECT_EQ(nlohmann::json::parse(lines[3])["error"]["code"], 14);
}

TEST_F(GatewayTest, Http_ApiClientCredentials_WorkWithBasicAuth) {
  const gateway::v1::CreateApiClientResponse created =
      CreateClient("create-http", "org-ngo-1", common::v1::ROLE_NGO_CASEWORKER);
  ASSERT_FALSE(created.api_client().client_id().empty());
  HttpResponse r = HttpPost(h_->http_port(), "/v1/shouhu.echo.v1.EchoService/WhoAmI", "",
                            {{"Authorization", Basic(created.api_client().client_id(), created.secret())}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["principal"]["organisationId"], "org-ngo-1");
}

TEST_F(GatewayTest, Http_KeepAlive_ServesCallAfterCallOnOneConnection) {
  HttpConnection connection(h_->http_port());
  ASSERT_TRUE(connection.connected());
  for (int i = 0; i < 20; ++i) {
    const std::string request_id = absl::StrCat("keep-alive-", i);
    ASSERT_TRUE(connection.Write(
        HttpPostRequest("/v1/shouhu.echo.v1.EchoService/WhoAmI", "",
                        {{"Authorization", Bearer(h_->OfficerToken())}, {"X-Request-Id", request_id}})));
    std::string head;
    HttpResponse r = connection.Read(&head);
    ASSERT_EQ(r.status, 200) << "call " << i << ": " << r.body;
    EXPECT_THAT(head, ::testing::HasSubstr("X-Request-Id: " + request_id));
    EXPECT_EQ(nlohmann::json::parse(r.body)["principal"]["subject"], "officer-wuhua-1");
  }
}

// Connections are multiplexed over a few I/O threads: far more idle keep-alive connections than threads
// (the harness runs two) neither block a new caller nor lose their own turn.
TEST_F(GatewayTest, Http_ManyIdleConnections_DoNotHoldUpOtherCallers) {
  std::vector<std::unique_ptr<HttpConnection>> idle;
  for (int i = 0; i < 100; ++i) {
    idle.push_back(std::make_unique<HttpConnection>(h_->http_port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  const std::string request = HttpPostRequest("/v1/shouhu.echo.v1.EchoService/WhoAmI", "",
                                              {{"Authorization", Bearer(h_->OfficerToken())}});
  HttpConnection fresh(h_->http_port());
  ASSERT_TRUE(fresh.Write(request));
  EXPECT_EQ(fresh.Read().status, 200);
  for (HttpConnection* connection : {idle.front().get(), idle.back().get()}) {
    ASSERT_TRUE(connection->Write(request));
    EXPECT_EQ(connection->Read().status, 200);
  }
}

TEST_F(GatewayTest, Http_ExpectContinue_IsAnsweredBeforeTheBodyIsSent) {
  const std::string body = R"({"childId": "child-530102"})";
  std::string request =
      HttpPostRequest("/v1/shouhu.echo.v1.EchoService/GetChild", body,
                      {{"Authorization", Bearer(h_->OfficerToken())}, {"Expect", "100-continue"}});
  request.resize(request.size() - body.size());  // the head only
  HttpConnection connection(h_->http_port());
  ASSERT_TRUE(connection.Write(request));
  EXPECT_EQ(connection.Read().status, 100);
  ASSERT_TRUE(connection.Write(body));
  HttpResponse r = connection.Read();
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(GatewayTest, Http_ConnectionClose_IsHonouredAfterTheAnswer) {
  HttpConnection connection(h_->http_port());
  ASSERT_TRUE(connection.Write(
      HttpPostRequest("/v1/shouhu.echo.v1.EchoService/WhoAmI", "",
                      {{"Authorization", Bearer(h_->OfficerToken())}, {"Connection", "close"}})));
  std::string head;
  EXPECT_EQ(connection.Read(&head).status, 200);
  EXPECT_THAT(head, ::testing::HasSubstr("Connection: close"));
  EXPECT_TRUE(connection.ClosedByServer(absl::Seconds(5)));
}

TEST_F(GatewayTest, Http_Shutdown_LetsACallInFlightFinishWithinTheGrace) {
  HttpConnection connection(h_->http_port());
  ASSERT_TRUE(connection.Write(HttpPostRequest("/v1/shouhu.echo.v1.EchoService/Sleep", R"({"sleepMs": 400})",
                                               {{"Authorization", Bearer(h_->OfficerToken())}})));
  absl::SleepFor(absl::Milliseconds(100));  // the call is at the backend
  std::thread stop([this] { h_->gateway().Shutdown(absl::Seconds(5)); });
  HttpResponse r = connection.Read();
  stop.join();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(h_->backend()->cancelled_sleeps(), 0);
  HttpConnection after(h_->http_port());
  EXPECT_FALSE(after.connected() &&
               after.Write(HttpPostRequest("/v1/shouhu.echo.v1.EchoService/WhoAmI", "", {})) &&
               after.Read().status != 0);
}

TEST_F(GatewayTest, Http_Shutdown_CancelsWhatOutlastsTheGraceAs503) {
  HttpConnection connection(h_->http_port());
  ASSERT_TRUE(connection.Write(HttpPostRequest("/v1/shouhu.echo.v1.EchoService/Sleep", R"({"sleepMs": 3000})",
                                               {{"Authorization", Bearer(h_->OfficerToken())}})));
  absl::SleepFor(absl::Milliseconds(100));
  const absl::Time start = absl::Now();
  h_->gateway().Shutdown(absl::Milliseconds(200));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  HttpResponse r = connection.Read();
  EXPECT_EQ(r.status, 503) << r.body;
  const absl::Time give_up = absl::Now() + absl::Seconds(2);
  while (h_->backend()->cancelled_sleeps() == 0 && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(h_->backend()->cancelled_sleeps(), 1);
}

// --- the gRPC face's completion queues
// ----------------------------------------------------------------------

// Every audit row of `request_ids` is in, or the generous wait is over: a call's row is recorded when its
// last step is back, which can be after the caller heard its status (a cancelled call waits for its
// backend's).
void AwaitAuditRows(GatewayHarness& h, const std::vector<std::string>& request_ids) {
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  for (;;) {
    h.gateway().audit().Flush();
    int64_t rows = 0;
    for (const auto& [id, count] : AuditRowsOf(h.db(), request_ids)) rows += count;
    if (rows >= static_cast<int64_t>(request_ids.size()) || absl::Now() > give_up) return;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

// Calls spread over every queue at once, a third of them without credentials and a third cancelled while
// their backend works: each is answered with its own code, each cancellation reaches the backend, and each
// call leaves exactly one audit row (a step counted twice would delete a call early or record it twice; one
// never counted would leave it without a row).
TEST_F(GatewayTest, Forward_ManyCallsAtOnceSomeCancelled_EachAnsweredAndAuditedExactlyOnce) {
  constexpr int kCalls = 90;
  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    echo::v1::SleepRequest request;
    echo::v1::SleepResponse response;
    grpc::Status status;
    absl::Notification done;
  };
  std::vector<Call> calls(kCalls);
  std::vector<std::string> ids;
  for (int i = 0; i < kCalls; ++i) {
    Call& call = calls[i];
    call.context = Context(i % 3 == 0 ? "" : Bearer(h_->OfficerToken()), absl::Seconds(20));
    ids.push_back(absl::StrCat("queued-", i));
    call.context->AddMetadata("x-request-id", ids.back());
    call.request.set_sleep_ms(i % 3 == 1 ? 10000 : 20);
    echo_->async()->Sleep(call.context.get(), &call.request, &call.response, [&call](grpc::Status status) {
      call.status = std::move(status);
      call.done.Notify();
    });
  }
  // The long sleepers are at the backend (the others are answered by then); then they are cancelled.
  for (int i = 0; i < kCalls; i += 3) calls[i].done.WaitForNotification();
  for (int i = 2; i < kCalls; i += 3) calls[i].done.WaitForNotification();
  absl::SleepFor(absl::Milliseconds(300));
  for (int i = 1; i < kCalls; i += 3) calls[i].context->TryCancel();
  for (Call& call : calls) call.done.WaitForNotification();
  for (int i = 0; i < kCalls; ++i) {
    const grpc::StatusCode expected = i % 3 == 0   ? grpc::StatusCode::UNAUTHENTICATED
                                      : i % 3 == 1 ? grpc::StatusCode::CANCELLED
                                                   : grpc::StatusCode::OK;
    EXPECT_EQ(calls[i].status.error_code(), expected) << i;
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (h_->backend()->cancelled_sleeps() < kCalls / 3 && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(h_->backend()->cancelled_sleeps(), kCalls / 3);
  AwaitAuditRows(*h_, ids);
  for (const auto& [id, rows] : AuditRowsOf(h_->db(), ids)) EXPECT_EQ(rows, 1) << id;
}

TEST_F(GatewayTest, Shutdown_GrpcCallInFlight_FinishesWithinTheGraceAndIsAudited) {
  echo::v1::SleepRequest request;
  request.set_sleep_ms(400);
  auto context = Context(Bearer(h_->OfficerToken()));
  context->AddMetadata("x-request-id", "shutdown-in-flight");
  echo::v1::SleepResponse response;
  absl::Notification done;
  grpc::Status status;
  echo_->async()->Sleep(context.get(), &request, &response, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  absl::SleepFor(absl::Milliseconds(100));  // the call is at the backend
  h_->gateway().Shutdown(absl::Seconds(5));
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OK) << status.error_message();
  EXPECT_EQ(h_->backend()->cancelled_sleeps(), 0);
  // Shutdown returns once the audit writer has written what it was given: the call's row among it.
  EXPECT_EQ(AuditRowsOf(h_->db(), {"shutdown-in-flight"})["shutdown-in-flight"], 1);
}

TEST_F(GatewayTest, Shutdown_GrpcCallOutlastingTheGrace_IsCancelledAtTheBackendAndAudited) {
  echo::v1::SleepRequest request;
  request.set_sleep_ms(10000);
  auto context = Context(Bearer(h_->OfficerToken()), absl::Seconds(20));
  context->AddMetadata("x-request-id", "shutdown-outlasting");
  echo::v1::SleepResponse response;
  absl::Notification done;
  grpc::Status status;
  echo_->async()->Sleep(context.get(), &request, &response, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  absl::SleepFor(absl::Milliseconds(100));
  h_->gateway().Shutdown(absl::Milliseconds(200));
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (h_->backend()->cancelled_sleeps() == 0 && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(h_->backend()->cancelled_sleeps(), 1);
  EXPECT_EQ(AuditRowsOf(h_->db(), {"shutdown-outlasting"})["shutdown-outlasting"], 1);
}

}  // namespace
}  // namespace shouhu::testing
