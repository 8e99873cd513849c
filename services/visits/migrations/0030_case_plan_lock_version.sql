-- Written by StoreWeekendPlan for every household it plans, where it used to only lock the case plan's row:
-- on Galera a row lock is local to its node and only written rows are certified, so two plans stored at once
-- on two nodes both placed a visit to one household in one weekend. Bumping this column makes each plan write
-- the row, so the two conflict and the later one sees the earlier's visit (tests/cluster/README.md).
ALTER TABLE case_plans ADD COLUMN IF NOT EXISTS lock_version BIGINT NOT NULL DEFAULT 0;
