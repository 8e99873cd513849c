-- Group activities follow training's qualification events (qualification_follower.h): a facilitator who may no
-- longer lead group activities from a day on is taken off every activity of theirs dated from that day, with a
-- record of it, and a scheduling or a change of facilitators that asked training before the loss arrived is
-- refused (facilitator_release.h).
--
-- Each activity's facilitators, one row each, keyed by person and day: the follower finds a person's upcoming
-- activities in one index range. group_activities.facilitators stays the list in its order (what every
-- replica reads and answers with) and is kept current with these rows.
CREATE TABLE IF NOT EXISTS group_activity_facilitators (
  participant_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  activity_date DATE NOT NULL,
  activity_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (participant_id, activity_date, activity_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who was taken off which activity, from which day they were no longer qualified, when, and why
-- ("training-event:<sequence>" or "safeguarding-concern:<id>"; never personal detail). The organiser sees the
-- person and the day, never the reason: a suspension may be a safeguarding matter.
CREATE TABLE IF NOT EXISTS group_facilitator_removals (
  activity_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  participant_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  removed_because VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  lost_from DATE NOT NULL,
  removed_at DATETIME(6) NOT NULL,
  PRIMARY KEY (activity_id, participant_id, removed_because)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- facilitator_rows = 1 once an activity's rows above are written. Rolling upgrade: an older replica still
-- running beside a newer one schedules activities without rows (0, the default); the follower and
-- ChangeGroupActivityFacilitators write the rows of such an activity before they use them, so nobody on it is
-- missed. The older replica itself neither takes facilitators off activities when it happens to apply a
-- training event, nor refuses attendance at an activity left without one: roll every replica before relying
-- on either (a loss an older replica applied took the person off home visits only).
ALTER TABLE group_activities
  ADD COLUMN IF NOT EXISTS facilitator_rows TINYINT NOT NULL DEFAULT 0,
  ADD KEY IF NOT EXISTS group_activities_unlisted (facilitator_rows, activity_date);

-- The rows of the activities already stored (1 to 5 facilitators, one per line), then the mark on those whose
-- rows are there: one an older replica wrote in between has no row for its first facilitator and stays 0.
INSERT IGNORE INTO group_activity_facilitators (participant_id, activity_date, activity_id)
  SELECT SUBSTRING_INDEX(SUBSTRING_INDEX(facilitators, CHAR(10 USING ascii), n.n), CHAR(10 USING ascii), -1),
         activity_date, id
  FROM group_activities
  JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) n
    ON LENGTH(facilitators) - LENGTH(REPLACE(facilitators, CHAR(10 USING ascii), '')) >= n.n - 1
  WHERE facilitators <> '' AND facilitator_rows = 0;
UPDATE group_activities a
  JOIN group_activity_facilitators f ON f.activity_id = a.id AND f.activity_date = a.activity_date
    AND f.participant_id = SUBSTRING_INDEX(a.facilitators, CHAR(10 USING ascii), 1)
  SET a.facilitator_rows = 1 WHERE a.facilitator_rows = 0;

-- Losses of the group-activity qualification applied per person, with the first day of the latest (as
-- visitors.releases and later_releases count releases from home visits, 0031 and 0040): a scheduling or a
-- change of facilitators reads them before it asks training, and stores only when none moved meanwhile that
-- reaches the activity's day. lock_version is what such a store writes, so that it and the follower, which
-- writes the row too, serialise on it (on Galera as a certification conflict: an UPDATE that changes nothing
-- is no write there).
ALTER TABLE training_event_marks
  ADD COLUMN IF NOT EXISTS group_activity_losses BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS group_activity_lost_from DATE NULL,
  ADD COLUMN IF NOT EXISTS lock_version BIGINT NOT NULL DEFAULT 0;
