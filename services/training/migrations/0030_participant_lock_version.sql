-- Written by a transaction that locks a participant's row only to rely on it (Enroll reads the stage and
-- suspension under that lock): on Galera a row lock is local to its node and only written rows are certified,
-- so a lock that is not also a write does not hold back a ChangeVolunteerStage on another node. Bumping this
-- column makes the enrollment write the row, and the two conflict wherever they run (tests/cluster/README.md).
ALTER TABLE participants ADD COLUMN IF NOT EXISTS lock_version BIGINT NOT NULL DEFAULT 0;
