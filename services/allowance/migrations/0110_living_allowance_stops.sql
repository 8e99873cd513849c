-- Every stop of a child's monthly allowance (the case closed or transferred away, the child placed in an
-- institution or out of the category), not only the latest. An enrolment ends at the first stop on or after
-- its approval and stays ended (StopMonth). living_allowance_children.stopped_on holds the latest day alone,
-- so a later stop moved an earlier enrolment's end forward: a child who moved county on the 3rd (stopping
-- the first county's enrolment) and whose new county's case closed next month looked owed the first county's
-- months again, and its approved roster line was paid beside the new county's. The readers take the days from
-- here (living_allowance_stops.h); stopped_on stays the latest, as the previous release reads it.
CREATE TABLE IF NOT EXISTS living_allowance_stops (
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  stopped_on DATE NOT NULL,
  reason VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The registry event that recorded it (living_allowance_children.last_event_sequence guards replays).
  event_sequence BIGINT NOT NULL,
  recorded_at DATETIME(6) NOT NULL,
  PRIMARY KEY (child_id, stopped_on, event_sequence)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The stops known before: the latest of each child (the earlier ones were overwritten and are not known;
-- those children's enrolments are judged as the previous release judged them).
INSERT IGNORE INTO living_allowance_stops (child_id, stopped_on, reason, event_sequence, recorded_at)
SELECT child_id, stopped_on, stop_reason, last_event_sequence, updated_at FROM living_allowance_children
WHERE stopped_on IS NOT NULL;
