-- The refresher a certificate was last renewed on, as a record (RenewCertification's refresher_enrollment_id:
-- the holder's attended enrollment in a session of the certificate's course), kept on both sides. A renewal
-- used to rest on a date alone, which anyone allowed to renew could type; an auditor now sees which session,
-- trainer and attendance each renewal rests on. On the enrollment it also freezes the refresher's results:
-- attendance later corrected to absent would leave a renewal resting on nothing. NULL: never renewed / never
-- renewed anything, or renewed before these columns.
-- Rolling upgrade: an older replica renews without evidence and leaves both NULL, and takes results on a
-- refresher that renewed; upgrade every replica before relying on either.
ALTER TABLE certifications
  ADD COLUMN IF NOT EXISTS last_renewal_enrollment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL;
ALTER TABLE enrollments
  ADD COLUMN IF NOT EXISTS renewed_certification_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL;
