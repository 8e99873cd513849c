-- The ledger refuses UPDATE and DELETE of an entry at the database, not only in the code: a correction is a
-- reversing entry. MariaDB and MySQL triggers; an engine without triggers (TiDB) must enforce this with
-- grants instead (the service's account holds INSERT and SELECT only on ledger_entries).
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ledger entries are append-only';
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ledger entries are append-only';
