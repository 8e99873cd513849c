#include "common/pii_crypto.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace shouhu {
namespace {

using ::shouhu::testing::StatusIs;

TEST(PiiCrypto, SealedValue_OpensOnlyInItsOwnContext) {
  ASSERT_OK_AND_ASSIGN(PiiCrypto crypto, PiiCrypto::Create(std::string(32, 'a'), std::string(32, 'b')));
  const std::string sealed = crypto.Seal("532329201506071232", "child-1");
  EXPECT_EQ(sealed.find("532329"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(std::string plain, crypto.Open(sealed, "child-1"));
  EXPECT_EQ(plain, "532329201506071232");
  EXPECT_THAT(crypto.Open(sealed, "child-2"), StatusIs(absl::StatusCode::kDataLoss));
  std::string flipped = sealed;
  flipped.back() ^= 1;
  EXPECT_THAT(crypto.Open(flipped, "child-1"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(PiiCrypto, SealingTwice_GivesDifferentCiphertexts_ButOneLookupHash) {
  ASSERT_OK_AND_ASSIGN(PiiCrypto crypto, PiiCrypto::Create(std::string(32, 'a'), std::string(32, 'b')));
  EXPECT_NE(crypto.Seal("x", "c"), crypto.Seal("x", "c"));
  EXPECT_EQ(crypto.LookupHash("532329201506071232"), crypto.LookupHash("532329201506071232"));
  EXPECT_NE(crypto.LookupHash("532329201506071232"), crypto.LookupHash("11010519491231002X"));
  ASSERT_OK_AND_ASSIGN(PiiCrypto other, PiiCrypto::Create(std::string(32, 'a'), std::string(32, 'c')));
  EXPECT_NE(crypto.LookupHash("532329201506071232"), other.LookupHash("532329201506071232"));
}

TEST(PiiCrypto, BadKeys_AreRefused) {
  EXPECT_THAT(PiiCrypto::Create(std::string(31, 'a'), std::string(32, 'b')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PiiCrypto::Create(std::string(32, 'a'), std::string(32, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace shouhu
