-- Safeguarding concerns about visitors: confidential (only safeguarding leads and auditors read them through
-- the API). Scoped where the visitor lives and by their organisation. Enum columns hold the proto numbers of
-- shouhu.visits.v1 (category, reporter, state). Ids are application-generated, never AUTO_INCREMENT.
CREATE TABLE safeguarding_concerns (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  visitor_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  participant_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  division_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  category TINYINT NOT NULL,
  reporter TINYINT NOT NULL,
  -- Sealed (common/pii_crypto.h, bound to the concern id): a dump of the table does not read.
  account_sealed BLOB NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  assignment_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  raised_by VARCHAR(191) NOT NULL,
  raised_at DATETIME(6) NOT NULL,
  state TINYINT NOT NULL,
  -- What the training service still has to be told: 0 nothing, 1 suspend, 2 reinstate. Set in the
  -- transaction that records the change, cleared once training confirmed it, so a call that failed (training
  -- unreachable) is retried by the sync job and never lost.
  training_pending TINYINT NOT NULL,
  suspension_confirmed TINYINT NOT NULL DEFAULT 0,
  assignments_released INT NOT NULL DEFAULT 0,
  reviewed_by VARCHAR(191) NULL,
  reviewed_at DATETIME(6) NULL,
  review_note_sealed BLOB NULL,
  KEY safeguarding_concerns_division (division_code, id),
  -- Whether a concern still holds a person (planning leaves them out; reinstatement waits for the last).
  KEY safeguarding_concerns_visitor (visitor_id, state),
  KEY safeguarding_concerns_participant (participant_id, state),
  KEY safeguarding_concerns_pending (training_pending, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
