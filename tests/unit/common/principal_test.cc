#include "common/principal.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace shouhu {
namespace {

using ::shouhu::testing::StatusIs;

Principal Officer() {
  Principal p;
  p.set_subject("officer-1");
  p.set_organisation_id("wuding-civil-affairs");
  p.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  p.add_jurisdictions("532329");
  return p;
}

class PrincipalSigningTest : public ::testing::Test {
 protected:
  ManualClock clock_{absl::FromUnixSeconds(1'790'000'000)};
  std::string secret_ = std::string(32, 'k');
  PrincipalSigner signer_{secret_, clock_};
  PrincipalVerifier verifier_{secret_, clock_};
};

TEST_F(PrincipalSigningTest, SignedPrincipal_VerifiesWithItsContent) {
  auto [body, signature] = signer_.Sign(Officer());
  ASSERT_OK_AND_ASSIGN(Principal p, verifier_.Verify(body, signature));
  EXPECT_EQ(p.subject(), "officer-1");
  EXPECT_TRUE(HasRole(p, common::v1::ROLE_CIVIL_AFFAIRS_OFFICER));
  EXPECT_FALSE(HasRole(p, common::v1::ROLE_AUDITOR));
}

TEST_F(PrincipalSigningTest, TamperedBody_IsUnauthenticated) {
  auto [body, signature] = signer_.Sign(Officer());
  Principal widened;
  ASSERT_TRUE(widened.ParseFromString(body));
  widened.set_jurisdictions(0, "53");  // try to widen to the whole province
  EXPECT_THAT(verifier_.Verify(widened.SerializeAsString(), signature),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalSigningTest, OtherSecretOrMissingSignature_IsUnauthenticated) {
  PrincipalSigner forger(std::string(32, 'x'), clock_);
  auto [body, signature] = forger.Sign(Officer());
  EXPECT_THAT(verifier_.Verify(body, signature), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier_.Verify(body, ""), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalSigningTest, ExpiredSignature_IsUnauthenticated) {
  auto [body, signature] = signer_.Sign(Officer());
  clock_.Advance(absl::Minutes(6));
  EXPECT_THAT(verifier_.Verify(body, signature), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(InJurisdiction, MatchesCodePrefixesOnly) {
  Principal p = Officer();
  EXPECT_TRUE(InJurisdiction(p, "532329100201"));
  EXPECT_TRUE(InJurisdiction(p, "532329"));
  EXPECT_FALSE(InJurisdiction(p, "532328100201"));
  EXPECT_FALSE(InJurisdiction(p, "5323"));  // the prefecture is wider than the county
  p.add_jurisdictions("640105");
  EXPECT_TRUE(InJurisdiction(p, "640105001001"));
}

}  // namespace
}  // namespace shouhu
