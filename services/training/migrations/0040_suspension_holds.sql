-- A person's suspension as holds, one per (reason, reference) placed (services/training/suspension_rules.h):
-- a person is suspended while any hold stands, and lifting one leaves the others. participants keeps the
-- earliest standing hold in its suspension columns, as it is shown and as the qualification check reads it.
-- by_system: placed by a service (the visits service's safeguarding desk), lifted only by a service;
-- organisation: the placer's organisation when bound to one, empty for the county.
CREATE TABLE IF NOT EXISTS suspension_holds (
  participant_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  reason TINYINT NOT NULL,
  reference VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  placed_by VARCHAR(191) NOT NULL,
  placed_at DATETIME(6) NOT NULL,
  by_system TINYINT NOT NULL,
  organisation VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (participant_id, reason, reference)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The suspensions standing before holds: one hold each. Who placed one is known only by its subject: a
-- service's ("service:…") stays the service's to lift; any other is taken as the county's (the previous
-- release kept no organisation), which the county may lift and an organisation's lead may not.
INSERT IGNORE INTO suspension_holds (participant_id, reason, reference, placed_by, placed_at, by_system,
                                     organisation)
SELECT id, suspension_reason, COALESCE(suspension_reference, ''), COALESCE(suspended_by, ''),
       COALESCE(suspended_at, updated_at), suspended_by LIKE 'service:%', ''
FROM participants WHERE suspension_reason IS NOT NULL;
