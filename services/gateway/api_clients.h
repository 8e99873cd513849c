// Authentication of API clients (county civil-affairs systems, partner NGOs) by client id and secret. The
// secret is checked against the slow hashes in the gateway's tables on a small worker pool — never on a gRPC
// callback thread — and a success is remembered for a while under a keyed fast hash of what was presented,
// so a busy client costs one slow hash per cache period instead of one per call.
//
// A remembered success older than the recheck interval is confirmed against the tables before it is used
// again: one primary-key read, no slow hash. So a revocation (or a change of roles) made through any replica
// takes effect on every replica within the recheck interval. If the database cannot be reached for the
// recheck, the remembered success serves until the cache period ends, so an outage does not lock out every
// county system at once.
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
#include "common/worker_pool.h"
#include "services/gateway/gateway_store.h"

namespace shouhu::gateway {

// A new random secret (43 base64url characters), and its slow hash for the table.
std::string NewApiClientSecret();
absl::StatusOr<std::string> HashApiClientSecret(const std::string& secret);

// The principal an API client acts as.
Principal PrincipalOfClient(const ApiClientRecord& client);

class ApiClientAuthenticator {
 public:
  using Done = std::function<void(absl::StatusOr<Principal>)>;

  ApiClientAuthenticator(GatewayStore& store, const Clock& clock, absl::Duration cache_ttl,
                         absl::Duration recheck_interval, int workers);

  // Calls `done` exactly once: at once on a cache hit, otherwise later on a worker thread.
  void Authenticate(const std::string& client_id, const std::string& secret, Done done);

  // Drops remembered successes of the client (after a revocation here; other replicas notice within the
  // recheck interval).
  void Forget(const std::string& client_id);

 private:
  struct Remembered {
    Principal principal;
    std::string client_id;
    std::string secret_id;  // the secret that matched
    absl::Time checked;     // last confirmed against the tables
    absl::Time until;
  };
  std::string CacheKey(const std::string& client_id, const std::string& secret) const;
  // The client's principal and the id of the secret that matched.
  absl::StatusOr<std::pair<Principal, std::string>> VerifySlowly(const std::string& client_id,
                                                                 const std::string& secret);
  // Confirms a remembered success (on a worker): the client and the secret that matched are still valid.
  absl::StatusOr<Principal> Recheck(const std::string& key, Remembered remembered);

  GatewayStore& store_;
  const Clock& clock_;
  const absl::Duration cache_ttl_;
  const absl::Duration recheck_interval_;
  std::string cache_key_;  // random per process
  absl::Mutex mu_;
  std::unordered_map<std::string, Remembered> cache_ ABSL_GUARDED_BY(mu_);
  WorkerPool workers_;  // last: joined before the rest goes away
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_API_CLIENTS_H_
