-- Referrals of a child out to a service at another organisation or department (school re-enrolment,
-- household registration, medical, psychological, legal aid), sent under a consent. The sender finds its
-- own by (from_org, id), the receiver by (to_org, id); village_code keeps the child's scope.
CREATE TABLE IF NOT EXISTS service_referrals (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  child_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  from_org VARCHAR(64) NOT NULL,
  to_org VARCHAR(64) NOT NULL,
  service TINYINT NOT NULL,
  due_date DATE NOT NULL,
  note VARCHAR(1000) NOT NULL,
  status TINYINT NOT NULL,
  consent_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  decision_reason VARCHAR(1000) NOT NULL DEFAULT '',
  outcome VARCHAR(1000) NOT NULL DEFAULT '',
  sent_by VARCHAR(191) NOT NULL,
  sent_at DATETIME(6) NOT NULL,
  decided_by VARCHAR(191) NOT NULL DEFAULT '',
  decided_at DATETIME(6) NULL,
  completed_at DATETIME(6) NULL,
  KEY service_referrals_from (from_org, id),
  KEY service_referrals_to (to_org, id),
  KEY service_referrals_case (case_id),
  KEY service_referrals_village (village_code, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
