-- Province statistics kept as counts (issue 14: GetStatistics < 300 ms on 1,000,000 children). Reading them
-- from the rows (0041's two covering indexes) grew with the province: 195 ms at 200,000 children on a quiet
-- machine, 318-381 ms under load, seconds at 1,000,000. Now the counts are kept beside the rows, in the same
-- transaction as every change to what they count, and GetStatistics sums a few hundred to a few thousand
-- count rows whatever the number of children:
-- - child_counts: children per (county, category list), the list as children.categories holds it (so a child
--   counts once in its county and once in each category it lists, as the scan counted them);
-- - case_counts: current cases (cases.is_current) per (county of the case's village, status, risk level).
--   A county's children beyond its current cases are its children with no case: no status, no risk.
-- The writers (services/registry/statistics_count_store.h, ApplyCountChanges): a child registered (accept,
-- roster import), a case made current (accept, roster import) and the case it retires, a current case's
-- status or risk (WriteCaseChange: lifecycle and casework changes), a county transfer (child and case move
-- county). Categories never change after the insert; referral intake writes no child or case.
-- Hot rows: every accept in a county would add to the same count row and wait on it until the one before
-- committed. Each count is spread over 16 slots: a transaction writes all its changes to one slot (a hash of
-- an id new to it), summed per key first, so it takes one row per key it changes, and two writers of one
-- county meet on a row one time in 16; the reader sums the slots. A slot alone means nothing and may go
-- below zero (a child counted into slot 3 at its accept, out of slot 9 at a transfer); only the sums do.
-- Lock order: a transaction writes its counts once, after every lock it shares with other writers (the
-- child, the case, the referral: what it writes after its counts is its own rows or rows under those locks),
-- children's counts then cases' counts, each in key order (one multi-row upsert, INSERT ... ON DUPLICATE KEY
-- UPDATE), so two writers take count rows last and in one order, and never wait on each other crosswise.
-- A sum that reaches zero (a county's children all moved away) leaves its rows; the reader skips zero sums,
-- as a scan finds no row. A township's or village's statistics (a prefix longer than a county) still read
-- the rows: they are few there, and the counts are per county.
-- The backfill counts the rows as they are into slot 0. It is exact when no registry of an older version
-- writes during it (those do not keep counts); after a rolling upgrade that overlapped writes, compare the
-- counts with the rows (CountStatisticsFromRows) and rebuild them from the rows with these two statements.
CREATE TABLE IF NOT EXISTS child_counts (
  county_code CHAR(6) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  categories VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  slot TINYINT UNSIGNED NOT NULL,
  children BIGINT NOT NULL,
  PRIMARY KEY (county_code, categories, slot)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS case_counts (
  county_code CHAR(6) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status TINYINT NOT NULL,
  risk_level TINYINT NOT NULL,
  slot TINYINT UNSIGNED NOT NULL,
  cases BIGINT NOT NULL,
  PRIMARY KEY (county_code, status, risk_level, slot)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO child_counts (county_code, categories, slot, children)
  SELECT LEFT(village_code, 6), categories, 0, COUNT(*) FROM children GROUP BY LEFT(village_code, 6), categories;

INSERT INTO case_counts (county_code, status, risk_level, slot, cases)
  SELECT LEFT(village_code, 6), status, risk_level, 0, COUNT(*) FROM cases WHERE is_current = 1
  GROUP BY LEFT(village_code, 6), status, risk_level;
