#include "services/allowance/verification_sample.h"

#include <algorithm>

namespace shouhu::allowance {
namespace {

// SplitMix64's finaliser: spreads every input bit over the output, so ids that differ in their last
// character (ids sharing a millisecond) land far apart.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

VerificationSample::VerificationSample(uint64_t seed, int64_t share_ppm)
    : seed_(seed), share_ppm_(std::clamp<int64_t>(share_ppm, 0, kShareScale)) {}

bool VerificationSample::Selects(absl::string_view payment_id) const {
  // A stable hash of its own rather than absl::Hash, whose values change between builds and processes.
  uint64_t h = Mix(seed_);
  for (unsigned char c : payment_id) h = Mix(h ^ c);
  return static_cast<int64_t>(h % static_cast<uint64_t>(kShareScale)) < share_ppm_;
}

}  // namespace shouhu::allowance
