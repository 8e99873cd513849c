#include "services/gateway/gateway_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/status_macros.h"

namespace shouhu::gateway {
namespace {

constexpr absl::string_view kInsertClient =
    "INSERT INTO api_clients (client_id, display_name, organisation_id, roles, jurisdictions, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kInsertSecret =
    "INSERT INTO api_client_secrets (secret_id, client_id, secret_hash, fast_verifier, created_at, "
    "rotation_place) VALUES (?, ?, ?, NULLIF(?, ''), ?, ?)";
constexpr absl::string_view kSetFastVerifier =
    "UPDATE api_client_secrets SET fast_verifier = ? "
    "WHERE client_id = ? AND secret_id = ? AND fast_verifier IS NULL";
// The rotation places (1, 2) the client's valid secrets hold (gateway migration 0048).
constexpr absl::string_view kTakenPlaces =
    "SELECT rotation_place FROM api_client_secrets WHERE client_id = ? AND rotation_place IS NOT NULL";
constexpr absl::string_view kSelectClient =
    "SELECT client_id, display_name, organisation_id, roles, jurisdictions, created_at, revoked_at "
    "FROM api_clients WHERE client_id = ?";
constexpr absl::string_view kSelectClientForUpdate =
    "SELECT client_id, display_name, organisation_id, roles, jurisdictions, created_at, revoked_at "
    "FROM api_clients WHERE client_id = ? FOR UPDATE";
constexpr absl::string_view kSelectClientsAfter =
    "SELECT client_id, display_name, organisation_id, roles, jurisdictions, created_at, revoked_at "
    "FROM api_clients WHERE client_id > ? ORDER BY client_id LIMIT ?";
// A range of the primary key, read from the index alone.
constexpr absl::string_view kSelectClientIdsAfter =
    "SELECT client_id FROM api_clients WHERE client_id > ? ORDER BY client_id LIMIT ?";
constexpr absl::string_view kSelectSecrets =
    "SELECT secret_id, secret_hash, created_at, revoked_at, COALESCE(fast_verifier, '') "
    "FROM api_client_secrets WHERE client_id = ? ORDER BY created_at, secret_id";
constexpr absl::string_view kRevokeSecret =
    "UPDATE api_client_secrets SET revoked_at = ?, rotation_place = NULL "
    "WHERE client_id = ? AND secret_id = ? AND revoked_at IS NULL";
constexpr absl::string_view kSecretExists =
    "SELECT 1 FROM api_client_secrets WHERE client_id = ? AND secret_id = ?";
// Makes AddSecret write the client's row it judged under its lock: on Galera only written rows are certified,
// a lock alone does not hold back another node (gateway migration 0030).
constexpr absl::string_view kTouchClient =
    "UPDATE api_clients SET lock_version = lock_version + 1 WHERE client_id = ?";
constexpr absl::string_view kRevokeClient =
    "UPDATE api_clients SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL";
constexpr absl::string_view kRevokeClientSecrets =
    "UPDATE api_client_secrets SET revoked_at = ?, rotation_place = NULL "
    "WHERE client_id = ? AND revoked_at IS NULL";
constexpr absl::string_view kAuditColumns =
    "INSERT INTO audit_log (audit_id, occurred_at, request_id, subject, organisation_id, subject_claimed, "
    "method, face, grpc_code, latency_us, peer, repeats) VALUES ";
constexpr absl::string_view kAuditRow = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
// Idempotent on the row's id: a batch written again after its answer was lost (committed, then the connection
// died) leaves the rows it already wrote as they are, so every row exists once. Not INSERT IGNORE, which
// would also turn bad data into silent truncation. The no-op update changes no row, so Galera (row-based
// replication) certifies and replicates nothing for it, and TiDB accepts it alike; audit ids are generated
// per process, so two replicas never meet on one.
constexpr absl::string_view kAuditIdempotent = " ON DUPLICATE KEY UPDATE audit_id = audit_id";
// Audit batches are written in statements of at most this many rows (one prepared statement per size).
constexpr size_t kAuditChunk = 100;

std::vector<std::string> SplitList(const std::string& text) {
  return absl::StrSplit(text, ',', absl::SkipEmpty());
}

absl::StatusOr<absl::Time> TimeOf(const db::Row& row, size_t i) { return FromSqlTimestamp(row.String(i)); }

absl::StatusOr<ApiClientRecord> ClientOf(const db::Row& row) {
  ApiClientRecord client;
  client.client_id = row.String(0);
  client.display_name = row.String(1);
  client.organisation_id = row.String(2);
  client.roles = SplitList(row.String(3));
  client.jurisdictions = SplitList(row.String(4));
  ASSIGN_OR_RETURN(client.created_at, TimeOf(row, 5));
  if (!row.IsNull(6)) {
    ASSIGN_OR_RETURN(absl::Time revoked, TimeOf(row, 6));
    client.revoked_at = revoked;
  }
  return client;
}

absl::Status LoadSecrets(db::Session& session, ApiClientRecord& client) {
  ASSIGN_OR_RETURN(db::Rows rows, session.Query(kSelectSecrets, {client.client_id}));
  client.secrets.clear();
  for (const db::Row& row : rows) {
    ApiClientSecretRecord secret;
    secret.secret_id = row.String(0);
    secret.secret_hash = row.String(1);
    ASSIGN_OR_RETURN(secret.created_at, TimeOf(row, 2));
    if (!row.IsNull(3)) {
      ASSIGN_OR_RETURN(absl::Time revoked, TimeOf(row, 3));
      secret.revoked_at = revoked;
    }
    secret.fast_verifier = row.String(4);
    client.secrets.push_back(std::move(secret));
  }
  return absl::OkStatus();
}

absl::StatusOr<ApiClientRecord> ReadClient(db::Session& session, const std::string& client_id,
                                           bool for_update) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   session.QueryOne(for_update ? kSelectClientForUpdate : kSelectClient, {client_id}));
  if (!row.has_value()) return absl::NotFoundError("no such API client");
  ASSIGN_OR_RETURN(ApiClientRecord client, ClientOf(*row));
  RETURN_IF_ERROR(LoadSecrets(session, client));
  return client;
}

