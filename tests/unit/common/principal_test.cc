#include "common/principal.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "google/protobuf/util/time_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_keys.h"

namespace shouhu {
namespace {

using ::shouhu::testing::SeededKey;
using ::shouhu::testing::StatusIs;

Principal Officer() {
  Principal p;
  p.set_subject("officer-1");
  p.set_organisation_id("wuding-civil-affairs");
  p.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  p.add_jurisdictions("532329");
  return p;
}

// Signs as the gateway ("gw-1") or as the visits service ("visits-1"); the verifier trusts both, each marked
// for what it may sign, as a deployed service would.
class PrincipalSigningTest : public ::testing::Test {
 protected:
  PrincipalSigningTest()
      : trusted_(TrustedKeySet{{"gw-1", GatewayKey(gateway_key_)},
                               {"visits-1", ServiceKey(visits_key_, "visits")}}) {}

  Principal VisitsSystem() const {
    Principal p;
    p.set_subject("service:visits");
    p.add_roles(common::v1::ROLE_SYSTEM);
    return p;
  }

  ManualClock clock_{absl::FromUnixSeconds(1'790'000'000)};
  SigningKey gateway_key_ = SeededKey("gw-1", 'g');
  SigningKey visits_key_ = SeededKey("visits-1", 'v');
  TrustedKeys trusted_;
  PrincipalSigner gateway_{gateway_key_, clock_};
  PrincipalSigner visits_{visits_key_, clock_};
  PrincipalVerifier verifier_{trusted_, clock_};
};

absl::StatusOr<Principal> VerifySigned(const PrincipalVerifier& verifier, const SignedPrincipal& s) {
  return verifier.Verify(s.serialized, s.signature, s.key_id);
}

TEST_F(PrincipalSigningTest, GatewayKey_SignsAnyPrincipal_VerifiesWithItsContent) {
  SignedPrincipal signed_officer = gateway_.Sign(Officer());
  EXPECT_EQ(signed_officer.key_id, "gw-1");
  ASSERT_OK_AND_ASSIGN(Principal p, VerifySigned(verifier_, signed_officer));
  EXPECT_EQ(p.subject(), "officer-1");
  EXPECT_TRUE(HasRole(p, common::v1::ROLE_CIVIL_AFFAIRS_OFFICER));
  EXPECT_FALSE(HasRole(p, common::v1::ROLE_AUDITOR));
  Principal auditor = Officer();
  auditor.set_roles(0, common::v1::ROLE_AUDITOR);
  EXPECT_OK(VerifySigned(verifier_, gateway_.Sign(auditor)));
  EXPECT_OK(VerifySigned(verifier_, gateway_.Sign(VisitsSystem())));
}

TEST_F(PrincipalSigningTest, RememberedSignatures_AreTheOnesAFreshSignerMakes_AndNeverServeOtherBytes) {
  const SignedPrincipal first = gateway_.Sign(Officer());
  const SignedPrincipal again = gateway_.Sign(Officer());  // the same bytes within one expiry step
  PrincipalSigner fresh{gateway_key_, clock_};             // remembers nothing
  EXPECT_EQ(again.serialized, first.serialized);
  EXPECT_EQ(again.signature, fresh.Sign(Officer()).signature);
  Principal auditor = Officer();
  auditor.set_roles(0, common::v1::ROLE_AUDITOR);
  const SignedPrincipal other = gateway_.Sign(auditor);
  EXPECT_NE(other.signature, first.signature);
  ASSERT_OK_AND_ASSIGN(Principal p, VerifySigned(verifier_, other));
  EXPECT_TRUE(HasRole(p, common::v1::ROLE_AUDITOR));
  clock_.Advance(PrincipalSigner::kExpiryStep);  // the next step: new bytes, a new signature that verifies
  const SignedPrincipal later = gateway_.Sign(Officer());
  EXPECT_NE(later.serialized, first.serialized);
  EXPECT_OK(VerifySigned(verifier_, later));
}

TEST_F(PrincipalSigningTest, ServiceKey_SignsItsOwnSystemPrincipal) {
  ASSERT_OK_AND_ASSIGN(Principal p, VerifySigned(verifier_, visits_.Sign(VisitsSystem())));
  EXPECT_EQ(p.subject(), "service:visits");
  EXPECT_TRUE(HasRole(p, common::v1::ROLE_SYSTEM));
}

TEST_F(PrincipalSigningTest, ServiceKey_ClaimingAHumanRole_IsUnauthenticated) {
  EXPECT_THAT(VerifySigned(verifier_, visits_.Sign(Officer())), StatusIs(absl::StatusCode::kUnauthenticated));
  Principal human_role_own_name = VisitsSystem();
  human_role_own_name.set_roles(0, common::v1::ROLE_AUDITOR);
  EXPECT_THAT(VerifySigned(verifier_, visits_.Sign(human_role_own_name)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalSigningTest, ServiceKey_ClaimingAnotherServiceOrAnExtraRole_IsUnauthenticated) {
  Principal registry = VisitsSystem();
  registry.set_subject("service:registry");
  EXPECT_THAT(VerifySigned(verifier_, visits_.Sign(registry)), StatusIs(absl::StatusCode::kUnauthenticated));
  Principal extra_role = VisitsSystem();
  extra_role.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  EXPECT_THAT(VerifySigned(verifier_, visits_.Sign(extra_role)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Principal as_organisation = VisitsSystem();
  as_organisation.set_organisation_id("ngo-wuding");
  EXPECT_THAT(VerifySigned(verifier_, visits_.Sign(as_organisation)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Principal near_name = VisitsSystem();
  near_name.set_subject("service:visits2");
  EXPECT_THAT(VerifySigned(verifier_, visits_.Sign(near_name)), StatusIs(absl::StatusCode::kUnauthenticated));
}

// A running service (ServeMain) takes from the gateway's key a caller's principal only: SYSTEM or a service's
// subject under it is what a token or an API client smuggled past the gateway, and is refused; the service's
// own key still speaks for it, and a person signed by the gateway still passes.
TEST_F(PrincipalSigningTest, CallersOnly_GatewayKeyClaimingTheSystemRoleOrAServiceSubject_IsUnauthenticated) {
  const PrincipalVerifier service_verifier{trusted_, clock_, GatewayKeySigns::kCallersOnly};
  EXPECT_THAT(VerifySigned(service_verifier, gateway_.Sign(VisitsSystem())),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Principal officer_with_system = Officer();
  officer_with_system.add_roles(common::v1::ROLE_SYSTEM);
  EXPECT_THAT(VerifySigned(service_verifier, gateway_.Sign(officer_with_system)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Principal officer_as_service = Officer();
  officer_as_service.set_subject("service:visits");
  EXPECT_THAT(VerifySigned(service_verifier, gateway_.Sign(officer_as_service)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(VerifySigned(service_verifier, visits_.Sign(VisitsSystem())));
  EXPECT_OK(VerifySigned(service_verifier, gateway_.Sign(Officer())));
  // A subject that only contains "service:" is a person's.
  Principal near_name = Officer();
  near_name.set_subject("officer-service:1");
  EXPECT_OK(VerifySigned(service_verifier, gateway_.Sign(near_name)));
}

TEST_F(PrincipalSigningTest, ServiceSignature_PresentedUnderTheGatewayKeyId_IsUnauthenticated) {
  SignedPrincipal s = visits_.Sign(Officer());
  s.key_id = "gw-1";
  EXPECT_THAT(VerifySigned(verifier_, s), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalSigningTest, UnknownKeyId_IsUnauthenticated) {
  PrincipalSigner stranger(SeededKey("gw-2", 'g'), clock_);  // the gateway's seed, under an id nobody trusts
  EXPECT_THAT(VerifySigned(verifier_, stranger.Sign(Officer())),
              StatusIs(absl::StatusCode::kUnauthenticated));
  SignedPrincipal s = gateway_.Sign(Officer());
  s.key_id = "";
  EXPECT_THAT(VerifySigned(verifier_, s), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalSigningTest, TamperedBody_IsUnauthenticated) {
  SignedPrincipal s = gateway_.Sign(Officer());
  Principal widened;
  ASSERT_TRUE(widened.ParseFromString(s.serialized));
  widened.set_jurisdictions(0, "53");  // try to widen to the whole province
  s.serialized = widened.SerializeAsString();
  EXPECT_THAT(VerifySigned(verifier_, s), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalSigningTest, OtherKeyUnderTheGatewayKeyIdOrMissingSignature_IsUnauthenticated) {
  PrincipalSigner forger(SeededKey("gw-1", 'x'), clock_);
  EXPECT_THAT(VerifySigned(verifier_, forger.Sign(Officer())), StatusIs(absl::StatusCode::kUnauthenticated));
  SignedPrincipal s = gateway_.Sign(Officer());
  s.signature.clear();
  EXPECT_THAT(VerifySigned(verifier_, s), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalSigningTest, ExpiredSignature_IsUnauthenticated) {
  SignedPrincipal s = gateway_.Sign(Officer());
  clock_.Advance(absl::Minutes(4));
  EXPECT_OK(VerifySigned(verifier_, s));
  clock_.Advance(absl::Minutes(2));
  EXPECT_THAT(VerifySigned(verifier_, s), StatusIs(absl::StatusCode::kUnauthenticated));
}

// The gateway hands the signer the caller's token's expiry: a principal signed a minute before the token ends
// is good for that minute, not for the signer's five.
TEST_F(PrincipalSigningTest, PrincipalWithAnEarlierExpiry_SignedToExpireThen) {
  Principal officer = Officer();
  *officer.mutable_expires_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now()) + 60);
  SignedPrincipal s = gateway_.Sign(officer);
  clock_.Advance(absl::Seconds(60));
  EXPECT_OK(VerifySigned(verifier_, s));
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(VerifySigned(verifier_, s), StatusIs(absl::StatusCode::kUnauthenticated));
  // A later expiry than the signer's own gives way to the signer's.
  *officer.mutable_expires_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now()) + 3600);
  s = gateway_.Sign(officer);
  clock_.Advance(absl::Minutes(6));
  EXPECT_THAT(VerifySigned(verifier_, s), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalSigningTest, ExpiryBeyondTheLongestValidity_IsUnauthenticated) {
  // A signer with a clock an hour ahead mints a principal that would replay for an hour and more.
  ManualClock ahead{clock_.Now() + absl::Hours(1)};
  PrincipalSigner long_lived(gateway_key_, ahead);
  EXPECT_THAT(VerifySigned(verifier_, long_lived.Sign(Officer())),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalSigningTest, SamePrincipalWithinOneExpiryStep_SignsTheSameBytes) {
  const SignedPrincipal first = gateway_.Sign(Officer());
  const SignedPrincipal again = gateway_.Sign(Officer());
  EXPECT_EQ(first.serialized, again.serialized);
  EXPECT_EQ(first.signature, again.signature);
  clock_.Advance(PrincipalSigner::kExpiryStep);
  EXPECT_NE(gateway_.Sign(Officer()).signature, first.signature);
}

TEST_F(PrincipalSigningTest, RememberedSignature_WithOtherBytes_IsUnauthenticated) {
  SignedPrincipal s = gateway_.Sign(Officer());
  ASSERT_OK(VerifySigned(verifier_, s));  // now remembered
  Principal widened;
  ASSERT_TRUE(widened.ParseFromString(s.serialized));
  widened.set_jurisdictions(0, "53");
  s.serialized = widened.SerializeAsString();
  EXPECT_THAT(VerifySigned(verifier_, s), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalSigningTest, RememberedSignature_UnderAnotherKeyId_IsUnauthenticated) {
  SignedPrincipal s = gateway_.Sign(Officer());
  ASSERT_OK(VerifySigned(verifier_, s));
  s.key_id = "visits-1";  // a key that may sign only service:visits
  EXPECT_THAT(VerifySigned(verifier_, s), StatusIs(absl::StatusCode::kUnauthenticated));
}

// The verifier against a folder of keys, as in a process: what it remembered stops counting when the key
// is removed or re-marked.
class RememberedPrincipalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/shouhu-principal-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    Write(GatewayKey(key_));
    auto keys = TrustedKeys::Load(dir_);
    ASSERT_OK(keys);
    keys_ = *std::move(keys);
    verifier_ = std::make_unique<PrincipalVerifier>(*keys_, clock_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const TrustedKey& key) { std::ofstream(dir_ + "/gw-1.pub") << TrustedKeyFileText(key); }

  ManualClock clock_{absl::FromUnixSeconds(1'790'000'000)};
  SigningKey key_ = SeededKey("gw-1", 'g');
  std::string dir_;
  std::unique_ptr<TrustedKeys> keys_;
  std::unique_ptr<PrincipalVerifier> verifier_;
};

TEST_F(RememberedPrincipalTest, KeyRemovedAndReloaded_RememberedPrincipalIsUnauthenticated) {
  const SignedPrincipal s = PrincipalSigner(key_, clock_).Sign(Officer());
  ASSERT_OK(VerifySigned(*verifier_, s));
  std::filesystem::remove(dir_ + "/gw-1.pub");
  ASSERT_OK(keys_->Reload());
  EXPECT_THAT(VerifySigned(*verifier_, s), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RememberedPrincipalTest, KeyRemarkedAsAServiceKey_RememberedPersonIsUnauthenticated) {
  const SignedPrincipal s = PrincipalSigner(key_, clock_).Sign(Officer());
  ASSERT_OK(VerifySigned(*verifier_, s));
  Write(ServiceKey(key_, "visits"));
  ASSERT_OK(keys_->Reload());
  EXPECT_THAT(VerifySigned(*verifier_, s), StatusIs(absl::StatusCode::kUnauthenticated));
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
