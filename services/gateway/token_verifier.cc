#include "services/gateway/token_verifier.h"

#include <jwt.h>
#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "services/gateway/credentials_rejected.h"
#include "services/gateway/role_names.h"

namespace shouhu::gateway {
namespace {

// The narrowest columns that hold them: actors' VARCHAR(128), organisation ids' VARCHAR(64).
constexpr size_t kMaxSubjectChars = 128;
constexpr size_t kMaxOrganisationChars = 64;

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};

// The token's header, to choose the key before libjwt verifies anything. Only alg and kid are read here.
bool ReadHeader(absl::string_view token, std::string& alg, std::string& kid) {
  const size_t dot = token.find('.');
  if (dot == absl::string_view::npos || dot == 0 || dot > 4096) return false;
  std::string header(dot, '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(header.data()), header.size(), token.data(), dot,
                        nullptr, &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return false;
  }
  header.resize(len);
  nlohmann::json json = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("alg") || !json["alg"].is_string() || !json.contains("kid") ||
      !json["kid"].is_string()) {
    return false;
  }
  alg = json["alg"].get<std::string>();
  kid = json["kid"].get<std::string>();
  return true;
}

jwt_alg_t LibjwtAlgorithm(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::kRs256:
      return JWT_ALG_RS256;
    case KeyAlgorithm::kEs256:
      return JWT_ALG_ES256;
    case KeyAlgorithm::kHs256:
      return JWT_ALG_HS256;
  }
  return JWT_ALG_INVAL;
}

// A claim that must be a number of seconds since the epoch; nullopt when absent or not a number.
std::optional<int64_t> NumericClaim(const nlohmann::json& claims, const char* name) {
  if (!claims.contains(name) || !claims[name].is_number()) return std::nullopt;
  return claims[name].get<int64_t>();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::Create(TokenPolicy policy, const Clock& clock,
                                                                     Logger& logger) {
  if (policy.issuer.empty() || policy.audience.empty()) {
    return absl::InvalidArgumentError("the token issuer and audience must both be configured");
  }
  ASSIGN_OR_RETURN(LoadedKeys loaded, LoadKeys(policy.keys));
  std::unique_ptr<TokenVerifier> verifier(
      new TokenVerifier(std::move(policy), clock, logger, std::move(loaded.keys)));
  verifier->SaySkipped(loaded.skipped);
  return verifier;
}

void TokenVerifier::SaySkipped(const std::vector<std::string>& skipped) {
  absl::MutexLock lock(&skipped_mu_);
  if (skipped == skipped_) return;
  skipped_ = skipped;
  for (const std::string& why : skipped)
    logger_.Warn("token key skipped: this gateway cannot use it", {{"key", why}});
}

absl::Status TokenVerifier::Reload() {
  ASSIGN_OR_RETURN(LoadedKeys loaded, LoadKeys(policy_.keys));
  SaySkipped(loaded.skipped);
  auto fresh = std::make_shared<const KeySet>(std::move(loaded.keys));
  absl::MutexLock lock(&mu_);
  bool same = fresh->size() == keys_->size();
  for (auto a = fresh->begin(), b = keys_->begin(); same && a != fresh->end(); ++a, ++b) {
    same = a->first == b->first && a->second.algorithm == b->second.algorithm &&
           a->second.material == b->second.material;
  }
  if (same) return absl::OkStatus();
  keys_ = std::move(fresh);
  ++generation_;  // tokens verified with the old keys are checked again
  verified_.clear();
  return absl::OkStatus();
}

absl::StatusOr<Principal> TokenVerifier::Verify(absl::string_view token) const {
  if (token.empty() || token.size() > 16384) return CredentialsRejected();
  const std::string text(token);
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  std::shared_ptr<const KeySet> keys;
  uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    auto it = verified_.find(text);
    if (it != verified_.end() && it->second.generation == generation_ && now <= it->second.expiry) {
      return it->second.principal;
    }
    keys = keys_;
    generation = generation_;
  }
  int64_t expiry = 0;
  absl::StatusOr<Principal> principal = VerifySignedToken(token, *keys, expiry);
  if (principal.ok()) {
    absl::MutexLock lock(&mu_);
    if (generation == generation_) {
      if (verified_.size() >= kMaxRemembered) verified_.clear();
      verified_[text] = Verified{*principal, expiry, generation};
    }
  }
  return principal;
}

