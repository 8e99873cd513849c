// Protection of personal identifiers at rest (PIPL art. 28: minors' information is sensitive). Values are
// sealed with XChaCha20-Poly1305 (libsodium) under a key the database never sees, bound to the row they
// belong to, and looked up through a keyed BLAKE2b hash under a second key, so equality search works without
// a readable column and a stolen dump cannot be brute-forced over the small space of valid ID numbers.
#ifndef SHOUHU_COMMON_PII_CRYPTO_H_
#define SHOUHU_COMMON_PII_CRYPTO_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace shouhu {

class PiiCrypto {
 public:
  // Keys are 32 raw bytes each; `key_version` is written into every sealed value so keys can be rotated.
  static absl::StatusOr<PiiCrypto> Create(std::string seal_key, std::string lookup_key,
                                          uint8_t key_version = 1);

  // `context` (e.g. the child id) must be given again to open it: a value moved to another row will not open.
  std::string Seal(absl::string_view plaintext, absl::string_view context) const;
  absl::StatusOr<std::string> Open(absl::string_view sealed, absl::string_view context) const;

  // 32 bytes; equal inputs give equal hashes under the same key.
  std::string LookupHash(absl::string_view plaintext) const;

 private:
  PiiCrypto(std::string seal_key, std::string lookup_key, uint8_t key_version)
      : seal_key_(std::move(seal_key)), lookup_key_(std::move(lookup_key)), key_version_(key_version) {}

  std::string seal_key_;
  std::string lookup_key_;
  uint8_t key_version_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_PII_CRYPTO_H_
