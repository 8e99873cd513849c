-- One-off repairs of data an older version left, run in the background of a starting service (their rules are
-- the service's code, not SQL) and recorded here once finished, so that no later start walks again.
--   completed-visits-into-plans: plans of cases whose completed visits were reported before a report moved
--   its case's plan (a report stored the visit and the plan stayed due for its verification visit).
CREATE TABLE IF NOT EXISTS data_repairs (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  finished_at DATETIME(6) NOT NULL
);
