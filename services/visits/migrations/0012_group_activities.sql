-- Group and community activities (safety education, anti-trafficking, …) at care sites, schools and villages,
-- and the children who attended. Scoped where they are held and by the organisation that runs them. Enum
-- columns hold the proto numbers of shouhu.visits.v1 (venue_kind, topic). Ids are application-generated.
CREATE TABLE group_activities (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  division_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  venue_kind TINYINT NOT NULL,
  venue_name VARCHAR(200) NOT NULL,
  topic TINYINT NOT NULL,
  title VARCHAR(200) NOT NULL,
  activity_date DATE NOT NULL,
  -- The facilitators' training participant ids, one per line (1..5).
  facilitators VARCHAR(400) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- Person-times so far: the rows in group_attendance for this activity, kept with them in one transaction.
  person_times INT NOT NULL DEFAULT 0,
  created_by VARCHAR(191) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  KEY group_activities_division (division_code, id),
  KEY group_activities_division_date (division_code, activity_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per child per activity: recording a child again changes nothing (one person-time each).
CREATE TABLE group_attendance (
  activity_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  recorded_by VARCHAR(191) NOT NULL,
  recorded_at DATETIME(6) NOT NULL,
  PRIMARY KEY (activity_id, child_id),
  KEY group_attendance_child (child_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
