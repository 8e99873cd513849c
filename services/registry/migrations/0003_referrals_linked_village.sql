-- Where the child a referral matched by resident id is registered, so that the jurisdiction holding that
-- child can list the referrals other jurisdictions made about them (ListReferrals incoming_duplicates)
-- with an index range scan. A child's village does not change, so the copy cannot go stale.
ALTER TABLE referrals
  ADD COLUMN linked_village_code VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD KEY referrals_linked_village (linked_village_code, id);

UPDATE referrals r JOIN children c ON c.id = r.linked_child_id SET r.linked_village_code = c.village_code
  WHERE r.linked_child_id IS NOT NULL;
