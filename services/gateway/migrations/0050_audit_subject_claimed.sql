-- A call refused before its credentials were accepted (a wrong or revoked API-client secret, an overloaded
-- credential check) was recorded with no subject, so an auditor could not see who tried. It now carries the
-- client id the caller presented, marked here as claimed (1): what the caller said, not who the gateway
-- verified. Rows of verified callers, and every row an older gateway writes during a rolling upgrade (it
-- leaves the column out and records only verified subjects), are 0.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS subject_claimed TINYINT NOT NULL DEFAULT 0;
