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
  for (const std::string& name : client.roles) {
    // A row written before CreateApiClient refused SYSTEM keeps it, granting nothing.
    std::optional<Role> role = ParseStoredRole(name);
    if (role.has_value() && IsCallerRole(*role)) principal.add_roles(*role);
  }
  for (const std::string& prefix : client.jurisdictions) principal.add_jurisdictions(prefix);
  return principal;
}

ApiClientAuthenticator::ApiClientAuthenticator(GatewayStore& store, const Clock& clock,
                                               absl::Duration cache_ttl, absl::Duration recheck_interval,
                                               int workers)
    : store_(store),
      clock_(clock),
      cache_ttl_(cache_ttl),
      recheck_interval_(recheck_interval),
      cache_key_(crypto_generichash_KEYBYTES, '\0'),
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
  std::optional<Remembered> stale;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      const absl::Time now = clock_.Now();
      if (it->second.until <= now) {
        cache_.erase(it);
      } else if (now - it->second.checked < recheck_interval_) {
        Principal principal = it->second.principal;
        done(std::move(principal));
        return;
      } else {
        stale = it->second;
      }
    }
  }
  auto shared_done = std::make_shared<Done>(std::move(done));
  const bool queued = workers_.Submit([this, client_id, secret, key, stale, shared_done] {
    if (stale.has_value()) {
      (*shared_done)(Recheck(key, *stale));
      return;
    }
    absl::StatusOr<std::pair<Principal, std::string>> verified = VerifySlowly(client_id, secret);
    if (!verified.ok()) {
      (*shared_done)(verified.status());
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (cache_.size() > 100000) cache_.clear();
      const absl::Time now = clock_.Now();
      cache_[key] = Remembered{verified->first, client_id, verified->second, now, now + cache_ttl_};
    }
    (*shared_done)(std::move(verified->first));
  });
  if (!queued)
    (*shared_done)(absl::ResourceExhaustedError("too many credential checks at once; retry shortly"));
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

absl::StatusOr<Principal> ApiClientAuthenticator::Recheck(const std::string& key, Remembered remembered) {
  absl::StatusOr<ApiClientRecord> client = store_.GetClient(remembered.client_id);
  if (!client.ok() && client.status().code() != absl::StatusCode::kNotFound) {
    return remembered.principal;  // the database is away: the remembered success serves until `until`
  }
  const bool valid = client.ok() && !client->revoked_at.has_value() &&
                     std::any_of(client->secrets.begin(), client->secrets.end(), [&](const auto& stored) {
                       return stored.secret_id == remembered.secret_id && !stored.revoked_at.has_value();
                     });
  absl::MutexLock lock(&mu_);
  if (!valid) {
    cache_.erase(key);
    return CredentialsRejected();
  }
  remembered.principal = PrincipalOfClient(*client);  // roles and jurisdictions as they are now
  remembered.checked = clock_.Now();
  cache_[key] = remembered;
  return remembered.principal;
}

void ApiClientAuthenticator::Forget(const std::string& client_id) {
  absl::MutexLock lock(&mu_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second.client_id == client_id ? cache_.erase(it) : std::next(it);
  }
}

}  // namespace shouhu::gateway
