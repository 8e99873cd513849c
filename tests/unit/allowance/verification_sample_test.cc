// The verification sample: the same seed picks the same payments, another seed others, and the share of
// payments picked is near the configured share.
#include "services/allowance/verification_sample.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace shouhu::allowance {
namespace {

std::vector<std::string> PaymentIds(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(absl::StrCat("01KPAYMENT", 1000000 + i, "XXXXXXXXX"));
  return ids;
}

std::vector<bool> Picks(const VerificationSample& sample, const std::vector<std::string>& ids) {
  std::vector<bool> picks;
  for (const std::string& id : ids) picks.push_back(sample.Selects(id));
  return picks;
}

TEST(VerificationSample, SameSeed_SamePicks) {
  const std::vector<std::string> ids = PaymentIds(2000);
  EXPECT_EQ(Picks(VerificationSample(42, 100'000), ids), Picks(VerificationSample(42, 100'000), ids));
}

TEST(VerificationSample, OtherSeed_OtherPicks) {
  const std::vector<std::string> ids = PaymentIds(2000);
  EXPECT_NE(Picks(VerificationSample(42, 100'000), ids), Picks(VerificationSample(43, 100'000), ids));
}

TEST(VerificationSample, ShareOfPicks_NearTheSetting) {
  const std::vector<std::string> ids = PaymentIds(20'000);
  int picked = 0;
  for (bool p : Picks(VerificationSample(7, 100'000), ids)) picked += p ? 1 : 0;
  // 10% of 20,000 = 2,000; the binomial's standard deviation is ~42, so ±300 never fails by chance.
  EXPECT_GT(picked, 1'700);
  EXPECT_LT(picked, 2'300);
}

TEST(VerificationSample, NoneAndAll) {
  const std::vector<std::string> ids = PaymentIds(500);
  for (const std::string& id : ids) {
    EXPECT_FALSE(VerificationSample(1, 0).Selects(id));
    EXPECT_TRUE(VerificationSample(1, kShareScale).Selects(id));
    EXPECT_TRUE(VerificationSample(1, kShareScale * 5).Selects(id));  // clamped
  }
}

}  // namespace
}  // namespace shouhu::allowance
