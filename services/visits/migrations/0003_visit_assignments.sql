-- Who visits which household on which day, as a weekend plan stored them. One row per visitor: a team of
-- two is two rows with the same case, day and slot. Ids are application-generated, never AUTO_INCREMENT.
CREATE TABLE visit_assignments (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  case_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  visitor_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  visit_day DATE NOT NULL,
  slot INT NOT NULL,
  planned_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(6) NOT NULL,
  -- A visitor is in one household at a time: double booking is impossible, also for plans made at once
  -- (the later transaction fails on this key and rolls back whole).
  UNIQUE KEY visit_assignments_visitor_slot (visitor_id, visit_day, slot),
  KEY visit_assignments_case (case_id, visit_day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
