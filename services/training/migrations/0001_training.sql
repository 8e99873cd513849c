-- The training service's tables. Ids are application-generated (common/ids.h); days are DATE in
-- Asia/Shanghai, instants DATETIME(6) in UTC. Enum columns hold the proto enum numbers.

-- Volunteers, staff social workers and trained guardians/caregivers, with their current background check.
CREATE TABLE participants (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  kind TINYINT NOT NULL,
  organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  home_division_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  display_name VARCHAR(100) NOT NULL,
  stage TINYINT NOT NULL,
  languages VARCHAR(1000) NOT NULL DEFAULT '',
  skills VARCHAR(1000) NOT NULL DEFAULT '',
  weekend_available TINYINT NOT NULL DEFAULT 0,
  supervisor_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  registry_child_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  registry_household_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  background_status TINYINT NOT NULL DEFAULT 1,
  background_checked_on DATE NULL,
  background_expires_on DATE NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY participants_division (home_division_code, id),
  KEY participants_organisation (organisation_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every background-check result recorded, newest last; the participant row holds the current one.
CREATE TABLE background_checks (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  participant_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status TINYINT NOT NULL,
  checked_on DATE NULL,
  expires_on DATE NULL,
  recorded_by VARCHAR(191) NOT NULL,
  recorded_at DATETIME(6) NOT NULL,
  KEY background_checks_participant (participant_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Volunteer pipeline history, for supervision and audit.
CREATE TABLE stage_changes (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  participant_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  from_stage TINYINT NOT NULL,
  to_stage TINYINT NOT NULL,
  reason VARCHAR(500) NOT NULL DEFAULT '',
  changed_by VARCHAR(191) NOT NULL,
  changed_at DATETIME(6) NOT NULL,
  KEY stage_changes_participant (participant_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE courses (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  code VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  title VARCHAR(200) NOT NULL,
  hours INT NOT NULL,
  topics VARCHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '',
  audiences VARCHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '',
  pass_mark INT NOT NULL,
  validity_months INT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  UNIQUE KEY courses_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which courses an activity requires (home visits need child-safeguarding basics, …).
CREATE TABLE course_requirements (
  activity TINYINT NOT NULL,
  course_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (activity, course_id),
  KEY course_requirements_course (course_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A course run at a time and place. enrolled_count and waitlist_tail change only while the row is locked
-- (SELECT … FOR UPDATE), which is what keeps enrolments within capacity.
CREATE TABLE training_sessions (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  course_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  division_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  location VARCHAR(200) NOT NULL,
  trainer VARCHAR(100) NOT NULL,
  starts_at DATETIME(6) NOT NULL,
  ends_at DATETIME(6) NOT NULL,
  capacity INT NOT NULL,
  enrolled_count INT NOT NULL DEFAULT 0,
  waitlisted_count INT NOT NULL DEFAULT 0,
  waitlist_tail BIGINT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  KEY training_sessions_course (course_id, starts_at),
  KEY training_sessions_division (division_code, starts_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE enrollments (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  session_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  participant_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status TINYINT NOT NULL,
  waitlist_position BIGINT NOT NULL DEFAULT 0,
  attended TINYINT NULL,
  score INT NULL,
  certification_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY enrollments_session (session_id, status, waitlist_position),
  KEY enrollments_participant (participant_id, session_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- expiry_event_written marks the certificate whose CertificationExpired event is in the outbox: the sweeper
-- sets it in the transaction that appends the event, so several replicas write the event once.
CREATE TABLE certifications (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  participant_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  course_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  enrollment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  issued_on DATE NOT NULL,
  expires_on DATE NOT NULL,
  revoked TINYINT NOT NULL DEFAULT 0,
  revocation_reason VARCHAR(500) NOT NULL DEFAULT '',
  expiry_event_written TINYINT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY certifications_enrollment (enrollment_id),
  KEY certifications_participant (participant_id, course_id, expires_on),
  KEY certifications_expiry (expiry_event_written, expires_on)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Qualification records of the social organisations the government buys services from.
CREATE TABLE organisation_qualifications (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organisation_name VARCHAR(200) NOT NULL,
  division_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  registration_number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  grade TINYINT NOT NULL,
  assessed_by VARCHAR(200) NOT NULL,
  assessed_on DATE NOT NULL,
  expires_on DATE NOT NULL,
  created_at DATETIME(6) NOT NULL,
  KEY organisation_qualifications_organisation (organisation_id, expires_on)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Technical training the government gives partner organisations.
CREATE TABLE organisation_trainings (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  division_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  title VARCHAR(200) NOT NULL,
  hours INT NOT NULL,
  held_on DATE NOT NULL,
  provided_by VARCHAR(200) NOT NULL,
  attendees INT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  KEY organisation_trainings_organisation (organisation_id, held_on)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
