// The gateway's settings for API clients' credential checks, from flags (or their SHOUHU_* variables): read
// as given, and a value out of range stops the process with a message naming the flag.
#include "services/gateway/gateway_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_keys.h"

ABSL_DECLARE_FLAG(std::string, signing_key_file);
ABSL_DECLARE_FLAG(std::string, trusted_keys_dir);
ABSL_DECLARE_FLAG(std::string, policy_file);
ABSL_DECLARE_FLAG(std::string, token_issuer);
ABSL_DECLARE_FLAG(std::string, token_keys_dir);
ABSL_DECLARE_FLAG(std::string, api_client_recheck_ms);
ABSL_DECLARE_FLAG(std::string, credential_workers);

namespace shouhu::gateway {
namespace {

class GatewayConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("gateway-config-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    absl::SetFlag(&FLAGS_signing_key_file,
                  testing::WriteSigningKey(testing::TestGatewayKey(), dir_.string()));
    absl::SetFlag(&FLAGS_trusted_keys_dir, dir_.string());
    absl::SetFlag(&FLAGS_policy_file, (dir_ / "policy.json").string());
    absl::SetFlag(&FLAGS_token_issuer, "https://idp.test.shouhu");
    absl::SetFlag(&FLAGS_token_keys_dir, dir_.string());
  }
  void TearDown() override {
    absl::SetFlag(&FLAGS_api_client_recheck_ms, "2000");
    absl::SetFlag(&FLAGS_credential_workers, "2");
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
};

TEST_F(GatewayConfigTest, ApiClientChecks_DefaultToTwoSecondsAndTwoWorkers) {
  ASSERT_OK_AND_ASSIGN(GatewayConfig config, LoadGatewayConfig());
  EXPECT_EQ(config.api_client_recheck, absl::Seconds(2));
  EXPECT_EQ(config.credential_workers, 2);
}

TEST_F(GatewayConfigTest, ApiClientChecks_TakenFromTheFlags) {
  absl::SetFlag(&FLAGS_api_client_recheck_ms, "500");
  absl::SetFlag(&FLAGS_credential_workers, "4");
  ASSERT_OK_AND_ASSIGN(GatewayConfig config, LoadGatewayConfig());
  EXPECT_EQ(config.api_client_recheck, absl::Milliseconds(500));
  EXPECT_EQ(config.credential_workers, 4);
}

TEST_F(GatewayConfigTest, ApiClientChecks_OutOfRange_RefusedNamingTheFlag) {
  for (const char* bad : {"0", "99", "60001", "2s", ""}) {
    absl::SetFlag(&FLAGS_api_client_recheck_ms, bad);
    const absl::StatusOr<GatewayConfig> config = LoadGatewayConfig();
    EXPECT_THAT(config, testing::StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_TRUE(absl::StrContains(config.status().message(), "--api_client_recheck_ms")) << config.status();
  }
  absl::SetFlag(&FLAGS_api_client_recheck_ms, "2000");
  for (const char* bad : {"0", "65", "two"}) {
    absl::SetFlag(&FLAGS_credential_workers, bad);
    const absl::StatusOr<GatewayConfig> config = LoadGatewayConfig();
    EXPECT_THAT(config, testing::StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_TRUE(absl::StrContains(config.status().message(), "--credential_workers")) << config.status();
  }
}

}  // namespace
}  // namespace shouhu::gateway
