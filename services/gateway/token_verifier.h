// Verifies bearer tokens (JWT) from the region's identity provider with libjwt and turns them into
// principals. Checked: the header's key id names a configured key and its alg is that key's one algorithm
// (`none` never is), the signature, iss, aud, exp and nbf (with a small leeway). Any failure is the same
// UNAUTHENTICATED, so a caller learns nothing about which part failed. Keys reload from their files without a
// restart.
//
// Claims read: sub and org (organisation id; optional), identifiers of printable ASCII without spaces of at
// most 128 and 64 characters (a token with another is refused, and logged), roles (role_names.h: the Role
// enum names without ROLE_, exactly; any other string is ignored and logged once per token), jurisdictions
// (division-code prefixes). A token claiming SYSTEM or a "service:" subject, the services' own, is refused
// (and logged).
#ifndef SHOUHU_SERVICES_GATEWAY_TOKEN_VERIFIER_H_
#define SHOUHU_SERVICES_GATEWAY_TOKEN_VERIFIER_H_

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/principal.h"
#include "services/gateway/signing_keys.h"

namespace shouhu::gateway {

struct TokenPolicy {
  std::string issuer;
  std::string audience;
  absl::Duration leeway = absl::Seconds(30);
  KeySource keys;
};

class TokenVerifier {
 public:
  // Loads the keys once; a source that cannot be read stops the process at start.
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> Create(TokenPolicy policy, const Clock& clock,
                                                               Logger& logger);

  absl::StatusOr<Principal> Verify(absl::string_view token) const;

  // Re-reads the key files, taking every usable key (one it cannot use is skipped and logged once); when
  // the source cannot be read or holds no usable key, keeps the keys it had and says why.
  absl::Status Reload();

 private:
  TokenVerifier(TokenPolicy policy, const Clock& clock, Logger& logger, KeySet keys)
      : policy_(std::move(policy)),
        clock_(clock),
        logger_(logger),
        keys_(std::make_shared<const KeySet>(std::move(keys))) {}

  // Logs the keys a load skipped when they differ from the last load's: once per change, not per reload.
  void SaySkipped(const std::vector<std::string>& skipped);

  absl::StatusOr<Principal> VerifySignedToken(absl::string_view token, const KeySet& keys,
                                              int64_t& expiry) const;

  // Tokens already verified, until they expire or the keys change: a busy caller costs one signature check
  // per token, not one per call.
  struct Verified {
    Principal principal;
    int64_t expiry;  // exp plus leeway, seconds since the epoch
    uint64_t generation;
  };
  static constexpr size_t kMaxRemembered = 20000;

  const TokenPolicy policy_;
  const Clock& clock_;
  Logger& logger_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex skipped_mu_;
  std::vector<std::string> skipped_ ABSL_GUARDED_BY(skipped_mu_);
  mutable std::unordered_map<std::string, Verified> verified_ ABSL_GUARDED_BY(mu_);
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_TOKEN_VERIFIER_H_
