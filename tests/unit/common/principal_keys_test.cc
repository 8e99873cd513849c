#include "common/principal_keys.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/time/clock.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_keys.h"

namespace shouhu {
namespace {

using ::shouhu::testing::SeededKey;
using ::shouhu::testing::StatusIs;

class TrustedKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/shouhu-keys-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }

  std::string dir_;
  Logger logger_{"test", stderr};
};

TEST_F(TrustedKeysTest, Folder_ReadsGatewayAndServiceKeysByFileStem_AndSkipsOtherNames) {
  Write("gw-1.pub", TrustedKeyFileText(GatewayKey(SeededKey("gw-1", 'g'))));
  Write("visits-1.pub", TrustedKeyFileText(ServiceKey(SeededKey("visits-1", 'v'), "visits")));
  Write("README", "not a key");
  std::filesystem::create_directory(dir_ + "/..data");  // what a Kubernetes volume holds beside the files
  ASSERT_OK_AND_ASSIGN(auto keys, TrustedKeys::Load(dir_));
  ASSERT_TRUE(keys->Find("gw-1").has_value());
  EXPECT_EQ(keys->Find("gw-1")->service, "");
  EXPECT_EQ(keys->Find("gw-1")->public_key, SeededKey("gw-1", 'g').public_key);
  ASSERT_TRUE(keys->Find("visits-1").has_value());
  EXPECT_EQ(keys->Find("visits-1")->service, "visits");
  EXPECT_FALSE(keys->Find("README").has_value());
  EXPECT_FALSE(keys->Find("gw-2").has_value());
}

TEST_F(TrustedKeysTest, BadFiles_AreErrorsNamingTheFile) {
  const std::string hex(64, 'a');
  const std::vector<std::string> bad = {"gateway",         "gateway abcd",       "root " + hex,
                                        "service: " + hex, "service:a/b " + hex, "gateway " + hex + " extra"};
  for (const std::string& text : bad) {
    Write("k.pub", text);
    auto keys = TrustedKeys::Load(dir_);
    EXPECT_THAT(keys, StatusIs(absl::StatusCode::kInvalidArgument)) << text;
    if (!keys.ok()) {
      EXPECT_NE(keys.status().message().find("k.pub"), std::string::npos);
    }
  }
  EXPECT_THAT(TrustedKeys::Load(dir_ + "/missing"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(TrustedKeys::Load(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(TrustedKeysTest, Reload_TrustsAnAddedKeyAndRefusesARemovedOne) {
  Write("gw-1.pub", TrustedKeyFileText(GatewayKey(SeededKey("gw-1", 'g'))));
  ASSERT_OK_AND_ASSIGN(auto keys, TrustedKeys::Load(dir_));
  Write("gw-2.pub", TrustedKeyFileText(GatewayKey(SeededKey("gw-2", 'h'))));
  EXPECT_FALSE(keys->Find("gw-2").has_value());  // not before the folder is read again
  ASSERT_OK(keys->Reload());
  EXPECT_TRUE(keys->Find("gw-2").has_value());
  EXPECT_TRUE(keys->Find("gw-1").has_value());
  std::filesystem::remove(dir_ + "/gw-1.pub");
  ASSERT_OK(keys->Reload());
  EXPECT_FALSE(keys->Find("gw-1").has_value());
  EXPECT_TRUE(keys->Find("gw-2").has_value());
}

TEST_F(TrustedKeysTest, Reload_OfABrokenFolder_KeepsTheKeysInForce) {
  Write("gw-1.pub", TrustedKeyFileText(GatewayKey(SeededKey("gw-1", 'g'))));
  ASSERT_OK_AND_ASSIGN(auto keys, TrustedKeys::Load(dir_));
  Write("gw-2.pub", "gateway not-hex");
  EXPECT_THAT(keys->Reload(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(keys->Find("gw-1").has_value());
  EXPECT_FALSE(keys->Find("gw-2").has_value());
}

TEST_F(TrustedKeysTest, ReloadEvery_PicksUpAnAddedKeyWithoutBeingAsked) {
  Write("gw-1.pub", TrustedKeyFileText(GatewayKey(SeededKey("gw-1", 'g'))));
  ASSERT_OK_AND_ASSIGN(auto keys, TrustedKeys::Load(dir_));
  keys->ReloadEvery(absl::Milliseconds(20), logger_);
  Write("gw-2.pub", TrustedKeyFileText(GatewayKey(SeededKey("gw-2", 'h'))));
  const absl::Time give_up = absl::Now() + absl::Seconds(30);  // only against a hang; not a timing check
  while (!keys->Find("gw-2").has_value() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(keys->Find("gw-2").has_value());
}

TEST_F(TrustedKeysTest, SigningKeyFile_RoundTripsAndTakesItsIdFromTheFileName) {
  const SigningKey key = SeededKey("registry-3", 'r');
  Write("registry-3.key", SigningKeyFileText(key));
  ASSERT_OK_AND_ASSIGN(SigningKey read, ReadSigningKey(dir_ + "/registry-3.key"));
  EXPECT_EQ(read.key_id, "registry-3");
  EXPECT_EQ(read.public_key, key.public_key);
  EXPECT_EQ(read.secret_key, key.secret_key);
  Write("short.key", "abcd");
  EXPECT_THAT(ReadSigningKey(dir_ + "/short.key"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadSigningKey(dir_ + "/missing.key"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(SigningKey::FromSeed("bad id", std::string(32, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(SigningKey fresh, SigningKey::Generate("fresh-1"));
  EXPECT_NE(fresh.public_key, key.public_key);
}

}  // namespace
}  // namespace shouhu
