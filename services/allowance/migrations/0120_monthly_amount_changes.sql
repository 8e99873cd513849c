-- A monthly enrolment's amount from a month on (ChangeMonthlyAmount: the province's new yearly standard, or a
-- correction). Roster lines are written once with the amount of their month: that of the enrolment's latest
-- change (highest seq) starting in or before it, else the approved application's (monthly_amounts.h). A change
-- starts after the enrolment's last line, so no line written before it is judged by it.
CREATE TABLE IF NOT EXISTS monthly_amount_changes (
  enrolment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- 1, 2, ... per enrolment, given under the application's row lock.
  seq INT NOT NULL,
  from_month DATE NOT NULL,
  amount_fen BIGINT NOT NULL,
  previous_amount_fen BIGINT NOT NULL,
  reason VARCHAR(500) NOT NULL,
  changed_by VARCHAR(191) NOT NULL,
  changed_at DATETIME(6) NOT NULL,
  PRIMARY KEY (enrolment_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A change starts after the enrolment's latest line: one dive to find it.
ALTER TABLE monthly_roster_lines ADD KEY IF NOT EXISTS monthly_roster_lines_enrolment (enrolment_id, month);
