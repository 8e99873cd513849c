-- Where a visit's follow-up is acted on, when that is not where its case is now: a visitor who checked in and
-- never checked out is reached by the organisation that sent them, in the county the visit was made in
-- (VisitCheckOutMissing's division_code and organisation_id). Taken from the case, a move of the child to
-- another county (CaseMovedCounty) between the visit and the task's listing gave the task to the new county's
-- caseworkers, who know nothing of the visitor, and hid it from the supervisors who sent them.
-- NULL: the case's village and organisation, as before (rows written before this, danger signs, which go to
-- the county where the child now lives, and rows an older replica writes during a rolling upgrade; an older
-- replica lists every task by its case, as before).
ALTER TABLE visit_follow_ups
  ADD COLUMN IF NOT EXISTS village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN IF NOT EXISTS organisation_id VARCHAR(64) NULL;
