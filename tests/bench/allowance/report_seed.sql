-- 129 county programs, 25,000 monthly enrolments (a fifth orphans) paid 12 months each (300,000 payments),
-- 2,500 arrears claims paid once, 5,000 one-time payments: a province's year of allowance payments.
INSERT INTO programs (id, name, plan, target_group, jurisdiction, operator_organisation_id, funder_organisation_id,
  budget_fen, period_start, period_end, allowed_types, eligible_categories, per_payment_cap_fen,
  per_child_year_cap_fen, second_approval_threshold_fen, state, proposed_by, proposed_at)
SELECT CONCAT('P', LPAD(seq, 25, '0')), 'p', 'p', 'g', CONCAT('53', LPAD(seq, 4, '0')), 'ngo', 'funder',
  1000000000, '2026-01-01', '2026-12-31', '5,6,1', '1,2', 1000000, 10000000, 1000000, 4, 'x', NOW()
FROM seq_0_to_128;
INSERT INTO applications (id, program_id, child_id, division_code, organisation_id, type, amount_fen, reason,
  evidence_report_id, state, applicant, year, submitted_at)
SELECT CONCAT('E', LPAD(seq, 25, '0')), CONCAT('P', LPAD(seq % 129, 25, '0')), CONCAT('child-', seq),
  CONCAT('53', LPAD(seq % 129, 4, '0'), '100200'), 'ngo', 5, 60000, 'r', '', 7, 'x', 2026, '2026-01-02'
FROM seq_0_to_24999;
INSERT INTO living_allowance_enrolments (application_id, child_id, kind, taken_up_at)
SELECT CONCAT('E', LPAD(seq, 25, '0')), CONCAT('child-', seq), IF(seq % 5 = 0, 1, 2), '2026-01-02'
FROM seq_0_to_24999;
INSERT INTO applications (id, program_id, child_id, division_code, organisation_id, type, amount_fen, reason,
  evidence_report_id, state, applicant, year, submitted_at)
SELECT CONCAT('A', LPAD(seq, 25, '0')), CONCAT('P', LPAD(seq % 129, 25, '0')), CONCAT('child-', seq * 10),
  CONCAT('53', LPAD(seq % 129, 4, '0'), '100200'), 'ngo', 6, 15000, 'r', '', 7, 'x', 2026, '2026-06-02'
FROM seq_0_to_2499;
INSERT INTO monthly_arrears (enrolment_id, month, attempt, application_id, paid_fen, due_fen, owed_fen)
SELECT CONCAT('E', LPAD(a.seq * 10, 25, '0')), DATE_ADD('2026-01-01', INTERVAL m.seq MONTH), 1,
  CONCAT('A', LPAD(a.seq, 25, '0')), 60000, 65000, 5000
FROM seq_0_to_2499 a JOIN seq_0_to_2 m;
INSERT INTO applications (id, program_id, child_id, division_code, organisation_id, type, amount_fen, reason,
  evidence_report_id, state, applicant, year, submitted_at)
SELECT CONCAT('T', LPAD(seq, 25, '0')), CONCAT('P', LPAD(seq % 129, 25, '0')), CONCAT('child-', seq * 3),
  CONCAT('53', LPAD(seq % 129, 4, '0'), '100200'), 'ngo', 1, 20000, 'r', '', 7, 'x', 2026, '2026-03-02'
FROM seq_0_to_4999;
INSERT INTO payments (id, application_id, program_id, child_id, division_code, amount_fen, method,
  payee_reference, state, issue_number, attempts, issued_by, issued_at)
SELECT CONCAT('M', LPAD(m.seq, 2, '0'), RIGHT(a.id, 23)), a.id, a.program_id, a.child_id, a.division_code, a.amount_fen, 1, 'ref',
  3, m.seq + 1, 1, 'x', DATE_ADD('2026-01-05 02:00:00', INTERVAL m.seq MONTH)
FROM applications a JOIN seq_0_to_11 m WHERE a.type = 5;
INSERT INTO payments (id, application_id, program_id, child_id, division_code, amount_fen, method,
  payee_reference, state, issue_number, attempts, issued_by, issued_at)
SELECT CONCAT(LEFT(a.id, 1), 'X', RIGHT(a.id, 24)), a.id, a.program_id, a.child_id, a.division_code, a.amount_fen, 1, 'ref', 3, 1, 1, 'x',
  IF(a.type = 6, '2026-06-10 02:00:00', '2026-03-10 02:00:00')
FROM applications a WHERE a.type IN (1, 6);
