-- How street children and children returned home are doing, one row per recorded outcome (append-only);
-- the newest row of a case carries the follow-up date that is due.
CREATE TABLE IF NOT EXISTS reintegration_outcomes (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organisation_id VARCHAR(64) NOT NULL,
  outcome TINYINT NOT NULL,
  detail VARCHAR(1000) NOT NULL DEFAULT '',
  follow_up_date DATE NOT NULL,
  recorded_by VARCHAR(191) NOT NULL,
  recorded_at DATETIME(6) NOT NULL,
  KEY reintegration_case (case_id, id),
  KEY reintegration_follow_up (follow_up_date, village_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
