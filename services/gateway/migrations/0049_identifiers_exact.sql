-- Ids compared byte for byte, as the services' tables do. Under the tables' utf8mb4_unicode_ci an API client's
-- id was found whatever its letters' case, and an auditor asking the call log for one subject's calls got also
-- those of a subject differing only in case (identity providers' ids are case-sensitive). Client and secret ids
-- are ours (common/ids.h); a subject and an organisation id reach this table only through ValidateIdentifier
-- (printable ASCII without spaces), so every value converts to ascii as is.
ALTER TABLE api_clients
  MODIFY client_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE api_client_secrets
  MODIFY secret_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY client_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE audit_log
  MODIFY audit_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY subject VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
