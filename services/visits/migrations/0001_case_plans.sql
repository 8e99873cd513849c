-- The visits service's plan per case, folded from the registry's case events. Ids are the registry's
-- (application-generated there), never AUTO_INCREMENT; days are DATE in Asia/Shanghai. Enum columns hold
-- cadence.h's numbers (risk: 0 low .. 3 extreme; visit kind: 0 verification, 1 follow-up).

CREATE TABLE case_plans (
  case_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  risk TINYINT NOT NULL,
  is_open TINYINT NOT NULL,
  opened_on DATE NOT NULL,
  last_completed_visit DATE NULL,
  last_visitor_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  -- The next visit due; NULL when the case is not open (its future visits are cancelled).
  next_due_day DATE NULL,
  next_visit_kind TINYINT NULL,
  -- The registry event sequence last folded in: an event at or before it is a replay and changes nothing.
  last_event_sequence BIGINT NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY case_plans_child (child_id, opened_on),
  KEY case_plans_due (village_code, next_due_day),
  -- The overdue list scans a jurisdiction's open plans by case id (its page token).
  KEY case_plans_open_village (is_open, village_code, case_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
