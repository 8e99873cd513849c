-- Province statistics without a join per child (issue 14: < 300 ms on a province's children). Counting
-- children by county and their current case's status joined every child to its case by primary key (EXPLAIN:
-- children ALL, cases eq_ref: 200,000 lookups, half a second at 200,000 children), and counting by category
-- joined every category row to its child. Now both counts read narrow indexes alone:
-- - a case knows whether it is its child's current case (the newest: every new case becomes its child's
--   current one, and the accept that opens it retires the one before), so current cases are counted by
--   county, status and risk from one covering index;
-- - children are counted by county and category list (the `categories` column, written with the child
--   beside its child_categories rows) from another.
-- Existing cases are marked from their children's current_case_id (one primary-key lookup per child; a
-- NOT IN over children would scan them once per case), then new cases default to current.
ALTER TABLE cases
  ADD COLUMN is_current TINYINT NOT NULL DEFAULT 0,
  ADD KEY cases_current_counts (is_current, village_code, status, risk_level);

UPDATE cases cs JOIN children c ON cs.id = c.current_case_id SET cs.is_current = 1;

ALTER TABLE cases ALTER COLUMN is_current SET DEFAULT 1;

ALTER TABLE children ADD KEY children_village_categories (village_code, categories);
