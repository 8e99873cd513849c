-- Future assignments taken from a visitor who lost their qualification (a training event) or is the subject
-- of a safeguarding concern: moved here from visit_assignments, so the visit is due and unassigned again and
-- the next plan can place it, while the record of who was booked stays. Id: the assignment's own.
CREATE TABLE released_assignments (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  case_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  visitor_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  visit_day DATE NOT NULL,
  slot INT NOT NULL,
  -- "safeguarding-concern:<id>" or "training-event:<sequence>": never personal detail.
  released_because VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  released_at DATETIME(6) NOT NULL,
  KEY released_assignments_visitor (visitor_id, visit_day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The training event last applied per person by the qualification follower: an event at or before it is a
-- replay and changes nothing (replaying training's stream from 0 must not take anyone off visits planned
-- since).
CREATE TABLE training_event_marks (
  participant_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  last_event_sequence BIGINT NOT NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
