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
// a client that is flooded by someone else keeps working with the secret it last logged in with here.
//
// A secret this replica has not yet seen succeed (the client's first call to a new replica, or after it
// rotated to a new secret) is told from a guess without the slow hash, so it does not wait for the flood to
// end either: each secret has a fast verifier stored beside its slow hash (FastVerifierOf, migration 0051),
// and the verifiers of a client's valid secrets, as last read, are kept here. A secret matching one is
// confirmed like a remembered success (a primary-key read on the confirmation workers, no slow hash). One
// matching none goes the slow way under the id's limit, where the table's verifiers are compared before any
// slow hash and a secret that has a verifier is never hashed slowly; once the limit is used up, the id's
// verifiers are read again at most once per kVerifierRefresh (so a secret added meanwhile gets in within
// about a second), and a secret matching none of a client whose every valid secret has a verifier is refused
// UNAUTHENTICATED. A secret stored without a verifier (before migration 0051, or by an older replica) is
// checked by its slow hash and given one when it matches.
//
// All of that is for ids of clients. One that names no client (someone guessing well-formed ids, a new one
// each time, which no per-id limit holds) is refused UNAUTHENTICATED, as any refused credential, before any
// of it: the replica keeps the ids that exist in memory (known_client_ids.h), and such an attempt takes no
// worker and reads nothing, but for one read of the ids created since per second, which lets in a client
// created through another replica a moment ago.
#ifndef SHOUHU_SERVICES_GATEWAY_API_CLIENTS_H_
#define SHOUHU_SERVICES_GATEWAY_API_CLIENTS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/principal.h"
#include "common/worker_pool.h"
#include "services/gateway/gateway_store.h"
#include "services/gateway/known_client_ids.h"

namespace shouhu::gateway {

// A new random secret (43 base64url characters), and its slow hash for the table.
std::string NewApiClientSecret();
absl::StatusOr<std::string> HashApiClientSecret(const std::string& secret);
// The fast verifier stored beside a secret's slow hash: its SHA-256 in hex. A fast hash is safe here, and
// only here, because every secret is 32 random bytes from NewApiClientSecret: no list of guesses reaches
// one, so a reader of the table learns nothing from it that the slow hash would have kept.
std::string FastVerifierOf(const std::string& secret);

// The principal an API client acts as.
Principal PrincipalOfClient(const ApiClientRecord& client);

class ApiClientAuthenticator {
 public:
  using Done = std::function<void(absl::StatusOr<Principal>)>;

  // `metrics` (optional) counts, for the operator, the attempts answered RESOURCE_EXHAUSTED (someone guessing
  // at a client id, or credential checks queued beyond the workers) and those at ids that name no client.
  // Reads the ids of the clients that exist; if they cannot be read, says so to `logger` (optional) and
  // checks every id against the tables until they can.
  ApiClientAuthenticator(ApiClientCredentialStore& store, const Clock& clock, absl::Duration cache_ttl,
                         absl::Duration recheck_interval, int workers, Metrics* metrics = nullptr,
                         Logger* logger = nullptr);

  // Calls `done` exactly once: at once on a cache hit, otherwise later on a worker thread.
  void Authenticate(const std::string& client_id, const std::string& secret, Done done);

  // Drops remembered successes of the client (after a revocation here; other replicas notice within the
  // recheck interval).
  void Forget(const std::string& client_id);

  // A client created through this replica: its id is known at once, without waiting for a read of the ids.
  void Created(const std::string& client_id);

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
  // How often a flooded id's verifiers are read again for a secret matching none of them: one primary-key
  // read per second per flooded client at most, and a secret added meanwhile waits about that long.
  static constexpr absl::Duration kVerifierRefresh = absl::Seconds(1);
  // What the last read of a client showed of its valid secrets' fast verifiers.
  struct KnownVerifiers {
    std::vector<std::pair<std::string, std::string>> valid;  // secret id, fast verifier
    bool complete = false;  // every valid secret has one: a secret matching none is not the client's
    absl::Time read_at;
    bool refreshing = false;
  };

  // When a check was asked for: what it may remember depends on the revocations seen since.
  struct Asked {
    absl::Time at;
    uint64_t revocations_seen = 0;
  };

  std::string CacheKey(const std::string& client_id, const std::string& secret) const;
  // An attempt answered RESOURCE_EXHAUSTED because its id's slow checks are used up.
  absl::Status IdFlooded();
  // An attempt answered RESOURCE_EXHAUSTED because the workers' queue is full.
  absl::Status QueueFull();
  // An attempt at an id that names no client, refused as any credential.
  absl::Status UnknownId();
  // Reads the ids created since the last read (on a confirmation worker), then authenticates the attempt.
  void ReadIdsThenAuthenticate(const std::string& client_id, const std::string& secret, Done done);
  // A slow check of `client_id`'s secret: verifies (by its fast verifier where the table has one, else by
  // the slow hash), remembers the outcome, answers.
  void CheckSlowly(const std::string& client_id, const std::string& secret, const std::string& verifier,
                   const std::string& key, Asked asked, const Done& done);
  // Reads a flooded id's verifiers again (on a confirmation worker) and answers a secret by them alone.
  absl::StatusOr<Principal> Refresh(const std::string& client_id, const std::string& verifier,
                                    const std::string& key, Asked asked);
  // Confirms a remembered success (on a worker): the client and the secret that matched are still valid.
  absl::StatusOr<Principal> Recheck(const std::string& key, Remembered remembered, Asked asked);
  void Remember(const std::string& key, Remembered remembered) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A secret the tables refused, answered UNAUTHENTICATED from memory for kRefusalMemory.
  void RememberRefused(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Keeps what a read of the client asked for at `asked` showed of its verifiers.
  void NoteVerifiers(const ApiClientRecord& client, const Asked& asked) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the client's remembered successes and keeps any check under way from remembering one.
  void SawRevocation(const std::string& client_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A check asked for at `asked` may remember a success of the client: no revocation of it seen since.
  bool MayRemember(const std::string& client_id, const Asked& asked) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  ApiClientCredentialStore& store_;
  const Clock& clock_;
  Metrics* const metrics_;
  const absl::Duration cache_ttl_;
  const absl::Duration recheck_interval_;
  std::string cache_key_;  // random per process
  absl::Mutex mu_;
  std::unordered_map<std::string, Remembered> cache_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, absl::Time> refused_ ABSL_GUARDED_BY(mu_);      // cache key → until
  std::unordered_map<std::string, SlowChecks> slow_checks_ ABSL_GUARDED_BY(mu_);  // by presented client id
  std::unordered_map<std::string, KnownVerifiers> known_ ABSL_GUARDED_BY(mu_);    // by client id
  // Revocations seen so far; per client, the count at its last one (cleared when too many clients are listed,
  // and then every check asked for before the clearing counts as overtaken by one).
  uint64_t revocations_seen_ ABSL_GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, uint64_t> last_revocation_ ABSL_GUARDED_BY(mu_);
  uint64_t revocations_cleared_at_ ABSL_GUARDED_BY(mu_) = 0;
  KnownClientIds client_ids_;
  // Last: joined before the rest goes away. Rechecks (a primary-key read each) apart from the slow hashes.
  WorkerPool rechecks_;
  WorkerPool workers_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_API_CLIENTS_H_
