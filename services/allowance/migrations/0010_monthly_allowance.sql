-- The monthly basic living allowance: what the service knows of each enrolled child (folded from the
-- registry), the school proofs that extend it past 18, and each month's cycle per program with its roster
-- lines, computed once and kept (a cycle's lines are never recomputed: later registry edits change nothing
-- that was computed). Months are DATE, the month's first day; days are Asia/Shanghai. Money is BIGINT fen.

-- One row per child with a monthly enrolment: the facts the rules need, read from the registry when the
-- child's first enrolment is taken up, then moved by the registry's events (living_allowance_follower). A
-- stop event may come before the enrolment is taken up: it makes the row with the stop and no facts yet
-- (birth_date NULL), which the take-up fills in.
CREATE TABLE living_allowance_children (
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  birth_date DATE NULL,
  is_orphan TINYINT NOT NULL DEFAULT 0,
  is_de_facto_unsupported TINYINT NOT NULL DEFAULT 0,
  -- The latest day the case closed, was transferred away or the child left the category; NULL while none.
  stopped_on DATE NULL,
  stop_reason VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  -- The registry event last folded in: one at or before it is a replay and changes nothing.
  last_event_sequence BIGINT NOT NULL DEFAULT 0,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An approved monthly-living-allowance application taken up as an enrolment: which allowance it pays
-- (living_allowance_rules.h LivingAllowanceKind), fixed when taken up.
CREATE TABLE living_allowance_enrolments (
  application_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind TINYINT NOT NULL,
  taken_up_at DATETIME(6) NOT NULL,
  KEY living_allowance_enrolments_child (child_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Proof that a child past 18 is still in secondary or vocational school (SchoolKind numbers), and the last
-- month it covers.
CREATE TABLE school_enrolments (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  school TINYINT NOT NULL,
  evidence_ref VARCHAR(128) NOT NULL,
  covers_through DATE NOT NULL,
  recorded_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  recorded_at DATETIME(6) NOT NULL,
  KEY school_enrolments_cover (covers_through, child_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A program's month: generated → submitted (maker) → approved (checker; reserves the total) → paid, or
-- rejected. The unique key makes a month's cycle exist once per program however many runs race for it.
CREATE TABLE monthly_cycles (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  program_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  month DATE NOT NULL,
  state TINYINT NOT NULL,
  -- Fixed at approval (what was reserved); until then the lines' sum.
  approved_total_fen BIGINT NOT NULL DEFAULT 0,
  generated_at DATETIME(6) NOT NULL,
  submitted_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  submitted_at DATETIME(6) NULL,
  decided_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  decided_at DATETIME(6) NULL,
  rejection_reason VARCHAR(2000) NOT NULL DEFAULT '',
  paid_at DATETIME(6) NULL,
  UNIQUE KEY monthly_cycles_program_month (program_id, month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One line per enrolment per month (MonthlyOutcome numbers; amount 0 unless payable). payable_child_id is
-- the child's id on a payable line and NULL otherwise, so the unique key lets a child be paid one basic
-- living allowance a month across all programs, whatever races generate them.
CREATE TABLE monthly_roster_lines (
  cycle_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  enrolment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  program_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  month DATE NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  division_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind TINYINT NOT NULL,
  outcome TINYINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  replaced_by CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  school_evidence_ref VARCHAR(128) NOT NULL DEFAULT '',
  payable_child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  payment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  PRIMARY KEY (cycle_id, enrolment_id),
  UNIQUE KEY monthly_roster_lines_one_a_month (month, payable_child_id),
  KEY monthly_roster_lines_unpaid (cycle_id, payment_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Urgent needs from the visits service, consumed once each (the report id): the draft application made, or
-- why none was.
CREATE TABLE urgent_need_drafts (
  report_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  event_sequence BIGINT NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  division_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  application_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  why_none VARCHAR(200) NOT NULL DEFAULT '',
  recorded_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ProgramBudgetAtRisk raised once per program: the row is inserted in the transaction that appends it.
CREATE TABLE program_budget_alerts (
  program_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  runs_out_on DATE NOT NULL,
  raised_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
