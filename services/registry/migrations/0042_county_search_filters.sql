-- The county search with a filter on the case (issue 14: p99 < 20 ms at 16 callers). Walking a county's
-- children in id order (children_county_id, 0040) reads every child a filter drops: a read of its row and
-- a primary-key read of its case each. For risk, status and organisation filters that was 200-3,000 children
-- per page of 50 at 203,000 children, and most of MariaDB's time in the search (perf: range and eq_ref reads).
-- So such a search walks the county's current cases in child order from this covering index, which holds
-- what those filters test: a child the filter drops costs one index entry, and only the page's children are
-- read (risk 670 -> 230 us of MariaDB per page, organisation 870 -> 270, status 530 -> 370). The county is
-- the village code's first six digits, kept by the database (a virtual column, as children's in 0040): a case
-- moved to another county follows without any writer knowing.
ALTER TABLE cases
  ADD COLUMN county_code CHAR(6) CHARACTER SET ascii COLLATE ascii_bin AS (LEFT(village_code, 6)) VIRTUAL,
  ADD KEY cases_current_county_child (is_current, county_code, child_id, village_code, status, risk_level,
                                      organisation_id);
