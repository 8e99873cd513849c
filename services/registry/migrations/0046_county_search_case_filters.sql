-- The county search with a filter on the case reads only its page (issue 14: p99 < 20 ms at 16 callers).
-- 0042's covering index walks a county's current cases in child order and drops, entry by entry, those the
-- filter does not take: a page of 50 read 50 / (the filter's share) entries, and every case not yet graded
-- comes first in a county whose roster was imported (a roster's cases carry no risk level). In the registry
-- benchmark (203,000 children, 3,000 ungraded ahead of them in the county) a page read 793 entries on
-- average; a filter by a rare grade reads about 25 per child found (extreme: 4% of cases). So each filter on
-- the case now leads its own index: the county's current cases of that grade, status or organisation in
-- child order, a range that stops at the page. The other two filters, the village and the categories are
-- tested on the entry and the child's row as before, so the indexes still cover what the filters read.
-- They replace 0042's, which no query uses any more: two more index entries per change of a case.
ALTER TABLE cases
  ADD KEY cases_county_risk_child (is_current, county_code, risk_level, child_id, village_code, status,
                                   organisation_id),
  ADD KEY cases_county_status_child (is_current, county_code, status, child_id, village_code, risk_level,
                                     organisation_id),
  ADD KEY cases_county_organisation_child (is_current, county_code, organisation_id, child_id, village_code,
                                           status, risk_level),
  DROP KEY cases_current_county_child;
