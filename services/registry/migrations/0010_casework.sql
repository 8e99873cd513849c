-- Casework (CaseworkService): instruments, assessments, case plans, closure requests, their supervision,
-- assessment schedules and visit follow-up tasks. Ids come from IdGenerator.

-- A published instrument version; never updated (a change is the next version of its code).
CREATE TABLE IF NOT EXISTS instruments (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  code VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  version INT NOT NULL,
  title VARCHAR(200) NOT NULL,
  -- storage.v1.InstrumentDefinition
  definition MEDIUMBLOB NOT NULL,
  published_by VARCHAR(191) NOT NULL,
  published_at DATETIME(6) NOT NULL,
  UNIQUE KEY instruments_code_version (code, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS assessments (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  instrument_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- storage.v1.StoredAnswers
  answers BLOB NOT NULL,
  total_score INT NOT NULL,
  grade TINYINT NOT NULL,
  emergency_override TINYINT NOT NULL,
  note VARCHAR(1000) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  KEY assessments_case (case_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per plan version; is_current marks the confirmed one in force (at most one per case).
CREATE TABLE IF NOT EXISTS case_plans (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  version INT NOT NULL,
  -- storage.v1.StoredGoals
  goals BLOB NOT NULL,
  is_current TINYINT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  UNIQUE KEY case_plans_version (case_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS plan_items (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  plan_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  description VARCHAR(500) NOT NULL,
  owner_id VARCHAR(191) NOT NULL,
  due_date DATE NOT NULL,
  -- The end of the due date in Asia/Shanghai, in UTC: what the task list orders by.
  due_at DATETIME(6) NOT NULL,
  status TINYINT NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY plan_items_plan (plan_id, id),
  KEY plan_items_due (status, due_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS closure_requests (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  reason VARCHAR(1000) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  KEY closure_requests_case (case_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The supervision of an assessment, plan version or closure request: item_id is that record's id.
CREATE TABLE IF NOT EXISTS casework_reviews (
  item_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  kind TINYINT NOT NULL,
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  state TINYINT NOT NULL,
  author VARCHAR(191) NOT NULL,
  submitted_by VARCHAR(191) NOT NULL DEFAULT '',
  township_checked_by VARCHAR(191) NOT NULL DEFAULT '',
  county_confirmed_by VARCHAR(191) NOT NULL DEFAULT '',
  returned_by VARCHAR(191) NOT NULL DEFAULT '',
  return_reason VARCHAR(1000) NOT NULL DEFAULT '',
  updated_at DATETIME(6) NOT NULL,
  KEY casework_reviews_state (state, updated_at, item_id),
  KEY casework_reviews_case (case_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS casework_review_steps (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  item_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  at DATETIME(6) NOT NULL,
  actor VARCHAR(191) NOT NULL,
  from_state TINYINT NOT NULL,
  to_state TINYINT NOT NULL,
  detail VARCHAR(1000) NOT NULL DEFAULT '',
  KEY casework_review_steps_item (item_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- When a case's next assessment is due, set by each confirmed assessment. A case without a row is due a
-- configured number of days after it opened.
CREATE TABLE IF NOT EXISTS assessment_schedule (
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  next_due_date DATE NOT NULL,
  next_due_at DATETIME(6) NOT NULL,
  last_assessment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Follow-ups the visits service's events ask for; one per (kind, source record) however often it comes.
CREATE TABLE IF NOT EXISTS visit_follow_ups (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  kind TINYINT NOT NULL,
  source_ref VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  due_at DATETIME(6) NOT NULL,
  done TINYINT NOT NULL DEFAULT 0,
  done_by VARCHAR(191) NOT NULL DEFAULT '',
  done_note VARCHAR(1000) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  UNIQUE KEY visit_follow_ups_source (kind, source_ref),
  KEY visit_follow_ups_open (done, due_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The overdue list and the task list take a jurisdiction's open cases by village.
ALTER TABLE cases ADD KEY cases_village_status (village_code, status, id);
