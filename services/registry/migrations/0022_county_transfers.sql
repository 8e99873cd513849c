-- Requests to hand a case from one county to another. At most one open (REQUESTED) per case: open_case_id
-- holds the case id while the request is open and NULL after, so the unique key allows any number of decided
-- ones. Listed by the sending side's and the receiving side's villages.
CREATE TABLE IF NOT EXISTS county_transfers (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  open_case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  from_village VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  to_village VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  from_org VARCHAR(64) NOT NULL,
  to_org VARCHAR(64) NOT NULL DEFAULT '',
  reason VARCHAR(1000) NOT NULL,
  status TINYINT NOT NULL,
  requested_by VARCHAR(191) NOT NULL,
  requested_at DATETIME(6) NOT NULL,
  decided_by VARCHAR(191) NOT NULL DEFAULT '',
  decided_at DATETIME(6) NULL,
  decision_reason VARCHAR(1000) NOT NULL DEFAULT '',
  UNIQUE KEY county_transfers_open (open_case_id),
  KEY county_transfers_case (case_id, id),
  KEY county_transfers_from (from_village, id),
  KEY county_transfers_to (to_village, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
