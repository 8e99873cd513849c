// Authentication of API clients (county civil-affairs systems, partner NGOs) by client id and secret. The
// secret is checked against the slow hashes in the gateway's tables on a small worker pool — never on a gRPC
// callback thread — and a success is remembered for a while under a keyed fast hash of what was presented,
// so a busy client costs one slow hash per cache period instead of one per call.
//
// A remembered success older than the recheck interval is confirmed against the tables before it is used
// again: one primary-key read, no slow hash. So a revocation (or a change of roles) made through any replica
// takes effect on every replica within the recheck interval. If the database cannot be reached for the
// recheck, the remembered success serves until the cache period ends, so an outage does not lock out every
// county system at once. Past the cache period it is confirmed the same way (never hashed slowly again while
// its secret is valid). Those confirmations run on workers of their own, so they never wait behind slow
// hashes.
//
// A revocation seen here (made through this replica, or found by a check) must not be undone by a check
// that was already under way: its read may predate the revocation, and remembering its success would let the
// revoked secret in again until the next confirmation. So each check notes, when it is asked for, how many
// revocations this replica had seen, and remembers its success only if none of its client has been seen
// since (the call itself is answered by what its read found). A success is remembered as confirmed when its
// check was asked for, not when it finished, so the recheck interval bounds how stale its read can be.
//
// A refusal costs a slow hash against every valid secret of the client, and a caller that keeps presenting a
// wrong or revoked secret (a county system not yet given the new one; someone who knows a client id, which is
// no secret) must not take the pool from everyone else. So a refused secret is itself remembered for a while
// (answered UNAUTHENTICATED at once), and each presented client id may have only a few slow checks under way
// or refused within a window; beyond that its uncached attempts are answered RESOURCE_EXHAUSTED at once,
// without touching the tables, until the window passes. Remembered successes are not affected, however old:
// a client that is flooded by someone else keeps working with the secret it last logged in with here. What
// still waits for the flood to end is a secret this replica has not yet seen succeed (the client's first call
// to a new replica, or after it rotated to a new secret): telling it from a guess takes the slow hash, which
// the flood has used up, so it is answered RESOURCE_EXHAUSTED ("retry later") until then.
#ifndef SHOUHU_SERVICES_GATEWAY_API_CLIENTS_H_
#define SHOUHU_SERVICES_GATEWAY_API_CLIENTS_H_

#include <cstdint>
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

  ApiClientAuthenticator(ApiClientReader& store, const Clock& clock, absl::Duration cache_ttl,
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
    absl::Time until;       // served without the tables until then; renewed by each confirmation
  };
  // One presented client id's slow checks: under way, and refused in the window that ends at window_end.
  struct SlowChecks {
    int under_way = 0;
    int refused = 0;
    absl::Time window_end;
  };
  // With figures: a slow check costs ~0.1 s per valid secret on one of the (default 2) workers, so a flooded
  // id takes at most 4 checks per 10 s of them, and the pool keeps ~95% of its time for everyone else.
  static constexpr int kMaxSlowChecksPerClient = 4;
  static constexpr absl::Duration kRefusalWindow = absl::Seconds(10);
  // How long a refused secret is answered without a slow check. Short: a client created on another replica a
  // moment ago, refused here for replication lag, is let in again soon.
  static constexpr absl::Duration kRefusalMemory = absl::Seconds(10);
  static constexpr size_t kMaxTracked = 100000;

  // When a check was asked for: what it may remember depends on the revocations seen since.
  struct Asked {
    absl::Time at;
    uint64_t revocations_seen = 0;
  };

  std::string CacheKey(const std::string& client_id, const std::string& secret) const;
  // A slow check of `client_id`'s secret: verifies, remembers the outcome, answers.
  void CheckSlowly(const std::string& client_id, const std::string& secret, const std::string& key,
                   Asked asked, const Done& done);
  // The client's principal and the id of the secret that matched.
  absl::StatusOr<std::pair<Principal, std::string>> VerifySlowly(const std::string& client_id,
                                                                 const std::string& secret);
  // Confirms a remembered success (on a worker): the client and the secret that matched are still valid.
  absl::StatusOr<Principal> Recheck(const std::string& key, Remembered remembered, Asked asked);
  // Drops the client's remembered successes and keeps any check under way from remembering one.
  void SawRevocation(const std::string& client_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A check asked for at `asked` may remember a success of the client: no revocation of it seen since.
  bool MayRemember(const std::string& client_id, const Asked& asked) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  ApiClientReader& store_;
  const Clock& clock_;
  const absl::Duration cache_ttl_;
  const absl::Duration recheck_interval_;
  std::string cache_key_;  // random per process
  absl::Mutex mu_;
  std::unordered_map<std::string, Remembered> cache_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, absl::Time> refused_ ABSL_GUARDED_BY(mu_);      // cache key → until
  std::unordered_map<std::string, SlowChecks> slow_checks_ ABSL_GUARDED_BY(mu_);  // by presented client id
  // Revocations seen so far; per client, the count at its last one (cleared when too many clients are listed,
  // and then every check asked for before the clearing counts as overtaken by one).
  uint64_t revocations_seen_ ABSL_GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, uint64_t> last_revocation_ ABSL_GUARDED_BY(mu_);
  uint64_t revocations_cleared_at_ ABSL_GUARDED_BY(mu_) = 0;
  // Last: joined before the rest goes away. Rechecks (a primary-key read each) apart from the slow hashes.
  WorkerPool rechecks_;
  WorkerPool workers_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_API_CLIENTS_H_
