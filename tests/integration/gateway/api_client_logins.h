// Calls to an API-client authenticator from a test: one started and answered later on its workers, or one
// waited for.
#ifndef SHOUHU_TESTS_INTEGRATION_GATEWAY_API_CLIENT_LOGINS_H_
#define SHOUHU_TESTS_INTEGRATION_GATEWAY_API_CLIENT_LOGINS_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/principal.h"
#include "services/gateway/api_clients.h"

namespace shouhu::testing {

// One call to an authenticator, answered later on its workers.
struct PendingLogin {
  absl::Notification done;
  absl::StatusOr<Principal> result;
};

inline std::unique_ptr<PendingLogin> StartLogin(gateway::ApiClientAuthenticator& replica,
                                                const std::string& id, const std::string& secret) {
  auto pending = std::make_unique<PendingLogin>();
  replica.Authenticate(id, secret, [p = pending.get()](absl::StatusOr<Principal> principal) {
    p->result = std::move(principal);
    p->done.Notify();
  });
  return pending;
}

inline absl::StatusOr<Principal> Login(gateway::ApiClientAuthenticator& replica, const std::string& id,
                                       const std::string& secret) {
  std::unique_ptr<PendingLogin> pending = StartLogin(replica, id, secret);
  pending->done.WaitForNotification();
  return pending->result;
}

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_INTEGRATION_GATEWAY_API_CLIENT_LOGINS_H_
