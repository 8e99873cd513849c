-- What a payment re-issues. A returned payment (or one abandoned after its last failure) puts its amount back
-- to RESERVED on its application, and paying the application re-issues it (PayApplication). A monthly
-- enrolment's application holds two kinds of such money: its own first month's, and a month its cycle paid
-- and the bank returned. Only the first is judged by the first-month rule (a first month not owed is never
-- paid); the second is a month the roster judged owed, and a re-issue of it must not be refused by that rule,
-- else the child's month stays unpaid and its money stuck. Each re-issue names the reversed payment it
-- re-issues, once (the unique key: two re-issues of one payment fail on it and roll back whole), so its
-- amount is exactly what came back and its chain leads to the payment that first paid the money.
-- A payment re-issued before this column (NULL) looks not re-issued yet: its application's state still
-- allows one payment per reversal, and its amount is the application's own; a replica of the previous release
-- writes no reissue_of, so finish a rolling upgrade before paying returned payments again.
ALTER TABLE payments ADD COLUMN IF NOT EXISTS reissue_of CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD UNIQUE KEY IF NOT EXISTS payments_reissue (reissue_of);

-- Whether a payment was a monthly cycle's, from the payment: its roster line, found by the payment's id.
ALTER TABLE monthly_roster_lines ADD KEY IF NOT EXISTS monthly_roster_lines_payment (payment_id);
