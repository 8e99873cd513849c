-- What happened on each assignment in the field: the visitor's check-in and check-out (time, optional
-- location in microdegrees, integers rather than floats) and the contact made or attempted, with who was
-- seen. One row per assignment, made at check-in. The household's village and the visitor's organisation are
-- copied from the plan and the visitor at check-in, so scope and statistics need no join.
CREATE TABLE visit_contacts (
  assignment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  case_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  visitor_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  visit_day DATE NOT NULL,
  slot INT NOT NULL,
  checked_in_at DATETIME(6) NOT NULL,
  check_in_lat_e6 INT NULL,
  check_in_lng_e6 INT NULL,
  checked_out_at DATETIME(6) NULL,
  check_out_lat_e6 INT NULL,
  check_out_lng_e6 INT NULL,
  -- ContactResult's number; 0 until checked out.
  contact_result TINYINT NOT NULL DEFAULT 0,
  child_seen TINYINT NOT NULL DEFAULT 0,
  guardians_seen INT NOT NULL DEFAULT 0,
  others_seen INT NOT NULL DEFAULT 0,
  -- When the visit's slot ends (UTC): the missing-check-out alert counts its grace from here.
  slot_ends_at DATETIME(6) NOT NULL,
  -- Set in the transaction that appends VisitCheckOutMissing: the alert is raised once.
  check_out_alerted_at DATETIME(6) NULL,
  checked_in_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  -- The sweep for missing check-outs: unalerted, not checked out, slot ended before a time.
  KEY visit_contacts_open (check_out_alerted_at, checked_out_at, slot_ends_at),
  -- Statistics: a jurisdiction's visits by day.
  KEY visit_contacts_village_day (village_code, visit_day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
