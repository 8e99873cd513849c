-- Verification after payment: what a visit found when it checked a sampled payment with the household
-- (visits' PaymentVerificationRecorded, followed once per payment). Received in full marks the payment
-- verified; any other result is a discrepancy, listed and alerted on (PaymentVerificationDiscrepancy), never
-- corrected. Results are PaymentCheckResult numbers.
CREATE TABLE payment_checks (
  payment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  program_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  result TINYINT NOT NULL,
  note VARCHAR(2000) NOT NULL,
  assignment_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  checked_at DATETIME(6) NOT NULL,
  -- The visits event it came from.
  event_sequence BIGINT NOT NULL,
  recorded_at DATETIME(6) NOT NULL,
  KEY payment_checks_program (program_id, payment_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
