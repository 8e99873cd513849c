-- Rows a transaction locks to keep a rule, written so a Galera cluster certifies the lock (issue 15; the audit
-- is in tests/cluster/README.md). Row locks are node-local on Galera and only written keys are certified: a
-- change that locked a case to check it is open, and then wrote other rows, was not serialised against a
-- closure committed on another node. Every change that relies on such a lock now bumps the row's
-- lock_version in the same transaction:
-- - cases: casework (assessments, plans, plan items, closure requests, reviews, follow-ups) and cooperation
--   (consents, service referrals, county transfers, reintegration outcomes) work only on an open case;
-- - consents: a service referral cites a consent that has not been withdrawn (a withdrawal writes the row).
ALTER TABLE cases ADD COLUMN IF NOT EXISTS lock_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE consents ADD COLUMN IF NOT EXISTS lock_version BIGINT NOT NULL DEFAULT 0;
