-- A case opened from a county's roster (RosterService.ImportRoster) has no referral: the roster is the
-- county's own verified list. Every other case keeps its referral id.
ALTER TABLE cases MODIFY referral_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL;
