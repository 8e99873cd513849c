-- Visit reports, one per assignment, keyed by the id the field client made (a UUID) so a re-sent report is
-- recognised. `body` holds a serialized shouhu.visits.storage.v1.ReportBody (observations, danger signs,
-- needs, follow-ups, summary): private to the store, never an API message. `version` starts at 1 and grows
-- by one per edit; an edit names the version it was based on. `submitted_hash` is the SHA-256 of the content
-- first submitted, `content_hash` of the content now: a re-send matching either changes nothing.
CREATE TABLE visit_reports (
  id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  assignment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  case_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  visitor_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  visit_day DATE NOT NULL,
  version BIGINT NOT NULL,
  -- VisitOutcome's number.
  outcome TINYINT NOT NULL,
  body MEDIUMBLOB NOT NULL,
  submitted_hash BINARY(32) NOT NULL,
  content_hash BINARY(32) NOT NULL,
  created_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  -- One report per visitor's visit: a second one under another id is ALREADY_EXISTS.
  UNIQUE KEY visit_reports_assignment (assignment_id),
  KEY visit_reports_child (child_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
