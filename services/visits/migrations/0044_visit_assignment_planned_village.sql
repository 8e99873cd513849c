-- The village a visit was planned for, kept on its assignment (and on its released row, which a late check-in
-- puts back). A report sent without a check-in and a late check-in of a released visit were judged on the
-- case's current village (case_plans): after the case moved (CaseMovedCounty, HouseholdMoved), the visitor who
-- made the visit was refused and a caller of the new place was let in. Now they are judged on this village
-- (field_visit_store.cc; a checked-in visit on the village its check-in recorded, visit_contacts).
--
-- Rolling upgrade: an older replica still running beside a newer one plans, releases and restores visits
-- without this column (NULL). A row without it is judged as before, on the case's current village: right
-- unless its case moved since it was planned. Roll every replica before relying on it.
ALTER TABLE visit_assignments ADD COLUMN IF NOT EXISTS village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NULL;
ALTER TABLE released_assignments ADD COLUMN IF NOT EXISTS village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NULL;

-- The rows already stored whose record may still come without a check-in (a checked-in visit is judged on its
-- check-in's village and needs none): their case's village now, which is the planned one unless the case
-- moved since; one that moved to another village released its visits from the day it moved, so what is left
-- of it is mostly past visits. A visit released by a move keeps NULL: its case's village now is the one it
-- moved to, never the one planned, and the case's current village is what it would be judged on anyway.
UPDATE visit_assignments a
  JOIN case_plans p ON p.case_id = a.case_id
  LEFT JOIN visit_contacts c ON c.assignment_id = a.id
  SET a.village_code = p.village_code
  WHERE a.village_code IS NULL AND c.assignment_id IS NULL;
UPDATE released_assignments r
  JOIN case_plans p ON p.case_id = r.case_id
  SET r.village_code = p.village_code
  WHERE r.village_code IS NULL AND r.released_because NOT LIKE 'case-moved-county:%'
    AND r.released_because NOT LIKE 'household-moved:%';
