-- A visitor taken off their future visits (qualification lost, safeguarding concern) counts a release here,
-- in the same transaction as the release; a weekend plan reads these counts before it judges who may visit
-- and stores its visits only if none moved meanwhile (writing each visitor's row as it checks). Without it a
-- plan that judged a visitor eligible just before the release stored their visit just after it: the release
-- had found nothing to take back. On Galera both sides now write the visitor's row, so the two conflict
-- instead of committing side by side on two nodes (tests/cluster/README.md, the FOR UPDATE audit).
-- lock_version is what the plan writes: an UPDATE that changes nothing is no write for Galera.
ALTER TABLE visitors
  ADD COLUMN IF NOT EXISTS releases BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS lock_version BIGINT NOT NULL DEFAULT 0;
