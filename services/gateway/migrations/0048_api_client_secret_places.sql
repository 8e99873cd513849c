-- At most two valid secrets per API client, held by the database itself. Each valid secret takes one of its
-- client's two rotation places (1 or 2), unique per client, and gives it up when revoked. AddSecret still
-- counts under the client row it writes (0030), but on Galera that count once let two nodes' calls both in
-- (tests/cluster/README.md, "The gateway's secrets"). A unique key is certified on every node: two secrets
-- taking the same place conflict wherever they were written, and there is no third place.
ALTER TABLE api_client_secrets ADD COLUMN IF NOT EXISTS rotation_place TINYINT NULL;
-- The two oldest valid secrets of each client take places 1 and 2. A third that an older version let in stays
-- valid without a place, and no secret can be added until enough are revoked.
UPDATE api_client_secrets s
  JOIN (SELECT secret_id,
               ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY created_at, secret_id) AS place
          FROM api_client_secrets WHERE revoked_at IS NULL) valid ON valid.secret_id = s.secret_id
   SET s.rotation_place = valid.place
 WHERE valid.place <= 2 AND s.rotation_place IS NULL;
ALTER TABLE api_client_secrets
  ADD CONSTRAINT IF NOT EXISTS api_client_secrets_place_of_valid
    CHECK (rotation_place IS NULL OR (rotation_place IN (1, 2) AND revoked_at IS NULL)),
  ADD UNIQUE KEY IF NOT EXISTS api_client_secrets_one_per_place (client_id, rotation_place);
