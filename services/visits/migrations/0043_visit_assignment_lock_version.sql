-- Written by a check-in (and a late check-in's restore) for the visit it takes, where it used to only lock the
-- assignment's row: on Galera a row lock holds only on its own node and only written rows are certified, so a
-- release on one node (a safeguarding concern, a lost qualification: it deletes the row) and the visitor's
-- check-in on another both committed, admitting a person just taken off the visit. Bumping this column makes
-- the check-in write the row, so the two conflict and the later is retried (tests/cluster/README.md).
-- Rolling upgrade: an older replica's check-in still only locks the row (as before this migration); the
-- column's default serves its inserts.
ALTER TABLE visit_assignments ADD COLUMN IF NOT EXISTS lock_version BIGINT NOT NULL DEFAULT 0;
