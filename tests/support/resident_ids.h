// Valid resident id numbers for tests that need many distinct children (GB 11643: region, birth date,
// sequence, ISO 7064 MOD 11-2 check character).
#ifndef SHOUHU_TESTS_SUPPORT_RESIDENT_IDS_H_
#define SHOUHU_TESTS_SUPPORT_RESIDENT_IDS_H_

#include <string>

#include "absl/strings/str_format.h"

namespace shouhu::testing {

// `region` is 6 digits, `birth` YYYYMMDD; `sequence` 0-999 (odd: male, even: female).
inline std::string ResidentIdNumber(const std::string& region, const std::string& birth, int sequence) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  std::string id = region + birth + absl::StrFormat("%03d", sequence % 1000);
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  return id + kCheck[sum % 11];
}

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_RESIDENT_IDS_H_
