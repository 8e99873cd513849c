#include "services/gateway/api_clients.h"

#include <sodium.h>

#include <algorithm>
#include <optional>

#include "common/ids.h"
#include "services/gateway/credentials_rejected.h"
#include "services/gateway/role_names.h"

namespace shouhu::gateway {
namespace {

// Interactive limits: secrets are long and random, so the slow hash is defence in depth for a leaked table,
// not the only protection; these keep a verification near 0.1 s.
constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

// The guesses at ids that name no client, counted with those past an id's limit of slow checks (the alert
// ShouhuGatewayApiClientGuessed watches the metric's every series), told apart by this label.
constexpr char kUnknownIdLabel[] = "reason=\"unknown_id\"";

using SecretVerifiers = std::vector<std::pair<std::string, std::string>>;  // secret id, fast verifier

// The client's valid secrets that have a fast verifier; `complete` when every valid one has (none when the
// client is revoked).
SecretVerifiers ValidSecretVerifiers(const ApiClientRecord& client, bool* complete) {
  SecretVerifiers valid;
  *complete = true;
  if (client.revoked_at.has_value()) return valid;
  for (const ApiClientSecretRecord& stored : client.secrets) {
    if (stored.revoked_at.has_value()) continue;
    if (stored.fast_verifier.empty()) {
      *complete = false;
    } else {
      valid.emplace_back(stored.secret_id, stored.fast_verifier);
    }
  }
  return valid;
}

std::optional<std::string> SecretWithVerifier(const SecretVerifiers& valid, const std::string& verifier) {
  for (const auto& [secret_id, stored] : valid) {
    if (stored.size() == verifier.size() &&
        sodium_memcmp(stored.data(), verifier.data(), verifier.size()) == 0)
      return secret_id;
  }
  return std::nullopt;
}

// The valid secret without a fast verifier whose slow hash `secret` matches. One that has a verifier, which
// `secret` did not match, is not hashed slowly: it is not this secret.
std::optional<std::string> SecretMatchingSlowHash(const ApiClientRecord& client, const std::string& secret) {
  if (client.revoked_at.has_value()) return std::nullopt;
  for (const ApiClientSecretRecord& stored : client.secrets) {
    if (stored.revoked_at.has_value() || !stored.fast_verifier.empty()) continue;
    if (crypto_pwhash_str_verify(stored.secret_hash.c_str(), secret.data(), secret.size()) == 0) {
      return stored.secret_id;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string NewApiClientSecret() {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char text[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return text;
}

absl::StatusOr<std::string> HashApiClientSecret(const std::string& secret) {
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, secret.data(), secret.size(), kOpsLimit, kMemLimit) != 0) {
    return absl::ResourceExhaustedError("not enough memory to hash the secret");
  }
  return std::string(hash);
}

std::string FastVerifierOf(const std::string& secret) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

Principal PrincipalOfClient(const ApiClientRecord& client) {
  Principal principal;
  principal.set_subject(client.client_id);
  principal.set_organisation_id(client.organisation_id);
  for (const Role role : ActingRolesOfStored(client.roles)) principal.add_roles(role);
  for (const std::string& prefix : client.jurisdictions) principal.add_jurisdictions(prefix);
  return principal;
}

ApiClientAuthenticator::ApiClientAuthenticator(ApiClientCredentialStore& store, const Clock& clock,
                                               absl::Duration cache_ttl, absl::Duration recheck_interval,
                                               int workers, Metrics* metrics, Logger* logger)
    : store_(store),
      clock_(clock),
      metrics_(metrics),
      cache_ttl_(cache_ttl),
      recheck_interval_(recheck_interval),
      cache_key_(crypto_generichash_KEYBYTES, '\0'),
      client_ids_(store, clock),
      rechecks_(workers, /*max_queued=*/256),
      workers_(workers, /*max_queued=*/256) {
  randombytes_buf(cache_key_.data(), cache_key_.size());
  if (metrics_ != nullptr) {  // exported from the start, for the alert rules (deploy/k8s/components/alerts)
    metrics_->Add("shouhu_gateway_api_client_id_flooded_total", "", 0);
    metrics_->Add("shouhu_gateway_credential_checks_queue_full_total", "", 0);
    metrics_->Add("shouhu_gateway_api_client_id_flooded_total", kUnknownIdLabel, 0);
  }
  if (const absl::Status read = client_ids_.Read(); !read.ok() && logger != nullptr) {
    logger->Warn(
        "API client ids not read: every client id is checked against the tables until they are read, on the "
        "first attempt at an id not known",
        {{"error", read.ToString()}});
  }
}

absl::Status ApiClientAuthenticator::IdFlooded() {
  if (metrics_ != nullptr) metrics_->Add("shouhu_gateway_api_client_id_flooded_total", "");
  return absl::ResourceExhaustedError("too many failed credential checks for this client; retry later");
}

absl::Status ApiClientAuthenticator::UnknownId() {
  if (metrics_ != nullptr) metrics_->Add("shouhu_gateway_api_client_id_flooded_total", kUnknownIdLabel);
  return CredentialsRejected();
}

absl::Status ApiClientAuthenticator::QueueFull() {
  if (metrics_ != nullptr) metrics_->Add("shouhu_gateway_credential_checks_queue_full_total", "");
  return absl::ResourceExhaustedError("too many credential checks at once; retry shortly");
}

std::string ApiClientAuthenticator::CacheKey(const std::string& client_id, const std::string& secret) const {
  crypto_generichash_state state;
  crypto_generichash_init(&state, reinterpret_cast<const unsigned char*>(cache_key_.data()),
                          cache_key_.size(), 32);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(client_id.data()),
                            client_id.size());
  const unsigned char separator = 0;
  crypto_generichash_update(&state, &separator, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  std::string key(32, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(key.data()), key.size());
  return key;
}

void ApiClientAuthenticator::Authenticate(const std::string& client_id, const std::string& secret,
                                          Done done) {
  // Client ids are ours (common/ids.h): one of any other shape names no client and never reaches the tables,
  // whose ascii column answers a non-ASCII one with an error (1267), not with no row.
  if (!IsWellFormedId(client_id) || secret.empty() || secret.size() > 256) {
    done(CredentialsRejected());
    return;
  }
  switch (client_ids_.Judge(client_id)) {
    case KnownClientIds::Verdict::kKnown:
    case KnownClientIds::Verdict::kUnread:
      break;
    case KnownClientIds::Verdict::kUnknown:
      done(UnknownId());
      return;
    case KnownClientIds::Verdict::kReadFirst:
      ReadIdsThenAuthenticate(client_id, secret, std::move(done));
      return;
  }
  const std::string key = CacheKey(client_id, secret);
  std::string verifier;  // FastVerifierOf(secret), made only past the remembered answers
  enum { kSlowCheck, kRecheck, kRefresh, kAnswered } next = kSlowCheck;
  std::optional<Remembered> stale;
  absl::StatusOr<Principal> answer = CredentialsRejected();
  Asked asked;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    asked = Asked{now, revocations_seen_};
    // A remembered success past its cache period is confirmed like one past the recheck interval, not checked
    // slowly again: the client's own secret never waits behind the slow checks of its id (below), which
    // someone presenting wrong secrets may have used up.
    auto it = cache_.find(key);
    auto refused = refused_.find(key);
    if (it != cache_.end() && now - it->second.checked < recheck_interval_ && now < it->second.until) {
      answer = it->second.principal;
      next = kAnswered;
    } else if (it != cache_.end()) {
      stale = it->second;
      next = kRecheck;
    } else if (refused != refused_.end() && now < refused->second) {
      next = kAnswered;  // this very secret was refused a moment ago
    } else {
      verifier = FastVerifierOf(secret);
      const auto known = known_.find(client_id);
      const std::optional<std::string> matched =
          known == known_.end() ? std::nullopt : SecretWithVerifier(known->second.valid, verifier);
      if (matched.has_value()) {
        // A secret of the client not yet seen succeed here: confirmed by a primary-key read like a remembered
        // success, never behind the slow checks; not served while the tables cannot be read.
        stale = Remembered{Principal(), client_id, *matched, absl::InfinitePast(), absl::InfinitePast()};
        next = kRecheck;
      } else {
        if (slow_checks_.size() >= kMaxTracked) {
          for (auto c = slow_checks_.begin(); c != slow_checks_.end();) {
            c = c->second.under_way == 0 && c->second.window_end <= now ? slow_checks_.erase(c)
                                                                        : std::next(c);
          }
        }
        SlowChecks& checks = slow_checks_[client_id];
        if (checks.window_end <= now) {
          checks.refused = 0;
          checks.window_end = now + kRefusalWindow;
        }
        if (checks.under_way + checks.refused >= kMaxSlowChecksPerClient) {
          // A secret added since the client's verifiers were last read would match none of them: they are
          // read again, for this attempt, at most once per kVerifierRefresh.
          if (known != known_.end() && !known->second.refreshing &&
              now - known->second.read_at >= kVerifierRefresh) {
            known->second.refreshing = true;
            next = kRefresh;
          } else {
            answer = IdFlooded();
            next = kAnswered;
          }
        } else {
          ++checks.under_way;
        }
      }
    }
  }
  if (next == kAnswered) {
    done(std::move(answer));
    return;
  }
  auto shared_done = std::make_shared<Done>(std::move(done));
  if (next == kRecheck) {
    if (!rechecks_.Submit(
            [this, key, stale, asked, shared_done] { (*shared_done)(Recheck(key, *stale, asked)); })) {
      (*shared_done)(QueueFull());
    }
    return;
  }
  if (next == kRefresh) {
    if (!rechecks_.Submit([this, client_id, verifier, key, asked, shared_done] {
          (*shared_done)(Refresh(client_id, verifier, key, asked));
        })) {
      {
        absl::MutexLock lock(&mu_);
        if (auto known = known_.find(client_id); known != known_.end()) known->second.refreshing = false;
      }
      (*shared_done)(QueueFull());
    }
    return;
  }
  const bool queued = workers_.Submit([this, client_id, secret, verifier, key, asked, shared_done] {
    CheckSlowly(client_id, secret, verifier, key, asked, *shared_done);
  });
  if (!queued) {
    {
      absl::MutexLock lock(&mu_);
      --slow_checks_[client_id].under_way;
    }
    (*shared_done)(QueueFull());
  }
}

void ApiClientAuthenticator::ReadIdsThenAuthenticate(const std::string& client_id, const std::string& secret,
                                                     Done done) {
  auto shared_done = std::make_shared<Done>(std::move(done));
  const bool queued = rechecks_.Submit([this, client_id, secret, shared_done] {
    // A read that fails leaves the id as it was (refused if the ids were read before, checked the slow way if
    // never), and an attempt after the next second reads again.
    (void)client_ids_.Read();
    Authenticate(client_id, secret,
                 [shared_done](absl::StatusOr<Principal> answer) { (*shared_done)(std::move(answer)); });
  });
  if (!queued) {
    client_ids_.GiveBackTurn();
    (*shared_done)(QueueFull());
  }
}

void ApiClientAuthenticator::CheckSlowly(const std::string& client_id, const std::string& secret,
                                         const std::string& verifier, const std::string& key, Asked asked,
                                         const Done& done) {
  absl::StatusOr<ApiClientRecord> client = store_.GetClient(client_id);
  absl::StatusOr<std::pair<Principal, std::string>> verified = CredentialsRejected();
  bool give_verifier = false;
  if (client.ok()) {
    bool complete = false;
    std::optional<std::string> matched =
        SecretWithVerifier(ValidSecretVerifiers(*client, &complete), verifier);
    if (!matched.has_value() && !complete) {
      matched = SecretMatchingSlowHash(*client, secret);
      give_verifier = matched.has_value();
    }
    if (matched.has_value()) verified = std::make_pair(PrincipalOfClient(*client), *matched);
  } else if (client.status().code() != absl::StatusCode::kNotFound) {
    verified = absl::UnavailableError("credentials cannot be checked right now");
  }
  // Best effort: a secret left without a verifier is only checked slowly again.
  if (give_verifier) (void)store_.SetFastVerifier(client_id, verified->second, verifier);
  {
    absl::MutexLock lock(&mu_);
    SlowChecks& checks = slow_checks_[client_id];
    checks.under_way = std::max(0, checks.under_way - 1);
    if (client.ok()) NoteVerifiers(*client, asked);
    if (verified.ok()) {
      if (MayRemember(client_id, asked)) {
        Remember(key,
                 Remembered{verified->first, client_id, verified->second, asked.at, asked.at + cache_ttl_});
      }
    } else if (verified.status().code() == absl::StatusCode::kUnauthenticated) {
      // Refused by the tables (not an unreachable database): counted against the id, and the secret
      // remembered as refused.
      ++checks.refused;
      RememberRefused(key);
    }
  }
  if (!verified.ok()) {
    done(verified.status());
    return;
  }
  done(std::move(verified->first));
}

absl::StatusOr<Principal> ApiClientAuthenticator::Refresh(const std::string& client_id,
                                                          const std::string& verifier, const std::string& key,
                                                          Asked asked) {
  absl::StatusOr<ApiClientRecord> client = store_.GetClient(client_id);
  absl::MutexLock lock(&mu_);
  if (client.ok()) NoteVerifiers(*client, asked);
  if (auto known = known_.find(client_id); known != known_.end()) known->second.refreshing = false;
  if (!client.ok()) {
    if (client.status().code() == absl::StatusCode::kNotFound) return CredentialsRejected();
    return absl::UnavailableError("credentials cannot be checked right now");
  }
  bool complete = false;
  const std::optional<std::string> matched =
      SecretWithVerifier(ValidSecretVerifiers(*client, &complete), verifier);
  if (matched.has_value()) {
    Principal principal = PrincipalOfClient(*client);
    if (MayRemember(client_id, asked)) {
      Remember(key, Remembered{principal, client_id, *matched, asked.at, asked.at + cache_ttl_});
    }
    return principal;
  }
  if (complete) {
    // Every valid secret has a verifier and this matches none: not the client's, known without a slow hash.
    RememberRefused(key);
    return CredentialsRejected();
  }
  return IdFlooded();
}

void ApiClientAuthenticator::Remember(const std::string& key, Remembered remembered) {
  // Only secrets that matched are remembered (at most two valid per client), so this bound is reached only by
  // secrets revoked while no one presented them: those past their period go first.
  if (cache_.size() > kMaxTracked) {
    const absl::Time now = clock_.Now();
    for (auto c = cache_.begin(); c != cache_.end();)
      c = c->second.until <= now ? cache_.erase(c) : std::next(c);
  }
  if (cache_.size() > kMaxTracked) cache_.clear();
  cache_[key] = std::move(remembered);
}

void ApiClientAuthenticator::RememberRefused(const std::string& key) {
  if (refused_.size() > kMaxTracked) refused_.clear();
  refused_[key] = clock_.Now() + kRefusalMemory;
}

void ApiClientAuthenticator::NoteVerifiers(const ApiClientRecord& client, const Asked& asked) {
  // A read that finds the client revoked is a revocation seen, wherever it was made.
  if (client.revoked_at.has_value()) {
    SawRevocation(client.client_id);
    return;
  }
  if (!MayRemember(client.client_id, asked)) return;
  auto known = known_.find(client.client_id);
  if (known != known_.end() && asked.at < known->second.read_at) return;  // a later read is kept
  if (known == known_.end()) {
    if (known_.size() >= kMaxTracked) known_.clear();
    known = known_.emplace(client.client_id, KnownVerifiers()).first;
  }
  known->second.valid = ValidSecretVerifiers(client, &known->second.complete);
  known->second.read_at = asked.at;
}

absl::StatusOr<Principal> ApiClientAuthenticator::Recheck(const std::string& key, Remembered remembered,
                                                          Asked asked) {
  absl::StatusOr<ApiClientRecord> client = store_.GetClient(remembered.client_id);
  if (!client.ok() && client.status().code() != absl::StatusCode::kNotFound) {
    // The database is away: the remembered success serves until `until`, then no longer (kept for when the
    // database is back).
    if (clock_.Now() < remembered.until) return remembered.principal;
    return absl::UnavailableError("credentials cannot be checked right now");
  }
  const bool valid = client.ok() && !client->revoked_at.has_value() &&
                     std::any_of(client->secrets.begin(), client->secrets.end(), [&](const auto& stored) {
                       return stored.secret_id == remembered.secret_id && !stored.revoked_at.has_value();
                     });
  absl::MutexLock lock(&mu_);
  if (client.ok()) NoteVerifiers(*client, asked);
  if (!valid) {
    // Other confirmations of the client under way, which may have read it before, must not put back what
    // this one found revoked.
    SawRevocation(remembered.client_id);
    return CredentialsRejected();
  }
  remembered.principal = PrincipalOfClient(*client);  // roles and jurisdictions as they are now
  if (MayRemember(remembered.client_id, asked)) {
    remembered.checked = asked.at;
    remembered.until = asked.at + cache_ttl_;
    Remember(key, remembered);
  }
  return remembered.principal;
}

void ApiClientAuthenticator::Created(const std::string& client_id) { client_ids_.Add(client_id); }

void ApiClientAuthenticator::Forget(const std::string& client_id) {
  absl::MutexLock lock(&mu_);
  SawRevocation(client_id);
}

void ApiClientAuthenticator::SawRevocation(const std::string& client_id) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second.client_id == client_id ? cache_.erase(it) : std::next(it);
  }
  known_.erase(client_id);
  ++revocations_seen_;
  if (last_revocation_.size() >= kMaxTracked) {
    last_revocation_.clear();
    revocations_cleared_at_ = revocations_seen_;
  }
  last_revocation_[client_id] = revocations_seen_;
}

bool ApiClientAuthenticator::MayRemember(const std::string& client_id, const Asked& asked) const {
  if (asked.revocations_seen < revocations_cleared_at_) return false;
  const auto last = last_revocation_.find(client_id);
  return last == last_revocation_.end() || last->second <= asked.revocations_seen;
}

}  // namespace shouhu::gateway
