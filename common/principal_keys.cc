#include "common/principal_keys.h"

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace shouhu {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kGatewaySigner = "gateway";
constexpr absl::string_view kServicePrefix = "service:";

bool IsToken(absl::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

absl::StatusOr<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Exactly `bytes` bytes written as hex.
absl::StatusOr<std::string> FromHex(absl::string_view hex, size_t bytes, const std::string& what) {
  if (hex.size() != 2 * bytes || hex.find_first_not_of("0123456789abcdefABCDEF") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": expected ", 2 * bytes, " hex digits"));
  }
  return absl::HexStringToBytes(hex);
}

absl::StatusOr<TrustedKey> ParseTrustedKey(absl::string_view text, const std::string& what) {
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(text), absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (fields.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected one line \"gateway <hex>\" or \"service:<name> <hex>\""));
  }
  TrustedKey key;
  if (fields[0] != kGatewaySigner) {
    if (!absl::StartsWith(fields[0], kServicePrefix) || !IsToken(fields[0].substr(kServicePrefix.size()))) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": the signer must be \"gateway\" or \"service:<name>\""));
    }
    key.service = std::string(fields[0].substr(kServicePrefix.size()));
  }
  ASSIGN_OR_RETURN(key.public_key, FromHex(fields[1], crypto_sign_PUBLICKEYBYTES, what));
  return key;
}

}  // namespace

absl::StatusOr<SigningKey> SigningKey::FromSeed(std::string key_id, absl::string_view seed) {
  if (!IsToken(key_id)) {
    return absl::InvalidArgumentError("a key id is 1-128 letters, digits, '.', '_' or '-'");
  }
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return absl::InvalidArgumentError(absl::StrCat("an Ed25519 seed is ", crypto_sign_SEEDBYTES, " bytes"));
  }
  if (sodium_init() < 0) return absl::InternalError("libsodium could not initialise");
  SigningKey key;
  key.key_id = std::move(key_id);
  key.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  key.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(key.public_key.data()),
                           reinterpret_cast<unsigned char*>(key.secret_key.data()),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  return key;
}

absl::StatusOr<SigningKey> SigningKey::Generate(std::string key_id) {
  if (sodium_init() < 0) return absl::InternalError("libsodium could not initialise");
  std::string seed(crypto_sign_SEEDBYTES, '\0');
  randombytes_buf(seed.data(), seed.size());
  auto key = FromSeed(std::move(key_id), seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

absl::StatusOr<SigningKey> ReadSigningKey(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadText(path));
  auto seed = FromHex(absl::StripAsciiWhitespace(text), crypto_sign_SEEDBYTES, path);
  sodium_memzero(text.data(), text.size());
  if (!seed.ok()) return seed.status();
  auto key = SigningKey::FromSeed(fs::path(path).stem().string(), *seed);
  sodium_memzero(seed->data(), seed->size());
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  return key;
}

std::string SigningKeyFileText(const SigningKey& key) {
  return absl::StrCat(absl::BytesToHexString(key.secret_key.substr(0, crypto_sign_SEEDBYTES)), "\n");
}

TrustedKey GatewayKey(const SigningKey& key) { return TrustedKey{key.public_key, ""}; }

TrustedKey ServiceKey(const SigningKey& key, std::string service) {
  return TrustedKey{key.public_key, std::move(service)};
}

std::string TrustedKeyFileText(const TrustedKey& key) {
  return absl::StrCat(
      key.service.empty() ? std::string(kGatewaySigner) : absl::StrCat(kServicePrefix, key.service), " ",
      absl::BytesToHexString(key.public_key), "\n");
}

absl::StatusOr<TrustedKeySet> ReadTrustedKeys(const std::string& dir) {
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error) return absl::FailedPreconditionError(absl::StrCat("cannot list ", dir));
  TrustedKeySet keys;
  for (const fs::directory_entry& entry : it) {
    const fs::path& path = entry.path();
    if (path.extension() != ".pub" || !fs::is_regular_file(path, error)) continue;
    const std::string kid = path.stem().string();
    if (!IsToken(kid)) {
      return absl::InvalidArgumentError(absl::StrCat(path.string(), ": not a usable key id"));
    }
    ASSIGN_OR_RETURN(std::string text, ReadText(path));
    ASSIGN_OR_RETURN(keys[kid], ParseTrustedKey(text, path.string()));
  }
  return keys;
}

TrustedKeys::TrustedKeys(TrustedKeySet keys) : TrustedKeys("", std::move(keys)) {}

TrustedKeys::TrustedKeys(std::string dir, TrustedKeySet keys)
    : dir_(std::move(dir)), keys_(std::make_shared<const TrustedKeySet>(std::move(keys))) {
  // Verifying needs no randomness; sodium_init only picks the fastest implementation, so its result does
  // not decide anything here.
  if (sodium_init() < 0) return;
}

absl::StatusOr<std::unique_ptr<TrustedKeys>> TrustedKeys::Load(std::string dir) {
  if (dir.empty()) return absl::InvalidArgumentError("no trusted-keys folder is set");
  ASSIGN_OR_RETURN(TrustedKeySet keys, ReadTrustedKeys(dir));
  return std::unique_ptr<TrustedKeys>(new TrustedKeys(std::move(dir), std::move(keys)));
}

TrustedKeys::~TrustedKeys() {
  stop_.Notify();
  if (reload_thread_.joinable()) reload_thread_.join();
}

std::optional<TrustedKey> TrustedKeys::Find(absl::string_view key_id) const {
  std::shared_ptr<const TrustedKeySet> keys;
  {
    absl::MutexLock lock(&mu_);
    keys = keys_;
  }
  auto it = keys->find(key_id);
  if (it == keys->end()) return std::nullopt;
  return it->second;
}

absl::Status TrustedKeys::Reload() {
  if (dir_.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(TrustedKeySet keys, ReadTrustedKeys(dir_));
  auto fresh = std::make_shared<const TrustedKeySet>(std::move(keys));
  absl::MutexLock lock(&mu_);
  keys_ = std::move(fresh);
  return absl::OkStatus();
}

void TrustedKeys::ReloadEvery(absl::Duration interval, Logger& logger) {
  if (dir_.empty() || reload_thread_.joinable()) return;
  reload_thread_ = std::thread([this, interval, &logger] {
    while (!stop_.WaitForNotificationWithTimeout(interval)) {
      if (absl::Status reloaded = Reload(); !reloaded.ok()) {
        logger.Warn("trusted keys not reloaded; keeping the keys in force",
                    {{"error", std::string(reloaded.message())}});
      }
    }
  });
}

}  // namespace shouhu