// The rotation place a new secret of the client takes: the first of 1 and 2 no valid secret holds; nullopt
// when both are held.
absl::StatusOr<std::optional<int64_t>> FreePlace(db::Session& tx, const std::string& client_id) {
  ASSIGN_OR_RETURN(db::Rows rows, tx.Query(kTakenPlaces, {client_id}));
  bool taken[kMaxActiveSecrets + 1] = {};
  for (const db::Row& row : rows) {
    const int64_t place = row.Int(0);
    if (place >= 1 && place <= kMaxActiveSecrets) taken[place] = true;
  }
  for (int64_t place = 1; place <= kMaxActiveSecrets; ++place) {
    if (!taken[place]) return std::optional<int64_t>(place);
  }
  return std::optional<int64_t>();
}

int ActiveSecrets(const ApiClientRecord& client) {
  int active = 0;
  for (const auto& secret : client.secrets) active += secret.revoked_at.has_value() ? 0 : 1;
  return active;
}

}  // namespace

absl::StatusOr<ApiClientRecord> GatewayStore::CreateClient(const IdempotencyKey& key,
                                                           const ApiClientRecord& client,
                                                           const ApiClientSecretRecord& secret) {
  ApiClientRecord result;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, ClaimIdempotent(tx, key, client.created_at));
    if (earlier.has_value()) {
      ASSIGN_OR_RETURN(result, ReadClient(tx, *earlier, false));
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(
        tx.Execute(kInsertClient, {client.client_id, client.display_name, client.organisation_id,
                                   absl::StrJoin(client.roles, ","), absl::StrJoin(client.jurisdictions, ","),
                                   ToSqlTimestamp(client.created_at)})
            .status());
    RETURN_IF_ERROR(
        tx.Execute(kInsertSecret, {secret.secret_id, client.client_id, secret.secret_hash,
                                   secret.fast_verifier, ToSqlTimestamp(secret.created_at), int64_t{1}})
            .status());
    RETURN_IF_ERROR(CompleteIdempotent(tx, key, client.client_id));
    ASSIGN_OR_RETURN(result, ReadClient(tx, client.client_id, false));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::string> GatewayStore::AddSecret(const IdempotencyKey& key, const std::string& client_id,
                                                    const ApiClientSecretRecord& secret) {
  std::string secret_id;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, ClaimIdempotent(tx, key, secret.created_at));
    if (earlier.has_value()) {
      secret_id = *earlier;
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(ApiClientRecord client, ReadClient(tx, client_id, true));
    if (client.revoked_at.has_value()) return absl::FailedPreconditionError("the API client is revoked");
    ASSIGN_OR_RETURN(std::optional<int64_t> place, FreePlace(tx, client_id));
    if (ActiveSecrets(client) >= kMaxActiveSecrets || !place) {
      return absl::FailedPreconditionError("the API client already has two valid secrets; revoke one first");
    }
    // An AddSecret beside a RevokeClient on another Galera node conflicts on this row. Two AddSecret calls
    // also conflict on the place they both take (a unique key, certified on every node), which holds the rule
    // even where the count above was judged before the other node's secret arrived.
    RETURN_IF_ERROR(tx.Execute(kTouchClient, {client_id}).status());
    const absl::Status inserted =
        tx.Execute(kInsertSecret, {secret.secret_id, client_id, secret.secret_hash, secret.fast_verifier,
                                   ToSqlTimestamp(secret.created_at), *place})
            .status();
    // Taken meanwhile by a secret this transaction did not see: judged again from the start, on fresh reads.
    if (inserted.code() == absl::StatusCode::kAlreadyExists) {
      return MarkRetryable(
          absl::AbortedError("another secret took the API client's rotation place meanwhile"));
    }
    RETURN_IF_ERROR(inserted);
    RETURN_IF_ERROR(CompleteIdempotent(tx, key, secret.secret_id));
    secret_id = secret.secret_id;
    return absl::OkStatus();
  }));
  return secret_id;
}

