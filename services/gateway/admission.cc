#include "services/gateway/admission.h"

#include <sodium.h>

#include "absl/strings/match.h"
#include "services/gateway/credentials_rejected.h"

namespace shouhu::gateway {
namespace {

bool ConsumeScheme(absl::string_view& header, absl::string_view scheme) {
  if (header.size() <= scheme.size() || !absl::StartsWithIgnoreCase(header, scheme) ||
      header[scheme.size()] != ' ') {
    return false;
  }
  header.remove_prefix(scheme.size() + 1);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  return true;
}

}  // namespace

absl::StatusOr<Principal> Admission::Authorize(const std::string& method,
                                               absl::StatusOr<Principal> principal) const {
  if (!principal.ok()) return principal.status();
  if (!policy_.Allows(*principal, method)) {
    return absl::PermissionDeniedError("the caller's roles may not call this method");
  }
  if (!limiter_.TryAcquire(principal->subject())) {
    return absl::ResourceExhaustedError("rate limit exceeded; retry later");
  }
  return principal;
}

void Admission::Admit(const std::string& method, absl::string_view authorization, Done done) const {
  absl::string_view credentials = authorization;
  if (ConsumeScheme(credentials, "Bearer")) {
    done(Authorize(method, tokens_.Verify(credentials)));
    return;
  }
  if (clients_ != nullptr && ConsumeScheme(credentials, "Basic") && credentials.size() < 512) {
    std::string decoded(credentials.size(), '\0');
    size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                          credentials.data(), credentials.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) == 0) {
      decoded.resize(len);
      const size_t colon = decoded.find(':');
      if (colon != std::string::npos) {
        clients_->Authenticate(decoded.substr(0, colon), decoded.substr(colon + 1),
                               [this, method, done = std::move(done)](absl::StatusOr<Principal> principal) {
                                 done(Authorize(method, std::move(principal)));
                               });
        return;
      }
    }
  }
  done(CredentialsRejected());
}

}  // namespace shouhu::gateway
