-- A program's ledger in commit order within each budget slot, so a finance system following it never misses
-- an entry (issue 14). ListLedgerEntries paged a program's entries by id; since the budget slots (0030) two
-- replicas post one program's entries under different row locks, each with its own clock, so an entry could
-- commit below an id a reader had already passed, and the reader never saw it. Within a slot the order can be
-- kept: every entry is posted holding its slot's row (a funding entry, the remainder's row in
-- program_balances), takes an id above the row's last_entry_id and leaves its own id there. The listing
-- pages each slot on its own (services/allowance/ledger_cursor.h); budget_slot is the slot an entry was
-- posted in, -1 for the remainder.
ALTER TABLE ledger_entries ADD COLUMN IF NOT EXISTS budget_slot INT NOT NULL DEFAULT 0,
  ADD KEY IF NOT EXISTS ledger_entries_slot (program_id, budget_slot, id),
  DROP KEY IF EXISTS ledger_entries_program;
ALTER TABLE program_budget_slots ADD COLUMN IF NOT EXISTS
  last_entry_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';
ALTER TABLE program_balances ADD COLUMN IF NOT EXISTS
  last_entry_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';
-- The entries already posted count as slot 0's (the column's default); every entry posted from now on sorts
-- after all of them.
UPDATE program_budget_slots s SET last_entry_id =
  (SELECT COALESCE(MAX(e.id), '') FROM ledger_entries e WHERE e.program_id = s.program_id);
UPDATE program_balances b SET last_entry_id =
  (SELECT COALESCE(MAX(e.id), '') FROM ledger_entries e WHERE e.program_id = b.program_id);
