-- Organisation ids and people's subjects compared byte for byte, as the other services' tables already do.
-- These columns took the tables' utf8mb4_unicode_ci, under which 'ngo-7' and 'NGO-7' are one value: an NGO
-- listing its own cases, referrals or consents (WHERE organisation_id = ?) was also shown those of an
-- organisation whose id differs only in case, and an auditor asking for one subject's reads got both people's.
-- The identity provider's ids are case-sensitive, and the gateway admits only printable ASCII without spaces
-- (ValidateIdentifier on a token's sub and org), so every value these columns hold converts to ascii as is;
-- a row that did not would stop this migration at its table with the column named (each ALTER is whole or
-- not at all, and each can run again once that row is mended).
-- The keys these columns lead are rebuilt with them, a copy of each table.
ALTER TABLE referrals
  MODIFY referring_org VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY assigned_org VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY submitted_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE referral_history
  MODIFY actor VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE cases
  MODIFY organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY caseworker_id VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE case_history
  MODIFY actor VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE pii_access_reads
  MODIFY subject VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE instruments
  MODIFY published_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE plan_items
  MODIFY owner_id VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE casework_reviews
  MODIFY author VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY submitted_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  MODIFY township_checked_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  MODIFY county_confirmed_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  MODIFY returned_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';
ALTER TABLE casework_review_steps
  MODIFY actor VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE visit_follow_ups
  MODIFY done_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';
ALTER TABLE consents
  MODIFY recipient_org VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY recorded_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY withdrawn_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';
ALTER TABLE service_referrals
  MODIFY from_org VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY to_org VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY sent_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY decided_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';
ALTER TABLE county_transfers
  MODIFY from_org VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY to_org VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  MODIFY requested_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY decided_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';
ALTER TABLE mandatory_reports
  MODIFY responded_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';
ALTER TABLE reintegration_outcomes
  MODIFY organisation_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY recorded_by VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
