-- Written by AddSecret, which used to only lock the client's row while it counted the valid secrets: on Galera
-- a row lock is local to its node and only written rows are certified, so two AddSecret calls on two nodes both
-- passed the count and left a client with three valid secrets (or one was added beside a RevokeClient).
-- Bumping this column makes AddSecret write the row, so such calls conflict (tests/cluster/README.md).
ALTER TABLE api_clients ADD COLUMN IF NOT EXISTS lock_version BIGINT NOT NULL DEFAULT 0;
