// Authentication of API clients (county civil-affairs systems, partner NGOs) by client id and secret. The
// secret is checked against the slow hashes in the gateway's tables on a small worker pool — never on a gRPC
// callback thread — and a success is remembered for a short while under a keyed fast hash of what was
// presented, so a busy client costs one slow hash per cache period instead of one per call.
#ifndef SHOUHU_SERVICES_GATEWAY_API_CLIENTS_H_
#define SHOUHU_SERVICES_GATEWAY_API_CLIENTS_H_

#include <functional>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/principal.h"
#include "services/gateway/gateway_store.h"
#include "services/gateway/worker_pool.h"

namespace shouhu::gateway {

// A new random secret (43 base64url characters), and its slow hash for the table.
std::string NewApiClientSecret();
absl::StatusOr<std::string> HashApiClientSecret(const std::string& secret);

// The principal an API client acts as.
Principal PrincipalOfClient(const ApiClientRecord& client);

class ApiClientAuthenticator {
 public:
  using Done = std::function<void(absl::StatusOr<Principal>)>;

  ApiClientAuthenticator(GatewayStore& store, const Clock& clock, absl::Duration cache_ttl, int workers);

  // Calls `done` exactly once: at once on a cache hit, otherwise later on a worker thread.
  void Authenticate(const std::string& client_id, const std::string& secret, Done done);

  // Drops remembered successes of the client (after a revocation here; other replicas forget within
  // cache_ttl).
  void Forget(const std::string& client_id);

 private:
  struct Remembered {
    Principal principal;
    std::string client_id;
    absl::Time until;
  };
  std::string CacheKey(const std::string& client_id, const std::string& secret) const;
  absl::StatusOr<Principal> VerifySlowly(const std::string& client_id, const std::string& secret);

  GatewayStore& store_;
  const Clock& clock_;
  const absl::Duration cache_ttl_;
  std::string cache_key_;  // random per process
  absl::Mutex mu_;
  std::unordered_map<std::string, Remembered> cache_ ABSL_GUARDED_BY(mu_);
  WorkerPool workers_;  // last: joined before the rest goes away
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_API_CLIENTS_H_
