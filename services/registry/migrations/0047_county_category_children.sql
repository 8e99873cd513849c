-- The county search by category reads only its page (issue 14: p99 < 20 ms at 16 callers). A category list
-- cannot lead an index, so a category-filtered page walked the county's children in id order
-- (children_county_id, 0042) and tested FIND_IN_SET on each entry: a page of 50 read 50 / (the category's
-- share) entries, and every child lacking the category ahead of the page's first (in the registry
-- benchmark about 3,300 entries and 1 ms of MariaDB for a category the county's first 3,000 children lack).
-- Here a child has a row per category it lists, keyed by its county, the category and its id: a category's
-- page is a range of the primary key that stops at its last row, its village (for a township's prefix) on
-- the entry.
-- The county is the first six digits of village_code, a column of its own (a primary key cannot hold a
-- virtual column's value kept from another table). So every writer of a child's categories or village keeps
-- these rows in its own transaction (services/registry/county_category_store.h): the accept that registers
-- a child, the roster import (row by row and in blocks), and a county transfer's move of the child (its rows
-- move with it, under the child's row lock). Categories never change after the insert. A separate table, not
-- a column of child_categories, so a registry from before this migration still writes child_categories as
-- it did; it does not write these rows, so after a rolling upgrade that overlapped registrations rebuild
-- them from child_categories with the statement below (DELETE first).
CREATE TABLE IF NOT EXISTS county_category_children (
  county_code CHAR(6) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  category TINYINT NOT NULL,
  child_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (county_code, category, child_id)
) ENGINE=InnoDB;

INSERT IGNORE INTO county_category_children (county_code, category, child_id, village_code)
  SELECT LEFT(c.village_code, 6), cc.category, cc.child_id, c.village_code
  FROM child_categories cc JOIN children c ON c.id = cc.child_id;
