-- A program's budget split into slots (services/allowance/budget_slots.h): on a Galera cluster every approval
-- updating the one program_balances row made nearly every commit from two nodes conflict. Each replica owns
-- a slot number and reserves from its own (program, slot) row; program_balances keeps the budget and the
-- unallocated remainder, written only when a slot runs dry. Always: budget = unallocated + Σ slots
-- (available + reserved + in payment + disbursed), and no column is negative.
CREATE TABLE program_budget_slots (
  program_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  slot INT NOT NULL,
  available_fen BIGINT NOT NULL,
  reserved_fen BIGINT NOT NULL,
  in_payment_fen BIGINT NOT NULL,
  disbursed_fen BIGINT NOT NULL,
  PRIMARY KEY (program_id, slot)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A deployed database keeps reconciling: what was reserved, in payment or disbursed moves into slot 0 (where
-- every existing application, payment and cycle is recorded, by the columns' default below); what was
-- available stays as the unallocated remainder.
INSERT INTO program_budget_slots (program_id, slot, available_fen, reserved_fen, in_payment_fen, disbursed_fen)
SELECT program_id, 0, 0, reserved_fen, in_payment_fen, disbursed_fen FROM program_balances
WHERE reserved_fen <> 0 OR in_payment_fen <> 0 OR disbursed_fen <> 0;

ALTER TABLE program_balances CHANGE COLUMN available_fen unallocated_fen BIGINT NOT NULL,
  DROP COLUMN reserved_fen, DROP COLUMN in_payment_fen, DROP COLUMN disbursed_fen;

-- The slot whose reserved money an application, a payment and a monthly cycle's reservation sit in: every
-- later movement of that money (payment, return, release, re-issue) happens within it.
ALTER TABLE applications ADD COLUMN budget_slot INT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN budget_slot INT NOT NULL DEFAULT 0;
ALTER TABLE monthly_cycles ADD COLUMN budget_slot INT NOT NULL DEFAULT 0;
