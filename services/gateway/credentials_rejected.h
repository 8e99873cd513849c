// The one answer to credentials the gateway will not accept.
#ifndef SHOUHU_SERVICES_GATEWAY_CREDENTIALS_REJECTED_H_
#define SHOUHU_SERVICES_GATEWAY_CREDENTIALS_REJECTED_H_

#include "absl/status/status.h"

namespace shouhu::gateway {

// Whichever check refused them (no header, an unknown client, a wrong secret, a bad or expired token), the
// caller is told the same: which part failed would help someone guessing at them.
inline absl::Status CredentialsRejected() {
  return absl::UnauthenticatedError("credentials were missing or not valid");
}

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_CREDENTIALS_REJECTED_H_
