#include "common/principal.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace shouhu {
namespace {

// Signed together with the principal so a signature made for anything else with the same key (a future
// token, say) can never pass as a principal's.
constexpr absl::string_view kSignatureContext{"shouhu.principal.v1", sizeof("shouhu.principal.v1")};

std::string SignedBytes(absl::string_view serialized) { return absl::StrCat(kSignatureContext, serialized); }

absl::Status Unauthenticated() { return absl::UnauthenticatedError("caller identity could not be verified"); }

// What a service's key may sign: its own system principal and nothing else, so that the key of a service
// that is broken into cannot speak as a person, with more roles, or as another service.
bool IsSystemPrincipalOf(const Principal& principal, absl::string_view service) {
  return principal.roles_size() == 1 && principal.roles(0) == common::v1::ROLE_SYSTEM &&
         principal.subject() == ServiceSubject(service) && principal.organisation_id().empty();
}

}  // namespace

std::string ServiceSubject(absl::string_view service) { return absl::StrCat("service:", service); }

bool IsServiceSubject(absl::string_view subject) { return absl::StartsWith(subject, "service:"); }

void SignedPrincipal::AddTo(grpc::ClientContext& context) const {
  context.AddMetadata(kPrincipalMetadata, serialized);
  context.AddMetadata(kPrincipalSignatureMetadata, signature);
  context.AddMetadata(kPrincipalKeyIdMetadata, key_id);
}

SignedPrincipal PrincipalSigner::Sign(Principal principal) const {
  const int64_t step = absl::ToInt64Seconds(kExpiryStep);
  int64_t expires = (absl::ToUnixSeconds(clock_.Now() + validity_) + step - 1) / step * step;
  // A principal that arrives with an expiry (the gateway's, from the caller's token) never outlives it.
  if (principal.has_expires_at()) expires = std::min(expires, principal.expires_at().seconds());
  *principal.mutable_expires_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(expires);
  SignedPrincipal signed_principal;
  principal.SerializeToString(&signed_principal.serialized);
  signed_principal.key_id = key_.key_id;
  {
    absl::MutexLock lock(&mu_);
    auto remembered = signatures_.find(signed_principal.serialized);
    if (remembered != signatures_.end()) {
      signed_principal.signature = remembered->second;
      return signed_principal;
    }
  }
  const std::string message = SignedBytes(signed_principal.serialized);
  signed_principal.signature.resize(crypto_sign_BYTES);
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signed_principal.signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(key_.secret_key.data()));
  absl::MutexLock lock(&mu_);
  if (signatures_.size() >= kRememberedSignatures) signatures_.clear();
  signatures_.emplace(signed_principal.serialized, signed_principal.signature);
  return signed_principal;
}

void PrincipalSigner::Attach(Principal principal, grpc::ClientContext& context) const {
  Sign(std::move(principal)).AddTo(context);
}

absl::StatusOr<Principal> PrincipalVerifier::Check(absl::string_view serialized, absl::string_view signature,
                                                   const TrustedKey& key) const {
  if (signature.size() != crypto_sign_BYTES) return Unauthenticated();
  const std::string message = SignedBytes(serialized);
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                  reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                  reinterpret_cast<const unsigned char*>(key.public_key.data())) != 0) {
    return Unauthenticated();
  }
  Principal principal;
  if (!principal.ParseFromArray(serialized.data(), static_cast<int>(serialized.size())))
    return Unauthenticated();
  if (principal.subject().empty()) return Unauthenticated();
  if (!key.service.empty() && !IsSystemPrincipalOf(principal, key.service)) return Unauthenticated();
  if (key.service.empty() && gateway_signs_ == GatewayKeySigns::kCallersOnly &&
      (HasRole(principal, common::v1::ROLE_SYSTEM) || IsServiceSubject(principal.subject()))) {
    return Unauthenticated();
  }
  return principal;
}

absl::StatusOr<Principal> PrincipalVerifier::Verify(absl::string_view serialized, absl::string_view signature,
                                                    absl::string_view key_id) const {
  const std::optional<TrustedKey> key = keys_.Find(key_id);
  if (!key.has_value()) return Unauthenticated();
  std::optional<Principal> principal;
  {
    absl::MutexLock lock(&mu_);
    auto it = verified_.find(signature);
    if (it != verified_.end() && it->second.serialized == serialized &&
        it->second.key.public_key == key->public_key && it->second.key.service == key->service) {
      principal = it->second.principal;
    }
  }
  if (!principal.has_value()) {
    ASSIGN_OR_RETURN(principal, Check(serialized, signature, *key));
    absl::MutexLock lock(&mu_);
    if (verified_.size() >= kMaxRemembered) verified_.clear();
    verified_.insert_or_assign(std::string(signature), Verified{std::string(serialized), *key, *principal});
  }
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  if (principal->expires_at().seconds() < now ||
      principal->expires_at().seconds() > now + absl::ToInt64Seconds(kMaxPrincipalValidity)) {
    return Unauthenticated();
  }
  return *std::move(principal);
}

absl::StatusOr<Principal> PrincipalVerifier::Verify(const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  // Exactly one of each: a second copy smuggled in beside the gateway's must not be read instead.
  for (const char* name : {kPrincipalMetadata, kPrincipalSignatureMetadata, kPrincipalKeyIdMetadata}) {
    if (metadata.count(name) != 1) return Unauthenticated();
  }
  auto value = [&metadata](const char* name) {
    const grpc::string_ref v = metadata.find(name)->second;
    return absl::string_view(v.data(), v.size());
  };
  return Verify(value(kPrincipalMetadata), value(kPrincipalSignatureMetadata),
                value(kPrincipalKeyIdMetadata));
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
