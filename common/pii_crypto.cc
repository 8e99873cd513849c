#include "common/pii_crypto.h"

#include <sodium.h>

namespace shouhu {
namespace {
const unsigned char* Bytes(absl::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
}  // namespace

absl::StatusOr<PiiCrypto> PiiCrypto::Create(std::string seal_key, std::string lookup_key,
                                            uint8_t key_version) {
  if (sodium_init() < 0) return absl::InternalError("libsodium could not initialise");
  if (seal_key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    return absl::InvalidArgumentError("PII seal key must be 32 bytes");
  }
  if (lookup_key.size() != crypto_generichash_KEYBYTES) {
    return absl::InvalidArgumentError("PII lookup key must be 32 bytes");
  }
  if (seal_key == lookup_key) return absl::InvalidArgumentError("PII seal and lookup keys must differ");
  return PiiCrypto(std::move(seal_key), std::move(lookup_key), key_version);
}

std::string PiiCrypto::Seal(absl::string_view plaintext, absl::string_view context) const {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string out(1 + kNonce + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  p[0] = key_version_;
  randombytes_buf(p + 1, kNonce);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(p + 1 + kNonce, &written, Bytes(plaintext), plaintext.size(),
                                             Bytes(context), context.size(), nullptr, p + 1,
                                             Bytes(seal_key_));
  out.resize(1 + kNonce + written);
  return out;
}

absl::StatusOr<std::string> PiiCrypto::Open(absl::string_view sealed, absl::string_view context) const {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (sealed.size() < 1 + kNonce + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return absl::DataLossError("sealed value is truncated");
  }
  if (static_cast<uint8_t>(sealed[0]) != key_version_)
    return absl::DataLossError("sealed under an unknown key");
  const auto* p = Bytes(sealed);
  std::string plain(sealed.size() - 1 - kNonce - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &written, nullptr, p + 1 + kNonce,
          sealed.size() - 1 - kNonce, Bytes(context), context.size(), p + 1, Bytes(seal_key_)) != 0) {
    return absl::DataLossError("sealed value does not open under this key and context");
  }
  plain.resize(written);
  return plain;
}

std::string PiiCrypto::LookupHash(absl::string_view plaintext) const {
  std::string hash(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(), Bytes(plaintext),
                     plaintext.size(), Bytes(lookup_key_), lookup_key_.size());
  return hash;
}

}  // namespace shouhu
