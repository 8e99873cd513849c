// Application-generated identifiers: 26 characters of Crockford base32 (ULID layout: 48 bits of milliseconds,
// 80 random bits). They sort by creation time, so inserts stay near the end of an index, and they need no
// AUTO_INCREMENT, which is a write hotspot on TiDB and Vitess.
#ifndef SHOUHU_COMMON_IDS_H_
#define SHOUHU_COMMON_IDS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace shouhu {

inline constexpr size_t kIdLength = 26;

class IdGenerator {
 public:
  explicit IdGenerator(const Clock& clock) : clock_(clock) {}

  // Strictly increasing within this generator, also when several ids fall in one millisecond.
  std::string Next();
  // Every id Next() gives from now on sorts after `floor` (a well-formed id; anything else is ignored), even
  // when `floor` came from a generator whose clock is ahead of this one's: ids that must follow another
  // process's (the registry's access log, in commit order across replicas; a budget slot's ledger entries)
  // continue from a random step above it, so they are not the ones the floor's own generator gives next.
  void Raise(absl::string_view floor);

 private:
  const Clock& clock_;
  absl::Mutex mu_;
  uint64_t last_millis_ ABSL_GUARDED_BY(mu_) = 0;
  std::array<uint8_t, 10> last_random_ ABSL_GUARDED_BY(mu_) = {};
};

// 26 characters of the Crockford alphabet (as Next() writes them).
bool IsWellFormedId(absl::string_view id);

// The Unix milliseconds in an id's first 48 bits (when Next() gave it), or nullopt when it is not well
// formed.
std::optional<int64_t> IdUnixMillis(absl::string_view id);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_IDS_H_
