// Who may make this call: the caller's credentials become a principal (bearer token or API client), the
// method policy must allow one of its roles, and its rate limit must have room. Shared by the gRPC and the
// HTTP/JSON faces so both answer alike.
#ifndef SHOUHU_SERVICES_GATEWAY_ADMISSION_H_
#define SHOUHU_SERVICES_GATEWAY_ADMISSION_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/principal.h"
#include "services/gateway/api_clients.h"
#include "services/gateway/method_policy.h"
#include "services/gateway/rate_limiter.h"
#include "services/gateway/token_verifier.h"

namespace shouhu::gateway {

// Who made a call as far as the gateway could tell, for its audit row, refused calls included: an auditor
// asks "who tried to reach what they may not", and a refusal is where the answer is.
struct Caller {
  std::string subject;          // empty: nobody the gateway could name (no or unreadable credentials)
  std::string organisation_id;  // a verified caller's only
  bool claimed = false;         // `subject` is an API client id as presented, its secret not accepted
  bool turned_away = false;     // a verified caller refused by the method policy or its rate limit
};

Caller CallerOf(const Principal& principal);

// The outcome of admission: the principal to forward, or the refusal; and who the caller is either way (the
// authenticated principal of a call refused by the policy or the rate limit).
struct Admitted {
  absl::StatusOr<Principal> principal;
  Caller caller;
};

class Admission {
 public:
  using Done = std::function<void(Admitted)>;

  // `clients` may be null (no API clients configured).
  Admission(const TokenVerifier& tokens, ApiClientAuthenticator* clients, const PolicyFile& policy,
            RateLimiter& limiter)
      : tokens_(tokens), clients_(clients), policy_(policy), limiter_(limiter) {}

  // `authorization` is the header as sent: "Bearer <jwt>" or "Basic base64(client_id:secret)". Calls `done`
  // exactly once, at once or later from a worker thread: UNAUTHENTICATED, PERMISSION_DENIED,
  // RESOURCE_EXHAUSTED, or the principal to forward; with the caller as far as known.
  void Admit(const std::string& method, absl::string_view authorization, Done done) const;

 private:
  Admitted Authorize(const std::string& method, absl::StatusOr<Principal> principal) const;

  const TokenVerifier& tokens_;
  ApiClientAuthenticator* const clients_;
  const PolicyFile& policy_;
  RateLimiter& limiter_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_ADMISSION_H_
