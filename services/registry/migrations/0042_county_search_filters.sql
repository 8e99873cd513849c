-- The county search with a filter (issue 14: p99 < 20 ms at 16 callers). Walking a county's children in id
-- order (children_county_id, 0040) reads every child a filter drops: a read of its row and a primary-key read
-- of its case each. For a filter on the case (risk, status, organisation) or a category that was 200-3,000
-- children per page of 50 at 203,000 children, and most of MariaDB's time in the search (perf: range and
-- eq_ref reads). So a dropped child now costs one index entry, and only the page's children are read:
-- - a filter on the case walks the county's current cases in child order from a covering index that holds
--   what those filters test (risk 670 -> 230 us of MariaDB per page, organisation 870 -> 270, status
--   530 -> 370). The county is the village code's first six digits, kept by the database (a virtual column,
--   as children's in 0040): a case moved to another county follows without any writer knowing;
-- - a category takes the page's ids from the county index alone, which now also holds the village and the
--   category list (670 -> 400 us). A derived table, because MariaDB pushes no condition down into an index
--   on a virtual column: the page's ids are read index-only first.
ALTER TABLE cases
  ADD COLUMN county_code CHAR(6) CHARACTER SET ascii COLLATE ascii_bin AS (LEFT(village_code, 6)) VIRTUAL,
  ADD KEY cases_current_county_child (is_current, county_code, child_id, village_code, status, risk_level,
                                      organisation_id);

ALTER TABLE children
  DROP KEY children_county_id,
  ADD KEY children_county_id (county_code, id, village_code, categories);
