-- The access log's ids in commit order across registry replicas (issue 14). An auditor (or a county system
-- copying the log) pages by id, so an entry must never commit after a higher id has become visible: it would
-- be skipped. One process's writer commits its batches in turn, but every replica has its own writer and
-- its own clock. Each batch's transaction now ends by taking this row (access_log_writer.cc): it moves
-- last_id up to the batch's highest id only if every id of the batch is above it, and holds the row's lock to
-- its COMMIT; a batch whose ids are not above it (another replica wrote higher ones) is rolled back and
-- written again with ids above it. So a batch commits only after every batch with lower ids, on one server
-- by the row lock, on Galera by certification (two nodes' batches both writing this row: one is aborted and
-- written again).
CREATE TABLE IF NOT EXISTS pii_access_log_turn (
  id TINYINT NOT NULL PRIMARY KEY,
  last_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
) ENGINE=InnoDB;
-- From the newest read already logged (its records' entry ids, a little above it, came from the same
-- generator in the same moment; the first batch after this migration comes from a process started later).
INSERT IGNORE INTO pii_access_log_turn (id, last_id) SELECT 1, COALESCE(MAX(id), '') FROM pii_access_reads;
