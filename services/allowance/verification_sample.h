// Which paid households are checked on the next visit (verification after payment): a share of payments
// chosen by a keyed hash of the payment id, so the choice is random across payments yet the same for the
// same payment and seed — a retried or replayed payment is sampled (or not) the same way, tests pin the
// outcome with a seed, and nobody can predict it without the seed. The seed is a setting, never logged.
#ifndef SHOUHU_SERVICES_ALLOWANCE_VERIFICATION_SAMPLE_H_
#define SHOUHU_SERVICES_ALLOWANCE_VERIFICATION_SAMPLE_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace shouhu::allowance {

// Parts per million: 50'000 checks one payment in twenty.
inline constexpr int64_t kShareScale = 1'000'000;

class VerificationSample {
 public:
  // `share_ppm` in [0, kShareScale]; out-of-range values are clamped.
  VerificationSample(uint64_t seed, int64_t share_ppm);

  // True when the payment's household is to be checked.
  bool Selects(absl::string_view payment_id) const;

 private:
  const uint64_t seed_;
  const int64_t share_ppm_;
};

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_VERIFICATION_SAMPLE_H_
