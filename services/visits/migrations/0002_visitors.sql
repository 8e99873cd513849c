-- Household visitors: staff and volunteers, each a participant of the training service (which says whether
-- they are qualified on a day). Ids are application-generated (common/ids.h), never AUTO_INCREMENT.
CREATE TABLE visitors (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  participant_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  home_village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  available_saturday TINYINT NOT NULL,
  available_sunday TINYINT NOT NULL,
  daily_capacity INT NOT NULL,
  created_by VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(6) NOT NULL,
  -- A person is one visitor: registering them again is ALREADY_EXISTS, not a second calendar to book.
  UNIQUE KEY visitors_participant (participant_id),
  KEY visitors_village (home_village_code, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

