#include "services/gateway/api_clients.h"

#include <sodium.h>

#include <algorithm>
#include <optional>

#include "services/gateway/credentials_rejected.h"
#include "services/gateway/role_names.h"

namespace shouhu::gateway {
namespace {

// Interactive limits: secrets are long and random, so the slow hash is defence in depth for a leaked table,
// not the only protection; these keep a verification near 0.1 s.
constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

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

Principal PrincipalOfClient(const ApiClientRecord& client) {
  Principal principal;
  principal.set_subject(client.client_id);
  principal.set_organisation_id(client.organisation_id);
  for (const Role role : ActingRolesOfStored(client.roles)) principal.add_roles(role);
  for (const std::string& prefix : client.jurisdictions) principal.add_jurisdictions(prefix);
  return principal;
}

ApiClientAuthenticator::ApiClientAuthenticator(ApiClientReader& store, const Clock& clock,
                                               absl::Duration cache_ttl, absl::Duration recheck_interval,
                                               int workers)
    : store_(store),
      clock_(clock),
      cache_ttl_(cache_ttl),
      recheck_interval_(recheck_interval),
      cache_key_(crypto_generichash_KEYBYTES, '\0'),
      rechecks_(workers, /*max_queued=*/256),
      workers_(workers, /*max_queued=*/256) {
  randombytes_buf(cache_key_.data(), cache_key_.size());
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
  if (client_id.empty() || secret.empty() || client_id.size() > 64 || secret.size() > 256) {
    done(CredentialsRejected());
    return;
  }
  const std::string key = CacheKey(client_id, secret);
  enum { kSlowCheck, kRecheck, kAnswered } next = kSlowCheck;
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
      if (slow_checks_.size() >= kMaxTracked) {
        for (auto c = slow_checks_.begin(); c != slow_checks_.end();) {
          c = c->second.under_way == 0 && c->second.window_end <= now ? slow_checks_.erase(c) : std::next(c);
        }
      }
      SlowChecks& checks = slow_checks_[client_id];
      if (checks.window_end <= now) {
        checks.refused = 0;
        checks.window_end = now + kRefusalWindow;
      }
      if (checks.under_way + checks.refused >= kMaxSlowChecksPerClient) {
        answer =
            absl::ResourceExhaustedError("too many failed credential checks for this client; retry later");
        next = kAnswered;
      } else {
        ++checks.under_way;
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
      (*shared_done)(absl::ResourceExhaustedError("too many credential checks at once; retry shortly"));
    }
    return;
  }
  const bool queued = workers_.Submit([this, client_id, secret, key, asked, shared_done] {
    CheckSlowly(client_id, secret, key, asked, *shared_done);
  });
  if (!queued) {
    {
      absl::MutexLock lock(&mu_);
      --slow_checks_[client_id].under_way;
    }
    (*shared_done)(absl::ResourceExhaustedError("too many credential checks at once; retry shortly"));
  }
}

void ApiClientAuthenticator::CheckSlowly(const std::string& client_id, const std::string& secret,
                                         const std::string& key, Asked asked, const Done& done) {
  absl::StatusOr<std::pair<Principal, std::string>> verified = VerifySlowly(client_id, secret);
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    SlowChecks& checks = slow_checks_[client_id];
    checks.under_way = std::max(0, checks.under_way - 1);
    if (verified.ok() && MayRemember(client_id, asked)) {
      // Only secrets that matched are remembered (at most two valid per client), so this bound is reached
      // only by secrets revoked while no one presented them: those past their period go first.
      if (cache_.size() > kMaxTracked) {
        for (auto c = cache_.begin(); c != cache_.end();)
          c = c->second.until <= now ? cache_.erase(c) : std::next(c);
      }
      if (cache_.size() > kMaxTracked) cache_.clear();
      cache_[key] = Remembered{verified->first, client_id, verified->second, asked.at, asked.at + cache_ttl_};
    } else if (verified.status().code() == absl::StatusCode::kUnauthenticated) {
      // Refused by the tables (not an unreachable database): counted against the id, and the secret
      // remembered as refused.
      ++checks.refused;
      if (refused_.size() > kMaxTracked) refused_.clear();
      refused_[key] = now + kRefusalMemory;
    }
  }
  if (!verified.ok()) {
    done(verified.status());
    return;
  }
  done(std::move(verified->first));
}

absl::StatusOr<std::pair<Principal, std::string>> ApiClientAuthenticator::VerifySlowly(
    const std::string& client_id, const std::string& secret) {
  absl::StatusOr<ApiClientRecord> client = store_.GetClient(client_id);
  if (client.status().code() == absl::StatusCode::kNotFound) return CredentialsRejected();
  if (!client.ok()) return absl::UnavailableError("credentials cannot be checked right now");
  if (client->revoked_at.has_value()) return CredentialsRejected();
  for (const ApiClientSecretRecord& stored : client->secrets) {
    if (stored.revoked_at.has_value()) continue;
    if (crypto_pwhash_str_verify(stored.secret_hash.c_str(), secret.data(), secret.size()) == 0) {
      return std::make_pair(PrincipalOfClient(*client), stored.secret_id);
    }
  }
  return CredentialsRejected();
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
    cache_[key] = remembered;
  }
  return remembered.principal;
}

void ApiClientAuthenticator::Forget(const std::string& client_id) {
  absl::MutexLock lock(&mu_);
  SawRevocation(client_id);
}

void ApiClientAuthenticator::SawRevocation(const std::string& client_id) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second.client_id == client_id ? cache_.erase(it) : std::next(it);
  }
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
