-- The refresher a certificate was last renewed on (RenewCertification, certification_rules.h Renew): one
-- refresher renews once. Without it the same refresher recorded again under another request id (a retry
-- after a lost answer, two trainers entering one session) added a second validity period the holder never
-- earned, and kept them "qualified" for home visits years longer. NULL: never renewed (or renewed before this
-- column, which such a certificate's next renewal does not see).
ALTER TABLE certifications ADD COLUMN IF NOT EXISTS last_renewed_on DATE NULL;
