-- Referrals as submitted. The child's particulars stay in `details` (a serialized ChildDetails / Household /
-- guardians record, resident id removed); the resident id is sealed separately and findable only by its
-- keyed hash. county_code is the first six digits of village_code, kept for grouping.
CREATE TABLE IF NOT EXISTS referrals (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  status TINYINT NOT NULL,
  referring_org VARCHAR(64) NOT NULL,
  assigned_org VARCHAR(64) NOT NULL,
  submitted_by VARCHAR(191) NOT NULL,
  source TINYINT NOT NULL,
  village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  details LONGBLOB NOT NULL,
  resident_id_sealed VARBINARY(128) NULL,
  resident_id_hash BINARY(32) NULL,
  linked_child_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  possible_duplicates VARCHAR(600) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  decision_reason VARCHAR(1000) NOT NULL DEFAULT '',
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  submitted_at DATETIME(6) NOT NULL,
  decided_at DATETIME(6) NULL,
  KEY referrals_village (village_code, status, id),
  KEY referrals_hash (resident_id_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS referral_history (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  referral_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  at DATETIME(6) NOT NULL,
  actor VARCHAR(191) NOT NULL,
  action VARCHAR(32) NOT NULL,
  detail VARCHAR(1000) NOT NULL DEFAULT '',
  KEY referral_history_referral (referral_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A child exists once a referral about them is accepted. The resident-id hash is unique: two accepts of the
-- same child at once make one row, the second links to it.
CREATE TABLE IF NOT EXISTS children (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  sex TINYINT NOT NULL,
  birth_date DATE NOT NULL,
  resident_id_sealed VARBINARY(128) NULL,
  resident_id_hash BINARY(32) NULL,
  village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  address_detail VARCHAR(255) NOT NULL DEFAULT '',
  latitude DECIMAL(9,6) NULL,
  longitude DECIMAL(9,6) NULL,
  categories VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  current_case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY children_resident_id (resident_id_hash),
  KEY children_village_birth (village_code, birth_date),
  KEY children_village_id (village_code, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Categories again as rows, for search and statistics by category.
CREATE TABLE IF NOT EXISTS child_categories (
  child_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  category TINYINT NOT NULL,
  PRIMARY KEY (child_id, category),
  KEY child_categories_category (category, child_id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS guardians (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  child_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name VARCHAR(64) NOT NULL,
  relationship TINYINT NOT NULL,
  status TINYINT NOT NULL,
  KEY guardians_child (child_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS cases (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  child_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  referral_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organisation_id VARCHAR(64) NOT NULL,
  caseworker_id VARCHAR(191) NOT NULL,
  status TINYINT NOT NULL,
  risk_level TINYINT NOT NULL,
  care_type TINYINT NOT NULL DEFAULT 0,
  caregiver VARCHAR(128) NOT NULL DEFAULT '',
  care_effective_date DATE NULL,
  village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  opened_at DATETIME(6) NOT NULL,
  closed_at DATETIME(6) NULL,
  close_reason VARCHAR(1000) NOT NULL DEFAULT '',
  updated_at DATETIME(6) NOT NULL,
  KEY cases_child (child_id),
  KEY cases_org (organisation_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS case_history (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  at DATETIME(6) NOT NULL,
  actor VARCHAR(191) NOT NULL,
  action VARCHAR(32) NOT NULL,
  from_status TINYINT NOT NULL,
  to_status TINYINT NOT NULL,
  detail VARCHAR(1000) NOT NULL DEFAULT '',
  KEY case_history_case (case_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who read which child's personal data (in a child record, or in a referral before the child is registered), when, which fields and why (PIPL). Append-only.
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
  KEY access_record (record_id, id),
  KEY access_subject (subject, id),
  KEY access_village (village_code, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
