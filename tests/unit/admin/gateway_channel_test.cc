// shouhu-admin's connection to the gateway: plaintext only to this machine, TLS anywhere else or when a CA is
// given; over TLS a roster reaches a gateway whose certificate the given CA issued, and nothing reaches one
// it did not. The certificates are made for the run by the openssl command (deploy/lib/install-deps).
#include "deploy/admin/gateway_channel.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "deploy/admin/roster_commands.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/admin/roster_service_fake.h"

namespace shouhu::admin {
namespace {

namespace v1 = registry::v1;
using ::shouhu::testing::StatusIs;

TEST(IsLoopback, ThisMachineOnly) {
  for (const char* local : {"127.0.0.1:50050", "127.1.2.3:1", "localhost:50050", "[::1]:50050",
                            "dns:///localhost:50050", "ipv4:127.0.0.1:50050", "unix:/run/shouhu.sock"}) {
    EXPECT_TRUE(IsLoopback(local)) << local;
  }
  for (const char* remote : {"grpc.shouhu.example:443", "10.0.0.5:50050", "[2001:db8::1]:443",
                             "dns:///grpc.shouhu.example:443", "localhost.example.org:443", "128.0.0.1:1"}) {
    EXPECT_FALSE(IsLoopback(remote)) << remote;
  }
}

TEST(UsesTls, PlaintextOnlyToThisMachineWithoutACa) {
  EXPECT_FALSE(UsesTls({"127.0.0.1:50050", ""}));
  EXPECT_TRUE(UsesTls({"127.0.0.1:50050", "/etc/shouhu/ca.pem"}));
  EXPECT_TRUE(UsesTls({"grpc.shouhu.example:443", ""}));
  EXPECT_TRUE(UsesTls({"10.0.0.5:50050", ""}));
}

TEST(GatewayChannel, UnreadableCaFile_NamesTheFlag) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      GatewayChannel({"grpc.shouhu.example:443", "/nonexistent/ca.pem"});
  EXPECT_THAT(channel, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(channel.status().message(), ::testing::HasSubstr("ca_cert"));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A self-signed certificate for 127.0.0.1 and localhost, made in `dir` as NAME.pem and NAME.key.
void MakeCertificate(const std::string& dir, const std::string& name) {
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "
      "/CN=localhost ",
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout ", dir, "/", name, ".key -out ", dir, "/",
      name, ".pem 2>/dev/null");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

class GatewayTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "gateway_tls_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
    ASSERT_NO_FATAL_FAILURE(MakeCertificate(dir_, "gateway"));
    ASSERT_NO_FATAL_FAILURE(MakeCertificate(dir_, "stranger"));
    grpc::SslServerCredentialsOptions tls;
    tls.pem_key_cert_pairs.push_back({ReadFile(dir_ + "/gateway.key"), ReadFile(dir_ + "/gateway.pem")});
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    std::filesystem::remove_all(dir_);
  }

  absl::StatusOr<v1::ImportRosterResponse> ImportTrusting(const std::string& ca) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        GatewayChannel({absl::StrCat("127.0.0.1:", port_), dir_ + "/" + ca + ".pem"});
    if (!channel.ok()) return channel.status();
    RosterCallOptions options;
    options.token = "token";
    options.retries = 0;
    options.deadline = absl::Seconds(10);
    std::ostringstream progress;
    return ImportRoster(*channel, RosterOf(1), options, progress);
  }

  std::string dir_;
  int port_ = 0;
  FailingRosterService service_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(GatewayTlsTest, GatewayCertifiedByTheGivenCa_GetsTheRoster) {
  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse answer, ImportTrusting("gateway"));
  EXPECT_EQ(answer.created(), 1);
  EXPECT_EQ(service_.Calls().size(), 1u);
}

TEST_F(GatewayTlsTest, GatewayTheCaDidNotCertify_GetsNothing) {
  EXPECT_THAT(ImportTrusting("stranger"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(service_.Calls().empty());
}

}  // namespace
}  // namespace shouhu::admin
