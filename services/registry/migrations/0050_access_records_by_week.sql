-- "Who read this record", kept by week of the read (issue 14). pii_access_records is clustered on (record_id,
-- log_id), so each record read puts its row at a random place in an index that grows with every read ever
-- logged; once that index outgrows the buffer pool, most rows of a batch need a page read from disk first,
-- inside the log's one serial transaction that every reader waits for. On the full-size data set (28 million
-- rows, 4.2 GB, a 12 GB pool) the log's batches read 7,294 pages of it from disk in 15 s of searches @16; with
-- this table, the pages a search run read fell from about 11,700 to 1,700-4,300 and a GetChild @64 run's from
-- about 21,000 to 5,300 (tests/bench/README.md, Registry). A province logs millions of such rows a day. Here
-- the week of the read comes first: a batch writes only into the current week's part of the index, which
-- stays in memory, and the weeks before it are read only by an auditor's "who read this record" (one index
-- range per week, access_log_entries.h AccessLogWeek).
--
-- Reads logged before this migration stay where they are (pii_access_records, no longer written): copying
-- them would rebuild the log's largest table at a service's start (hours at a province's size, and on Galera
-- a cluster-wide pause). The store reads a record's reads from both tables (registry_store.cc).
CREATE TABLE IF NOT EXISTS pii_access_records_by_week (
  -- Whole weeks since 1970-01-01 of the read's id's time (the id's first 48 bits are its milliseconds).
  week SMALLINT UNSIGNED NOT NULL,
  record_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  log_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (week, record_id, log_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
