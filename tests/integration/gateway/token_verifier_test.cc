// The token verifier remembers the tokens it verified, so a caller's repeated calls cost a lookup. A
// remembered token must never outlive the token itself (its exp plus the leeway, on the verifier's clock) and
// must only ever answer for the token it was verified as: another caller's token gets its own principal.
#include "services/gateway/token_verifier.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "tests/integration/gateway/gateway_harness.h"
#include "tests/support/status_matchers.h"

namespace shouhu::testing {
namespace {

class RememberedTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("token-verifier-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "idp-1.pem") << key_.public_pem;
    gateway::TokenPolicy policy;
    policy.issuer = kIssuer;
    policy.audience = kAudience;
    policy.leeway = absl::Seconds(30);
    policy.keys.keys_dir = dir_.string();
    auto verifier = gateway::TokenVerifier::Create(policy, clock_, logger_);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = *std::move(verifier);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A token for `subject` of `organisation` (none when empty) that expires `lifetime` from the clock's now.
  std::string Token(const std::string& subject, const std::string& organisation,
                    absl::Duration lifetime = absl::Minutes(10),
                    std::vector<std::string> roles = {"CIVIL_AFFAIRS_OFFICER"}) {
    const int64_t now = absl::ToUnixSeconds(clock_.Now());
    nlohmann::json claims = {{"iss", kIssuer}, {"aud", kAudience},
                             {"sub", subject}, {"roles", roles},
                             {"iat", now},     {"exp", now + absl::ToInt64Seconds(lifetime)}};
    if (!organisation.empty()) claims["org"] = organisation;
    return MintToken("ES256", "idp-1", key_.private_pem, claims);
  }

  const KeyPair key_ = NewP256Key();
  ManualClock clock_{absl::Now()};
  Logger logger_{"gateway-test"};
  std::filesystem::path dir_;
  std::unique_ptr<gateway::TokenVerifier> verifier_;
};

TEST_F(RememberedTokenTest, RememberedToken_PastItsExpiryAndLeeway_IsUnauthenticated) {
  const std::string token = Token("officer-1", "org-officer-1", absl::Seconds(60));
  const int64_t issued = absl::ToUnixSeconds(clock_.Now());
  absl::StatusOr<Principal> admitted = verifier_->Verify(token);  // verified and remembered
  ASSERT_OK(admitted);
  // The principal carries the token's end (exp plus the leeway): the signer never signs it for longer.
  EXPECT_EQ(admitted->expires_at().seconds(), issued + 60 + 30);
  clock_.Advance(absl::Seconds(60 + 30));  // exp plus the leeway: still good
  ASSERT_OK(verifier_->Verify(token));
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(verifier_->Verify(token), StatusIs(absl::StatusCode::kUnauthenticated));
  // And it stays so: the remembered entry is not revived by a later call.
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(verifier_->Verify(token), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RememberedTokenTest, RememberedTokens_EachAnswersOnlyForItsOwnCaller) {
  const std::string first = Token("officer-1", "org-officer-1");
  const std::string second = Token("officer-2", "org-officer-2");
  for (int round = 0; round < 3; ++round) {  // the first round verifies, the others are remembered
    auto one = verifier_->Verify(first);
    auto two = verifier_->Verify(second);
    ASSERT_OK(one);
    ASSERT_OK(two);
    EXPECT_EQ(one->subject(), "officer-1");
    EXPECT_EQ(one->organisation_id(), "org-officer-1");
    EXPECT_EQ(two->subject(), "officer-2");
    EXPECT_EQ(two->organisation_id(), "org-officer-2");
  }
  // A token that differs from a remembered one in a single character of its signature is verified afresh, and
  // fails.
  std::string altered = first;
  char& signature_start = altered[altered.rfind('.') + 1];
  signature_start = signature_start == 'A' ? 'B' : 'A';
  EXPECT_THAT(verifier_->Verify(altered), StatusIs(absl::StatusCode::kUnauthenticated));
}

// Services store the subject and organisation in columns of 128 and 64 characters and compare them as
// identifiers: a token whose sub or org is not one is refused at the gateway, whatever it is signed with.
TEST_F(RememberedTokenTest, SubjectOrOrganisationNotAnIdentifier_IsUnauthenticated) {
  ASSERT_OK_AND_ASSIGN(Principal longest,
                       verifier_->Verify(Token(std::string(128, 's'), std::string(64, 'o'))));
  EXPECT_EQ(longest.subject(), std::string(128, 's'));
  EXPECT_EQ(longest.organisation_id(), std::string(64, 'o'));
  ASSERT_OK_AND_ASSIGN(Principal without_org, verifier_->Verify(Token("caseworker-1", "")));
  EXPECT_EQ(without_org.organisation_id(), "");

  for (const auto& [subject, organisation] : std::vector<std::pair<std::string, std::string>>{
           {std::string(129, 's'), "ngo-1"},
           {"caseworker 1", "ngo-1"},
           {"caseworker-1 ", "ngo-1"},
           {"caseworker\n1", "ngo-1"},
           {"社工一", "ngo-1"},
           {"caseworker-1", std::string(65, 'o')},
           {"caseworker-1", "ngo 1"},
           {"caseworker-1", "ngo-1\t"},
       }) {
    EXPECT_THAT(verifier_->Verify(Token(subject, organisation)), StatusIs(absl::StatusCode::kUnauthenticated))
        << "sub '" << subject << "', org '" << organisation << "'";
  }
}

// A token whose roles all act for an organisation (an NGO's caseworker or admin, a volunteer, a finance
// officer) and that names none is refused at the door: the services would show such a caller nothing, and
// the identity provider's configuration is what needs fixing. A county officer's token needs none.
TEST_F(RememberedTokenTest, OrganisationRoleWithoutOrganisation_IsUnauthenticated) {
  for (const std::string role :
       {"NGO_CASEWORKER", "NGO_ADMIN", "SAFEGUARDING_LEAD", "VOLUNTEER", "FINANCE_OFFICER"}) {
    EXPECT_THAT(verifier_->Verify(Token("person-1", "", absl::Minutes(10), {role})),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << role;
    EXPECT_OK(verifier_->Verify(Token("person-1", "ngo-1", absl::Minutes(10), {role})).status()) << role;
  }
  EXPECT_OK(verifier_->Verify(Token("officer-1", "", absl::Minutes(10), {"CIVIL_AFFAIRS_OFFICER"})).status());
  EXPECT_OK(verifier_->Verify(Token("teacher-1", "", absl::Minutes(10), {"MANDATED_REPORTER"})).status());
  EXPECT_OK(verifier_->Verify(Token("lead-1", "", absl::Minutes(10), {"NGO_ADMIN", "CIVIL_AFFAIRS_OFFICER"}))
                .status());
}

// A P-256 public key (PEM) as a JWK under `kid`.
nlohmann::json P256Jwk(const std::string& public_pem, const std::string& kid) {
  BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  unsigned char point[65] = {};
  size_t len = 0;
  EXPECT_EQ(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len), 1);
  EXPECT_EQ(len, sizeof point);  // 0x04, x, y
  EVP_PKEY_free(key);
  auto base64url = [](const unsigned char* bytes) {
    char text[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(text, sizeof text, bytes, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return std::string(text);
  };
  return {{"kty", "EC"},
          {"crv", "P-256"},
          {"kid", kid},
          {"x", base64url(point + 1)},
          {"y", base64url(point + 33)}};
}

// The identity provider rotates: kid A leaves its JWKS (compromised, say), kid B arrives, and beside B it
// publishes keys this gateway cannot use (Ed25519, P-384). The reload takes B and drops A, skipping the
// others (and saying so). Before, the one unusable key failed the whole reload: A kept verifying and B was
// never loaded. A JWKS with no usable key at all is refused and the keys in force stay.
TEST(TokenKeyReloadTest, JwksWithKeysItCannotUse_ReloadTakesTheUsableOnesAndDropsTheRemoved) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("token-jwks-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string jwks = (dir / "jwks.json").string();
  const KeyPair a = NewP256Key();
  const KeyPair b = NewP256Key();
  const nlohmann::json ed25519 = {{"kty", "OKP"},
                                  {"crv", "Ed25519"},
                                  {"kid", "idp-ed"},
                                  {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};
  const nlohmann::json p384 = {{"kty", "EC"},
                               {"crv", "P-384"},
                               {"kid", "idp-384"},
                               {"x", "iA7lWQLzVrKGEFjfGMfMHfTEZ2KnLiKU7JuNT3E7ygsfE7ygsfE7ygsfE7ygsfE7"},
                               {"y", "iA7lWQLzVrKGEFjfGMfMHfTEZ2KnLiKU7JuNT3E7ygsfE7ygsfE7ygsfE7ygsfE7"}};
  std::ofstream(jwks, std::ios::trunc) << nlohmann::json{{"keys", {P256Jwk(a.public_pem, "idp-a")}}}.dump();
  gateway::TokenPolicy policy;
  policy.issuer = kIssuer;
  policy.audience = kAudience;
  policy.keys.jwks_file = jwks;
  ManualClock clock{absl::Now()};
  Logger logger{"gateway-test"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<gateway::TokenVerifier> verifier,
                       gateway::TokenVerifier::Create(policy, clock, logger));
  const int64_t now = absl::ToUnixSeconds(clock.Now());
  const nlohmann::json claims = {{"iss", kIssuer},     {"aud", kAudience},
                                 {"sub", "officer-1"}, {"roles", {"CIVIL_AFFAIRS_OFFICER"}},
                                 {"iat", now},         {"exp", now + 600}};
  const std::string token_a = MintToken("ES256", "idp-a", a.private_pem, claims);
  const std::string token_b = MintToken("ES256", "idp-b", b.private_pem, claims);
  ASSERT_OK(verifier->Verify(token_a));
  EXPECT_THAT(verifier->Verify(token_b), StatusIs(absl::StatusCode::kUnauthenticated));

  std::ofstream(jwks, std::ios::trunc)
      << nlohmann::json{{"keys", {P256Jwk(b.public_pem, "idp-b"), ed25519, p384}}}.dump();
  EXPECT_OK(verifier->Reload());
  EXPECT_THAT(verifier->Verify(token_a), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(verifier->Verify(token_b));

  std::ofstream(jwks, std::ios::trunc) << nlohmann::json{{"keys", {ed25519}}}.dump();
  EXPECT_THAT(verifier->Reload(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(verifier->Verify(token_b));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace shouhu::testing
