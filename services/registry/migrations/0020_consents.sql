-- Consents to share a child's data with another organisation for one purpose (DESIGN §3, PIPL art. 31):
-- who consented (a guardian, by relationship; or the child from 14), until which day, withdrawn when.
-- Never deleted: a withdrawal is a timestamp. Looked up by child, recipient and purpose when a referral out
-- is made; child_id leads the key so a child's consents are one range.
CREATE TABLE IF NOT EXISTS consents (
  id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  child_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  case_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  consenter_kind TINYINT NOT NULL,
  guardian_relationship TINYINT NOT NULL DEFAULT 0,
  recipient_org VARCHAR(64) NOT NULL,
  purpose TINYINT NOT NULL,
  valid_until DATE NOT NULL,
  recorded_by VARCHAR(191) NOT NULL,
  recorded_at DATETIME(6) NOT NULL,
  withdrawn_at DATETIME(6) NULL,
  withdrawn_by VARCHAR(191) NOT NULL DEFAULT '',
  withdrawal_reason VARCHAR(1000) NOT NULL DEFAULT '',
  KEY consents_child (child_id, recipient_org, purpose)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which consent allowed a read that shared the child's data beyond the case's organisation.
ALTER TABLE pii_access_log ADD COLUMN consent_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL;
