-- Lines computed after a month's cycle was submitted (a roster replica that died mid-month and the one that
-- took its lease over, a failed run re-run, an enrolment taken up late) no longer join that cycle, whose
-- approval never saw them: they go to a supplementary cycle of the same month (supplement 1, 2, …), approved
-- on its own. The month's first cycle is supplement 0, the column's default, so an older replica's
-- INSERT … ON DUPLICATE KEY still finds the month's cycle through the new key.
ALTER TABLE monthly_cycles ADD COLUMN IF NOT EXISTS supplement SMALLINT NOT NULL DEFAULT 0,
  ADD UNIQUE KEY IF NOT EXISTS monthly_cycles_program_month_supplement (program_id, month, supplement),
  DROP KEY IF EXISTS monthly_cycles_program_month;
-- One line per enrolment and month across a month's cycles: a re-run finds the lines already written
-- whichever cycle holds them. Existing rows satisfy it (a month had one cycle per program, and an enrolment
-- belongs to one program).
ALTER TABLE monthly_roster_lines
  ADD UNIQUE KEY IF NOT EXISTS monthly_roster_lines_enrolment_month (month, enrolment_id);
