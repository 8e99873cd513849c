-- Whether a child's case is open for new allowance applications, as folded from the registry's events
-- (living_allowance_follower): a case closed blocks every new application, draft and approval of the child
-- until it reopens (DESIGN §2). The registry's own answer at submission cannot do it alone: a close landing
-- between that answer and the submission's commit, or an urgent-need draft made from a visit report consumed
-- after the close, left a live application. Submissions, drafts and approvals take this row's lock (and
-- write it, so that on a Galera cluster a close certified on another node conflicts with them) and the
-- follower folds a close under the same lock, cancelling whatever is open, so either the application comes
-- first and is cancelled or it finds the case closed. last_event_sequence is the registry event last folded:
-- one at or below it is a replay and changes nothing, so a replayed close never cancels what was applied for
-- after a reopening. A row is made by the first submission or event of the child; no row is an open case.
-- The previous release neither reads nor writes this table.
CREATE TABLE IF NOT EXISTS allowance_case_standing (
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  closed TINYINT NOT NULL DEFAULT 0,
  last_event_sequence BIGINT NOT NULL DEFAULT 0,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
