-- Mandatory reports of suspected harm (强制报告). The reporter is sealed (PiiCrypto, bound to the report id)
-- and found for their own list only by a keyed hash of their subject; the county sees the institution kind.
-- The overdue list reads (status, first_response_due_at) within a village range.
CREATE TABLE IF NOT EXISTS mandatory_reports (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  reporter_sealed VARBINARY(512) NOT NULL,
  reporter_hash BINARY(32) NOT NULL,
  institution_kind TINYINT NOT NULL,
  village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_name VARCHAR(64) NOT NULL DEFAULT '',
  child_resident_id_sealed VARBINARY(128) NULL,
  harm_kind TINYINT NOT NULL,
  description VARCHAR(4000) NOT NULL,
  urgency TINYINT NOT NULL,
  status TINYINT NOT NULL,
  filed_at DATETIME(6) NOT NULL,
  first_response_due_at DATETIME(6) NOT NULL,
  first_response_at DATETIME(6) NULL,
  responded_by VARCHAR(191) NOT NULL DEFAULT '',
  linked_referral_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  linked_case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  feedback VARCHAR(1000) NOT NULL DEFAULT '',
  resolved_at DATETIME(6) NULL,
  KEY mandatory_reports_overdue (status, first_response_due_at, village_code),
  KEY mandatory_reports_reporter (reporter_hash, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
