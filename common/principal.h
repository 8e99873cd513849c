// The caller as the gateway established it, carried to the services in gRPC metadata and signed with a secret
// shared by the gateway and the services (HMAC-SHA256). A service accepts only a principal whose signature
// verifies and whose short validity has not run out; anything else is UNAUTHENTICATED.
#ifndef SHOUHU_COMMON_PRINCIPAL_H_
#define SHOUHU_COMMON_PRINCIPAL_H_

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "shouhu/common/v1/principal.pb.h"

namespace shouhu {

using Principal = common::v1::Principal;
using Role = common::v1::Role;

// Binary metadata (the -bin suffix makes gRPC base64 it on the wire).
inline constexpr char kPrincipalMetadata[] = "x-shouhu-principal-bin";
inline constexpr char kPrincipalSignatureMetadata[] = "x-shouhu-principal-sig-bin";

class PrincipalSigner {
 public:
  PrincipalSigner(std::string secret, const Clock& clock, absl::Duration validity = absl::Minutes(5))
      : secret_(std::move(secret)), clock_(clock), validity_(validity) {}

  // Adds the principal, stamped with an expiry, and its signature to an outgoing call.
  void Attach(Principal principal, grpc::ClientContext& context) const;
  // The two metadata values, for callers that build metadata themselves (the gateway's generic forwarding).
  std::pair<std::string, std::string> Sign(Principal principal) const;

 private:
  std::string secret_;
  const Clock& clock_;
  absl::Duration validity_;
};

class PrincipalVerifier {
 public:
  PrincipalVerifier(std::string secret, const Clock& clock) : secret_(std::move(secret)), clock_(clock) {}

  absl::StatusOr<Principal> Verify(const grpc::ServerContextBase& context) const;
  absl::StatusOr<Principal> Verify(absl::string_view serialized, absl::string_view signature) const;

 private:
  std::string secret_;
  const Clock& clock_;
};

bool HasRole(const Principal& principal, Role role);
bool HasAnyRole(const Principal& principal, std::initializer_list<Role> roles);

// Whether an administrative-division code lies within one of the principal's jurisdiction prefixes.
bool InJurisdiction(const Principal& principal, absl::string_view division_code);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_PRINCIPAL_H_
