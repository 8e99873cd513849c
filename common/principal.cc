#include "common/principal.h"

#include <sodium.h>

#include "absl/strings/match.h"
#include "google/protobuf/util/time_util.h"

namespace shouhu {
namespace {

std::string Mac(const std::string& secret, absl::string_view message) {
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

absl::Status Unauthenticated() { return absl::UnauthenticatedError("caller identity could not be verified"); }

}  // namespace

std::pair<std::string, std::string> PrincipalSigner::Sign(Principal principal) const {
  *principal.mutable_expires_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now() + validity_));
  std::string serialized;
  principal.SerializeToString(&serialized);
  std::string signature = Mac(secret_, serialized);
  return {std::move(serialized), std::move(signature)};
}

void PrincipalSigner::Attach(Principal principal, grpc::ClientContext& context) const {
  auto [serialized, signature] = Sign(std::move(principal));
  context.AddMetadata(kPrincipalMetadata, serialized);
  context.AddMetadata(kPrincipalSignatureMetadata, signature);
}

absl::StatusOr<Principal> PrincipalVerifier::Verify(absl::string_view serialized,
                                                    absl::string_view signature) const {
  if (signature.size() != crypto_auth_hmacsha256_BYTES) return Unauthenticated();
  const std::string expected = Mac(secret_, serialized);
  if (sodium_memcmp(expected.data(), signature.data(), expected.size()) != 0) return Unauthenticated();
  Principal principal;
  if (!principal.ParseFromArray(serialized.data(), static_cast<int>(serialized.size())))
    return Unauthenticated();
  if (principal.expires_at().seconds() < absl::ToUnixSeconds(clock_.Now())) return Unauthenticated();
  if (principal.subject().empty()) return Unauthenticated();
  return principal;
}

absl::StatusOr<Principal> PrincipalVerifier::Verify(const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto p = metadata.find(kPrincipalMetadata);
  auto s = metadata.find(kPrincipalSignatureMetadata);
  if (p == metadata.end() || s == metadata.end()) return Unauthenticated();
  // Exactly one of each: a second copy smuggled in beside the gateway's must not be read instead.
  if (metadata.count(kPrincipalMetadata) != 1 || metadata.count(kPrincipalSignatureMetadata) != 1) {
    return Unauthenticated();
  }
  return Verify(absl::string_view(p->second.data(), p->second.size()),
                absl::string_view(s->second.data(), s->second.size()));
}

bool HasRole(const Principal& principal, Role role) {
  for (int r : principal.roles()) {
    if (r == role) return true;
  }
  return false;
}

bool HasAnyRole(const Principal& principal, std::initializer_list<Role> roles) {
  for (Role role : roles) {
    if (HasRole(principal, role)) return true;
  }
  return false;
}

bool InJurisdiction(const Principal& principal, absl::string_view division_code) {
  for (const std::string& prefix : principal.jurisdictions()) {
    if (!prefix.empty() && absl::StartsWith(division_code, prefix)) return true;
  }
  return false;
}

}  // namespace shouhu
