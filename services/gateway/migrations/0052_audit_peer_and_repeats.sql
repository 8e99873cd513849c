-- The caller's network address on each audit row: who probed with unknown client ids or refused tokens
-- (the alert ShouhuGatewayUnknownApiClientIds sends the operator here), and where a county system called from.
-- Empty on rows an older gateway writes during a rolling upgrade, and for callers not on the network.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS peer VARCHAR(45) CHARACTER SET ascii NOT NULL DEFAULT '';
-- How many calls a row stands for: calls the gateway refused before any service saw them are written one by one
-- up to a budget per caller (an unidentified one by its address) and minute, and the rest of that minute's as
-- one row counting them (services/gateway/refused_call_rows.h). 1 for every other row, and for every row
-- written before.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS repeats INT NOT NULL DEFAULT 1;
