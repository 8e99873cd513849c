-- The allowance service's programs, applications, payments and ledger. Ids are application-generated
-- (common/ids.h), never AUTO_INCREMENT. Money is BIGINT fen. Enum columns hold the allowance.v1 enums'
-- numbers; repeated enums (allowed types, eligible categories) are comma-separated numbers, sorted.

CREATE TABLE programs (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  plan TEXT NOT NULL,
  target_group VARCHAR(500) NOT NULL,
  jurisdiction VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  operator_organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  funder_organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  budget_fen BIGINT NOT NULL,
  period_start DATE NOT NULL,
  period_end DATE NOT NULL,
  allowed_types VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  eligible_categories VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  per_payment_cap_fen BIGINT NOT NULL,
  per_child_year_cap_fen BIGINT NOT NULL,
  second_approval_threshold_fen BIGINT NOT NULL,
  state TINYINT NOT NULL,
  assessment_reviewer VARCHAR(200) NULL,
  assessment_accepted TINYINT NULL,
  assessment_comment VARCHAR(2000) NULL,
  assessed_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
  assessed_at DATETIME(6) NULL,
  evaluation_score INT NULL,
  evaluation_summary VARCHAR(4000) NULL,
  evaluated_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
  evaluated_at DATETIME(6) NULL,
  proposed_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  proposed_at DATETIME(6) NOT NULL,
  funded_at DATETIME(6) NULL,
  KEY programs_jurisdiction (jurisdiction, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE program_assessment_scores (
  program_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  position INT NOT NULL,
  criterion VARCHAR(100) NOT NULL,
  score INT NOT NULL,
  PRIMARY KEY (program_id, position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The program's balances, a cache of the ledger's sums updated in the same transaction as each entry.
-- Reservations take money with a guarded UPDATE (… WHERE available_fen >= ?): the row lock orders racing
-- approvals and the condition refuses the one that would overspend. ReconcileProgram proves it equals the
-- ledger.
CREATE TABLE program_balances (
  program_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  budget_fen BIGINT NOT NULL,
  available_fen BIGINT NOT NULL,
  reserved_fen BIGINT NOT NULL,
  in_payment_fen BIGINT NOT NULL,
  disbursed_fen BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE applications (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  program_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  division_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  type TINYINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  reason VARCHAR(2000) NOT NULL,
  evidence_report_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  state TINYINT NOT NULL,
  applicant VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  first_approver VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  second_approver VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  rejection_reason VARCHAR(2000) NOT NULL DEFAULT '',
  year INT NOT NULL,
  -- How many payments have been issued for it: the next one's issue_number is this plus one.
  payments_issued INT NOT NULL DEFAULT 0,
  submitted_at DATETIME(6) NOT NULL,
  decided_at DATETIME(6) NULL,
  KEY applications_program (program_id, id),
  KEY applications_child (child_id, program_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE application_items (
  application_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  position INT NOT NULL,
  description VARCHAR(200) NOT NULL,
  quantity BIGINT NOT NULL,
  unit_value_fen BIGINT NOT NULL,
  PRIMARY KEY (application_id, position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What a child holds of a program in a year (reserved, in payment or paid): the per-child yearly cap is
-- taken with a guarded UPDATE on this row, so two approvals for one child cannot both pass the cap.
CREATE TABLE child_year_totals (
  program_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  year INT NOT NULL,
  committed_fen BIGINT NOT NULL,
  PRIMARY KEY (program_id, child_id, year)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE payments (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  application_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  program_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  division_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  amount_fen BIGINT NOT NULL,
  method TINYINT NOT NULL,
  payee_reference VARCHAR(128) NOT NULL,
  state TINYINT NOT NULL,
  issue_number INT NOT NULL,
  attempts INT NOT NULL,
  failure_reason VARCHAR(2000) NOT NULL DEFAULT '',
  issued_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  issued_at DATETIME(6) NOT NULL,
  resolved_at DATETIME(6) NULL,
  next_attempt_at DATETIME(6) NULL,
  -- An application's n-th payment exists once: a duplicated or retried PayApplication, even one racing the
  -- first on another replica, fails on this key and rolls back whole.
  UNIQUE KEY payments_issue (application_id, issue_number),
  KEY payments_retry (state, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The ledger: append-only double entry. Each row moves amount_fen from one account to another of the same
-- program (LedgerAccount numbers), so every entry balances by construction; balances are sums. Entries are
-- never updated or deleted (0002 adds triggers that refuse both).
CREATE TABLE ledger_entries (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  program_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind TINYINT NOT NULL,
  from_account TINYINT NOT NULL,
  to_account TINYINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  application_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  payment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  recorded_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  recorded_at DATETIME(6) NOT NULL,
  KEY ledger_entries_program (program_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