absl::StatusOr<Principal> TokenVerifier::VerifySignedToken(absl::string_view token, const KeySet& keys,
                                                           int64_t& expiry) const {
  std::string alg, kid;
  if (!ReadHeader(token, alg, kid)) return CredentialsRejected();
  auto found = keys.find(kid);
  if (found == keys.end()) return CredentialsRejected();
  const VerificationKey& key = found->second;
  // The key decides the algorithm; `none`, or HS256 against a public key, never reaches libjwt.
  if (alg != AlgorithmName(key.algorithm)) return CredentialsRejected();

  const std::string text(token);
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(key.material.data()),
                 static_cast<int>(key.material.size())) != 0) {
    return CredentialsRejected();
  }
  std::unique_ptr<jwt_t, JwtDeleter> jwt(raw);
  if (jwt_get_alg(jwt.get()) != LibjwtAlgorithm(key.algorithm)) return CredentialsRejected();

  char* grants = jwt_get_grants_json(jwt.get(), nullptr);
  if (grants == nullptr) return CredentialsRejected();
  nlohmann::json claims = nlohmann::json::parse(grants, nullptr, /*allow_exceptions=*/false);
  free(grants);
  if (!claims.is_object()) return CredentialsRejected();

  if (claims.value("iss", "") != policy_.issuer) return CredentialsRejected();
  bool audience_ok = false;
  if (claims.contains("aud") && claims["aud"].is_string()) {
    audience_ok = claims["aud"].get<std::string>() == policy_.audience;
  } else if (claims.contains("aud") && claims["aud"].is_array()) {
    for (const auto& aud : claims["aud"])
      audience_ok |= aud.is_string() && aud.get<std::string>() == policy_.audience;
  }
  if (!audience_ok) return CredentialsRejected();

  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  const int64_t leeway = absl::ToInt64Seconds(policy_.leeway);
  const std::optional<int64_t> exp = NumericClaim(claims, "exp");
  if (!exp.has_value() || now > *exp + leeway) return CredentialsRejected();
  expiry = *exp + leeway;
  if (claims.contains("nbf")) {
    const std::optional<int64_t> nbf = NumericClaim(claims, "nbf");
    if (!nbf.has_value() || now + leeway < *nbf) return CredentialsRejected();
  }

  Principal principal;
  if (!claims.contains("sub") || !claims["sub"].is_string() || claims["sub"].get<std::string>().empty()) {
    return CredentialsRejected();
  }
  principal.set_subject(claims["sub"].get<std::string>());
  if (claims.contains("org") && claims["org"].is_string())
    principal.set_organisation_id(claims["org"].get<std::string>());
  // Every service stores the subject and the organisation in columns of these widths and compares them as
  // identifiers; one that is not (a space, a control character, too long) would pass here and fail, or
  // match loosely, there. Refused once at the door, and said in the log: it is the identity provider's
  // configuration that needs fixing.
  const absl::Status subject_ok = ValidateIdentifier(principal.subject(), "sub", kMaxSubjectChars);
  const absl::Status organisation_ok =
      ValidateOptionalIdentifier(principal.organisation_id(), "org", kMaxOrganisationChars);
  if (!subject_ok.ok() || !organisation_ok.ok()) {
    logger_.Warn(
        "token's sub or org is not an identifier; refused",
        {{"key_id", kid},
         {"reason", std::string(subject_ok.ok() ? organisation_ok.message() : subject_ok.message())}});
    return CredentialsRejected();
  }
  if (claims.contains("roles") && claims["roles"].is_array()) {
    nlohmann::json unknown = nlohmann::json::array();
    for (const auto& name : claims["roles"]) {
      std::optional<Role> role = name.is_string() ? ParseRole(name.get<std::string>()) : std::nullopt;
      if (role.has_value()) {
        principal.add_roles(*role);
      } else if (unknown.size() < 10) {
        unknown.push_back(name.is_string() ? name.get<std::string>().substr(0, 64)
                                           : name.dump().substr(0, 64));
      }
    }
    // Verified tokens are remembered, so this is said once per token, not once per call.
    if (!unknown.empty()) {
      logger_.Warn("token names roles that are not roles; they grant nothing",
                   {{"subject", principal.subject()}, {"key_id", kid}, {"roles", unknown}});
    }
  }
  // The services' own namespace, which only their own keys sign: a token naming it is the identity
  // provider's mistake (a group mapped to SYSTEM, a user named like a service) and speaks as nobody.
  if (HasRole(principal, common::v1::ROLE_SYSTEM) || IsServiceSubject(principal.subject())) {
    logger_.Warn(
        "token claims the SYSTEM role or a service's subject, which only services' own keys sign; "
        "refused",
        {{"subject", principal.subject()}, {"key_id", kid}});
    return CredentialsRejected();
  }
  if (claims.contains("jurisdictions") && claims["jurisdictions"].is_array()) {
    for (const auto& prefix : claims["jurisdictions"]) {
      if (prefix.is_string() && !prefix.get<std::string>().empty())
        principal.add_jurisdictions(prefix.get<std::string>());
    }
  }
  // An NGO's caseworker, admin or safeguarding lead, a volunteer or a finance officer acts for an
  // organisation: without one the services show them nothing (common/scope.h), so such a token is refused
  // here, where the log can say that the identity provider leaves out `org`, rather than answered NOT_FOUND
  // on every call. (A role that sees a whole jurisdiction beside it needs no organisation; neither do roles
  // whose calls are their own: a mandated reporter's reports, the gateway's administrators.)
  if (principal.organisation_id().empty() && OrganisationBound(principal) &&
      HasAnyRole(principal, {common::v1::ROLE_NGO_CASEWORKER, common::v1::ROLE_NGO_ADMIN,
                             common::v1::ROLE_SAFEGUARDING_LEAD, common::v1::ROLE_VOLUNTEER,
                             common::v1::ROLE_FINANCE_OFFICER})) {
    logger_.Warn("token's roles act for an organisation and it names none (no org); refused",
                 {{"subject", principal.subject()}, {"key_id", kid}});
    return CredentialsRejected();
  }
  // The principal signed for the backends (PrincipalSigner::Sign) expires with the token at the latest.
  *principal.mutable_expires_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(expiry);
  return principal;
}

}  // namespace shouhu::gateway
