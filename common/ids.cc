#include "common/ids.h"

#include <sodium.h>

namespace shouhu {
namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

std::string IdGenerator::Next() {
  uint64_t millis = static_cast<uint64_t>(absl::ToUnixMillis(clock_.Now()));
  std::array<uint8_t, 10> random;
  {
    absl::MutexLock lock(&mu_);
    if (millis <= last_millis_) {
      // Same (or an earlier, if the clock stepped back) millisecond: keep order by counting up from the last
      // id.
      millis = last_millis_;
      random = last_random_;
      for (int i = 9; i >= 0 && ++random[i] == 0; --i) {
      }
    } else {
      randombytes_buf(random.data(), random.size());
      last_millis_ = millis;
    }
    last_random_ = random;
  }
  // 128 bits: 48 of time then 80 random, written 5 bits at a time from the top (the first char holds 3 bits).
  std::array<uint8_t, 16> bytes;
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(millis >> (40 - 8 * i));
  for (int i = 0; i < 10; ++i) bytes[6 + i] = random[i];
  std::string id(kIdLength, '0');
  for (size_t c = 0; c < kIdLength; ++c) {
    const int bit = static_cast<int>(c) * 5 - 2;  // position of this char's top bit in the 128-bit number
    int value = 0;
    for (int b = 0; b < 5; ++b) {
      const int pos = bit + b;
      if (pos < 0) continue;
      value = (value << 1) | ((bytes[pos / 8] >> (7 - pos % 8)) & 1);
    }
    id[c] = kAlphabet[value];
  }
  return id;
}

bool IsWellFormedId(absl::string_view id) {
  if (id.size() != kIdLength) return false;
  for (char ch : id) {
    if (absl::string_view(kAlphabet).find(ch) == absl::string_view::npos) return false;
  }
  return id[0] <= '7';
}

}  // namespace shouhu
