// The gateway's SQL: API clients and their secret hashes, and batches of audit rows. Returns plain structs.
#ifndef SHOUHU_SERVICES_GATEWAY_GATEWAY_STORE_H_
#define SHOUHU_SERVICES_GATEWAY_GATEWAY_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "common/idempotency.h"

namespace shouhu::gateway {

struct ApiClientSecretRecord {
  std::string secret_id;
  std::string secret_hash;  // crypto_pwhash_str
  absl::Time created_at;
  std::optional<absl::Time> revoked_at;
  // FastVerifierOf the secret (gateway migration 0051); empty for a secret stored before it, or by an older
  // replica, which is checked by its slow hash alone.
  std::string fast_verifier = {};
};

struct ApiClientRecord {
  std::string client_id;
  std::string display_name;
  std::string organisation_id;
  std::vector<std::string> roles;  // Role names, "ROLE_…"
  std::vector<std::string> jurisdictions;
  absl::Time created_at;
  std::optional<absl::Time> revoked_at;
  std::vector<ApiClientSecretRecord> secrets;  // oldest first
};

struct AuditRecord {
  std::string audit_id;
  absl::Time occurred_at;
  std::string request_id;
  std::string subject;
  std::string organisation_id;
  bool subject_claimed =
      false;  // the subject is an API client id as presented, not verified (migration 0050)
  std::string method;
  std::string face;  // "grpc" or "http"
  int grpc_code = 0;
  int64_t latency_us = 0;
  std::string peer;  // the caller's address (CallerAddress), empty when not a network one (migration 0052)
  // Calls this row stands for: more than one for calls refused at the door folded per caller and window
  // (refused_call_rows.h), this row being the first of them.
  int64_t repeats = 1;
  // Not stored: an identified caller whose policy or rate limit refused the call (grpc_code says which).
  bool turned_away = false;
};

// At most this many secrets of one client are valid at once (the old and the new while rotating).
inline constexpr int kMaxActiveSecrets = 2;

// What authenticating an API client needs of the store; a test may stand in front of it to hold a read in
// flight while a revocation arrives.
class ApiClientCredentialStore {
 public:
  virtual ~ApiClientCredentialStore() = default;
  // NOT_FOUND when there is no such client; any other error when the tables cannot be read.
  virtual absl::StatusOr<ApiClientRecord> GetClient(const std::string& client_id) = 0;
  // Gives a secret stored without a fast verifier the one of the secret just seen to match its slow hash, so
  // it is not checked slowly again; a secret that has one keeps it.
  virtual absl::Status SetFastVerifier(const std::string& client_id, const std::string& secret_id,
                                       const std::string& fast_verifier) = 0;
  // At most `limit` client ids after `after` ("" for the first), in id order (which is creation order, as
  // far as the creating replicas' clocks agree): revoked clients' too.
  virtual absl::StatusOr<std::vector<std::string>> ClientIdsAfter(const std::string& after, int limit) = 0;
};

class GatewayStore final : public ApiClientCredentialStore {
 public:
  explicit GatewayStore(db::Pool& pool) : pool_(pool) {}

  // The client with its first secret. A retry of the same request returns the client created the first time.
  absl::StatusOr<ApiClientRecord> CreateClient(const IdempotencyKey& key, const ApiClientRecord& client,
                                               const ApiClientSecretRecord& secret);
  // FAILED_PRECONDITION when the client is revoked or already has two valid secrets; NOT_FOUND when absent.
  // A retry returns the secret id recorded the first time.
  absl::StatusOr<std::string> AddSecret(const IdempotencyKey& key, const std::string& client_id,
                                        const ApiClientSecretRecord& secret);
  absl::StatusOr<ApiClientRecord> RevokeSecret(const IdempotencyKey& key, const std::string& client_id,
                                               const std::string& secret_id, absl::Time now);
  absl::StatusOr<ApiClientRecord> RevokeClient(const IdempotencyKey& key, const std::string& client_id,
                                               absl::Time now);
  absl::StatusOr<ApiClientRecord> GetClient(const std::string& client_id) override;
  absl::Status SetFastVerifier(const std::string& client_id, const std::string& secret_id,
                               const std::string& fast_verifier) override;
  absl::StatusOr<std::vector<std::string>> ClientIdsAfter(const std::string& after, int limit) override;
  // Clients with ids after `after`, in id order.
  absl::StatusOr<std::vector<ApiClientRecord>> ListClients(const std::string& after, int limit);

  // Rows whose audit id is stored already are left as they are, so a batch may be written again.
  absl::Status InsertAudit(const std::vector<AuditRecord>& rows);

 private:
  db::Pool& pool_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_GATEWAY_STORE_H_
