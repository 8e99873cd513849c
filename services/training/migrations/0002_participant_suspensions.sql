-- A person's suspension from work with children (SuspendParticipant), kept apart from the volunteer stage so
-- an ordinary stage change (suspended → active) can never lift a safeguarding suspension, and so staff, who
-- have no stage, can be suspended too. NULL reason: not suspended.
ALTER TABLE participants
  ADD COLUMN suspension_reason TINYINT NULL,
  ADD COLUMN suspension_reference VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN suspended_at DATETIME(6) NULL,
  ADD COLUMN suspended_by VARCHAR(191) NULL;

-- Every suspension and reinstatement, newest last, for supervision and audit.
CREATE TABLE suspension_changes (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  participant_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  suspended TINYINT NOT NULL,
  reason TINYINT NOT NULL,
  reference VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  changed_by VARCHAR(191) NOT NULL,
  changed_at DATETIME(6) NOT NULL,
  KEY suspension_changes_participant (participant_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
