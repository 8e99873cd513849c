#include "services/gateway/signing_keys.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace shouhu::gateway {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

absl::StatusOr<std::string> PemOf(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio, key) != 1) {
    BIO_free(bio);
    return absl::InternalError("cannot write a PEM public key");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

// The algorithm a PEM public key may verify: RS256 for RSA, ES256 for P-256.
absl::StatusOr<KeyAlgorithm> AlgorithmOfPem(const std::string& pem, const std::string& what) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Pkey key(PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (key == nullptr) return absl::InvalidArgumentError(absl::StrCat(what, " is not a PEM public key"));
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key.get()) < 2048) {
        return absl::InvalidArgumentError(absl::StrCat(what, ": RSA keys must have at least 2048 bits"));
      }
      return KeyAlgorithm::kRs256;
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) !=
              1 ||
          std::string(group) != "prime256v1") {
        return absl::InvalidArgumentError(absl::StrCat(what, ": EC keys must be on P-256 (ES256)"));
      }
      return KeyAlgorithm::kEs256;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(what, ": only RSA and P-256 keys are supported"));
  }
}

absl::StatusOr<std::string> Base64Url(const nlohmann::json& jwk, const char* member,
                                      const std::string& what) {
  if (!jwk.contains(member) || !jwk[member].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " lacks \"", member, "\""));
  }
  const std::string text = jwk[member].get<std::string>();
  std::string bytes(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": \"", member, "\" is not base64url"));
  }
  bytes.resize(len);
  return bytes;
}

absl::StatusOr<std::string> PemFromParams(const char* type, OSSL_PARAM_BLD* builder,
                                          const std::string& what) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(builder);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* raw = nullptr;
  const bool ok = params != nullptr && ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &raw, EVP_PKEY_PUBLIC_KEY, params) == 1;
  Pkey key(raw);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (!ok) return absl::InvalidArgumentError(absl::StrCat(what, " is not a usable public key"));
  return PemOf(key.get());
}

absl::StatusOr<VerificationKey> KeyFromJwk(const nlohmann::json& jwk, const std::string& what,
                                           bool allow_hs256) {
  const std::string kty = jwk.value("kty", "");
  if (kty == "RSA") {
    ASSIGN_OR_RETURN(std::string n, Base64Url(jwk, "n", what));
    ASSIGN_OR_RETURN(std::string e, Base64Url(jwk, "e", what));
    BIGNUM* bn_n =
        BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
    BIGNUM* bn_e =
        BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
    OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, bn_n);
    OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, bn_e);
    auto pem = PemFromParams("RSA", builder, what);
    OSSL_PARAM_BLD_free(builder);
    BN_free(bn_n);
    BN_free(bn_e);
    if (!pem.ok()) return pem.status();
    ASSIGN_OR_RETURN(KeyAlgorithm algorithm, AlgorithmOfPem(*pem, what));
    return VerificationKey{algorithm, *std::move(pem)};
  }
  if (kty == "EC") {
    if (jwk.value("crv", "") != "P-256")
      return absl::InvalidArgumentError(absl::StrCat(what, ": crv must be P-256"));
    ASSIGN_OR_RETURN(std::string x, Base64Url(jwk, "x", what));
    ASSIGN_OR_RETURN(std::string y, Base64Url(jwk, "y", what));
    if (x.size() != 32 || y.size() != 32)
      return absl::InvalidArgumentError(absl::StrCat(what, ": bad P-256 point"));
    std::string point = absl::StrCat(std::string(1, '\x04'), x, y);
    OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    auto pem = PemFromParams("EC", builder, what);
    OSSL_PARAM_BLD_free(builder);
    if (!pem.ok()) return pem.status();
    return VerificationKey{KeyAlgorithm::kEs256, *std::move(pem)};
  }
  if (kty == "oct") {
    if (!allow_hs256) return absl::InvalidArgumentError(absl::StrCat(what, ": HS256 keys are not enabled"));
    ASSIGN_OR_RETURN(std::string k, Base64Url(jwk, "k", what));
    if (k.size() < 32)
      return absl::InvalidArgumentError(absl::StrCat(what, ": HMAC keys need at least 32 bytes"));
    return VerificationKey{KeyAlgorithm::kHs256, std::move(k)};
  }
  return absl::InvalidArgumentError(absl::StrCat(what, ": unsupported kty"));
}

absl::Status LoadDir(const KeySource& source, LoadedKeys& loaded) {
  std::error_code error;
  fs::directory_iterator it(source.keys_dir, error);
  if (error) return absl::FailedPreconditionError(absl::StrCat("cannot list ", source.keys_dir));
  for (const fs::directory_entry& entry : it) {
    const fs::path& path = entry.path();
    const std::string kid = path.stem().string();
    if (path.extension() == ".pem") {
      ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
      absl::StatusOr<KeyAlgorithm> algorithm = AlgorithmOfPem(pem, path.string());
      if (!algorithm.ok()) {
        loaded.skipped.emplace_back(algorithm.status().message());
        continue;
      }
      loaded.keys[kid] = VerificationKey{*algorithm, std::move(pem)};
    } else if (path.extension() == ".hmac" && source.allow_hs256) {
      ASSIGN_OR_RETURN(std::string secret, ReadFile(path));
      if (secret.size() < 32) {
        loaded.skipped.push_back(absl::StrCat(path.string(), ": under 32 bytes"));
        continue;
      }
      loaded.keys[kid] = VerificationKey{KeyAlgorithm::kHs256, std::move(secret)};
    }
  }
  return absl::OkStatus();
}

absl::Status LoadJwks(const KeySource& source, LoadedKeys& loaded) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(source.jwks_file));
  nlohmann::json jwks = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(source.jwks_file, " is not a JWKS document"));
  }
  for (const nlohmann::json& jwk : jwks["keys"]) {
    if (!jwk.is_object() || !jwk.contains("kid") || !jwk["kid"].is_string()) {
      loaded.skipped.push_back(absl::StrCat(source.jwks_file, ": a key without a kid"));
      continue;
    }
    const std::string kid = jwk["kid"].get<std::string>();
    absl::StatusOr<VerificationKey> key =
        KeyFromJwk(jwk, absl::StrCat(source.jwks_file, " key ", kid.substr(0, 64)), source.allow_hs256);
    if (!key.ok()) {
      loaded.skipped.emplace_back(key.status().message());
      continue;
    }
    loaded.keys[kid] = *std::move(key);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LoadedKeys> LoadKeys(const KeySource& source) {
  LoadedKeys loaded;
  if (!source.keys_dir.empty()) RETURN_IF_ERROR(LoadDir(source, loaded));
  if (!source.jwks_file.empty()) RETURN_IF_ERROR(LoadJwks(source, loaded));
  // Keys named and not one usable is a broken source, not a key set: every caller would be refused. (A source
  // that names none stays an empty set, as before: a gateway serving API clients only.)
  if (loaded.keys.empty() && !loaded.skipped.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no usable token key: ", absl::StrJoin(loaded.skipped, "; ")));
  }
  return loaded;
}

const char* AlgorithmName(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::kRs256:
      return "RS256";
    case KeyAlgorithm::kEs256:
      return "ES256";
    case KeyAlgorithm::kHs256:
      return "HS256";
  }
  return "";
}

}  // namespace shouhu::gateway