absl::StatusOr<ApiClientRecord> GatewayStore::RevokeSecret(const IdempotencyKey& key,
                                                           const std::string& client_id,
                                                           const std::string& secret_id, absl::Time now) {
  ApiClientRecord result;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, ClaimIdempotent(tx, key, now));
    if (!earlier.has_value()) {
      ASSIGN_OR_RETURN(ApiClientRecord client, ReadClient(tx, client_id, true));
      ASSIGN_OR_RETURN(std::optional<db::Row> exists, tx.QueryOne(kSecretExists, {client_id, secret_id}));
      if (!exists.has_value()) return absl::NotFoundError("no such secret for this API client");
      RETURN_IF_ERROR(tx.Execute(kRevokeSecret, {ToSqlTimestamp(now), client_id, secret_id}).status());
      RETURN_IF_ERROR(CompleteIdempotent(tx, key, client_id));
    }
    ASSIGN_OR_RETURN(result, ReadClient(tx, client_id, false));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<ApiClientRecord> GatewayStore::RevokeClient(const IdempotencyKey& key,
                                                           const std::string& client_id, absl::Time now) {
  ApiClientRecord result;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, ClaimIdempotent(tx, key, now));
    if (!earlier.has_value()) {
      RETURN_IF_ERROR(ReadClient(tx, client_id, true).status());
      RETURN_IF_ERROR(tx.Execute(kRevokeClient, {ToSqlTimestamp(now), client_id}).status());
      RETURN_IF_ERROR(tx.Execute(kRevokeClientSecrets, {ToSqlTimestamp(now), client_id}).status());
      RETURN_IF_ERROR(CompleteIdempotent(tx, key, client_id));
    }
    ASSIGN_OR_RETURN(result, ReadClient(tx, client_id, false));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<ApiClientRecord> GatewayStore::GetClient(const std::string& client_id) {
  ApiClientRecord result;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(result, ReadClient(session, client_id, false));
    return absl::OkStatus();
  }));
  return result;
}

absl::Status GatewayStore::SetFastVerifier(const std::string& client_id, const std::string& secret_id,
                                           const std::string& fast_verifier) {
  return pool_.Autocommit([&](db::Session& session) -> absl::Status {
    return session.Execute(kSetFastVerifier, {fast_verifier, client_id, secret_id}).status();
  });
}

absl::StatusOr<std::vector<ApiClientRecord>> GatewayStore::ListClients(const std::string& after, int limit) {
  std::vector<ApiClientRecord> clients;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(kSelectClientsAfter, {after, int64_t{limit}}));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(ApiClientRecord client, ClientOf(row));
      RETURN_IF_ERROR(LoadSecrets(session, client));
      clients.push_back(std::move(client));
    }
    return absl::OkStatus();
  }));
  return clients;
}

absl::StatusOr<std::vector<std::string>> GatewayStore::ClientIdsAfter(const std::string& after, int limit) {
  std::vector<std::string> ids;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(kSelectClientIdsAfter, {after, int64_t{limit}}));
    ids.reserve(rows.size());
    for (db::Row& row : rows) ids.push_back(row.Take(0));
    return absl::OkStatus();
  }));
  return ids;
}

absl::Status GatewayStore::InsertAudit(const std::vector<AuditRecord>& rows) {
  return pool_.Autocommit([&](db::Session& session) -> absl::Status {
    for (size_t start = 0; start < rows.size(); start += kAuditChunk) {
      const size_t count = std::min(kAuditChunk, rows.size() - start);
      std::vector<std::string> placeholders(count, std::string(kAuditRow));
      const std::string sql =
          absl::StrCat(kAuditColumns, absl::StrJoin(placeholders, ", "), kAuditIdempotent);
      std::vector<db::Value> params;
      params.reserve(count * 12);
      for (size_t i = start; i < start + count; ++i) {
        const AuditRecord& r = rows[i];
        params.insert(params.end(), {r.audit_id, ToSqlTimestamp(r.occurred_at), r.request_id, r.subject,
                                     r.organisation_id, int64_t{r.subject_claimed ? 1 : 0}, r.method, r.face,
                                     int64_t{r.grpc_code}, r.latency_us, r.peer, r.repeats});
      }
      RETURN_IF_ERROR(session.Execute(sql, params).status());
    }
    return absl::OkStatus();
  });
}

}  // namespace shouhu::gateway
