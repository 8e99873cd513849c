-- The PII access log as one row per read, not one per record read (issue 14). A county search's page showed
-- 50 children and wrote 50 rows into pii_access_log, each into four B-trees (the primary key and three
-- secondary indexes, `(record_id, id)` inserted in random order): about 820 us of MariaDB per page, the largest
-- single cost of the search. Now a read (a GetChild, a page of a search, a list of referrals) is one row that
-- says who, when, why, which fields, the division all its records lie in (`scope`, the longest prefix their
-- villages share) and, in `records`, every record it showed, each with its own entry id, village and
-- consent; and "who read this record" is one range of a narrow table clustered on (record_id, log_id), with no
-- secondary index. By experiment about 390 us of MariaDB per page (tests/bench/README.md, Registry).
-- Both are written in one transaction: a read is in both or in neither.
CREATE TABLE IF NOT EXISTS pii_access_reads (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  at DATETIME(6) NOT NULL,
  subject VARCHAR(191) NOT NULL,
  organisation_id VARCHAR(64) NOT NULL,
  record_type VARCHAR(16) NOT NULL,
  fields VARCHAR(255) NOT NULL,
  purpose VARCHAR(255) NOT NULL,
  method VARCHAR(64) NOT NULL,
  scope VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- "entry_id record_id village_code consent_id" per record read, records separated by ';' (consent_id empty
  -- when none was needed). The first record's entry id is the read's id.
  records MEDIUMTEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  KEY access_reads_subject (subject, id),
  KEY access_reads_scope (scope, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS pii_access_records (
  record_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  log_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (record_id, log_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every row of the old log becomes a read of one record with the same id (so its entry id is unchanged).
-- INSERT IGNORE, and the old table's shape if an interrupted attempt already dropped it: the migration can
-- run again from any of its statements.
CREATE TABLE IF NOT EXISTS pii_access_log (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  at DATETIME(6) NOT NULL,
  subject VARCHAR(191) NOT NULL,
  organisation_id VARCHAR(64) NOT NULL,
  record_type VARCHAR(16) NOT NULL,
  record_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  fields VARCHAR(255) NOT NULL,
  purpose VARCHAR(255) NOT NULL,
  method VARCHAR(64) NOT NULL,
  consent_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT IGNORE INTO pii_access_reads (id, at, subject, organisation_id, record_type, fields, purpose, method,
                                     scope, records)
  SELECT id, at, subject, organisation_id, record_type, fields, purpose, method, village_code,
         CONCAT(id, ' ', record_id, ' ', village_code, ' ', COALESCE(consent_id, ''))
  FROM pii_access_log;
INSERT IGNORE INTO pii_access_records (record_id, log_id) SELECT record_id, id FROM pii_access_log;
DROP TABLE IF EXISTS pii_access_log;
