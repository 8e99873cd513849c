-- A county's children in id order, for the county-scoped, paged child search (SearchChildren pages by id):
-- with only (village_code, id), a county's page read every child of the county's villages and sorted them
-- (EXPLAIN: range on children_village_id, Using filesort), the whole county for every page. The county is
-- the village code's first six digits, kept by the database itself (a virtual column: a child moved to
-- another county follows without any writer knowing), indexed with the id so a page is an index range read
-- in order that stops at the page's last row.
ALTER TABLE children
  ADD COLUMN county_code CHAR(6) CHARACTER SET ascii COLLATE ascii_bin AS (LEFT(village_code, 6)) VIRTUAL,
  ADD KEY children_county_id (county_code, id);
