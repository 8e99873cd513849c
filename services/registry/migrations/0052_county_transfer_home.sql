-- The child's new home as the sending county knows it (RequestCountyTransferRequest.to_home): the accept writes
-- it to the child's record, and every decision clears it (the request holds the address only until then).
-- Until this, a transferred child arrived with no address: the old county's was cleared (8953079) and the
-- receiving county had to record the new one with MoveHousehold before anyone could visit.
-- Rolling upgrade: an older replica inserts requests without it (the defaults: no address, no coordinates),
-- which a newer replica's accept treats as before (the child arrives with none); an older replica's accept
-- ignores it (the same) and its decisions leave it in the decided request's row.
ALTER TABLE county_transfers
  ADD COLUMN IF NOT EXISTS to_address_detail VARCHAR(255) NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS to_latitude DOUBLE NULL,
  ADD COLUMN IF NOT EXISTS to_longitude DOUBLE NULL;
