// The caller as the gateway established it, carried to the services in gRPC metadata beside an Ed25519
// signature and the key id that made it. The gateway's key signs callers' principals; a service's key signs
// only that service's own system principal ({roles: [SYSTEM], subject: "service:<name>"}), so a service
// that is broken into still cannot speak as a person or as another service. A service accepts a principal
// only when a key it trusts (principal_keys.h) verifies it, the key may sign that principal, and its short
// validity has not run out; anything else is UNAUTHENTICATED.
#ifndef SHOUHU_COMMON_PRINCIPAL_H_
#define SHOUHU_COMMON_PRINCIPAL_H_

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/principal_keys.h"
#include "shouhu/common/v1/principal.pb.h"

namespace shouhu {

using Principal = common::v1::Principal;
using Role = common::v1::Role;

// Binary metadata (the -bin suffix makes gRPC base64 it on the wire); the key id is plain ASCII. All three
// start with x-shouhu-, which the gateway never passes on from a caller.
inline constexpr char kPrincipalMetadata[] = "x-shouhu-principal-bin";
inline constexpr char kPrincipalSignatureMetadata[] = "x-shouhu-principal-sig-bin";
inline constexpr char kPrincipalKeyIdMetadata[] = "x-shouhu-principal-kid";

// The longest validity a verifier accepts, so a signer cannot mint a principal that replays for days.
inline constexpr absl::Duration kMaxPrincipalValidity = absl::Minutes(15);

// The subject of a service's own principal: "service:visits".
std::string ServiceSubject(absl::string_view service);
// Whether `subject` is in the services' namespace ("service:..."), which no caller may take.
bool IsServiceSubject(absl::string_view subject);

// A principal as it travels: the serialized message, its signature and the id of the key that made it.
struct SignedPrincipal {
  std::string serialized;
  std::string signature;
  std::string key_id;

  void AddTo(grpc::ClientContext& context) const;
};

// Ed25519 is deterministic, and the expiry is rounded up to a whole kExpiryStep, so the same principal signed
// within one step travels as the same bytes and signature: the verifier's cache then spares the repeated
// check (a verification costs ~36 µs, an HMAC cost ~1 µs; measured with libsodium on the build machine).
class PrincipalSigner {
 public:
  static constexpr absl::Duration kExpiryStep = absl::Seconds(30);

  // The principal is good for `validity` to `validity` + kExpiryStep after signing.
  PrincipalSigner(SigningKey key, const Clock& clock, absl::Duration validity = absl::Minutes(5))
      : key_(std::move(key)),
        clock_(clock),
        validity_(std::min(validity, kMaxPrincipalValidity - kExpiryStep)) {}

  // The principal stamped with an expiry, signed: `validity` from now rounded up to a kExpiryStep, or the
  // principal's own expires_at where that is earlier (the gateway sets it to the caller's token's expiry, so
  // a signed principal never outlives the token it came from). Ed25519 signatures are deterministic, and a
  // caller's repeated calls within one expiry step carry the same bytes, so a signature made once is
  // remembered and reused for the same bytes (the gateway signed every forwarded call afresh: ~20 us of its
  // CPU each).
  SignedPrincipal Sign(Principal principal) const;
  // Adds the signed principal to an outgoing call.
  void Attach(Principal principal, grpc::ClientContext& context) const;
  const std::string& key_id() const { return key_.key_id; }

 private:
  // Enough for every caller active within one expiry step on a busy gateway; emptied when full (the
  // entries of past steps are dead anyway).
  static constexpr size_t kRememberedSignatures = 4096;

  SigningKey key_;
  const Clock& clock_;
  absl::Duration validity_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, std::string> signatures_
      ABSL_GUARDED_BY(mu_);  // bytes → signature
};

// What the gateway's key may sign. A caller's principal only, in a running service (ServeMain): SYSTEM and a
// "service:" subject are the services' own, signed by their own keys, so a principal the gateway signed
// with either (a token or an API client that slipped through the gateway's own checks) is refused. Tests
// that stand in for a service with the gateway's key keep the default.
enum class GatewayKeySigns { kAnyPrincipal, kCallersOnly };

// Remembers the principals it verified, by signature, so a caller's repeated calls cost a lookup; a
// remembered one is used only for the same bytes under the same key, still trusted with the same marking,
// and its expiry is checked on every call.
class PrincipalVerifier {
 public:
  PrincipalVerifier(const TrustedKeys& keys, const Clock& clock,
                    GatewayKeySigns gateway_signs = GatewayKeySigns::kAnyPrincipal)
      : keys_(keys), clock_(clock), gateway_signs_(gateway_signs) {}

  absl::StatusOr<Principal> Verify(const grpc::ServerContextBase& context) const;
  absl::StatusOr<Principal> Verify(absl::string_view serialized, absl::string_view signature,
                                   absl::string_view key_id) const;

 private:
  // Bounds the memory: when full the cache starts over (a few MB at most).
  static constexpr size_t kMaxRemembered = 4096;

  struct Verified {
    std::string serialized;
    TrustedKey key;
    Principal principal;
  };

  // The signature's check and the rules on what the key may sign; not the expiry.
  absl::StatusOr<Principal> Check(absl::string_view serialized, absl::string_view signature,
                                  const TrustedKey& key) const;

  const TrustedKeys& keys_;
  const Clock& clock_;
  const GatewayKeySigns gateway_signs_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, Verified> verified_ ABSL_GUARDED_BY(mu_);  // by signature
};

bool HasRole(const Principal& principal, Role role);
bool HasAnyRole(const Principal& principal, std::initializer_list<Role> roles);

// Whether an administrative-division code lies within one of the principal's jurisdiction prefixes.
bool InJurisdiction(const Principal& principal, absl::string_view division_code);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_PRINCIPAL_H_
