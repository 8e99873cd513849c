// The identity provider's token-verification keys, by key id: PEM public keys (RSA for RS256, P-256 for
// ES256) from a folder of <kid>.pem files, HMAC secrets (<kid>.hmac, HS256) only when configured, or a JWKS
// file. Each key knows the one algorithm it may verify, so a token cannot pick HS256 to have a public key
// used as an HMAC secret.
#ifndef SHOUHU_SERVICES_GATEWAY_SIGNING_KEYS_H_
#define SHOUHU_SERVICES_GATEWAY_SIGNING_KEYS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace shouhu::gateway {

enum class KeyAlgorithm { kRs256, kEs256, kHs256 };

struct VerificationKey {
  KeyAlgorithm algorithm;
  std::string material;  // PEM public key, or the raw HMAC secret
};

using KeySet = std::map<std::string, VerificationKey>;  // by kid

struct KeySource {
  std::string keys_dir;   // <kid>.pem and (when allow_hs256) <kid>.hmac
  std::string jwks_file;  // {"keys":[{"kty":"RSA"|"EC"|"oct","kid":…}]}
  bool allow_hs256 = false;
};

// What a load found: the keys this gateway can use, and every key it skipped with the reason
// ("<jwks file> key ed-1: unsupported kty").
struct LoadedKeys {
  KeySet keys;
  std::vector<std::string> skipped;
};

// Reads every key the source names, skipping a key this gateway cannot use (an Ed25519 or P-384 key, an RSA
// key under 2048 bits, a JWK without a kid) and saying so in `skipped`: identity providers publish such keys
// beside the ones they sign with, and one of them must not stop a rotation (a removed, compromised key
// verifying on; a new one never loaded). An error only when the folder or a file cannot be read, the JWKS
// is not a JWKS document, or keys are named and not one is usable.
absl::StatusOr<LoadedKeys> LoadKeys(const KeySource& source);

// "RS256" etc.; the token header's alg.
const char* AlgorithmName(KeyAlgorithm algorithm);

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_SIGNING_KEYS_H_
