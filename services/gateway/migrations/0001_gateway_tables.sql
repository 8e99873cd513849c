-- API clients of county civil-affairs systems and partner NGOs, the principal each acts as, and their secrets
-- (stored only as libsodium crypto_pwhash_str hashes; at most two active at once while a client rotates).
CREATE TABLE api_clients (
  client_id CHAR(26) NOT NULL,
  display_name VARCHAR(200) NOT NULL,
  organisation_id VARCHAR(64) NOT NULL,
  roles VARCHAR(512) NOT NULL,          -- comma-separated shouhu.common.v1.Role names
  jurisdictions VARCHAR(1024) NOT NULL, -- comma-separated division-code prefixes
  created_at DATETIME(6) NOT NULL,
  revoked_at DATETIME(6) NULL,
  PRIMARY KEY (client_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE api_client_secrets (
  secret_id CHAR(26) NOT NULL,
  client_id CHAR(26) NOT NULL,
  secret_hash VARCHAR(255) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  revoked_at DATETIME(6) NULL,
  PRIMARY KEY (secret_id),
  KEY api_client_secrets_by_client (client_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per call through the gateway: who, for which organisation, which method, how it ended, how long it
-- took. Never payloads or personal data.
CREATE TABLE audit_log (
  audit_id CHAR(26) NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  request_id VARCHAR(128) NOT NULL,
  subject VARCHAR(128) NOT NULL,
  organisation_id VARCHAR(64) NOT NULL,
  method VARCHAR(255) NOT NULL,
  face VARCHAR(8) NOT NULL,             -- 'grpc' or 'http'
  grpc_code INT NOT NULL,
  latency_us BIGINT NOT NULL,
  PRIMARY KEY (audit_id),
  KEY audit_log_by_time (occurred_at),
  KEY audit_log_by_subject (subject, occurred_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
