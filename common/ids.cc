#include "common/ids.h"

#include <sodium.h>

namespace shouhu {
namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The 128 bits a well-formed id writes (the first character holds the top 3 bits: 3 + 25 x 5 = 128): 48 of
// milliseconds, then 80 random.
unsigned __int128 IdBits(absl::string_view id) {
  unsigned __int128 value = 0;
  for (char ch : id) value = (value << 5) | static_cast<unsigned>(absl::string_view(kAlphabet).find(ch));
  return value;
}
}  // namespace

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
  // 128 bits, 48 of time then 80 random, written 5 bits at a time from the top (the first char holds the top
  // 3): 26 characters of Crockford's base 32, which sort as the number does.
  unsigned __int128 value = millis & ((uint64_t{1} << 48) - 1);
  for (uint8_t byte : random) value = (value << 8) | byte;
  std::string id(kIdLength, '0');
  for (size_t c = 0; c < kIdLength; ++c) {
    id[c] = kAlphabet[static_cast<size_t>(value >> (5 * (kIdLength - 1 - c))) & 31];
  }
  return id;
}

void IdGenerator::Raise(absl::string_view floor) {
  if (!IsWellFormedId(floor)) return;
  unsigned __int128 value = IdBits(floor);
  // Not to the floor itself but a random step (1 to 2^40) above it: the generator that gave the floor counts
  // on from it by one within its millisecond, as would another generator raised to the same floor, and
  // either would then give the very ids this one gives next.
  uint64_t step = 0;
  randombytes_buf(&step, sizeof step);
  value += (step & ((uint64_t{1} << 40) - 1)) + 1;
  const uint64_t millis = static_cast<uint64_t>(value >> 80);
  std::array<uint8_t, 10> random;
  for (int i = 9; i >= 0; --i, value >>= 8)
    random[static_cast<size_t>(i)] = static_cast<uint8_t>(value & 0xff);
  absl::MutexLock lock(&mu_);
  if (millis > last_millis_ || (millis == last_millis_ && random > last_random_)) {
    last_millis_ = millis;
    last_random_ = random;
  }
}

bool IsWellFormedId(absl::string_view id) {
  if (id.size() != kIdLength) return false;
  for (char ch : id) {
    if (absl::string_view(kAlphabet).find(ch) == absl::string_view::npos) return false;
  }
  return id[0] <= '7';
}

std::optional<int64_t> IdUnixMillis(absl::string_view id) {
  if (!IsWellFormedId(id)) return std::nullopt;
  return static_cast<int64_t>(IdBits(id) >> 80);
}

}  // namespace shouhu
