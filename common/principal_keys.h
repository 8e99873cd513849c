// The Ed25519 keys (libsodium) that sign and verify principals. A process holds one private key, its own
// (SigningKey, from <kid>.key: 64 hex digits of seed), and the public keys it trusts by key id (TrustedKeys,
// from a folder of <kid>.pub files, re-read so keys rotate without a restart). A trusted key speaks either
// for the gateway, which may sign any caller's principal, or for one service, which may sign only its own
// system principal: "gateway <hex>" or "service:<name> <hex>" on the file's one line.
#ifndef SHOUHU_COMMON_PRINCIPAL_KEYS_H_
#define SHOUHU_COMMON_PRINCIPAL_KEYS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/log.h"

namespace shouhu {

struct SigningKey {
  std::string key_id;
  std::string secret_key;  // libsodium's 64-byte form (seed, then public key)
  std::string public_key;  // 32 bytes

  // `seed`: 32 bytes. The key id must be a plain token ([A-Za-z0-9._-]): it travels as ASCII metadata.
  static absl::StatusOr<SigningKey> FromSeed(std::string key_id, absl::string_view seed);
  // A fresh random key (the key tool, tests).
  static absl::StatusOr<SigningKey> Generate(std::string key_id);
};

// Reads <kid>.key (64 hex digits, surrounding whitespace ignored); the key id is the file name's stem.
absl::StatusOr<SigningKey> ReadSigningKey(const std::string& path);
std::string SigningKeyFileText(const SigningKey& key);

struct TrustedKey {
  std::string public_key;  // 32 bytes
  std::string service;     // empty: the gateway's key; else the one service it speaks for ("visits")
};

using TrustedKeySet = std::map<std::string, TrustedKey, std::less<>>;  // by key id

TrustedKey GatewayKey(const SigningKey& key);
TrustedKey ServiceKey(const SigningKey& key, std::string service);
// The one line of a <kid>.pub file.
std::string TrustedKeyFileText(const TrustedKey& key);
// Every <kid>.pub in `dir` (other names are skipped, so a Kubernetes volume's ..data links do no harm). A
// file that cannot be used is an error: a half-read set would refuse callers without saying why.
absl::StatusOr<TrustedKeySet> ReadTrustedKeys(const std::string& dir);

// The public keys a process trusts, safe to read from every call while a reload swaps them.
class TrustedKeys {
 public:
  // A fixed set (tests, in-process tools); Reload keeps it.
  explicit TrustedKeys(TrustedKeySet keys);
  // Reads `dir` now (an error stops the process at start) and again on each Reload.
  static absl::StatusOr<std::unique_ptr<TrustedKeys>> Load(std::string dir);
  ~TrustedKeys();

  std::optional<TrustedKey> Find(absl::string_view key_id) const;
  // Re-reads the folder: added keys are trusted and removed ones refused from now on. When the folder cannot
  // be read, the keys in force stay (a broken deploy must not lock every caller out) and the error returns.
  absl::Status Reload();
  // Reloads every `interval` on a thread of its own until destroyed, logging a failed reload.
  void ReloadEvery(absl::Duration interval, Logger& logger);

 private:
  TrustedKeys(std::string dir, TrustedKeySet keys);

  const std::string dir_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const TrustedKeySet> keys_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread reload_thread_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_PRINCIPAL_KEYS_H_
