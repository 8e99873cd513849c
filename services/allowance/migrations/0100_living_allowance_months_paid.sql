-- The months of basic living allowance each child has been paid, one row per child and month: a child is paid
-- one basic living allowance a month (living_allowance_rules.h), across enrolments and programs. The roster's
-- one payable line per child and month (monthly_roster_lines_one_a_month) cannot say it alone: an enrolment's
-- first month is paid through its own application, often before its line exists and on facts that change
-- after (a case moved to another county stops the first enrolment and another county's enrols the child,
-- whose first month can be the month the first had paid; a frozen payable line of the first can meet the
-- second's first month). So every payment of a month takes the month here, in the payment's transaction,
-- under this primary key: PayApplication for an enrolment's first month or a re-issue, and PayMonthlyCycle
-- for a line (MariaDbAllowanceStore::ClaimPaidMonth). A second payment of the month, whichever path and
-- whatever race, finds the row and is refused (FAILED_PRECONDITION naming the enrolment and the payment that
-- hold the month), and rolls back whole.
-- payment_id is the payment that holds the month now: the first that paid it, then the re-issue of it once
-- the bank returned it (a re-issue keeps its month). A reversed payment not re-issued still holds it, its
-- money reserved for the re-issue, until that money goes back to the budget (a withdrawal, a case close):
-- then the month was not paid, and the row goes with the money.
CREATE TABLE IF NOT EXISTS living_allowance_months_paid (
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  month DATE NOT NULL,
  enrolment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  payment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  claimed_at DATETIME(6) NOT NULL,
  PRIMARY KEY (child_id, month),
  UNIQUE KEY living_allowance_months_paid_payment (payment_id),
  KEY living_allowance_months_paid_enrolment (enrolment_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The months already paid. Every monthly enrolment's payment starts a chain of re-issues (reissue_of, 0090)
-- whose last payment holds the chain's month: the month of the cycle line that names the chain's first
-- payment, else the enrolment's first month, the month after its approval (decided_at is UTC, the month
-- Asia/Shanghai's, UTC+8 without daylight saving). A chain whose last payment was reversed and whose
-- application was since withdrawn, rejected or cancelled gave its money back: not paid, not recorded. Where
-- the defect this table closes had already paid a child's month twice, the chain that still stands (then the
-- earlier) keeps the month and the other is left out, for the finance officers to follow from the payments.
-- The previous release writes no rows here: its replicas could pay a month the rows do not show, and would
-- not be refused by them. Roll the new release out to every replica, with no PayApplication of a monthly
-- enrolment and no PayMonthlyCycle running (the roster job itself pays nothing), before paying monthly
-- allowances again; a payment made by an old replica after this ran is not in the table.
INSERT IGNORE INTO living_allowance_months_paid (child_id, month, enrolment_id, payment_id, claimed_at)
WITH RECURSIVE chain (root_id, payment_id, depth) AS (
  SELECT p.id, p.id, 0 FROM payments p JOIN applications a ON a.id = p.application_id
  WHERE a.type = 5 AND p.reissue_of IS NULL
  UNION ALL
  SELECT c.root_id, r.id, c.depth + 1 FROM chain c JOIN payments r ON r.reissue_of = c.payment_id
  WHERE c.depth < 1000
)
SELECT a.child_id,
  COALESCE(l.month, DATE_FORMAT(DATE_ADD(DATE_ADD(a.decided_at, INTERVAL 8 HOUR), INTERVAL 1 MONTH), '%Y-%m-01')),
  a.id, last.id, last.issued_at
FROM chain c
JOIN payments root ON root.id = c.root_id
JOIN applications a ON a.id = root.application_id
JOIN payments last ON last.id = c.payment_id
LEFT JOIN monthly_roster_lines l ON l.payment_id = c.root_id
WHERE NOT EXISTS (SELECT 1 FROM payments n WHERE n.reissue_of = c.payment_id)
  AND NOT (last.state IN (4, 5) AND a.state IN (4, 5, 8))
ORDER BY last.state IN (4, 5), c.root_id;
