#include "services/gateway/admission.h"

#include <sodium.h>

#include "absl/strings/match.h"
#include "common/ids.h"
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

Caller CallerOf(const Principal& principal) {
  return Caller{principal.subject(), principal.organisation_id(), /*claimed=*/false, /*turned_away=*/false};
}

Admitted Admission::Authorize(const std::string& method, absl::StatusOr<Principal> principal) const {
  if (!principal.ok()) return Admitted{principal.status(), {}};
  Caller caller = CallerOf(*principal);
  if (!policy_.Allows(*principal, method)) {
    caller.turned_away = true;
    return Admitted{absl::PermissionDeniedError("the caller's roles may not call this method"),
                    std::move(caller)};
  }
  if (!limiter_.TryAcquire(principal->subject())) {
    caller.turned_away = true;
    return Admitted{absl::ResourceExhaustedError("rate limit exceeded; retry later"), std::move(caller)};
  }
  return Admitted{std::move(principal), std::move(caller)};
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
        std::string client_id = decoded.substr(0, colon);
        // The id as presented, for the audit row when the secret is not accepted; only one shaped as the
        // gateway issues them (ASCII, 26 characters), so whatever else a caller sends never reaches the
        // table.
        Caller claimed;
        if (IsWellFormedId(client_id))
          claimed = Caller{client_id, "", /*claimed=*/true, /*turned_away=*/false};
        clients_->Authenticate(std::move(client_id), decoded.substr(colon + 1),
                               [this, method, claimed = std::move(claimed),
                                done = std::move(done)](absl::StatusOr<Principal> principal) {
                                 Admitted admitted = Authorize(method, std::move(principal));
                                 if (admitted.caller.subject.empty()) admitted.caller = claimed;
                                 done(std::move(admitted));
                               });
        return;
      }
    }
  }
  done(Admitted{CredentialsRejected(), {}});
}

}  // namespace shouhu::gateway
