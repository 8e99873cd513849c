-- Verification after payment, the visits end: a payment the allowance service asked to be checked with the
-- household (its HouseholdVerificationRequested, followed once per payment), shown on the next visit to the
-- child, and what the visitor found. result 0 while pending, else PaymentVerificationResult's number. What
-- to ask about only (type, amount, day): never bank details.
CREATE TABLE payment_verifications (
  payment_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  program_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  division_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  allowance_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  amount_fen BIGINT NOT NULL,
  paid_on VARCHAR(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The allowance event it came from.
  requested_sequence BIGINT NOT NULL,
  requested_at DATETIME(6) NOT NULL,
  result TINYINT NOT NULL DEFAULT 0,
  note VARCHAR(2000) NOT NULL DEFAULT '',
  assignment_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  recorded_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
  recorded_at DATETIME(6) NULL,
  KEY payment_verifications_child (child_id, result, payment_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
